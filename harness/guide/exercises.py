"""The exercise checks of notebooks 01–07: did the learner really do it?

Each notebook ends with a short exercise. The learner stores their result in ``answer`` and
runs ``exercises.check_NN(lab, answer, …)``, which reads the real state, through Stripe's
API (and the platform's database when the exercise goes through the platform), and answers
with a :class:`Verdict`: ``✔ Correct: …`` or ``✘ Not yet: <a hint>``. Returning the right
number is not enough: the money must really have moved, to the cent.

The checks use only ordinary API calls, so they work on real test mode too; where a part
can only be checked on the emulator (its clock, a fresh account list), it says so.
Solutions: ``notebooks/solutions/NN_name.py`` (``%load`` them into the answer cell).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import stripe

from ..books import marketplace
from ..books.formatting import usd
from ..lab.platform_server import PlatformHandle
from ..lab.session import Lab

__all__ = [
    "Verdict", "check_01", "check_02", "check_03", "check_04", "check_05", "check_06",
    "check_07",
]

CORRECT, NOT_YET = "✔ Correct: ", "✘ Not yet: "


@dataclass(frozen=True, repr=False)
class Verdict:
    """What a check found: ``bool(verdict)`` is whether the exercise is solved."""

    ok: bool
    text: str

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


class NotYet(Exception):
    """Raised inside a check: the hint to show."""


def _check(fn: Callable[..., str]) -> Callable[..., Verdict]:
    """A check body returns what was right, or raises :class:`NotYet` with a hint."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Verdict:
        try:
            return Verdict(True, CORRECT + fn(*args, **kwargs))
        except NotYet as exc:
            return Verdict(False, NOT_YET + str(exc))

    run.__annotations__ = {**fn.__annotations__, "return": Verdict}
    return run


# -- reading the answer and the objects it names -----------------------------------------------
def _id_of(answer: Any, prefix: str, what: str) -> str:
    """``answer`` as an ID: a string, or a Stripe object (or anything with ``.id``)."""
    if answer is None:
        raise NotYet(f"`answer` is still None: store {what} in it.")
    value = answer if isinstance(answer, str) else getattr(answer, "id", None)
    if value is None and isinstance(answer, dict):
        value = answer.get("id")
    if not isinstance(value, str) or not value.startswith(prefix):
        raise NotYet(f"`answer` should be {what}: an ID starting with {prefix}, "
                     f"not {answer!r:.60}.")
    return value


def _retrieve(fetch: Callable[[], Any], object_id: str, where: str = "") -> Any:
    try:
        return fetch()
    except stripe.PermissionError:
        raise NotYet(f"the platform has no access to {object_id}{where}.") from None
    except stripe.InvalidRequestError as exc:
        if exc.code == "resource_missing":
            raise NotYet(f"Stripe has no {object_id}{where}.") from None
        raise NotYet(f"Stripe refused to read {object_id}: {exc.user_message}") from None


def _payment_intent(lab: Lab, pi_id: str) -> Any:
    return _retrieve(lambda: lab.client.v1.payment_intents.retrieve(pi_id), pi_id)


def _succeeded(pi: Any, how: str) -> None:
    if pi.status != "succeeded":
        raise NotYet(f"{pi.id} is {pi.status}, not succeeded: {how}")


def _charge(lab: Lab, pi: Any) -> Any:
    """The PaymentIntent's charge once its capture has finished: with automatic_async its
    transfer and application fee are filled a moment after the payment succeeds."""
    from ..books.tables import captured_charge

    return captured_charge(lab.client, pi.latest_charge)


def _account(lab: Lab, account_id: str) -> Any:
    return _retrieve(lambda: lab.client.v1.accounts.retrieve(account_id), account_id)


