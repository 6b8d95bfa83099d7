"""Connect Lab's performance record: ``make bench`` (``.venv/bin/python bench/bench.py``).

1. The same stripe-python calls against the emulator and against localstripe, both served
   in this process on 127.0.0.1 and a free port: median and p90 latency, and the ratio.
2. The emulator again with 100,000 stored objects (``--big``: 1,000,000 as well), to show
   its latency stays flat as the store grows.
3. Goals, each reported as holding or not. Every number is measured in this run.

The record goes to stdout (markdown) and to build/bench.json; progress goes to stderr.
The exit status is 0 whether or not a goal holds; it is 1 only if an emulator call failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from filler import Filler
from scenarios import SCENARIOS
from servers import LOCALSTRIPE_PICKLE, EmulatorTarget, LocalstripeTarget, Unsupported
from stats import Sampler, measure_together

ROOT = Path(__file__).resolve().parent.parent
DESTINATION_GOAL = 10.0  # destination charge at least this many times faster than localstripe
FLAT_GOAL = 1.5  # median with a big store at most this many times the baseline median
FILL_MIX = [("pi_create", 1), ("pi_confirm", 1), ("pi_confirm_saved", 1), ("destination", 3)]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- running rows -----------------------------------------------------------------------------
def settled(check: Any, target: Any) -> Any:
    """Check a result, then let the target finish any work it deferred (both untimed)."""

    def after(result: Any) -> None:
        check(result)
        target.settle()

    return after


def run_rows(targets: list[Any], args: argparse.Namespace,
             label: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Every scenario on every target, their samples interleaved: {target: {scenario: row}}."""
    out: dict[str, dict[str, dict[str, Any]]] = {t.name: {} for t in targets}
    for scenario in SCENARIOS:
        started = time.perf_counter()
        samplers: dict[str, Sampler] = {}
        for target in targets:
            target.reset_between_rows()
            row: dict[str, Any] = {"objects_before": target.object_count()}
            try:
                call, check = scenario.prepare(target)
                samplers[target.name] = Sampler(call, settled(check, target), args.samples,
                                                args.row_seconds)
            except Unsupported as exc:
                row["na"] = str(exc)
                if scenario.reference and len(targets) > 1:
                    ref = next(s for s in SCENARIOS if s.key == scenario.reference)
                    try:
                        target.reset_between_rows()
                        call, check = ref.prepare(target)
                        samplers[f"{target.name}|reference"] = Sampler(
                            call, settled(check, target), args.samples, args.row_seconds)
                    except Exception as ref_exc:
                        row["reference"] = {"call": ref.title, "error": repr(ref_exc)}
            except Exception as exc:  # shown in the table and the JSON, never swallowed
                row["error"] = f"set-up failed: {type(exc).__name__}: {exc}"
                row["traceback"] = traceback.format_exc()
            out[target.name][scenario.key] = row
        for name, summary in measure_together(samplers, warmup=args.warmup).items():
            target_name, _, reference = name.partition("|")
            if reference:
                title = next(s.title for s in SCENARIOS if s.key == scenario.reference)
                out[target_name][scenario.key]["reference"] = {"call": title, **summary}
            else:
                out[target_name][scenario.key].update(summary)
        for target in targets:
            row = out[target.name][scenario.key]
            row["objects_after"] = target.object_count()
            if isinstance(target, LocalstripeTarget):
                row["pickle_bytes_after"] = target.pickle_bytes()
            if "median_ms" in row:
                state = (f"median {row['median_ms']:.2f} ms, p90 {row['p90_ms']:.2f} ms, "
                         f"n={row['n']}")
            else:
                state = row.get("na") or row.get("error", "")
            log(f"  [{label}] {target.name}: {scenario.title}: {state}")
            ref = row.get("reference")
            if ref and "median_ms" in ref:
                log(f"  [{label}] {target.name}: (alongside, as reference) {ref['call']}: "
                    f"median {ref['median_ms']:.2f} ms, p90 {ref['p90_ms']:.2f} ms, n={ref['n']}")
        log(f"  [{label}] ({time.perf_counter() - started:.1f} s)")
    return out


# -- formatting ----------------------------------------------------------------------------------
def ms(row: dict[str, Any] | None, field: str = "median_ms") -> str:
    if row is None:
        return "n/a"
    if field in row:
        return f"{row[field]:.2f}"
    if "na" in row:
        return "n/a"
    return "error"


