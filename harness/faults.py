"""Make Stripe misbehave on purpose, to watch the SDK's retries keep money safe.

    from harness import faults
    faults.inject(lab, "/v1/payment_intents", status=500)        # next request: a 500
    faults.inject(lab, "/v1/payment_intents", drop=True)         # runs, answer is lost
    faults.inject(lab, "/v1/payment_intents", status=429, code="lock_timeout")
    faults.inject(lab, "/v1/balance", latency_ms=800, count=3)   # three slow answers
    faults.clear(lab)

On the emulator this posts ``/_emulator/faults`` (see ``harness/emulator/faults.py`` for
what each fault does). Stripe test mode cannot be told to fail, so there these functions
raise :class:`FaultsUnavailable` with what to do instead; the retry behaviour being shown is
the SDK's own, and it is the same against real Stripe.
"""

from __future__ import annotations

from typing import Any

from .lab import Lab, _post_control

STATUSES = (429, 500, 503)
CONTROL = "/_emulator/faults"


class FaultsUnavailable(RuntimeError):
    """Fault injection exists only on the emulator."""


def _require_emulator(lab: Lab) -> None:
    if not lab.config.is_emulator:
        raise FaultsUnavailable(
            "Stripe test mode has no way to make its API fail on purpose. The retries this "
            "cell shows are stripe-python's own (max_network_retries, one Idempotency-Key "
            "per call), so they behave the same against real Stripe; run the cell on the "
            "emulator (unset STRIPE_SECRET_KEY) to see them happen."
        )


def inject(
    lab: Lab,
    path: str,
    *,
    status: int | None = None,
    drop: bool = False,
    count: int = 1,
    latency_ms: int = 0,
    code: str | None = None,
) -> dict[str, Any]:
    """Arm a fault for the next ``count`` requests whose path starts with ``path``.

    * ``status=500`` / ``503``: Stripe's ``api_error`` before the request runs (nothing
      happens; the SDK retries with the same Idempotency-Key).
    * ``status=429``: ``code="rate_limit"`` (the default; the SDK does not retry it) or
      ``code="lock_timeout"`` (answered with ``Stripe-Should-Retry: true``; the SDK retries).
    * ``drop=True``: the request runs and commits, then the connection closes without an
      answer; the SDK's retry gets the saved result back (``Idempotent-Replayed: true``).
    * ``latency_ms``: wait that long before handling each request (alone: slow answers).

    With none of ``status``, ``drop`` or ``latency_ms``, the fault is a 500.
    """
    _require_emulator(lab)
    if not path.startswith("/v1/"):
        raise ValueError("path must start with /v1/ (for example '/v1/payment_intents')")
    if drop and status is not None:
        raise ValueError("drop=True loses the response, so it cannot also have a status")
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}")
    if code is not None and status != 429:
        raise ValueError("code applies to status=429 only")
    if count < 1:
        raise ValueError("count must be at least 1 (use faults.clear(lab) to disarm)")
    params: dict[str, Any] = {"path": path, "count": count}
    if status is not None:
        params["status"] = status
    if code is not None:
        params["code"] = code
    if drop:
        params["mode"] = "drop"
    if latency_ms:
        params["latency_ms"] = int(latency_ms)
    return _post_control(lab, CONTROL, params)


def clear(lab: Lab) -> None:
    """Disarm every fault of this platform."""
    _require_emulator(lab)
    _post_control(lab, CONTROL, {"path": "/v1/", "count": 0})


def describe(result: dict[str, Any]) -> str:
    """One line for a notebook: what :func:`inject` armed."""
    what = {"drop": "drop the response", "latency": "answer slowly"}.get(
        result.get("mode", ""), f"fail with {result.get('status')}"
        + (f" {result['code']}" if result.get("code") else ""))
    latency = f", {result['latency_ms']} ms late" if result.get("latency_ms") else ""
    times = "request" if result.get("count") == 1 else f"{result.get('count')} requests"
    return f"next {times} to {result.get('path')}: {what}{latency}"
