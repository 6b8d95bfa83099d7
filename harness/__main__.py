"""``python -m harness``: run the emulator standalone, or run every notebook.

    python -m harness emulator [--db PATH] [--port N] [--seed N] [--api-version V]
                               [--new-platform]
    connect-lab-emulator ...    (the same, as an installed command)
    python -m harness run [NAME ...]
    python -m harness drift [--json] [--against FILE]
    python -m harness clean-stripe [--dry-run]
    python -m harness coverage [--probe] [--markdown]
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading


def _emulator(args: argparse.Namespace) -> int:
    """Serve until SIGTERM or Ctrl-C. Human lines go to stderr; stdout gets one JSON line
    (``api_base``, ``secret_key``, ``publishable_key``, ``account``) for scripts and CI."""
    import json

    from .emulator import Emulator, Settings
    from .lab.own_platform import new_secret_key
    from .lab.server import BackgroundServer

    settings = Settings(seed=args.seed)
    if args.api_version:
        settings.default_api_version = args.api_version
    settings.new_platform = args.new_platform
    emulator = Emulator(db=args.db, settings=settings)
    server = BackgroundServer(emulator, host=args.host, port=args.port).start()
    secret_key = args.secret_key or new_secret_key()
    platform = emulator.create_platform(secret_key)
    print(f"Connect Lab emulator on {server.url} (db: {args.db})", file=sys.stderr, flush=True)
    print("Use any sk_test_… key: each distinct key is its own platform.", file=sys.stderr,
          flush=True)
    print(json.dumps({"api_base": server.url, "secret_key": secret_key,
                      "publishable_key": emulator.publishable_key(platform),
                      "account": platform}), flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    server.stop()
    emulator.close()
    return 0


def add_emulator_arguments(parser: argparse.ArgumentParser) -> None:
    """The standalone emulator's options (``python -m harness emulator`` and
    ``connect-lab-emulator`` take the same)."""
    parser.add_argument("--db", default=":memory:", help="SQLite file (default: in memory)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1; a trainer may pick the room's)")
    parser.add_argument("--port", type=int, default=12111, help="port (default 12111; 0 = a "
                        "free one)")
    parser.add_argument("--seed", type=int, default=None, help="deterministic IDs and clock")
    parser.add_argument("--api-version", default=None,
                        help="default API version of new platforms (default 2026-07-29.dahlia)")
    parser.add_argument("--new-platform", action="store_true",
                        help="behave as a Connect platform created today, without Accounts v1: "
                             "POST /v1/accounts is refused, /v2/core/accounts works")
    parser.add_argument("--secret-key", default=None,
                        help="the sk_test_ key to print for the first platform (default: a new "
                             "random one)")


def emulator_main(argv: list[str] | None = None) -> int:
    """``connect-lab-emulator``: the standalone emulator as a command for any test suite."""
    parser = argparse.ArgumentParser(
        prog="connect-lab-emulator",
        description="Run Connect Lab's offline Stripe emulator. Prints one JSON line with "
                    "api_base, secret_key and publishable_key on stdout; stops on SIGTERM.",
        epilog="example: connect-lab-emulator --port 0 --db /tmp/stripe.db",
    )
    add_emulator_arguments(parser)
    return _emulator(parser.parse_args(argv))


DESCRIPTION = """Connect Lab: a Jupyter tutorial and test harness for Stripe Connect destination
charges, with an offline Stripe emulator. Each command says its defaults with --help."""

EXAMPLES = """examples:
  python -m harness run                      every notebook, headless, on the emulator
  python -m harness run 03 04b --update      re-execute two notebooks and keep their outputs
  python -m harness emulator --port 12111    a standalone emulator (a workshop room: --host 0.0.0.0)
  python -m harness platform --api-base http://127.0.0.1:12111 --api-key sk_test_me \\
      --webhook-secret whsec_...             the platform app, for `stripe listen` to forward to
  python -m harness coverage                 what of Stripe's API the emulator models
  python -m harness drift                    the emulator against Stripe test mode, field by field
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness", description=DESCRIPTION,
                                     epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    emu = sub.add_parser("emulator", help="run the offline Stripe emulator standalone")
    add_emulator_arguments(emu)
    run = sub.add_parser("run", help="execute every notebook headless on the emulator "
                         "(report: build/report.html)")
    run.add_argument("names", nargs="*", help="only notebooks whose name contains these")
    run.add_argument("--update", action="store_true",
                     help="write the outputs back into notebooks/ (to commit them)")
    from .tools import drift

    drift_cmd = sub.add_parser("drift", help="compare one marketplace scenario on the emulator "
                               "and on Stripe test mode, field by field")
    drift.add_arguments(drift_cmd)
    clean = sub.add_parser("clean-stripe", help="delete the Stripe test accounts Connect Lab "
                           "created (metadata connect_lab=1), and only those")
    clean.add_argument("--dry-run", action="store_true", help="list them, delete nothing")
    cover = sub.add_parser("coverage", help="every Stripe method and parameter, and what the "
                           "emulator does with it (implemented, not modelled, absent)")
    from .tools import coverage

    coverage.add_arguments(cover)
    plat = sub.add_parser("platform", help="the guide's platform app (the marketplace) on its "
                          "own port, for the Stripe CLI or a browser",
                          formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    from .tools import platform_cmd

    platform_cmd.add_arguments(plat)
    args = parser.parse_args(argv)
    if args.command == "platform":
        return platform_cmd.main(args)
    if args.command == "emulator":
        return _emulator(args)
    if args.command == "coverage":
        return coverage.main(args)
    if args.command in ("drift", "clean-stripe"):
        try:
            if args.command == "drift":
                return drift.main(args)
            drift.clean_stripe(dry_run=args.dry_run)
            return 0
        except ValueError as exc:  # a live key (LiveKeyRefused) or a malformed one
            print(exc, file=sys.stderr)
            return 2
    from .tools.runner import main as run_main

    return run_main(args.names, update=args.update)


if __name__ == "__main__":
    sys.exit(main())
