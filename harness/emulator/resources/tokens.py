"""Token: the legacy single-use card reference (``tok_``) that Charges API articles use.

Stripe's testing page still offers test tokens (``tok_visa``, ``tok_chargeDeclined``...;
https://docs.stripe.com/testing, "Tokens": "Most integrations don't use Tokens any more"),
usable wherever a ``source`` is taken, each use a fresh card. ``POST /v1/tokens`` with raw
``card[number]`` follows the rule PaymentMethods follow: allowed with a publishable key
(that is how Stripe.js ``createToken`` and the mobile SDKs send it), refused with a
secret key with Stripe's "Sending credit card numbers directly to the Stripe API is
generally unsafe" answer, which an account gets until Stripe enables raw card data APIs for
it (https://docs.stripe.com/testing: "We don't recommend using card numbers directly in API
calls or server-side code, even in test mode"). Emulated platforms never have it enabled.

A token is single-use: once a charge has used it, ``used`` is true and it cannot pay again.
"""

from __future__ import annotations

from typing import Any

from ..cards import BY_NUMBER, TOK_TOKENS, TestCard
from ..context import Context
from ..errors import InvalidRequest
from ..params import Int, NotModelled, Obj, Str
from ..registry import loader, route
from ..shapes import build
from .payment_methods import card_fields, card_from_params

# Card.brand in the legacy Card object is spelled the old way (https://docs.stripe.com/api
# /cards/object#card_object-brand: "American Express, Diners Club, Discover, Eftpos
# Australia, Girocard, JCB, MasterCard, UnionPay, Visa, or Unknown").
LEGACY_BRANDS = {"visa": "Visa", "mastercard": "MasterCard", "amex": "American Express",
                 "discover": "Discover", "diners": "Diners Club", "jcb": "JCB",
                 "unionpay": "UnionPay"}
CARD = Obj(fields={
    "number": Str(), "exp_month": Int(), "exp_year": Int(), "cvc": Str(), "name": Str(),
    **{f"address_{k}": Str() for k in ("city", "country", "line1", "line2", "state", "zip")},
    "currency": Str(), "networks": NotModelled(),
})
CREATE = {
    "card": CARD,
    "customer": NotModelled(hint="Card tokens of a customer's saved sources are not "
                                 "emulated."),
    "bank_account": NotModelled(hint="Use btok_us_verified where a bank token is taken."),
    "account": NotModelled(hint="Account tokens are not emulated; create accounts with "
                                "their details."),
    "person": NotModelled(),
    "pii": NotModelled(),
    "cvc_update": NotModelled(),
}


def legacy_card(ctx: Context, test: TestCard, *, exp_month: int = 12,
                exp_year: int | None = None, cvc_checked: bool = False,
                details: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``card_`` object (stripe.Card) for a test card; its number stays inside."""
    fields = card_fields(ctx, test, exp_month=exp_month, exp_year=exp_year,
                         cvc_checked=cvc_checked)
    details = details or {}
    card = build(
        "Card",
        id=ctx.new_id("card"), object="card", brand=LEGACY_BRANDS.get(test.brand, "Unknown"),
        country=fields["country"], customer=None,
        cvc_check="unchecked" if cvc_checked else None, dynamic_last4=None,
        exp_month=fields["exp_month"], exp_year=fields["exp_year"],
        fingerprint=fields["fingerprint"], funding=fields["funding"], last4=fields["last4"],
        metadata={}, name=details.get("name"), tokenization_method=None,
        address_line1_check="unchecked" if details.get("address_line1") else None,
        address_zip_check="unchecked" if details.get("address_zip") else None,
        networks={"preferred": None}, regulated_status="unregulated",
        allow_redisplay="unspecified",
        **{f"address_{k}": details.get(f"address_{k}")
           for k in ("city", "country", "line1", "line2", "state", "zip")},
    )
    return card


def new_token(ctx: Context, test: TestCard, **card: Any) -> dict[str, Any]:
    token = build(
        "Token",
        id=ctx.new_id("tok"), object="token", card=legacy_card(ctx, test, **card),
        client_ip=None, created=ctx.now(), livemode=False, type="card", used=False,
    )
    ctx.insert(token)
    # The number stays inside, kept by the token (and by the charge that spends it), never
    # by the embedded card_, which is no stored object: a reset forgets it with its owner.
    ctx.store.set_meta(f"pm_card:{token['id']}", test.number)
    return token


def test_card_of(ctx: Context, owner_id: str) -> TestCard:
    """The test card behind a token or a legacy charge."""
    return BY_NUMBER[ctx.store.get_meta(f"pm_card:{owner_id}")]


def spend(ctx: Context, value: str, param: str = "source") -> tuple[dict[str, Any], TestCard]:
    """The card a ``source`` names: a test token (a fresh card each time) or a token made
    by ``POST /v1/tokens``, which is then used up."""
    if value in TOK_TOKENS:
        test = TOK_TOKENS[value]
        return legacy_card(ctx, test), test
    found = ctx.find(value, "token")
    if found is None or found[0] != ctx.account:
        raise InvalidRequest(f"No such token: '{value}'", code="resource_missing", param=param)
    token = found[1]
    if token["used"]:
        raise InvalidRequest(f"You cannot use a Stripe token more than once: {value}.",
                             code="token_already_used", param=param)
    token["used"] = True
    ctx.save(token)
    return token["card"], test_card_of(ctx, token["id"])


@route("POST", "/v1/tokens", params=CREATE, publishable=True)
def create(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if "card" not in params:
        raise InvalidRequest("Missing required param: card.", code="parameter_missing",
                             param="card")
    raw = params["card"]
    number_fields = {k: raw[k] for k in ("number", "exp_month", "exp_year", "cvc") if k in raw}
    test, month, year = card_from_params(ctx, number_fields)
    return new_token(ctx, test, exp_month=month, exp_year=year, cvc_checked="cvc" in raw,
                     details=raw)


@route("GET", "/v1/tokens/<id>", params={})
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    # A test token read back is a fresh token of its card, as ``GET /v1/payment_methods
    # /pm_card_visa`` is a fresh PaymentMethod (the docs say nothing of retrieving one).
    if id in TOK_TOKENS:
        return new_token(ctx, TOK_TOKENS[id])
    return ctx.get(id, "token", param="token")


@loader("tok")
def load(ctx: Context, object_id: str) -> dict[str, Any] | None:
    found = ctx.find(object_id, "token")
    return found[1] if found and ctx.visible(found[0]) else None
