"""PaymentIntent: the renter's payment, from creation through confirmation to capture.

Statuses follow https://docs.stripe.com/payments/paymentintents/lifecycle:
requires_payment_method -> requires_confirmation -> requires_action -> (processing) ->
requires_capture | succeeded, or canceled. Card payments settle synchronously here, so
``processing`` is never observed, as with cards on Stripe in practice.

Capture methods (https://docs.stripe.com/payments/payment-intents/asynchronous-capture):
- ``automatic``: the charge is captured in the request, with its balance transaction (and,
  for Connect, its transfer and application fee) set at once;
- ``automatic_async``, the default since 2024-04-10 (https://docs.stripe.com/changelog/
  2024-04-10/automatic-sync-default-paymentintents; ``automatic`` on older versions;
  stripe-python's docstrings do not say): the request answers with the
  charge captured but ``balance_transaction``, ``transfer`` and ``application_fee`` null,
  in the response and in ``charge.succeeded`` / ``payment_intent.succeeded``. Stripe
  finishes the capture in its back end ("our SLA for the charge.updated webhook is 1 hour")
  and announces it with ``charge.updated`` whose ``previous_attributes`` hold those fields
  as null, plus ``transfer.created`` and ``application_fee.created``. The page says the
  balance transaction "might not be created yet": here the money is posted to the ledger
  only then. "Shortly after" is, in the emulator, a follow-up step of its own right after
  the request's commit, before its answer is sent and before any other request runs
  (``Context.followups``): deterministic for notebooks, and exactly once, because the
  step is a stored record (``ASYNC_CAPTURE``) taken in the step's own transaction; a crash
  between the two commits leaves the record, which the next start or clock tick finishes;
- ``manual``: the charge is authorized (``requires_capture``) until captured, canceled, or
  expired at ``payment_method_details.card.capture_before``.
"""

from __future__ import annotations

import copy
from typing import Any

from .. import money
from ..cards import DECLINE_MESSAGES
from ..context import Context
from ..errors import CardDeclined, InvalidRequest, NotFound, unknown_param
from ..listing import store_page
from ..params import (
    LIST_PARAMS,
    Bool,
    Enum,
    Int,
    ListOf,
    Metadata,
    Obj,
    Range,
    Str,
    Url,
    exclusive,
)
from ..registry import loader, on_start, on_tick, route
from ..shapes import build, check_amount, check_currency, merge_metadata
from ..versions import Change, renders
from . import accounts, client_secrets, core_accounts
from .events import changes
from .payment_methods import (
    BILLING,
    CARD,
    attach_to_customer,
    card_from_params,
    new_card_pm,
    resolve,
    test_card_for,
)

# Called as (ctx, payment_intent) whenever a PaymentIntent succeeds (Checkout listens).
succeeded_hooks: list[Any] = []

ASYNC_CAPTURE = "async_capture"  # records: charges whose capture Stripe finishes later
HOLD = "authorization_hold"  # records: open authorizations, ``created`` = capture_before
ASYNC_DEFAULT_SINCE = "2024-04-10"  # automatic_async became the default capture_method
# How long a card authorization holds, https://docs.stripe.com/payments/place-a-hold-on-a-
# payment-method ("Authorization validity windows"): 7 days for customer-initiated online
# payments on every brand; a Visa merchant-initiated one (off_session) "4 days and 18 hours".
AUTHORIZATION_VALIDITY = 7 * 86400
VISA_MIT_VALIDITY = 4 * 86400 + 18 * 3600
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = ("requires_payment_method", "requires_capture", "requires_reauthorization",
              "requires_confirmation", "requires_action", "processing")
# What a publishable key may read (https://docs.stripe.com/api/payment_intents/retrieve).
PUBLIC_FIELDS = {
    "id", "object", "amount", "amount_details", "automatic_payment_methods", "canceled_at",
    "cancellation_reason", "capture_method", "client_secret", "confirmation_method",
    "created", "currency", "description", "excluded_payment_method_types",
    "last_payment_error", "livemode", "next_action", "payment_method",
    "payment_method_configuration_details", "payment_method_types", "processing",
    "receipt_email", "setup_future_usage", "shipping", "source", "status",
}

PM_DATA = Obj(fields={"type": Enum(choices=("card",)), "card": CARD,
                      "billing_details": BILLING, "metadata": Metadata()})
TRANSFER_DATA = Obj(fields={"destination": Str(), "amount": Int(min=1)})
PAYMENT_SHARED = {
    "payment_method": Str(),
    "payment_method_data": PM_DATA,
    "payment_method_types": ListOf(item=Str()),
    "receipt_email": Str(nullable=True),
    "setup_future_usage": Enum(choices=("off_session", "on_session"), nullable=True),
    "capture_method": Enum(choices=("automatic", "automatic_async", "manual")),
    "shipping": Obj(fields={"address": Obj(fields={k: Str(nullable=True) for k in (
        "city", "country", "line1", "line2", "postal_code", "state")}),
        "name": Str(), "phone": Str(nullable=True), "carrier": Str(nullable=True),
        "tracking_number": Str(nullable=True)}, nullable=True),
}
CONFIRM_ONLY = {
    # A mobile app may come back on its own scheme (https://docs.stripe.com/api/payment_intents
    # /confirm#confirm_payment_intent-return_url); never on javascript: or data:.
    "return_url": Url(app_schemes=True),
    "off_session": Bool(),
    "error_on_requires_action": Bool(),
    "use_stripe_sdk": Bool(),
    "mandate_data": Obj(fields={}),
    "client_secret": Str(),
}
# What a publishable key may send to confirm: what Stripe.js's confirmCardPayment and
# confirmPayment send (https://docs.stripe.com/js/payment_intents/confirm_card_payment:
# payment_method, shipping, return_url, receipt_email, setup_future_usage, plus the client
# secret, use_stripe_sdk, mandate_data and expand the library adds). Settings a merchant
# makes (capture_method, off_session...) need the secret key; the docs do not give the
# wording of that refusal, so it is Stripe's unknown-parameter answer.
PUBLISHABLE_CONFIRM = frozenset({
    "payment_method", "payment_method_data", "return_url", "receipt_email",
    "setup_future_usage", "shipping", "use_stripe_sdk", "mandate_data", "client_secret"})
