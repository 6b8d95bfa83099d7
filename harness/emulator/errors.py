"""Stripe-shaped API errors.

Resources raise these; the HTTP layer turns them into Stripe's error body
``{"error": {"type", "code", "param", "message", "doc_url", ...}}`` with Stripe's status.
See https://docs.stripe.com/api/errors.
"""

from __future__ import annotations

from typing import Any

# Stripe still writes doc_url on the old host (seen in 2025-26 responses).
DOC_BASE = "https://stripe.com/docs/error-codes/"


class StripeError(Exception):
    """An error that the emulator answers with, never a 500."""

    status = 400
    type = "invalid_request_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        if status is not None:
            self.status = status
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            err["code"] = self.code
            err["doc_url"] = DOC_BASE + self.code.replace("_", "-")
        if self.param:
            err["param"] = self.param
        err.update(self.extra)
        return {"error": err}


class InvalidRequest(StripeError):
    status = 400
    type = "invalid_request_error"


class NotFound(InvalidRequest):
    status = 404

    def __init__(self, kind: str, object_id: str, param: str = "id") -> None:
        super().__init__(
            f"No such {kind}: '{object_id}'", code="resource_missing", param=param
        )


class AuthenticationFailed(StripeError):
    status = 401
    type = "invalid_request_error"


class PermissionDenied(StripeError):
    status = 403
    type = "invalid_request_error"


class CardDeclined(StripeError):
    status = 402
    type = "card_error"


class IdempotencyConflict(StripeError):
    status = 400
    type = "idempotency_error"


class RateLimited(StripeError):
    status = 429
    type = "invalid_request_error"


class ApiError(StripeError):
    """Used by fault injection only: Stripe's own 500-class answer."""

    status = 500
    type = "api_error"


def unknown_param(name: str, *more: str) -> InvalidRequest:
    """Stripe names every unknown parameter; ``param`` is the first (a 2026 capture:
    "Received unknown parameters: amount, currency", no trailing period)."""
    if more:
        message = "Received unknown parameters: " + ", ".join((name, *more))
    else:
        message = f"Received unknown parameter: {name}"
    return InvalidRequest(message, code="parameter_unknown", param=name)


def not_modelled_param(name: str, docs: str) -> InvalidRequest:
    """A parameter Stripe declares (stripe-python 16's ``*Params`` for this method) that the
    emulator does not model yet: a 400 that says so, never "unknown parameter", which on
    Stripe means the name does not exist. Stripe has no error code for "exists but this
    server does not do it", so the answer has Stripe's shape for a bad request
    (``invalid_request_error``, ``param`` naming the field) with no ``code``, and its
    ``doc_url`` is the method's API reference page rather than an error-code page."""
    return InvalidRequest(
        f"{name} is a Stripe parameter that Connect Lab's emulator does not model yet; "
        f"see {docs}", param=name, extra={"doc_url": docs})


def not_modelled_method(method: str, path: str, sdk: str, docs: str) -> InvalidRequest:
    """A method stripe-python 16 has (``sdk``, its StripeClient name) that the emulator does
    not model yet: the same shape as :func:`not_modelled_param`, instead of "Unrecognized
    request URL", which would tell a learner that Stripe has no such URL."""
    return InvalidRequest(
        f"{method} {path} ({sdk}) is a Stripe API method that Connect Lab's emulator does not "
        f"model yet; see {docs}", extra={"doc_url": docs})


def missing_param(name: str) -> InvalidRequest:
    return InvalidRequest(
        f"Missing required param: {name}.", code="parameter_missing", param=name
    )


def invalid_param(name: str, message: str, code: str = "parameter_invalid") -> InvalidRequest:
    return InvalidRequest(message, code=code, param=name)