def _ready_to_be_paid(account: Any, who: str) -> None:
    """Onboarded: details submitted, charges and payouts enabled, nothing due."""
    if account.type != "express":
        raise NotYet(f"{who}'s account should be an Express account, not {account.type}.")
    missing = [name for name in ("details_submitted", "charges_enabled", "payouts_enabled")
               if not getattr(account, name)]
    if missing:
        raise NotYet(f"Stripe says {who}'s account is not ready: {', '.join(missing)} "
                     "still false. Onboarding is not finished.")
    due = list(account.requirements.currently_due or [])
    if due:
        raise NotYet(f"{who} still has {len(due)} requirement(s) due, e.g. {due[0]}.")
    if (account.capabilities.to_dict() or {}).get("transfers") != "active":
        raise NotYet(f"{who}'s transfers capability is not active.")


def _saved(platform: PlatformHandle, homeowner_id: str) -> str | None:
    row = platform.db.one("SELECT stripe_account_id FROM homeowners WHERE id=?", (homeowner_id,))
    return row["stripe_account_id"] if row else None


def _homeowner_of(lab: Lab, account_id: str) -> str | None:
    """The homeowner an account was created for (the platform tags it in metadata)."""
    account = _account(lab, account_id)
    return (account.metadata.to_dict() or {}).get("homeowner_id")