CREATE = {
    "amount": Int(required=True, min=1),
    "currency": Str(required=True),
    "customer": Str(),
    "customer_account": Str(max_length=100),
    "description": Str(nullable=True, max_length=1000),
    "metadata": Metadata(),
    "confirm": Bool(),
    "confirmation_method": Enum(choices=("automatic", "manual")),
    "allowed_payment_method_types": ListOf(item=Str()),
    "excluded_payment_method_types": ListOf(item=Str()),
    "automatic_payment_methods": Obj(fields={
        "enabled": Bool(required=True),
        "allow_redirects": Enum(choices=("always", "never"))}),
    "application_fee_amount": Int(min=0),
    "transfer_data": TRANSFER_DATA,
    "on_behalf_of": Str(),
    "transfer_group": Str(),
    "statement_descriptor": Str(max_length=22),
    "statement_descriptor_suffix": Str(max_length=22),
    **PAYMENT_SHARED,
    **{k: v for k, v in CONFIRM_ONLY.items() if k != "client_secret"},
}
UPDATE = {
    "amount": Int(min=1),
    "currency": Str(),
    "customer": Str(nullable=True),
    "description": Str(nullable=True, max_length=1000),
    "metadata": Metadata(),
    "application_fee_amount": Int(min=0, nullable=True),
    "transfer_data": Obj(fields={"amount": Int(min=1)}),
    "transfer_group": Str(),
    "statement_descriptor": Str(max_length=22, nullable=True),
    "statement_descriptor_suffix": Str(max_length=22, nullable=True),
    **PAYMENT_SHARED,
}
CONFIRM = {**PAYMENT_SHARED, **CONFIRM_ONLY}
CAPTURE = {
    "amount_to_capture": Int(min=1),
    "application_fee_amount": Int(min=0),
    "transfer_data": Obj(fields={"amount": Int(min=1)}),
    "metadata": Metadata(),
    "final_capture": Bool(),
    "statement_descriptor": Str(max_length=22),
    "statement_descriptor_suffix": Str(max_length=22),
}
CANCEL = {"cancellation_reason": Enum(choices=(
    "duplicate", "fraudulent", "requested_by_customer", "abandoned"))}


# -- versions -----------------------------------------------------------------------------
# payment_method_types stops being writable: first in the 2026-08-26 preview, then in endive.
PAYMENT_METHOD_TYPES_REMOVED = Change(
    "2026-09-30.endive", preview="2026-08-26.preview",
    doc="https://docs.stripe.com/changelog/endive/2026-09-30/"
        "removes-the-payment-method-types-parameter-from-payment-intents-and-setup-intents")
# allowed_payment_method_types arrives, as a parameter and on the object (stripe-python 16
# declares it on PaymentIntent; the changelog adds the parameter and reflects it there).
ALLOWED_TYPES_ADDED = Change(
    "2026-07-29.dahlia",
    doc="https://docs.stripe.com/changelog/dahlia/2026-07-29/allowed-payment-method-types-parameter")


@renders("payment_intent", ALLOWED_TYPES_ADDED)
def _before_allowed_types(pi: dict[str, Any]) -> None:
    pi.pop("allowed_payment_method_types", None)


# -- rules --------------------------------------------------------------------------------
def _check_payment_method_types(ctx: Context, params: dict[str, Any]) -> None:
    """Endive removed payment_method_types as a writable parameter (400 on this version)."""
    if "payment_method_types" in params and ctx.has(PAYMENT_METHOD_TYPES_REMOVED):
        raise InvalidRequest(
            "The `payment_method_types` parameter is not supported on API version "
            f"{ctx.api_version}. Use `automatic_payment_methods` (dynamic payment methods), "
            "`allowed_payment_method_types` or `excluded_payment_method_types` instead. See "
            "https://docs.stripe.com/changelog/endive/2026-09-30/"
            "removes-the-payment-method-types-parameter-from-payment-intents-and-setup-intents",
            code="payment_method_types_no_longer_supported",
            param="payment_method_types",
        )
    if "allowed_payment_method_types" in params and not ctx.has(ALLOWED_TYPES_ADDED):
        raise InvalidRequest(
            "Received unknown parameter: allowed_payment_method_types",
            code="parameter_unknown", param="allowed_payment_method_types",
        )
    exclusive(params, ("payment_method_types", "allowed_payment_method_types",
                       "automatic_payment_methods"))
    # "This parameter is mutually exclusive with payment_method_types,
    # excluded_payment_method_types, automatic_payment_methods, and
    # payment_method_configuration" (ALLOWED_TYPES_ADDED's changelog). The docs give no
    # wording for the error: it is Stripe's parameters_exclusive answer.
    exclusive(params, ("allowed_payment_method_types", "excluded_payment_method_types"))
    for name in ("payment_method_types", "allowed_payment_method_types"):
        for i, kind in enumerate(params.get(name) or []):
            if kind != "card":
                raise InvalidRequest(
                    f"The payment method type \"{kind}\" is not supported by the Connect Lab "
                    "emulator, which emulates cards only.", param=f"{name}[{i}]",
                )


def _connected_account(ctx: Context, account_id: str, param: str) -> dict[str, Any]:
    """An account a payment names (destination, on_behalf_of): one of the platform's
    connected accounts, and, for a request acting as a connected account, that account
    itself (a sibling is not connected to it, so it is no such account from there)."""
    account = ctx.connected(account_id)
    if ctx.is_connected and account_id != ctx.account:
        account = None
    if account is None:
        raise InvalidRequest(f"No such destination: '{account_id}'", code="resource_missing",
                             param=param)
    return account


