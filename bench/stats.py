"""Timing loop and summary statistics for the benchmark (milliseconds, client-side)."""

from __future__ import annotations

import gc
import math
import os
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


def summarize(seconds: list[float], cpu_seconds: list[float] | None = None) -> dict[str, Any]:
    ms = sorted(s * 1000.0 for s in seconds)
    out = {
        "n": len(ms),
        "median_ms": statistics.median(ms),
        "p90_ms": percentile(ms, 0.9),
        "min_ms": ms[0],
        "max_ms": ms[-1],
        "mean_ms": statistics.fmean(ms),
    }
    if cpu_seconds:
        cpu = sorted(s * 1000.0 for s in cpu_seconds)
        out["cpu_median_ms"] = statistics.median(cpu)
        out["cpu_p90_ms"] = percentile(cpu, 0.9)
    return out


def load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


class Sampler:
    """Times one backend's call, a sample at a time, within its own time budget.

    Each sample records wall time (what a caller waits) and this process's CPU time (client
    and server threads together; unlike wall time it barely moves when other programs load
    the machine, so it tells real growth from noise). ``after(result)`` runs outside the
    timed region (sanity checks, cursor moves). Sampling stops once the backend has used
    ``budget_s`` seconds, so a slow backend cannot make the benchmark unbounded; the summary
    then says how many samples it took.
    """

    def __init__(self, call: Callable[[], Any], after: Callable[[Any], None] | None,
                 samples: int, budget_s: float) -> None:
        self.call, self.after = call, after
        self.samples, self.budget_s = samples, budget_s
        self.times: list[float] = []
        self.cpu: list[float] = []
        self.spent = 0.0
        self.error: str | None = None
        self.load_before = load_average()

    @property
    def active(self) -> bool:
        if self.error is not None or len(self.times) >= self.samples:
            return False
        return self.spent < self.budget_s or len(self.times) < 5

    def warm(self, count: int) -> None:
        try:
            for _ in range(count):
                result = self.call()
                if self.after is not None:
                    self.after(result)
        except Exception as exc:
            self.error = f"during warm-up: {type(exc).__name__}: {exc}"

    def sample(self) -> None:
        began = time.perf_counter()
        try:
            c0 = time.process_time()
            t0 = time.perf_counter()
            result = self.call()
            self.times.append(time.perf_counter() - t0)
            self.cpu.append(time.process_time() - c0)
            if self.after is not None:
                self.after(result)
        except Exception as exc:  # one backend failing must not stop the other
            self.error = f"{type(exc).__name__}: {exc}"
        self.spent += time.perf_counter() - began

    def summary(self) -> dict[str, Any]:
        if self.error is not None or not self.times:
            return {"error": self.error or "no samples"}
        out = summarize(self.times, self.cpu)
        out["spent_s"] = self.spent
        out["truncated"] = len(self.times) < self.samples
        out["load_average_1min"] = [self.load_before, load_average()]
        return out


def measure_together(
    samplers: dict[str, Sampler], *, warmup: int
) -> dict[str, dict[str, Any]]:
    """Warm every backend up, then alternate their samples (A B, B A, A B, ...) so that
    all of them see the same machine load: their ratio is then fair even on a busy box."""
    for sampler in samplers.values():
        sampler.warm(warmup)
    gc.collect()
    names = list(samplers)
    turn = 0
    while any(s.active for s in samplers.values()):
        order = names if turn % 2 == 0 else names[::-1]
        for name in order:
            if samplers[name].active:
                samplers[name].sample()
        turn += 1
    return {name: s.summary() for name, s in samplers.items()}


def measure(
    call: Callable[[], Any],
    *,
    warmup: int,
    samples: int,
    budget_s: float,
    after: Callable[[Any], None] | None = None,
) -> dict[str, Any]:
    """One backend on its own (see ``Sampler``)."""
    sampler = Sampler(call, after, samples, budget_s)
    return measure_together({"only": sampler}, warmup=warmup)["only"]