def ratio(num: dict[str, Any] | None, den: dict[str, Any] | None) -> float | None:
    if num and den and "median_ms" in num and "median_ms" in den and den["median_ms"] > 0:
        return num["median_ms"] / den["median_ms"]
    return None


def cpu_ratio(num: dict[str, Any] | None, den: dict[str, Any] | None) -> float | None:
    if num and den and num.get("cpu_median_ms") and den.get("cpu_median_ms"):
        return num["cpu_median_ms"] / den["cpu_median_ms"]
    return None


def load_range(rows: dict[str, dict[str, Any]]) -> str:
    values = [v for r in rows.values() for v in r.get("load_average_1min", []) if v is not None]
    return f"{min(values):.2f}-{max(values):.2f}" if values else "n/a"


def fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|",
            *(line(r) for r in rows)]


def environment(args: argparse.Namespace) -> dict[str, Any]:
    def version(dist: str) -> str | None:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return None

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": commit or None,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "sqlite": sqlite3.sqlite_version,
        "stripe": version("stripe"),
        "localstripe": version("localstripe"),
        "aiohttp": version("aiohttp"),
        "werkzeug": version("werkzeug"),
        "samples": args.samples,
        "warmup": args.warmup,
        "row_budget_s": args.row_seconds,
    }


# -- the run -----------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200, help="timed calls per row")
    parser.add_argument("--warmup", type=int, default=20, help="untimed calls per row first")
    parser.add_argument("--row-seconds", type=float, default=10.0,
                        help="stop sampling a row after this long (bounds the runtime)")
    parser.add_argument("--fill", type=int, default=100_000,
                        help="objects in the emulator's store for the growth table")
    parser.add_argument("--big", action="store_true",
                        help="also measure at 1,000,000 objects (several minutes more)")
    parser.add_argument("--no-localstripe", action="store_true", help="skip localstripe")
    parser.add_argument("--json", type=Path, default=ROOT / "build" / "bench.json")
    args = parser.parse_args(argv)
    if args.samples < 5 or args.warmup < 0:
        parser.error("--samples must be at least 5 and --warmup at least 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    record: dict[str, Any] = {"environment": environment(args), "calls": {}, "baseline": {},
                              "growth": [], "goals": [], "notes": []}
    for s in SCENARIOS:
        record["calls"][s.key] = {"title": s.title, "note": s.note}
    emulator, localstripe = EmulatorTarget(), LocalstripeTarget()
    try:
        log(f"emulator: starting on 127.0.0.1 ({args.samples} samples, {args.warmup} warm-up)")
        emulator.start()
        log(f"emulator: {emulator.url}")
        targets: list[Any] = [emulator]
        ls_reason = "skipped (--no-localstripe)" if args.no_localstripe else None
        if not args.no_localstripe:
            try:
                localstripe.start()
                log(f"localstripe: {localstripe.url}")
                targets.append(localstripe)
            except Exception as exc:
                ls_reason = f"localstripe could not run: {type(exc).__name__}: {exc}"
                log(ls_reason)
                localstripe.stop()
        try:
            measured = run_rows(targets, args, "baseline")
        finally:
            localstripe.stop()
        emu_rows = measured["emulator"]
        ls_rows = measured.get("localstripe") or {s.key: {"na": ls_reason} for s in SCENARIOS}
        record["baseline"]["emulator_objects"] = emulator.object_count()
        record["baseline"]["rows"] = {
            s.key: {"emulator": emu_rows[s.key], "localstripe": ls_rows[s.key],
                    "ratio_localstripe_over_emulator": ratio(ls_rows[s.key], emu_rows[s.key])}
            for s in SCENARIOS
        }

        sizes = [args.fill] + ([1_000_000] if args.big and args.fill < 1_000_000 else [])
        try:
            grow(emulator, emu_rows, sizes, args, record)
        except Exception as exc:  # the record so far is still written
            record["growth_error"] = f"{type(exc).__name__}: {exc}"
            record["growth_traceback"] = traceback.format_exc()
            log(record["growth_traceback"])
    finally:
        emulator.stop()
        localstripe.stop()

    record["goals"] = goals(record)
    record["notes"] = notes(record, emulator, localstripe, args)
    record["elapsed_s"] = time.perf_counter() - started
    lines = render(record, args)
    print("\n".join(lines), flush=True)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(record, indent=2, default=str) + "\n")
    log(f"wrote {args.json} ({record['elapsed_s']:.0f} s in all)")
    failed = [k for k, r in record["baseline"]["rows"].items() if "error" in r["emulator"]]
    failed += [f"{g['objects']}:{k}" for g in record["growth"]
               for k, r in g["rows"].items() if "error" in r]
    if record.get("growth_error"):
        failed.append(f"growth phase ({record['growth_error']})")
    if failed:
        log(f"emulator calls failed: {', '.join(failed)}")
    return 1 if failed else 0