def _wait(check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


# -- 01: Express OAuth ----------------------------------------------------------------------------
@_check
def check_01(lab: Lab, answer: Any, platform: PlatformHandle) -> str:
    """Daniel (ho_002) connected through the OAuth flow after all: the platform saved his
    account, and Stripe says it can take charges and receive payouts."""
    account_id = _id_of(answer, "acct_", "the account ID the platform saved for Daniel")
    saved = _saved(platform, "ho_002")
    if saved is None:
        raise NotYet("the platform has saved no account for Daniel (ho_002): he must go "
                     "through the OAuth flow and agree this time "
                     "(onboarding.complete_oauth).")
    if saved != account_id:
        raise NotYet("`answer` is not the account the platform saved for Daniel: read it "
                     "with onboarding.saved_account(platform, 'ho_002').")
    _ready_to_be_paid(_account(lab, account_id), "Daniel")
    return ("Daniel is connected: the platform saved his Express account, and Stripe says "
            "it can take charges and receive payouts.")


# -- 02: Account Links ----------------------------------------------------------------------------
@_check
def check_02(lab: Lab, answer: Any, platform: PlatformHandle) -> str:
    """Priya (ho_004) onboarded through Account Links: one account, saved, fully enabled."""
    account_id = _id_of(answer, "acct_", "the account ID the platform saved for Priya")
    saved = _saved(platform, "ho_004")
    if saved is None:
        raise NotYet("the platform has no account for Priya (ho_004) yet: send her through "
                     "/onboard (onboarding.complete_account_link).")
    if saved != account_id:
        raise NotYet("`answer` is not the account the platform saved for Priya: read it "
                     "with onboarding.saved_account(platform, 'ho_004').")
    account = _account(lab, account_id)
    _ready_to_be_paid(account, "Priya")
    if lab.config.is_emulator:  # a fresh emulator: every account with her tag is this lab's
        hers = [a.id for a in lab.client.v1.accounts.list({"limit": 100}).auto_paging_iter()
                if (a.metadata.to_dict() or {}).get("homeowner_id") == "ho_004"]
        if len(hers) != 1:
            raise NotYet(f"Priya has {len(hers)} accounts on Stripe: coming back through "
                         "/onboard/refresh must reuse the saved account, never make another.")
    return ("Priya has exactly one Express account, saved by the platform; nothing is due, "
            "and she can be paid and paid out.")


# -- 03: a destination charge ---------------------------------------------------------------------
EX03_LISTING, EX03_NIGHTS, EX03_HOMEOWNER_GETS = "lst_003", 3, 70000


@_check
def check_03(lab: Lab, answer: Any) -> str:
    """A succeeded destination charge for lst_003 × 3 nights, priced by the server, after
    which the homeowner's own ledger shows exactly 70000 for it."""
    from ..books.tables import destination_charge

    quote = marketplace.quote(EX03_LISTING, EX03_NIGHTS)
    pi_id = _id_of(answer, "pi_", "the PaymentIntent (or its ID)")
    pi = _payment_intent(lab, pi_id)
    if pi.amount != quote.amount or pi.currency != quote.currency:
        raise NotYet(f"the renter pays {pi.amount} {pi.currency}, but the server's price for "
                     f"{EX03_LISTING} × {EX03_NIGHTS} nights is {quote.amount} "
                     f"{quote.currency}: use marketplace.quote.")
    metadata = pi.metadata.to_dict() or {}
    if (metadata.get("listing_id"), metadata.get("nights")) != (EX03_LISTING,
                                                                str(EX03_NIGHTS)):
        raise NotYet("the PaymentIntent's metadata should name the listing and the nights "
                     "(quote.metadata()), so the booking can be found again.")
    if pi.transfer_data is None or not pi.transfer_data.destination:
        raise NotYet("this is not a destination charge: set transfer_data[destination].")
    if _homeowner_of(lab, pi.transfer_data.destination) != quote.homeowner_id:
        raise NotYet(f"the money goes to {pi.transfer_data.destination}, which is not the "
                     f"account of the listing's homeowner ({quote.homeowner_id}).")
    _succeeded(pi, "confirm it with pm_card_visa (and a return_url).")
    dc = destination_charge(lab.client, pi.id)
    if dc.homeowner_net != EX03_HOMEOWNER_GETS:
        raise NotYet(f"the homeowner receives {usd(dc.homeowner_net)}, not "
                     f"{usd(EX03_HOMEOWNER_GETS)}: the platform's cut must be "
                     f"{usd(quote.amount - EX03_HOMEOWNER_GETS)}.")
    return (f"the renter paid {usd(pi.amount)}; Maya receives exactly "
            f"{usd(EX03_HOMEOWNER_GETS)} and the platform keeps "
            f"{usd(quote.amount - EX03_HOMEOWNER_GETS)}, out of which it pays Stripe's fee "
            f"of {usd(dc.stripe_fee)}.")


# -- 04: checkout with Elements -------------------------------------------------------------------
EX04_LISTING, EX04_NIGHTS = "lst_001", 3


@_check
def check_04(lab: Lab, answer: Any, platform: PlatformHandle) -> str:
    """lst_001 × 3 nights, booked on the platform's page and paid with 3D Secure."""
    if answer is not None and isinstance(getattr(answer, "payment_intent", None), str):
        answer = answer.payment_intent  # a CheckoutResult from the driver
    pi_id = _id_of(answer, "pi_", "the PaymentIntent's ID")
    booking = platform.db.one("SELECT * FROM bookings WHERE payment_intent=?", (pi_id,))
    if booking is None:
        raise NotYet(f"the platform has no booking for {pi_id}: the renter must pay on "
                     "the checkout page, which the server renders.")
    if (booking["listing_id"], booking["nights"]) != (EX04_LISTING, EX04_NIGHTS):
        raise NotYet(f"that booking is {booking['listing_id']} × {booking['nights']} "
                     f"night(s), not {EX04_LISTING} × {EX04_NIGHTS}.")
    quote = marketplace.quote(EX04_LISTING, EX04_NIGHTS)
    pi = _payment_intent(lab, pi_id)
    if (pi.amount, pi.application_fee_amount) != (quote.amount, quote.application_fee_amount):
        raise NotYet(f"the PaymentIntent asks {pi.amount} with a fee of "
                     f"{pi.application_fee_amount}; the server's price is {quote.amount} "
                     f"with {quote.application_fee_amount}.")
    if pi.transfer_data is None or pi.transfer_data.destination != _saved(platform, "ho_001"):
        raise NotYet("the money does not go to Maya's saved account.")
    _succeeded(pi, "pay it on the page with the 3D Secure card and complete the challenge.")
    card = _charge(lab, pi).payment_method_details.card
    secure = card.three_d_secure
    if secure is None or secure.result != "authenticated":
        raise NotYet("the payment succeeded without 3D Secure: use the card that asks for "
                     "it (4000 0025 0000 3155) and complete the authentication.")
    return (f"{EX04_LISTING} × {EX04_NIGHTS} nights, {usd(pi.amount)} paid on your page with "
            f"3D Secure (card …{card.last4}, authenticated); the platform's fee "
            f"{usd(pi.application_fee_amount)}.")


# -- 05: fulfilment and refunds by webhook --------------------------------------------------------
EX05_LISTING, EX05_NIGHTS = "lst_001", 2


@_check
def check_05(lab: Lab, answer: Any, platform: PlatformHandle, timeout: float = 10) -> str:
    """A booking of lst_001 × 2 nights: paid, fulfilled by the webhook, refunded in full, and
    marked refunded by the webhook (verified ``charge.refunded`` events, not a DB write)."""
    pi_id = _id_of(answer, "pi_", "the booking's PaymentIntent ID")
    booking = platform.db.one("SELECT * FROM bookings WHERE payment_intent=?", (pi_id,))
    if booking is None:
        raise NotYet(f"the platform has no booking for {pi_id}: book through the platform "
                     "(wl.book).")
    if (booking["listing_id"], booking["nights"]) != (EX05_LISTING, EX05_NIGHTS):
        raise NotYet(f"that booking is {booking['listing_id']} × {booking['nights']} "
                     f"night(s), not {EX05_LISTING} × {EX05_NIGHTS}.")
    pi = _payment_intent(lab, pi_id)
    _succeeded(pi, "the renter must pay first (wl.pay).")
    charge = _charge(lab, pi)
    if not charge.refunded:
        raise NotYet(f"Stripe has refunded {charge.amount_refunded} of {charge.amount}: "
                     "refund the booking in full (refunds.create).")

    def events() -> dict[str, list[dict[str, Any]]]:
        rows = platform.db.query("SELECT id, type, decision FROM webhook_events WHERE"
                                 " object_id IN (?, ?) ORDER BY rowid", (pi.id, charge.id))
        found: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            found.setdefault(row["type"], []).append(row)
        return found

    def refunded() -> bool:
        row = platform.db.one("SELECT status FROM bookings WHERE id=?", (booking["id"],))
        return row["status"] == "refunded" and "charge.refunded" in events()

    if not _wait(refunded, timeout):  # webhooks arrive a moment after the API call
        status = platform.db.one("SELECT status FROM bookings WHERE id=?",
                                 (booking["id"],))["status"]
        raise NotYet(f"Stripe refunded the charge, but the platform's booking is {status}: "
                     "only a verified charge.refunded event may change it (is `stripe "
                     "listen` still running?).")
    handled = events()
    if not any(r["decision"].startswith("fulfilled booking")
               for r in handled.get("payment_intent.succeeded", [])):
        raise NotYet("the booking was never fulfilled by a payment_intent.succeeded event.")
    refund_rows = [r for r in handled["charge.refunded"] if "refunded in full" in r["decision"]]
    if not refund_rows:
        raise NotYet("the handler saw charge.refunded but never decided the booking was "
                     "refunded in full.")
    event = _retrieve(lambda: lab.client.v1.events.retrieve(refund_rows[0]["id"]),
                      refund_rows[0]["id"])
    if event.type != "charge.refunded" or event.data.object.id != charge.id:
        raise NotYet("the handler's charge.refunded record is not an event Stripe sent.")
    return (f"booking {booking['id']} was paid ({usd(pi.amount)}), fulfilled by "
            f"payment_intent.succeeded, refunded in full, and marked refunded by the "
            f"verified charge.refunded event.")


# -- 06: a partial refund -------------------------------------------------------------------------
@_check
def check_06(lab: Lab, answer: Any) -> str:
    """Half the booking refunded; the homeowner pays all of it back (transfer reversed by the
    same amount); the platform's application fee is not refunded."""
    pi_id = _id_of(answer, "pi_", "the booking's PaymentIntent (or its ID)")
    pi = _payment_intent(lab, pi_id)
    _succeeded(pi, "make a new booking with book().")
    charge = _charge(lab, pi)
    if not charge.transfer or not charge.application_fee:
        raise NotYet("refund a booking made with book(): a destination charge with an "
                     "application fee.")
    half = charge.amount / 2
    refunded = charge.amount_refunded
    if refunded == 0:
        raise NotYet(f"nothing is refunded yet: refund half of {charge.amount} "
                     "(refunds.create with an amount).")
    if abs(refunded - half) >= 1:
        raise NotYet(f"{refunded} of {charge.amount} is refunded; half would be "
                     f"{charge.amount // 2}.")
    transfer = lab.client.v1.transfers.retrieve(charge.transfer)
    fee = lab.client.v1.application_fees.retrieve(charge.application_fee)
    if fee.amount_refunded:
        raise NotYet(f"the platform gave {fee.amount_refunded} of its {fee.amount} fee back "
                     "to the homeowner (refund_application_fee): it should keep all of it.")
    if transfer.amount_reversed != refunded:
        raise NotYet(f"the homeowner paid back {transfer.amount_reversed} of the {refunded} "
                     f"refunded, so the platform paid the rest: reverse the transfer "
                     "(reverse_transfer=True).")
    return (f"the renter got {usd(refunded)} of {usd(charge.amount)} back; the homeowner "
            f"paid all of it (transfer reversed by {usd(transfer.amount_reversed)}) and the "
            f"platform kept its whole {usd(fee.amount)} fee.")


# -- 07: a manual payout --------------------------------------------------------------------------
EX07_AMOUNT = 877


@_check
def check_07(lab: Lab, answer: Any, account: str) -> str:
    """A manual payout of exactly 877 from Daniel's account that did not fail (on the
    emulator: that arrived, status ``paid``)."""
    payout_id = _id_of(answer, "po_", "the payout (or its ID)")
    if _homeowner_of(lab, account) != "ho_002":
        raise NotYet("pass Daniel's account to the check: account=DANIEL.")
    payout = _retrieve(lambda: lab.client.v1.payouts.retrieve(
        payout_id, options={"stripe_account": account}), payout_id, " on Daniel's account "
        "(create the payout with the Stripe-Account option)")
    if payout.automatic:
        raise NotYet("that is an automatic payout: create one yourself (payouts.create).")
    if (payout.amount, payout.currency) != (EX07_AMOUNT, "usd"):
        raise NotYet(f"the payout is {usd(payout.amount)} {payout.currency}; pay out exactly "
                     f"{usd(EX07_AMOUNT)} in usd.")
    if payout.status == "failed":
        raise NotYet(f"this payout failed too ({payout.failure_code}): give Daniel a working "
                     "bank account first (btok_us_verified, default_for_currency).")
    if payout.status == "canceled":
        raise NotYet("this payout was canceled.")
    if lab.config.is_emulator and payout.status != "paid":
        raise NotYet(f"the payout is {payout.status}: move the clock on "
                     "(lab.advance_clock) until it has arrived.")
    banks = lab.client.v1.accounts.external_accounts.list(account, {"object": "bank_account"})
    last4 = next((b.last4 for b in banks.auto_paging_iter() if b.id == payout.destination), "")
    arrived = "arrived" if payout.status == "paid" else f"is {payout.status}"
    return (f"a manual payout of {usd(payout.amount)} {arrived} in Daniel's bank account "
            f"…{last4}.")
