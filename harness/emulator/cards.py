"""Stripe's test cards and ``pm_card_*`` tokens, with the behaviour Stripe documents
(https://docs.stripe.com/testing). Only test numbers are ever accepted."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TestCard:
    number: str
    brand: str
    token: str | None = None
    funding: str = "credit"
    country: str = "US"
    # what happens when it is charged
    decline_code: str | None = None  # e.g. generic_decline, insufficient_funds
    error_code: str = "card_declined"
    three_d_secure: bool = False  # authentication required on every on-session payment
    # Off-session payments (https://docs.stripe.com/testing#authentication-and-setup):
    # "never" asks; "unless_set_up" declines with authentication_required until the card
    # was set up for off-session use (SetupIntent, or setup_future_usage=off_session);
    # "always" declines with authentication_required however it was set up.
    off_session: str = "never"
    # A declining card fails its SetupIntent too, except the cards the testing page says
    # set up fine and decline only when charged (0341, 3178).
    declines_setup: bool = True
    bypass_pending: bool = False  # funds land in the available balance at once
    dispute: str | None = None  # "fraudulent" dispute or "inquiry" after the charge

    @property
    def last4(self) -> str:
        return self.number[-4:]


CARDS = [
    TestCard("4242424242424242", "visa", "pm_card_visa"),
    TestCard("4000056655665556", "visa", "pm_card_visa_debit", funding="debit"),
    TestCard("5555555555554444", "mastercard", "pm_card_mastercard"),
    TestCard("378282246310005", "amex", "pm_card_amex"),
    TestCard("4000000000000077", "visa", "pm_card_bypassPending", bypass_pending=True),
    # The regulatory cards (https://docs.stripe.com/testing#authentication-and-setup):
    # "Authenticate unless set up", "Always authenticate", "Already set up", and
    # "Insufficient funds" (declined even after authentication or set-up).
    TestCard("4000002500003155", "visa", "pm_card_authenticationRequiredOnSetup",
             three_d_secure=True, off_session="unless_set_up"),
    TestCard("4000002760003184", "visa", "pm_card_authenticationRequired",
             three_d_secure=True, off_session="always"),
    TestCard("4000003800000446", "visa", "pm_card_authenticationRequiredSetupForOffSession",
             three_d_secure=True),
    TestCard("4000008260003178", "visa",
             "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds",
             three_d_secure=True, off_session="unless_set_up",
             decline_code="insufficient_funds", declines_setup=False),
    # Attaching it to a customer succeeds; every charge is declined.
    TestCard("4000000000000341", "visa", "pm_card_chargeCustomerFail",
             decline_code="generic_decline", declines_setup=False),
    TestCard("4000000000000002", "visa", "pm_card_chargeDeclined", decline_code="generic_decline"),
    TestCard("4000000000009995", "visa", "pm_card_chargeDeclinedInsufficientFunds",
             decline_code="insufficient_funds"),
    TestCard("4000000000009987", "visa", "pm_card_chargeDeclinedLostCard",
             decline_code="lost_card"),
    TestCard("4000000000009979", "visa", "pm_card_chargeDeclinedStolenCard",
             decline_code="stolen_card"),
    TestCard("4000000000000069", "visa", "pm_card_chargeDeclinedExpiredCard",
             decline_code="expired_card", error_code="expired_card"),
    TestCard("4000000000000127", "visa", "pm_card_chargeDeclinedIncorrectCvc",
             decline_code="incorrect_cvc", error_code="incorrect_cvc"),
    TestCard("4000000000000119", "visa", "pm_card_chargeDeclinedProcessingError",
             decline_code="processing_error", error_code="processing_error"),
    TestCard("4000000000000259", "visa", "pm_card_createDispute", dispute="fraudulent"),
    TestCard("4000000000001976", "visa", "pm_card_createDisputeInquiry", dispute="inquiry"),
    TestCard("4000000000002685", "visa", "pm_card_createDisputeProductNotReceived",
             dispute="product_not_received"),
]

BY_NUMBER = {c.number: c for c in CARDS}
BY_TOKEN = {c.token: c for c in CARDS if c.token}
# The testing page names the Visa declines with a brand prefix too; both spellings work on
# Stripe (the CLI's charge.failed fixture uses pm_card_visa_chargeDeclined).
for _alias, _token in (
    ("pm_card_visa_chargeDeclined", "pm_card_chargeDeclined"),
    ("pm_card_visa_chargeDeclinedInsufficientFunds", "pm_card_chargeDeclinedInsufficientFunds"),
    ("pm_card_visa_chargeDeclinedLostCard", "pm_card_chargeDeclinedLostCard"),
    ("pm_card_visa_chargeDeclinedStolenCard", "pm_card_chargeDeclinedStolenCard"),
):
    BY_TOKEN[_alias] = BY_TOKEN[_token]

# The legacy test tokens (``tok_visa``...; https://docs.stripe.com/testing, "Tokens"): the
# same cards under Tokens' prefix. The 3D Secure cards have none: the Charges API cannot
# authenticate, and the testing page lists them as numbers and PaymentMethods only.
TOK_TOKENS = {"tok_" + t.removeprefix("pm_card_"): c for t, c in BY_TOKEN.items()
              if not c.three_d_secure}

DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "lost_card": "Your card was declined.",
    "stolen_card": "Your card was declined.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
}


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number]
    for i in range(len(digits) - 2, -1, -2):
        digits[i] = digits[i] * 2 - 9 if digits[i] * 2 > 9 else digits[i] * 2
    return sum(digits) % 10 == 0