def grow(emulator: EmulatorTarget, emu_rows: dict[str, dict[str, Any]], sizes: list[int],
         args: argparse.Namespace, record: dict[str, Any]) -> None:
    """Fill the emulator's store to each size in turn and measure every call again."""
    account = emulator.cache.get("account")
    if account is None:
        raise RuntimeError("the destination-charge row did not run on the emulator, so there "
                           "is no connected account to build the fill templates with")
    filler = Filler(emulator, account, shared=emulator.cache.get("saved_card", ()))
    for key, weight in FILL_MIX:
        scenario = next(s for s in SCENARIOS if s.key == key)
        call, _ = scenario.prepare(emulator)
        filler.capture(key, weight, call)
    filler.add_other_platforms(count=4, accounts_each=2)
    for size in sizes:
        log(f"growth: filling the emulator's store to {size:,} objects")
        info = filler.fill_to(size)
        log(f"growth: {info['objects_inserted']:,} objects in {info['seconds']:.1f} s")
        rows = run_rows([emulator], args, f"{size:,} objects")["emulator"]
        record["growth"].append({
            "objects": size, "fill": info, "rows": rows,
            "ratio_to_baseline": {k: ratio(rows[k], emu_rows[k]) for k in rows},
            "cpu_ratio_to_baseline": {k: cpu_ratio(rows[k], emu_rows[k]) for k in rows},
        })


def goals(record: dict[str, Any]) -> list[dict[str, Any]]:
    rows = record["baseline"]["rows"]
    out = []
    dest = rows["destination"]["emulator"]
    reference = rows["destination"]["localstripe"].get("reference")
    candidates = []
    if reference and "median_ms" in reference:
        candidates.append(("PaymentIntent create with confirm=True, timed alongside the "
                           "destination charge (samples interleaved)", reference, True))
    candidates += [
        ("PaymentIntent create with confirm=True, from its own row",
         rows["pi_confirm"]["localstripe"], not candidates),
        ("PaymentIntent create with confirm=True, saved card, from its own row",
         rows["pi_confirm_saved"]["localstripe"], False),
    ]
    for label, ls_row, primary in candidates:
        value = ratio(ls_row, dest)
        out.append({
            "goal": f"destination charge >= {DESTINATION_GOAL:g}x faster than localstripe's "
                    f"{label}",
            "primary": primary,
            "value": value, "threshold": DESTINATION_GOAL,
            "holds": None if value is None else value >= DESTINATION_GOAL,
            "cpu_value": cpu_ratio(ls_row, dest),
        })
    for growth in record["growth"]:
        primary = growth is record["growth"][0]
        for s in SCENARIOS:
            value = growth["ratio_to_baseline"].get(s.key)
            out.append({
                "goal": f"{growth['objects']:,}-object median within {FLAT_GOAL:g}x of the "
                        f"baseline median: {s.title}",
                "primary": primary,
                "value": value, "threshold": FLAT_GOAL,
                "holds": None if value is None else value <= FLAT_GOAL,
                "cpu_value": growth["cpu_ratio_to_baseline"].get(s.key),
            })
    return out


def per_call(row: dict[str, Any], args: argparse.Namespace) -> str:
    """Objects the row's calls stored, per call (warm-up included)."""
    if "n" not in row or "objects_after" not in row:
        return "n/a"
    return f"{(row['objects_after'] - row['objects_before']) / (row['n'] + args.warmup):.1f}"