def _check_customer_account(ctx: Context, params: dict[str, Any]) -> None:
    """``customer_account``: "ID of the Account representing the customer that this
    PaymentIntent belongs to" (stripe-python 16), an Accounts v2 account of this platform
    with the ``customer`` configuration
    (https://docs.stripe.com/accounts-v2/use-accounts-as-customers: "instead provide the
    Account ID as the argument to the customer_account parameter"). The docs give no error
    wording for an account without it; the emulator's names the parameter."""
    if params.get("customer"):
        raise InvalidRequest("You may only specify one of these parameters: customer, "
                             "customer_account.", code="parameters_exclusive",
                             param="customer_account")
    account_id = params["customer_account"]
    if ctx.is_connected or not core_accounts.has_configuration(ctx, account_id, "customer"):
        raise InvalidRequest(
            f"No such customer account: '{account_id}' (customer_account takes an Accounts "
            "v2 account of your platform that has the customer configuration).",
            code="resource_missing", param="customer_account")


def _check_merchant(ctx: Context, account_id: str) -> None:
    """A v2 account is the merchant of record only with the ``merchant`` configuration's
    ``card_payments`` capability (https://docs.stripe.com/connect/accounts-v2: merchant is for
    "Destination Charges with on_behalf_of set"; recipient "without on_behalf_of"). v1
    accounts keep the emulator's earlier rule (any connected account). The docs give no
    wording for this refusal; the emulator's names the configuration it lacks."""
    if core_accounts.v2_state(ctx, account_id) is None:
        return
    account = ctx.connected(account_id) or {}
    if not core_accounts.has_configuration(ctx, account_id, "merchant") or \
            account.get("capabilities", {}).get("card_payments") != "active":
        raise InvalidRequest(
            f"The account {account_id} cannot be the merchant of record (on_behalf_of): it "
            "needs the merchant configuration with an active card_payments capability.",
            param="on_behalf_of")


def _check_destination(ctx: Context, pi: dict[str, Any]) -> None:
    """The destination-charge rules, for a PaymentIntent or a legacy Charge (``pi``)."""
    transfer = pi.get("transfer_data") or {}
    fee = pi.get("application_fee_amount")
    noun = "Charge" if pi.get("object") == "charge" else "PaymentIntent"
    if "amount" in transfer and transfer.get("amount") is not None and fee is not None:
        raise InvalidRequest(
            "You may only specify one of these parameters: application_fee_amount, "
            "transfer_data[amount].", code="parameters_exclusive", param="transfer_data[amount]",
        )
    if fee is not None and fee > pi["amount"]:
        raise InvalidRequest(
            f"The application fee amount must be less than or equal to the {noun}'s "
            "amount.", param="application_fee_amount",
        )
    if fee is not None and not transfer.get("destination") and not ctx.is_connected:
        raise InvalidRequest(
            f"Can only apply an application_fee_amount when the {noun} is attempting a "
            "direct payment (using an OAuth key or Stripe-Account header) or destination "
            "payment (using `transfer_data[destination]`).", param="application_fee_amount",
        )
    if transfer.get("amount") is not None and transfer["amount"] > pi["amount"]:
        raise InvalidRequest(
            f"The transfer_data[amount] must be less than or equal to the {noun}'s "
            "amount.", param="transfer_data[amount]",
        )
    if transfer.get("destination"):
        if ctx.is_connected:
            raise InvalidRequest("transfer_data[destination] cannot be used with the "
                                 "Stripe-Account header.", param="transfer_data[destination]")
        account = _connected_account(ctx, transfer["destination"], "transfer_data[destination]")
        capabilities = account.get("capabilities") or {}
        if "active" not in (capabilities.get("transfers"), capabilities.get("legacy_payments")):
            raise InvalidRequest(
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                code="insufficient_capabilities_for_transfer",
                param="transfer_data[destination]",
            )
    if pi.get("on_behalf_of"):
        _connected_account(ctx, pi["on_behalf_of"], "on_behalf_of")
        _check_merchant(ctx, pi["on_behalf_of"])
        destination = transfer.get("destination")
        if destination and destination != pi["on_behalf_of"]:
            raise InvalidRequest(
                "You cannot specify an `on_behalf_of` value that is different from the "
                "`transfer_data[destination]` value when using `card`.", param="on_behalf_of")


def unexpected_state(pi: dict[str, Any], message: str) -> InvalidRequest:
    return InvalidRequest(message, code="payment_intent_unexpected_state",
                          extra={"payment_intent": pi})


def _set_payment_method(ctx: Context, pi: dict[str, Any], params: dict[str, Any]) -> None:
    if "payment_method_data" in params:
        data = params["payment_method_data"]
        if data.get("type") != "card" or "card" not in data:
            raise InvalidRequest("Missing required param: payment_method_data[card].",
                                 code="parameter_missing", param="payment_method_data[card]")
        card, month, year = card_from_params(ctx, data["card"])
        pm = new_card_pm(ctx, card, exp_month=month, exp_year=year,
                         billing=data.get("billing_details"), metadata=data.get("metadata"),
                         cvc_checked="cvc" in data["card"])
        pi["payment_method"] = pm["id"]
    elif params.get("payment_method"):
        pm = resolve(ctx, params["payment_method"])
        if pm["customer"] is None and ctx.store.get_meta(f"pm_consumed:{pm['id']}"):
            raise InvalidRequest(  # Stripe's wording, as integrations report it
                "The provided PaymentMethod was previously used with a PaymentIntent without "
                "Customer attachment, shared with a connected account without Customer "
                "attachment, or was detached from a Customer. It may not be used again. To "
                "use a PaymentMethod multiple times, you must attach it to a Customer first.",
                param="payment_method")
        # A saved card is its customer's: usable only on that customer's PaymentIntents. With
        # a publishable key (anyone holding a client secret) a PaymentIntent without a
        # customer must not charge someone's saved card either.
        guarded = pi.get("customer") or ctx.key_type == "publishable"
        if guarded and pm["customer"] not in (None, pi.get("customer")):
            raise InvalidRequest(
                f"The provided PaymentMethod {pm['id']} belongs to another customer.",
                param="payment_method",
            )
        pi["payment_method"] = pm["id"]


