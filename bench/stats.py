"""Timing loop and summary statistics for the benchmark (milliseconds, client-side)."""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable
from typing import Any


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (p90: fraction=0.9)."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize(seconds: list[float]) -> dict[str, Any]:
    ms = sorted(s * 1000.0 for s in seconds)
    return {
        "n": len(ms),
        "median_ms": statistics.median(ms),
        "p90_ms": percentile(ms, 0.9),
        "min_ms": ms[0],
        "max_ms": ms[-1],
        "mean_ms": statistics.fmean(ms),
    }


def measure(
    call: Callable[[], Any],
    *,
    warmup: int,
    samples: int,
    budget_s: float,
    after: Callable[[Any], None] | None = None,
) -> dict[str, Any]:
    """Run ``call`` ``warmup`` times untimed, then time up to ``samples`` calls.

    ``after(result)`` runs outside the timed region (sanity checks, cursor moves). Sampling
    stops early when ``budget_s`` seconds have passed, so a slow backend cannot make the
    benchmark unbounded; the summary then says how many samples it took.
    """
    for _ in range(warmup):
        result = call()
        if after is not None:
            after(result)
    gc.collect()
    times: list[float] = []
    started = time.perf_counter()
    deadline = started + budget_s
    for _ in range(samples):
        t0 = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - t0)
        if after is not None:
            after(result)
        if time.perf_counter() > deadline and len(times) >= 5:
            break
    summary = summarize(times)
    summary["wall_s"] = time.perf_counter() - started
    summary["truncated"] = len(times) < samples
    return summary
