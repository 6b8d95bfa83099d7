"""Injected faults (``POST /_emulator/faults``): make the next N matching requests fail,
so a notebook can show the SDK's retries and a test can prove nothing half-happens."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .errors import ApiError, RateLimited, StripeError


@dataclass
class Fault:
    platform: str
    path_prefix: str
    status: int
    remaining: int


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, platform: str, path_prefix: str, status: int, count: int) -> None:
        with self._lock:
            self._faults.append(Fault(platform, path_prefix, status, count))

    def clear(self, platform: str) -> None:
        with self._lock:
            self._faults = [f for f in self._faults if f.platform != platform]

    def check(self, method: str, path: str, platform: str) -> None:
        if path.startswith("/_emulator"):
            return
        with self._lock:
            for fault in self._faults:
                if fault.platform == platform and path.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    raise _error_for(fault.status)


def _error_for(status: int) -> StripeError:
    if status == 429:
        return RateLimited(
            "Too many requests hit the API too quickly (injected by /_emulator/faults).",
            code="rate_limit",
        )
    return ApiError(
        "An injected fault: the emulator answered as Stripe does when it has an internal "
        "error (injected by /_emulator/faults).",
        status=status,
    )
