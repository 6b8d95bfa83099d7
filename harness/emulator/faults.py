"""Injected faults (``POST /_emulator/faults``): make the next N matching requests of one
platform misbehave, so a notebook can show the SDK's retries and a test can prove that
nothing half-happens.

Three kinds, each for the next ``count`` requests whose path starts with ``path``:

* **status** 500/503: Stripe's ``api_error`` *before* the request runs (nothing is saved,
  not even under its Idempotency-Key: Stripe saves a result only once the endpoint has
  started executing, https://docs.stripe.com/api/idempotent_requests). stripe-python
  retries any 5xx with the same Idempotency-Key.
* **status** 429: ``rate_limit`` (stripe-python does *not* retry it: too many requests are
  the integration's problem) or ``lock_timeout`` (Stripe answers ``Stripe-Should-Retry:
  true`` and the SDKs retry, https://docs.stripe.com/rate-limits#object-lock-timeouts).
* **drop**: the request runs and commits, then the connection is closed without a response,
  as when a response is lost on the way back. The SDK sees a connection error and retries
  with the same Idempotency-Key, and the HTTP layer replays the saved result.

``latency_ms`` delays each matching request before it runs; on its own it is a slow but
otherwise normal answer, and it combines with either kind above.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import NoReturn

from .errors import ApiError, RateLimited, StripeError

MODES = ("status", "drop")
LOCK_TIMEOUT_MESSAGE = (
    "This object cannot be accessed right now because another API request or Stripe process "
    "is currently accessing it. If you see this error intermittently, retry the request. If "
    "you see this error frequently and are making multiple concurrent requests to a single "
    "object, make your requests serially or at a lower rate. (Injected by /_emulator/faults.)"
)


class DroppedConnection(ConnectionAbortedError):
    """Raised out of the WSGI app: werkzeug's server treats a ``ConnectionError`` from the
    application as a dropped connection and writes nothing."""


def drop_connection(environ: dict) -> NoReturn:
    """Close the client's connection without a response, then abort the WSGI call.

    werkzeug's development server puts the client socket in ``environ["werkzeug.socket"]``.
    Shutting it down ends the exchange at once (the client reads EOF: "Remote end closed
    connection without response"); the :class:`DroppedConnection` raised next makes the
    server skip writing any response. Without the shutdown, an HTTP/1.1 server would keep
    the connection open waiting for another request and the client would only time out."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise DroppedConnection("response dropped by /_emulator/faults")


@dataclass
class Fault:
    platform: str
    path_prefix: str
    remaining: int
    status: int | None = None  # 429, 500 or 503; None = no error
    code: str | None = None  # for 429: rate_limit or lock_timeout
    drop: bool = False
    latency_ms: int = 0


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self,
        platform: str,
        path_prefix: str,
        status: int | None = 500,
        count: int = 1,
        *,
        drop: bool = False,
        latency_ms: int = 0,
        code: str | None = None,
    ) -> Fault:
        fault = Fault(platform, path_prefix, count, None if drop else status, code, drop,
                      latency_ms)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self, platform: str) -> None:
        with self._lock:
            self._faults = [f for f in self._faults if f.platform != platform]

    def pending(self, platform: str) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if f.platform == platform]

    def take(self, path: str, platform: str) -> Fault | None:
        """The first armed fault matching this request, with one use counted off."""
        if path.startswith("/_emulator"):
            return None
        with self._lock:
            for fault in self._faults:
                if fault.platform == platform and path.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def check(self, method: str, path: str, platform: str) -> bool:
        """Apply the matching fault, if any, before the request runs: wait out its latency,
        raise its error. Returns True when the response must be dropped after the request
        has run (the HTTP layer then raises :class:`DroppedConnection`)."""
        fault = self.take(path, platform)
        if fault is None:
            return False
        if fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)
        if fault.status is not None:
            raise _error_for(fault.status, fault.code)
        return fault.drop


def _error_for(status: int, code: str | None = None) -> StripeError:
    if status == 429 and code == "lock_timeout":
        return RateLimited(LOCK_TIMEOUT_MESSAGE, code="lock_timeout",
                           headers={"Stripe-Should-Retry": "true"})
    if status == 429:
        return RateLimited(
            "Too many requests hit the API too quickly. We recommend an exponential backoff "
            "of your requests. (Injected by /_emulator/faults.)",
            code="rate_limit",
        )
    return ApiError(
        "An injected fault: the emulator answered as Stripe does when it has an internal "
        "error (injected by /_emulator/faults).",
        status=status,
    )
