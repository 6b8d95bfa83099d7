"""Glue for notebook 06's last section: a renter saves a card, and after the stay the
platform charges a damage fee to it off-session, as a destination charge to the homeowner.

Both steps follow https://docs.stripe.com/payments/save-and-reuse: a SetupIntent with the
renter's Customer saves the card (a real page confirms it in the browser with Stripe.js
``confirmSetup``; here the server confirms it with a test PaymentMethod), then a
PaymentIntent with ``off_session=true`` and ``confirm=true`` charges it while the renter is
away. SDK calls only: the same code runs on the emulator and in test mode.
"""

from __future__ import annotations

from dataclasses import dataclass

import stripe

# Cards only, no redirects: nobody is there to follow one (the save-and-reuse guide's
# server-side confirmations do the same).
NO_REDIRECTS = {"enabled": True, "allow_redirects": "never"}


def save_card(client: stripe.StripeClient, customer: str,
              card: str = "pm_card_visa") -> stripe.SetupIntent:
    """Save ``card`` for ``customer`` for later off-session use (what the renter's browser
    does with ``stripe.confirmSetup`` in a real integration)."""
    return client.v1.setup_intents.create({
        "customer": customer, "payment_method": card, "usage": "off_session",
        "confirm": True, "automatic_payment_methods": NO_REDIRECTS})


@dataclass(frozen=True)
class OffSessionResult:
    """What an off-session charge came to: the PaymentIntent, its status, and, when the bank
    declined, Stripe's codes and the card to ask the renter about."""

    payment_intent: str
    status: str
    code: str | None = None
    decline_code: str | None = None
    payment_method: str | None = None


def charge_damage_fee(client: stripe.StripeClient, *, customer: str, payment_method: str,
                      amount: int, homeowner: str, application_fee_amount: int,
                      description: str) -> OffSessionResult:
    """Charge the saved card ``amount`` off-session and send it to ``homeowner``, keeping
    ``application_fee_amount``. A decline (``authentication_required`` when the bank wants
    the renter present) is an answer, not an exception: the docs' next step is to bring
    the renter back on-session with ``last_payment_error.payment_method``."""
    try:
        pi = client.v1.payment_intents.create({
            "amount": amount, "currency": "usd", "customer": customer,
            "payment_method": payment_method, "off_session": True, "confirm": True,
            "automatic_payment_methods": NO_REDIRECTS, "description": description,
            "application_fee_amount": application_fee_amount,
            "transfer_data": {"destination": homeowner}})
    except stripe.CardError as exc:
        failed = exc.error.payment_intent
        error = failed.last_payment_error
        return OffSessionResult(failed.id, failed.status, exc.code, error.decline_code,
                                error.payment_method.id if error.payment_method else None)
    return OffSessionResult(pi.id, pi.status, payment_method=pi.payment_method)


__all__ = ["NO_REDIRECTS", "OffSessionResult", "charge_damage_fee", "save_card"]