# -- lifecycle ------------------------------------------------------------------------------
def new_payment_intent(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    _check_payment_method_types(ctx, params)
    if params.get("off_session") and not params.get("confirm"):
        # "This parameter can only be used with confirm=true." (the API reference for
        # off_session; the error's wording is not documented)
        raise InvalidRequest("off_session can only be used when confirm=true.",
                             param="off_session")
    currency = check_currency(params["currency"])
    check_amount(params["amount"], currency)
    if params.get("customer"):
        ctx.get(params["customer"], "customer", param="customer")
    if params.get("customer_account"):
        _check_customer_account(ctx, params)
    pi_id = ctx.new_id("pi")
    explicit = params.get("payment_method_types") or params.get("allowed_payment_method_types")
    pi = build(
        "PaymentIntent",
        id=pi_id, object="payment_intent", amount=params["amount"], amount_capturable=0,
        amount_details={"tip": {}}, amount_received=0, application=None,
        application_fee_amount=params.get("application_fee_amount"),
        allowed_payment_method_types=params.get("allowed_payment_method_types"),
        automatic_payment_methods=None if explicit else {
            "allow_redirects": "always", "enabled": True,
            **params.get("automatic_payment_methods", {})},
        canceled_at=None, cancellation_reason=None,
        capture_method=params.get("capture_method", "automatic_async" if ctx.version_at_least(
            ASYNC_DEFAULT_SINCE) else "automatic"),
        client_secret=f"{pi_id}_secret_{ctx.secret(25)}",
        confirmation_method=params.get("confirmation_method", "automatic"),
        created=ctx.now(), currency=currency, customer=params.get("customer"),
        customer_account=params.get("customer_account"),
        description=params.get("description"),
        excluded_payment_method_types=params.get("excluded_payment_method_types"),
        last_payment_error=None, latest_charge=None, livemode=False,
        metadata=params.get("metadata") or {}, next_action=None,
        on_behalf_of=params.get("on_behalf_of"), payment_method=None,
        payment_method_configuration_details=None,
        payment_method_options={"card": {"installments": None, "mandate_options": None,
                                         "network": None,
                                         "request_three_d_secure": "automatic"}},
        payment_method_types=["card"], payment_record=None, processing=None,
        receipt_email=params.get("receipt_email"), review=None,
        setup_future_usage=params.get("setup_future_usage"), shipping=params.get("shipping"),
        source=None, statement_descriptor=params.get("statement_descriptor"),
        statement_descriptor_suffix=params.get("statement_descriptor_suffix"),
        status="requires_payment_method",
        transfer_data=params.get("transfer_data"),
        # Only what the caller set. Responses from real Stripe quoted in public code show
        # destination charges with an automatic ``group_<pi id>``, but docs.stripe.com does
        # not document one (destination-charges, separate-charges-and-transfers, the
        # transfer_group fields in stripe-python 16), so the emulator does not invent it.
        transfer_group=params.get("transfer_group"),
    )
    if pi["transfer_data"] is not None:
        pi["transfer_data"] = {"amount": None, **pi["transfer_data"]}
    _check_destination(ctx, pi)
    _set_payment_method(ctx, pi, params)
    if pi["payment_method"]:
        pi["status"] = "requires_confirmation"
    ctx.insert(pi)
    if "automatic_payment_methods" in params:
        ctx.store.set_meta(f"pi_explicit_apm:{pi_id}", "1")
    ctx.emit("payment_intent.created", pi)
    if params.get("confirm"):
        # the payment method is already set: confirming must not create a second one
        rest = {k: v for k, v in params.items() if k not in ("payment_method",
                                                            "payment_method_data")}
        return confirm_intent(ctx, pi, rest)
    return pi


def confirm_intent(ctx: Context, pi: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    if pi["status"] == "succeeded":
        raise unexpected_state(pi, "You cannot confirm this PaymentIntent because it has "
                                   "already succeeded after being previously confirmed.")
    if pi["status"] not in CONFIRMABLE:
        raise unexpected_state(
            pi, f"You cannot confirm this PaymentIntent because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may "
                "be confirmed: requires_payment_method, requires_confirmation, requires_action.")
    previous_pm = pi["payment_method"]
    _set_payment_method(ctx, pi, params)
    for key in ("receipt_email", "setup_future_usage", "capture_method", "shipping"):
        if key in params:
            pi[key] = params[key]
    if not pi["payment_method"]:
        raise unexpected_state(
            pi, "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "You can either update the PaymentIntent with a payment method and then confirm "
                "it again, or confirm it again directly with a payment method.")
    _check_destination(ctx, pi)
    _check_return_url(ctx, pi, params)
    pm = ctx.get(pi["payment_method"], "payment_method", param="payment_method")
    card = test_card_for(ctx, pm)
    authenticated = ctx.store.get_meta(f"3ds:{pi['id']}") == pm["id"]
    if pi["status"] == "requires_action" and pm["id"] == previous_pm and not authenticated:
        return ctx.save(pi)  # still waiting for the cardholder
    if params.get("off_session") and not authenticated:
        # The cardholder is away: nobody can authenticate. Whether the bank asks depends on
        # the card and on whether it was set up for off-session use
        # (https://docs.stripe.com/payments/save-and-reuse#charge-saved-payment-method,
        # https://docs.stripe.com/testing#authentication-and-setup).
        set_up = ctx.store.get_meta(f"pm_setup:{pm['id']}") == "off_session"
        if card.off_session == "always" or (card.off_session == "unless_set_up"
                                            and not set_up):
            return _decline(ctx, pi, pm, "authentication_required", "authentication_required",
                            "Your card was declined. This transaction requires authentication.")
    elif card.three_d_secure and not authenticated:
        if params.get("error_on_requires_action"):
            return _decline(ctx, pi, pm, "authentication_required", "authentication_required",
                            "Your card was declined. This transaction requires authentication.")
        pi["status"] = "requires_action"
        pi["next_action"] = _three_d_secure_action(ctx, pi, params.get("return_url"))
        ctx.save(pi)
        ctx.emit("payment_intent.requires_action", pi)
        return pi
    if card.decline_code:
        return _decline(ctx, pi, pm, card.error_code, card.decline_code,
                        DECLINE_MESSAGES[card.decline_code])
    return _authorize(ctx, pi, pm, card, off_session=bool(params.get("off_session")))


def _check_return_url(ctx: Context, pi: dict[str, Any], params: dict[str, Any]) -> None:
    """Dynamic payment methods may redirect the customer, so a server-side confirmation
    must say where to come back to, unless redirects were turned off. Enforced when the
    request asked for ``automatic_payment_methods`` itself: without it, Stripe decides from
    the methods enabled in the Dashboard, which the emulator models as cards only."""
    auto = pi.get("automatic_payment_methods") or {}
    explicit = ctx.store.get_meta(f"pi_explicit_apm:{pi['id']}") == "1"
    if (ctx.key_type == "secret" and explicit and auto.get("enabled")
            and auto.get("allow_redirects", "always") != "never"
            and not params.get("return_url")):
        raise InvalidRequest(
            "A `return_url` must be specified because this Payment Intent is configured to "
            "automatically accept the payment methods enabled in the Dashboard, some of which "
            "may require a full page redirect to succeed. If you do not want to accept "
            "redirect-based payment methods, set `automatic_payment_methods[enabled]` to "
            "`true` and `automatic_payment_methods[allow_redirects]` to `never` when creating "
            "Setup Intents and Payment Intents.", param="return_url",
        )


def _three_d_secure_action(ctx: Context, pi: dict[str, Any], return_url: str | None) -> dict:
    # Absolute, as Stripe's are (https://hooks.stripe.com/…): "The URL you must redirect your
    # customer to" (stripe-python 16, NextAction.RedirectToUrl.url) is followed from the
    # platform's page, another origin than the emulator's.
    url = f"{ctx.base_url}/_emulator/3ds/{pi['id']}"
    if return_url:
        return {"type": "redirect_to_url",
                "redirect_to_url": {"return_url": return_url, "url": url}}
    return {"type": "use_stripe_sdk",
            "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": url,
                               "source": pi["payment_method"]}}


def authenticate(ctx: Context, pi: dict[str, Any], success: bool) -> dict[str, Any]:
    """The cardholder finished (or failed) the 3DS challenge: continue the confirmation."""
    if pi["status"] != "requires_action":
        raise unexpected_state(pi, "This PaymentIntent is not waiting for authentication.")
    pm = ctx.get(pi["payment_method"], "payment_method", param="payment_method")
    pi["next_action"] = None
    if not success:
        pi["status"] = "requires_payment_method"
        pi["last_payment_error"] = {
            "code": "payment_intent_authentication_failure",
            "doc_url": "https://stripe.com/docs/error-codes/payment-intent-authentication-failure",
            "message": "The provided PaymentMethod has failed authentication. You can provide "
                       "payment_method_data or a new PaymentMethod to attempt to fulfill this "
                       "PaymentIntent again.",
            "payment_method": pm,
            "type": "invalid_request_error",
        }
        pi["payment_method"] = None
        ctx.save(pi)
        ctx.emit("payment_intent.payment_failed", pi)
        return pi
    ctx.store.set_meta(f"3ds:{pi['id']}", pm["id"])
    card = test_card_for(ctx, pm)
    if card.decline_code:
        try:
            return _decline(ctx, pi, pm, card.error_code, card.decline_code,
                            DECLINE_MESSAGES[card.decline_code])
        except CardDeclined:
            return ctx.get(pi["id"], "payment_intent")
    return _authorize(ctx, pi, pm, card, three_d_secure=True)


def _card_details(pm: dict[str, Any], amount: int, three_d_secure: bool,
                  capture_before: int | None = None) -> dict[str, Any]:
    card = pm["card"]
    held = {"capture_before": capture_before} if capture_before is not None else {}
    return {
        "type": "card",
        "card": {
            "amount_authorized": amount, "authorization_code": None, "brand": card["brand"],
            **held, "checks": card["checks"], "country": card["country"],
            "exp_month": card["exp_month"], "exp_year": card["exp_year"],
            "extended_authorization": {"status": "disabled"},
            "fingerprint": card["fingerprint"], "funding": card["funding"],
            "incremental_authorization": {"status": "unavailable"}, "installments": None,
            "last4": card["last4"], "mandate": None,
            "multicapture": {"status": "unavailable"}, "network": card["brand"],
            "network_token": {"used": False}, "network_transaction_id": None,
            "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
            "regulated_status": "unregulated",
            "three_d_secure": {"authentication_flow": "challenge", "result": "authenticated",
                               "version": "2.2.0"} if three_d_secure else None,
            "wallet": None,
        },
    }


def _charge_for(ctx: Context, pi: dict[str, Any], pm: dict[str, Any], **values: Any) -> dict:
    # on_behalf_of makes the connected account the settlement merchant, whose descriptor
    # the customer sees (https://docs.stripe.com/connect/statement-descriptors)
    descriptor = accounts.card_statement_descriptor(
        ctx, pi["on_behalf_of"] or ctx.account, pi["statement_descriptor_suffix"])
    return money.new_charge(
        ctx, ctx.new_id("ch"), amount=pi["amount"], currency=pi["currency"],
        application_fee_amount=pi["application_fee_amount"],
        calculated_statement_descriptor=descriptor,
        billing_details=pm["billing_details"], customer=pi["customer"],
        description=pi["description"], metadata=dict(pi["metadata"]),
        on_behalf_of=pi["on_behalf_of"], payment_intent=pi["id"], payment_method=pm["id"],
        receipt_email=pi["receipt_email"], shipping=pi["shipping"],
        statement_descriptor=pi["statement_descriptor"],
        statement_descriptor_suffix=pi["statement_descriptor_suffix"],
        transfer_data=pi["transfer_data"], transfer_group=pi["transfer_group"], **values,
    )


def _decline(
    ctx: Context, pi: dict[str, Any], pm: dict[str, Any], code: str, decline_code: str,
    message: str,
) -> dict[str, Any]:
    charge = _charge_for(
        ctx, pi, pm, status="failed", paid=False, captured=False, failure_code=code,
        failure_message=message,
        outcome={"advice_code": "try_again_later", "network_advice_code": None,
                 "network_decline_code": "01", "network_status": "declined_by_network",
                 "reason": decline_code, "risk_level": "normal", "risk_score": 30,
                 "seller_message": "The bank did not return any further details with this "
                                   "decline.", "type": "issuer_declined"},
        payment_method_details=_card_details(pm, pi["amount"], False),
    )
    ctx.insert(charge)
    error = {
        "charge": charge["id"], "code": code, "decline_code": decline_code,
        "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
        "message": message, "payment_method": pm, "type": "card_error",
    }
    pi.update(status="requires_payment_method", latest_charge=charge["id"],
              last_payment_error=error, payment_method=None, next_action=None)
    ctx.save(pi)
    ctx.emit("charge.failed", charge)
    ctx.emit("payment_intent.payment_failed", pi)
    exc = CardDeclined(message, code=code, param="",
                       extra={"charge": charge["id"], "decline_code": decline_code,
                              "payment_intent": pi, "payment_method": pm})
    exc.commit = True  # the failed charge and the PaymentIntent's new state are kept
    raise exc


def _authorize(ctx: Context, pi: dict[str, Any], pm: dict[str, Any], card: Any,
               three_d_secure: bool = False, off_session: bool = False) -> dict[str, Any]:
    manual = pi["capture_method"] == "manual"
    capture_before = None
    if manual:  # the charge says when the hold lapses (stripe-python: Charge...capture_before)
        mit_visa = off_session and pm["card"]["brand"] == "visa"
        capture_before = ctx.now() + (VISA_MIT_VALIDITY if mit_visa else AUTHORIZATION_VALIDITY)
    charge = _charge_for(
        ctx, pi, pm, status="succeeded", paid=True, captured=False,
        outcome={"advice_code": None, "network_advice_code": None,
                 "network_decline_code": None, "network_status": "approved_by_network",
                 "reason": None, "risk_level": "normal", "risk_score": 30,
                 "seller_message": "Payment complete.", "type": "authorized"},
        payment_method_details=_card_details(pm, pi["amount"], three_d_secure, capture_before),
        receipt_url=f"https://pay.stripe.com/receipts/payment/{ctx.token(40)}",
    )
    pi.update(latest_charge=charge["id"], last_payment_error=None, next_action=None)
    _save_for_later(ctx, pi, pm)
    if pm.get("customer") is None and not pi.get("setup_future_usage"):
        # A PaymentMethod no customer holds is single-use: once it has paid, it is spent
        # (declines leave it usable; the docs do not say, and a retry is the common case).
        ctx.store.set_meta(f"pm_consumed:{pm['id']}", "1")
    if manual:
        pi.update(status="requires_capture", amount_capturable=pi["amount"])
        ctx.insert(charge)
        # found again by its deadline as the clock moves (an indexed read, not a scan)
        ctx.store.put_record(HOLD, pi["id"], {"platform": ctx.platform, "created":
                                              capture_before, "account": ctx.account})
        ctx.save(pi)
        ctx.emit("charge.succeeded", charge)
        ctx.emit("payment_intent.amount_capturable_updated", pi)
        return pi
    later = pi["capture_method"] == "automatic_async"
    if later:  # captured, its money moved by the follow-up step (see the module docstring)
        charge.update(captured=True, amount_captured=pi["amount"])
        ctx.insert(charge)
        ctx.store.put_record(ASYNC_CAPTURE, charge["id"],
                             {"platform": ctx.platform, "created": ctx.now()})
        ctx.followups.append(lambda step, charge_id=charge["id"]: complete_capture(step,
                                                                                   charge_id))
    else:
        money.capture_charge(ctx, charge, pi["amount"], bypass_pending=card.bypass_pending,
                             ns=ctx.account)
        ctx.insert(charge)
    pi.update(status="succeeded", amount_received=pi["amount"])
    ctx.save(pi)
    ctx.emit("charge.succeeded", charge)
    ctx.emit("payment_intent.succeeded", pi)
    if not later:
        _dispute_if_test_card(ctx, charge, card)
    for hook in succeeded_hooks:
        hook(ctx, pi)
    return pi


def _save_for_later(ctx: Context, pi: dict[str, Any], pm: dict[str, Any]) -> None:
    """``setup_future_usage``: once the payment is authorized, the card is attached to the
    PaymentIntent's customer and counts as set up for that usage
    (https://docs.stripe.com/api/payment_intents/create#create_payment_intent-setup_future_usage:
    "attach the payment method to the Customer after the PaymentIntent is confirmed and the
    customer completes any required actions")."""
    usage = pi.get("setup_future_usage")
    if not usage:
        return
    if pi.get("customer"):
        attach_to_customer(ctx, pm, pi["customer"])
    if ctx.store.get_meta(f"pm_setup:{pm['id']}") != "off_session":
        ctx.store.set_meta(f"pm_setup:{pm['id']}", usage)


def complete_capture(ctx: Context, charge_id: str) -> None:
    """Finish an ``automatic_async`` capture: post the money, fill ``balance_transaction``
    (and ``transfer``, ``application_fee``) and announce it with ``charge.updated``. Taking
    the record is the step's claim, in its own transaction: done at most once, and a crash
    before its commit leaves the record for :func:`finish_pending_captures`."""
    if ctx.store.take_record(ASYNC_CAPTURE, charge_id) is None:
        return  # finished already
    found = ctx.store.get(charge_id)
    if found is None:
        return
    ns, charge = found
    before = copy.deepcopy(charge)
    card = test_card_for(ctx, {"id": charge["payment_method"]})
    money.capture_charge(ctx, charge, charge["amount_captured"],
                         bypass_pending=card.bypass_pending, ns=ns)
    ctx.save(charge)
    ctx.emit("charge.updated", charge, changes(before, charge), account=ns)
    _dispute_if_test_card(ctx, charge, card)


def finish_pending_captures(emulator: Any, platform: str | None = None) -> None:
    """The sweep: finish every capture a crash left between a request and its follow-up
    step, each in its own transaction (nested in the caller's, on a clock tick)."""
    for charge_id, owner in emulator.store.records_of(ASYNC_CAPTURE, platform):
        found = emulator.store.get(charge_id)
        ns = found[0] if found else owner
        step = Context(emulator, owner, ns, emulator.platform_version(owner))
        with emulator.store.transaction():
            complete_capture(step, charge_id)
            emulator.after_request(step)


@on_start
def _finish_after_a_crash(emulator: Any) -> None:
    finish_pending_captures(emulator)


@on_tick
def _finish_on_tick(ctx: Context, before: int) -> None:
    """Finish what is still pending, then let lapsed authorizations expire."""
    finish_pending_captures(ctx.emulator, ctx.platform)
    expire_authorizations(ctx)


# -- authorizations that lapse -----------------------------------------------------------------
def _capture_before(charge: dict[str, Any]) -> int | None:
    return ((charge.get("payment_method_details") or {}).get("card") or {}).get(
        "capture_before")


def expire_authorization(ctx: Context, ns: str, pi: dict[str, Any],
                         charge: dict[str, Any]) -> None:
    """The hold lapsed uncaptured: "the funds are released and the payment status changes
    to canceled" (https://docs.stripe.com/payments/place-a-hold-on-a-payment-method). The
    docs do not name the reason: ``automatic`` is the one stripe-python lists for Stripe's
    own cancellations (``expired`` is not described). The charge is released in full
    (``charge.expired``, "an uncaptured charge expires")."""
    ctx.store.drop_record(HOLD, pi["id"])
    release_hold(ctx, ns, charge)
    pi.update(status="canceled", canceled_at=ctx.now(), amount_capturable=0,
              cancellation_reason="automatic", next_action=None)
    ctx.save(pi)
    ctx.emit("payment_intent.canceled", pi, account=ns)


def release_hold(ctx: Context, ns: str, charge: dict[str, Any]) -> None:
    """An uncaptured charge lapsed: released in full, "marked as refunded"
    (https://docs.stripe.com/api/charges/capture), with ``charge.expired``."""
    ctx.store.drop_record(HOLD, charge["id"])
    charge.update(refunded=True, amount_refunded=charge["amount"])
    ctx.save(charge)
    ctx.emit("charge.expired", charge, account=ns)


def hold_until(ctx: Context, charge: dict[str, Any], capture_before: int) -> None:
    """A legacy Charge created with ``capture=false`` holds its authorization as a
    PaymentIntent's does ("Uncaptured payments expire a set number of days after they are
    created (7 by default)", https://docs.stripe.com/api/charges/capture): found again by
    its deadline as the clock moves."""
    ctx.store.put_record(HOLD, charge["id"], {"platform": ctx.platform,
                                              "created": capture_before,
                                              "account": ctx.account})


def lapsed(ctx: Context, charge: dict[str, Any]) -> bool:
    deadline = _capture_before(charge)
    return deadline is not None and deadline <= ctx.now()


def expired_for_capture(extra: dict[str, Any] | None = None) -> InvalidRequest:
    """Stripe's error for a capture after expiry
    (https://docs.stripe.com/error-codes#charge-expired-for-capture); what the expiry
    changed is kept."""
    exc = InvalidRequest(
        "The charge cannot be captured as the authorization has expired. Auth and "
        "capture charges must be captured within seven days.",
        code="charge_expired_for_capture", param="", extra=extra or {})
    exc.commit = True
    return exc


def expire_authorizations(ctx: Context) -> None:
    """Every open authorization of the platform and its accounts whose ``capture_before``
    has passed (checked as the clock moves): a PaymentIntent's, or a legacy Charge's."""
    for held_id, _ in ctx.store.records_of(HOLD, ctx.platform, due_by=ctx.now()):
        ctx.store.drop_record(HOLD, held_id)
        found = ctx.store.get(held_id)
        if found is not None and found[1].get("object") == "charge":
            if not found[1]["captured"] and not found[1]["refunded"]:
                release_hold(ctx, *found)
            continue
        if found is None or found[1]["status"] != "requires_capture":
            continue
        ns, pi = found
        charge = ctx.store.get(pi["latest_charge"])
        if charge is not None:
            expire_authorization(ctx, ns, pi, charge[1])


def _dispute_if_test_card(ctx: Context, charge: dict[str, Any], card: Any) -> None:
    """The dispute test cards succeed, then are disputed (https://docs.stripe.com/testing)."""
    if card.dispute:
        from .disputes import open_dispute

        open_dispute(ctx, charge, card.dispute)


def capture_intent(ctx: Context, pi: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    if pi["status"] != "requires_capture":
        if pi["status"] == "succeeded":
            message = "This PaymentIntent could not be captured because it has already been " \
                      "captured."
        else:
            message = (f"This PaymentIntent could not be captured because it has a status of "
                       f"{pi['status']}. Only a PaymentIntent with one of the following "
                       "statuses may be captured: requires_capture.")
        raise unexpected_state(pi, message)
    charge = ctx.get(pi["latest_charge"], "charge", param="charge")
    if lapsed(ctx, charge):
        # Lapsed, though no tick has canceled it yet: the PaymentIntent is canceled with
        # the error, and that is kept.
        expire_authorization(ctx, ctx.account, pi, charge)
        raise expired_for_capture({"payment_intent": pi})
    amount = params.get("amount_to_capture", pi["amount_capturable"])
    if amount > pi["amount_capturable"]:
        raise InvalidRequest(
            "The amount_to_capture must be less than or equal to the amount_capturable "
            f"({pi['amount_capturable']}).", code="amount_too_large", param="amount_to_capture")
    if "application_fee_amount" in params:
        pi["application_fee_amount"] = params["application_fee_amount"]
    if "transfer_data" in params and pi["transfer_data"]:
        pi["transfer_data"] = {**pi["transfer_data"], **params["transfer_data"]}
    if "metadata" in params:
        pi["metadata"] = merge_metadata(pi["metadata"], params["metadata"])
    # Checked against the authorization: "the amount of the application fee collected will
    # be capped at the total amount captured" (https://docs.stripe.com/api/payment_intents/
    # capture#capture_payment_intent-application_fee_amount), done in money.capture_charge.
    _check_destination(ctx, pi)
    charge["application_fee_amount"] = pi["application_fee_amount"]
    charge["transfer_data"] = pi["transfer_data"]
    pm = ctx.get(charge["payment_method"], "payment_method", param="payment_method")
    card = test_card_for(ctx, pm)
    money.capture_charge(ctx, charge, amount, bypass_pending=card.bypass_pending, ns=ctx.account)
    ctx.save(charge)
    pi.update(status="succeeded", amount_received=amount, amount_capturable=0)
    ctx.save(pi)
    ctx.store.drop_record(HOLD, pi["id"])
    ctx.emit("charge.captured", charge)
    ctx.emit("payment_intent.succeeded", pi)
    _dispute_if_test_card(ctx, charge, card)
    for hook in succeeded_hooks:
        hook(ctx, pi)
    return pi


def cancel_intent(ctx: Context, pi: dict[str, Any], params: dict[str, Any],
                  by_checkout: bool = False) -> dict[str, Any]:
    if not by_checkout and ctx.store.get_meta(f"checkout_session_for:{pi['id']}") and \
            pi["status"] != "requires_capture":
        # Checkout owns this PaymentIntent: expire the Session instead.
        raise unexpected_state(pi, "You cannot perform this action on PaymentIntents created "
                                   "by Checkout.")
    if pi["status"] not in CANCELABLE:
        raise unexpected_state(
            pi, f"You cannot cancel this PaymentIntent because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may "
                "be canceled: " + ", ".join(CANCELABLE) + ".")
    if pi["status"] == "requires_capture":  # release the authorization
        ctx.store.drop_record(HOLD, pi["id"])
        charge = ctx.get(pi["latest_charge"], "charge", param="charge")
        charge.update(refunded=True, amount_refunded=charge["amount"])
        ctx.save(charge)
        ctx.emit("charge.refunded", charge)
    pi.update(status="canceled", canceled_at=ctx.now(), amount_capturable=0, next_action=None,
              cancellation_reason=params.get("cancellation_reason"))
    ctx.save(pi)
    ctx.emit("payment_intent.canceled", pi)
    return pi



# -- HTTP ----------------------------------------------------------------------------------
def _own(ctx: Context, pi_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """Load it; a publishable key must also prove the client secret (client_secrets.py)."""
    return client_secrets.own(ctx, pi_id, "payment_intent", params)


def public_view(ctx: Context, pi: dict[str, Any]) -> dict[str, Any]:
    return client_secrets.public_view(ctx, pi, PUBLIC_FIELDS)


@route("POST", "/v1/payment_intents", params=CREATE)
def create(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return new_payment_intent(ctx, params)


@route("GET", "/v1/payment_intents/<id>", params={"client_secret": Str()}, publishable=True)
def retrieve(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    return public_view(ctx, _own(ctx, id, params))


@route("POST", "/v1/payment_intents/<id>", params=UPDATE)
def update(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    pi = _own(ctx, id, params)
    _check_payment_method_types(ctx, params)
    money_fields = {"amount", "currency", "payment_method", "payment_method_data",
                    "application_fee_amount", "transfer_data", "capture_method", "customer"}
    if money_fields & set(params) and pi["status"] not in CONFIRMABLE:
        raise unexpected_state(
            pi, f"You cannot update this PaymentIntent because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may "
                "be updated: requires_payment_method, requires_confirmation, requires_action.")
    for key in ("amount", "description", "receipt_email", "setup_future_usage", "shipping",
                "capture_method", "application_fee_amount", "transfer_group",
                "statement_descriptor", "statement_descriptor_suffix"):
        if key in params:
            pi[key] = params[key]
    if "currency" in params:
        pi["currency"] = check_currency(params["currency"])
    if "customer" in params:
        if params["customer"]:
            ctx.get(params["customer"], "customer", param="customer")
        pi["customer"] = params["customer"]
    if "metadata" in params:
        pi["metadata"] = merge_metadata(pi["metadata"], params["metadata"])
    if "transfer_data" in params:
        if not pi["transfer_data"]:
            raise InvalidRequest("transfer_data[amount] can only be updated on a destination "
                                 "charge.", param="transfer_data[amount]")
        pi["transfer_data"] = {**pi["transfer_data"], **params["transfer_data"]}
    check_amount(pi["amount"], pi["currency"])
    _check_destination(ctx, pi)
    if "payment_method" in params or "payment_method_data" in params:
        _set_payment_method(ctx, pi, params)
        if pi["payment_method"] and pi["status"] in CONFIRMABLE:
            pi["status"] = "requires_confirmation"
            pi["next_action"] = None
    ctx.save(pi)
    return pi


@route("POST", "/v1/payment_intents/<id>/confirm", params=CONFIRM, publishable=True)
def confirm(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    if ctx.key_type == "publishable":
        refused = sorted(k for k in params if k not in PUBLISHABLE_CONFIRM)
        if refused:
            raise unknown_param(*refused)
    pi = _own(ctx, id, params)
    _check_payment_method_types(ctx, params)
    with publicly(ctx):
        return public_view(ctx, confirm_intent(ctx, pi, params))


def publicly(ctx: Context) -> Any:
    """Errors carrying the intent show a publishable key only its public view."""
    return client_secrets.publicly(ctx, "payment_intent", PUBLIC_FIELDS)


@route("POST", "/v1/payment_intents/<id>/capture", params=CAPTURE)
def capture(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    return capture_intent(ctx, _own(ctx, id, params), params)


@route("POST", "/v1/payment_intents/<id>/cancel", params=CANCEL)
def cancel(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    return cancel_intent(ctx, _own(ctx, id, params), params)


@route("GET", "/v1/payment_intents", params={**LIST_PARAMS, "customer": Str(), "created": Range()})
def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    where = {"customer": params["customer"]} if "customer" in params else None
    return store_page(ctx, params, "/v1/payment_intents", type="payment_intent", where=where)


@loader("pi")
def load(ctx: Context, object_id: str) -> dict[str, Any] | None:
    found = ctx.find(object_id, "payment_intent")
    return found[1] if found and ctx.visible(found[0]) else None


__all__ = ["authenticate", "new_payment_intent", "NotFound"]
