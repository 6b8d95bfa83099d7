"""``python -m harness platform``: the guide's platform app (the home-rental marketplace) on
its own, for the Stripe CLI to forward webhooks to, or to click through in a browser.

It talks to a standalone emulator (``--api-base``, as ``python -m harness emulator`` prints
it), to Stripe test mode (``STRIPE_SECRET_KEY``), or, given neither, to an emulator it starts
itself."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api-base", default=None, metavar="URL",
                        help="a running emulator, e.g. http://127.0.0.1:12111 (default: "
                             "STRIPE_SECRET_KEY's test mode if set, else an emulator of its own)")
    parser.add_argument("--api-key", default=None, metavar="sk_test_…",
                        help="the platform's secret key on that emulator (default "
                             "$STRIPE_SECRET_KEY; the same key you give the Stripe CLI)")
    parser.add_argument("--port", type=int, default=4242, help="port (default 4242; 0 = free)")
    parser.add_argument("--webhook-secret", default=os.environ.get("STRIPE_WEBHOOK_SECRET"),
                        metavar="whsec_…", help="the signing secret `stripe listen` printed "
                        "(default $STRIPE_WEBHOOK_SECRET)")
    parser.add_argument("--connect", nargs="*", default=["ho_001"], metavar="HOMEOWNER",
                        help="homeowners to connect and onboard at start (default ho_001)")


def main(args: argparse.Namespace) -> int:
    import harness

    from ..guide.elements_checkout import start_marketplace_platform

    env = dict(os.environ)
    if args.api_base:
        key = args.api_key or env.get("STRIPE_SECRET_KEY")
        if not key:
            print("--api-base needs the platform's key: --api-key sk_test_… (the same one you "
                  "give `stripe listen`)", file=sys.stderr)
            return 2
        env.update(CONNECT_LAB_API_BASE=args.api_base, STRIPE_SECRET_KEY=key)
    lab = harness.start(seed=None, env=env)
    platform = start_marketplace_platform(lab, connect=args.connect,
                                          webhook_secret=args.webhook_secret, port=args.port)
    print(f"Connect Lab Rentals (the platform app) on {platform.url}", flush=True)
    print(f"  Stripe: {lab.backend} at {lab.api_base}", flush=True)
    check = ("verified with the given whsec_" if args.webhook_secret
             else "no whsec_ given: every event is refused")
    print(f"  webhooks: POST {platform.url_for('/webhook')} ({check})", flush=True)
    print(f"  a booking page: {platform.url_for('/checkout/lst_001?nights=2')}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    platform.stop()
    lab.stop()
    return 0