def notes(record: dict[str, Any], emulator: EmulatorTarget, localstripe: LocalstripeTarget,
          args: argparse.Namespace) -> list[str]:
    rows = record["baseline"]["rows"]
    confirm_ls = rows["pi_confirm"]["localstripe"]
    pickle = confirm_ls.get("pickle_bytes_after")
    growth_in_row = ""
    if pickle:
        growth_in_row = (
            f" (during the confirm row its store grew from {confirm_ls['objects_before']:,} to "
            f"{confirm_ls['objects_after']:,} objects and the pickle reached {pickle:,} bytes, "
            "so its figures depend on how many samples a row takes)")
    out = [
        "Times are client-side wall time of one stripe-python call (the destination charge: "
        "two calls) over loopback HTTP, with stripe-python's own overhead, "
        f"max_network_retries=0. Each row: {args.warmup} untimed warm-up calls, then "
        f"{args.samples} timed ones (fewer if a row exceeds {args.row_seconds:g} s; n says).",
        "Both servers run inside this Python process (client and server threads share the "
        "GIL), bound to 127.0.0.1 on a free port. In the comparison their samples alternate "
        "(emulator, localstripe, localstripe, emulator, ...) so both see the same machine "
        "load.",
        "Emulator: harness.emulator.Emulator(db=':memory:', settings=Settings()) behind "
        "harness.lab.server.BackgroundServer (werkzeug, threaded). Its store is never emptied "
        "between rows. The baseline is the store without filler: it held only what the "
        f"benchmark's own calls created ({record['baseline'].get('emulator_objects', 0):,} "
        "objects at the end of the comparison).",
        "localstripe: its aiohttp app (localstripe.server.app) served by aiohttp "
        "AppRunner + TCPSite('127.0.0.1', 0) in a thread with its own event loop, not its CLI "
        "(which binds '::', every interface, and reloads an old pickle). Its store starts "
        "empty and is emptied (DELETE /_config/data, its own endpoint) before each row, its "
        "best case.",
        "localstripe pickles its whole store to /tmp/localstripe.pickle on every write "
        "(resources.Store.__setitem__ and server.save_store_middleware): that is its normal "
        "behaviour and is measured as it ships" + growth_in_row
        + f". {LOCALSTRIPE_PICKLE} is put back as it was (or removed) afterwards.",
        "pm_card_visa: both backends accept it and make new PaymentMethods from it on each "
        "use (Stripe makes one). Objects stored per call in the confirm row: emulator "
        f"{per_call(rows['pi_confirm']['emulator'], args)}, localstripe "
        f"{per_call(confirm_ls, args)}. Every emulator confirm also sends "
        f"{json.dumps(emulator.confirm_extra)}, which it (like Stripe) requires of a "
        "server-side confirm without return_url; localstripe rejects that parameter, so its "
        "calls leave it out. The saved-card row instead reuses one PaymentMethod "
        f"attached to a customer. Emulator: {emulator.card_client_note}. localstripe: "
        f"{localstripe.card_client_note}.",
    ]
    loads = [f"emulator baseline {load_range({k: r['emulator'] for k, r in rows.items()})}",
             f"localstripe {load_range({k: r['localstripe'] for k, r in rows.items()})}"]
    loads += [f"emulator at {g['objects']:,} {load_range(g['rows'])}" for g in record["growth"]]
    out.append(
        "Other programs share this machine, and wall time moves with their load: 1-minute "
        f"load average (on {record['environment']['cpus']} CPUs) while measuring: "
        + "; ".join(loads) + ". The CPU-time ratio (this process's CPU time per call, client "
        "and server together) is the growth check that such load barely moves.")
    if emulator.shutdown_error:
        out.append(f"Emulator shutdown problem (a bug, not a measurement): "
                   f"{emulator.shutdown_error}")
    for key in ("destination", "list"):
        reason = rows[key]["localstripe"].get("na")
        if reason:
            out.append(f"localstripe n/a for '{record['calls'][key]['title']}': {reason}.")
        ref = rows[key]["localstripe"].get("reference")
        if ref and "median_ms" in ref:
            out.append(
                f"In that row localstripe timed '{ref['call']}' instead, interleaved with the "
                f"emulator's samples, as the goal's reference: median {ref['median_ms']:.2f} ms, "
                f"p90 {ref['p90_ms']:.2f} ms, n={ref['n']}.")
    for growth in record["growth"]:
        info = growth["fill"]
        out.append(
            f"{growth['objects']:,}-object store: {info['objects_inserted']:,} objects copied in "
            f"{info['seconds']:.1f} s ({info['objects_per_second']:,.0f}/s) from templates "
            "recorded while real SDK flows ran (PaymentIntent, confirmed PaymentIntent, saved "
            "card, destination charge), with fresh IDs, via emulator.store.insert in "
            "store.transaction() on the emulator's own in-memory SQLite; "
            f"{info['objects_by_home']['measured platform']:,} went to the measured platform "
            f"and its connected account, {info['objects_by_home']['other platforms']:,} to 4 "
            "other platforms (2 connected accounts each). With them: "
            f"{info['ledger_rows_inserted']:,} ledger rows, "
            f"{info['idempotency_rows_inserted']:,} idempotency records, "
            f"{info['meta_rows_inserted']:,} meta rows. The measured platform then held "
            f"{info['measured_platform_payment_intents']:,} PaymentIntents."
        )
    return out


