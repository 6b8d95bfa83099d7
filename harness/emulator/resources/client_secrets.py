"""What a browser holding an intent's client secret may do and see: the one rule
PaymentIntents and SetupIntents share.

Stripe.js calls with the publishable key; the client secret is its proof that this browser
may read or confirm this intent, and it sees only the intent's public fields, in answers and
in the errors that carry the intent (https://docs.stripe.com/api/payment_intents/object,
"client_secret … used client-side to retrieve a PaymentIntent with a publishable key")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..context import Context
from ..errors import InvalidRequest, StripeError

# the label Stripe's messages use, and its error-code prefix, per object type
_NAMES = {"payment_intent": "PaymentIntent", "setup_intent": "SetupIntent"}


def own(ctx: Context, object_id: str, kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """Load the intent; a publishable key must also prove its client secret (which is
    taken out of ``params`` either way)."""
    intent = ctx.get(object_id, kind, param="intent")
    secret = params.pop("client_secret", None)
    if ctx.key_type == "publishable":
        if secret is None:
            raise InvalidRequest("Missing required param: client_secret.",
                                 code="parameter_missing", param="client_secret")
        if secret != intent["client_secret"]:
            raise InvalidRequest(
                "The client_secret provided does not match the client_secret associated with "
                f"the {_NAMES[kind]}.", code=f"{kind}_invalid_parameter",
                param="client_secret")
    return intent


def public_view(ctx: Context, intent: dict[str, Any], fields: frozenset[str] | set[str]
                ) -> dict[str, Any]:
    """With a publishable key, only the intent's public ``fields``."""
    if ctx.key_type == "publishable":
        return {k: v for k, v in intent.items() if k in fields}
    return intent


@contextmanager
def publicly(ctx: Context, kind: str, fields: frozenset[str] | set[str]) -> Iterator[None]:
    """Errors carry the intent (Stripe.js shows ``error.payment_intent`` /
    ``error.setup_intent``): with a publishable key, only its public view, as on success."""
    try:
        yield
    except StripeError as exc:
        if isinstance(exc.extra.get(kind), dict):
            exc.extra[kind] = public_view(ctx, exc.extra[kind], fields)
        raise
