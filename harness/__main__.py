"""``python -m harness``: run the emulator standalone, or run every notebook.

    python -m harness emulator [--db PATH] [--port N] [--seed N] [--api-version V]
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
    from .emulator import Emulator, Settings
    from .lab.server import BackgroundServer

    settings = Settings(seed=args.seed)
    if args.api_version:
        settings.default_api_version = args.api_version
    emulator = Emulator(db=args.db, settings=settings)
    server = BackgroundServer(emulator, host=args.host, port=args.port).start()
    print(f"Connect Lab emulator on {server.url} (db: {args.db})", flush=True)
    print("Use any sk_test_… key: each distinct key is its own platform.", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    server.stop()
    emulator.store.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness")
    sub = parser.add_subparsers(dest="command", required=True)
    emu = sub.add_parser("emulator", help="run the offline Stripe emulator standalone")
    emu.add_argument("--db", default=":memory:", help="SQLite file (default: in memory)")
    emu.add_argument("--host", default="127.0.0.1",
                     help="address to bind (default 127.0.0.1; a trainer may pick the room's)")
    emu.add_argument("--port", type=int, default=12111, help="port (0 = a free one)")
    emu.add_argument("--seed", type=int, default=None, help="deterministic IDs and clock")
    emu.add_argument("--api-version", default=None,
                     help="default API version of new platforms (default 2026-07-29.dahlia)")
    run = sub.add_parser("run", help="execute every notebook headless on the emulator")
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
    args = parser.parse_args(argv)
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