def render(record: dict[str, Any], args: argparse.Namespace) -> list[str]:
    env = record["environment"]
    rows = record["baseline"]["rows"]
    out = [
        "# Connect Lab performance record",
        "",
        f"{env['date']}, commit {env['git_commit']}, Python {env['python']}, "
        f"{env['cpus']} CPUs, SQLite {env['sqlite']}, stripe-python {env['stripe']}, "
        f"localstripe {env['localstripe']} (aiohttp {env['aiohttp']}), "
        f"werkzeug {env['werkzeug']}",
        "",
        "## Emulator vs localstripe (baseline: no filler in the emulator's store)",
        "",
    ]
    body = []
    for s in SCENARIOS:
        emu, ls = rows[s.key]["emulator"], rows[s.key]["localstripe"]
        body.append([s.title, ms(emu), ms(emu, "p90_ms"), ms(ls), ms(ls, "p90_ms"),
                     fmt_ratio(rows[s.key]["ratio_localstripe_over_emulator"])])
    out += table(["call", "emulator median ms", "emulator p90 ms", "localstripe median ms",
                  "localstripe p90 ms", "ratio localstripe/emulator"], body)
    for growth in record["growth"]:
        out += ["", f"## Emulator with {growth['objects']:,} stored objects "
                "(ratio to the baseline medians above)", ""]
        body = []
        for s in SCENARIOS:
            row, base = growth["rows"][s.key], rows[s.key]["emulator"]
            body.append([s.title, ms(base), ms(row), ms(row, "p90_ms"),
                         fmt_ratio(growth["ratio_to_baseline"][s.key]),
                         fmt_ratio(growth["cpu_ratio_to_baseline"][s.key])])
        n = f"{growth['objects']:,}"
        out += table(["call", "baseline median ms", f"{n} median ms", f"{n} p90 ms",
                      "ratio to baseline", "CPU-time ratio"], body)
    out += ["", "## Goals", ""]
    for goal in record["goals"]:
        state = ("not measured" if goal["holds"] is None
                 else "holds" if goal["holds"] else "does not hold")
        tag = "GOAL" if goal["primary"] else "GOAL (extra)"
        cpu = f" (CPU time per call: {fmt_ratio(goal['cpu_value'])})" if "cpu_value" in goal else ""
        out.append(f"{tag} {goal['goal']}: {fmt_ratio(goal['value'])} -> {state}{cpu}")
    errors = [(f"{s.title} on {side}", rows[s.key][side]["error"])
              for s in SCENARIOS for side in ("emulator", "localstripe")
              if "error" in rows[s.key][side]]
    errors += [(f"{s.title} at {g['objects']:,}", g["rows"][s.key]["error"])
               for g in record["growth"] for s in SCENARIOS if "error" in g["rows"][s.key]]
    if record.get("growth_error"):
        errors.append(("growth phase", record["growth_error"]))
    if errors:
        out += ["", "## Errors", ""] + [f"- {where}: {what}" for where, what in errors]
    truncated = [f"{s.title} ({side}: n={rows[s.key][side]['n']})" for s in SCENARIOS
                 for side in ("emulator", "localstripe") if rows[s.key][side].get("truncated")]
    truncated += [f"{s.title} ({g['objects']:,}: n={g['rows'][s.key]['n']})"
                  for g in record["growth"] for s in SCENARIOS
                  if g["rows"][s.key].get("truncated")]
    out += ["", "## Notes", ""] + [f"- {n}" for n in record["notes"]]
    if truncated:
        out.append(f"- Rows cut short by the {args.row_seconds:g} s budget: "
                   + "; ".join(truncated))
    out.append(f"- Whole run: {record['elapsed_s']:.0f} s.")
    out.append("")
    return out


if __name__ == "__main__":
    sys.exit(main())
