"""Currency conversion, to the cent, with the emulator's fixed test rates (fx.USD_PER_UNIT:
its own round figures; real rates vary daily).

Rules: a payment in a currency the account does not settle in (its default currency or a
bank account's) lands converted in the default currency, with ``exchange_rate``
(https://docs.stripe.com/currencies/conversions; stripe-python's
BalanceTransaction.exchange_rate docstring); US pricing adds 1 % when a conversion is
required (https://stripe.com/pricing); zero-decimal currencies count in their own unit
(https://docs.stripe.com/currencies#zero-decimal); a balance without a bank account in its
currency is paid out to the default bank account (https://docs.stripe.com/connect/currencies).
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from harness.emulator import fx
from harness.emulator.settings import Settings
from harness.emulator.shapes import CURRENCIES

from .support import advance, onboarded_account

DAY = 86400


@pytest.fixture
def acct(emulator_server: Any, client: stripe.StripeClient, api_key: str) -> str:
    return onboarded_account(emulator_server, client, api_key)


def _pay(client: stripe.StripeClient, amount: int, currency: str,
         account: str | None = None, **extra: Any) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        {"amount": amount, "currency": currency, "payment_method": "pm_card_bypassPending",
         "confirm": True, "return_url": "https://example.com/return", **extra},
        {"stripe_account": account} if account else {})


def _txn(client: stripe.StripeClient, charge_id: str, account: str | None = None) -> Any:
    return client.v1.charges.retrieve(charge_id, {"expand": ["balance_transaction"]},
                                      {"stripe_account": account} if account else {}
                                      ).balance_transaction


def test_rates_and_rounding() -> None:
    assert str(fx.exchange_rate("eur", "usd")) == "1.100000"
    assert fx.convert(1000, "eur", "usd") == 1100  # 10.00 EUR -> 11.00 USD
    assert fx.convert(10000, "jpy", "usd") == 6700  # 10000 yen (no minor unit) -> 67.00 USD
    assert fx.convert(30, "usd", "jpy") == 45  # 0.30 USD -> 44.78 yen, rounded half up
    assert fx.convert(-1000, "eur", "usd") == -1100
    assert set(fx.USD_PER_UNIT) == CURRENCIES  # every currency the emulator accepts converts


def test_fee_model_in_the_settlement_currency() -> None:
    """2.9 % + 30 cents; + 1 % converted; the fixed 30 cents in the currency's own unit."""
    s = Settings()
    assert s.card_fee(1000) == s.stripe_fee(1000) == 59
    assert s.card_fee(1100, "usd", converted=True) == 73  # 42.9 -> 43, + 30
    assert s.card_fee(10000, "jpy") == 335  # 290 yen + 45 yen, not 290 + 30
    assert s.card_fee(1000, "eur") == 56  # 29 + 27 euro cents (0.30 / 1.10)


def test_destination_charge_in_eur_settles_in_usd(client: stripe.StripeClient, acct: str) -> None:
    pi = _pay(client, 1000, "eur", application_fee_amount=123,
              transfer_data={"destination": acct})
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.amount, charge.currency) == (1000, "eur")  # what the renter paid
    txn = _txn(client, charge.id)
    assert (txn.amount, txn.currency, txn.exchange_rate) == (1100, "usd", 1.1)
    assert (txn.fee, txn.net) == (73, 1027)  # 3.9 % of 1100 = 42.9 -> 43, + 30
    assert [(d.type, d.amount, d.currency) for d in txn.fee_details] == [
        ("stripe_fee", 73, "usd")]
    transfer = client.v1.transfers.retrieve(charge.transfer)
    assert (transfer.amount, transfer.currency) == (1100, "usd")
    fee = client.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount, fee.currency) == (135, "usd")  # 123 EUR at 1.1 = 135.3 -> 135
    balance = client.v1.balance.retrieve()
    assert [(f.currency, f.amount) for f in balance.available] == [("usd", 1027 - 1100 + 135)]
    payment = _txn(client, transfer.destination_payment, acct)
    assert (payment.amount, payment.fee, payment.net, payment.currency) == (1100, 135, 965,
                                                                            "usd")
    assert payment.exchange_rate is None  # the account settles in usd: no second conversion


def test_zero_decimal_destination_charge(client: stripe.StripeClient, acct: str) -> None:
    pi = _pay(client, 10000, "jpy", transfer_data={"destination": acct})
    txn = _txn(client, pi.latest_charge)
    assert (txn.amount, txn.currency, txn.exchange_rate) == (6700, "usd", 0.0067)
    assert (txn.fee, txn.net) == (291, 6409)  # 3.9 % of 6700 = 261.3 -> 261, + 30 cents


def test_usd_charge_is_not_converted(client: stripe.StripeClient, acct: str) -> None:
    txn = _txn(client, _pay(client, 1000, "usd", transfer_data={"destination": acct})
               .latest_charge)
    assert (txn.amount, txn.fee, txn.exchange_rate, txn.currency) == (1000, 59, None, "usd")


def test_direct_charges_on_a_eur_account(client: stripe.StripeClient, acct: str) -> None:
    """The account settles in eur (its default) and usd (its bank account): eur and usd stay
    as they are, gbp is converted into eur; a yen account pays 45 yen, not 30."""
    client.v1.accounts.update(acct, {"default_currency": "eur"})
    eur = _txn(client, _pay(client, 1000, "eur", acct).latest_charge, acct)
    assert (eur.amount, eur.currency, eur.fee, eur.exchange_rate) == (1000, "eur", 56, None)
    usd = _txn(client, _pay(client, 1000, "usd", acct).latest_charge, acct)
    assert (usd.amount, usd.currency, usd.fee, usd.exchange_rate) == (1000, "usd", 59, None)
    gbp = _txn(client, _pay(client, 1000, "gbp", acct).latest_charge, acct)
    # 1.25 / 1.10 = 1.136364 -> 1136 euro cents; 3.9 % = 44.3 -> 44, + 27 euro cents
    assert (gbp.amount, gbp.currency, gbp.exchange_rate, gbp.fee) == (1136, "eur", 1.136364,
                                                                      71)
    client.v1.accounts.update(acct, {"default_currency": "jpy"})
    yen = _txn(client, _pay(client, 10000, "jpy", acct).latest_charge, acct)
    assert (yen.amount, yen.currency, yen.fee, yen.net) == (10000, "jpy", 335, 9665)


def test_a_balance_without_its_bank_account_is_paid_out(
    emulator_server: Any, client: stripe.StripeClient, api_key: str, acct: str
) -> None:
    """Euros from a time the account's default was eur, and no eur bank account: the payout
    goes to the default bank account (usd), converted there by Stripe. A scheduled payout
    takes it too. https://docs.stripe.com/connect/currencies ("Not available for the
    currency: Stripe converts the payout balance based on the account's default currency")."""
    as_acct = {"stripe_account": acct}
    client.v1.accounts.update(acct, {"default_currency": "eur"})
    _pay(client, 1000, "eur", acct)  # 1000 - 56 = 944 euro cents, available at once
    _pay(client, 2000, "eur", acct)  # 2000 - 85 = 1915
    client.v1.accounts.update(acct, {"default_currency": "usd"})
    bank = client.v1.accounts.retrieve(acct).external_accounts.data[0]
    assert bank.currency == "usd"
    payout = client.v1.payouts.create({"amount": 944, "currency": "eur"}, as_acct)
    assert (payout.amount, payout.currency, payout.destination) == (944, "eur", bank.id)
    txn = client.v1.balance_transactions.retrieve(payout.balance_transaction, options=as_acct)
    assert (txn.amount, txn.currency) == (-944, "eur")
    advance(emulator_server, api_key, DAY)  # the next midnight's daily payout sweeps the rest
    auto = [p for p in client.v1.payouts.list(options=as_acct).data if p.automatic]
    assert [(p.amount, p.currency, p.destination) for p in auto] == [(1915, "eur", bank.id)]
    left = client.v1.balance.retrieve(options=as_acct)
    assert [(f.currency, f.amount) for f in left.available] == [("eur", 0)]


def test_refund_of_a_converted_charge_is_converted_too(
    client: stripe.StripeClient, acct: str
) -> None:
    """The refund, the transfer reversal and the fee refund land in usd as the charge did
    (at the emulator's fixed rate, so the same cents); Stripe keeps its fee
    (https://docs.stripe.com/connect/destination-charges#issue-refunds)."""
    pi = _pay(client, 1000, "eur", application_fee_amount=123,
              transfer_data={"destination": acct})
    # The charge's funds are still pending and the platform pays the refund, so without
    # available money it would wait (https://docs.stripe.com/refunds#pending-refunds).
    client.v1.topups.create({"amount": 1000, "currency": "usd"})
    refund = client.v1.refunds.create({"payment_intent": pi.id, "reverse_transfer": True,
                                       "refund_application_fee": True})
    assert (refund.amount, refund.currency, refund.status) == (1000, "eur", "succeeded")
    txn = client.v1.balance_transactions.retrieve(refund.balance_transaction)
    assert (txn.amount, txn.currency, txn.exchange_rate) == (-1100, "usd", 1.1)
    platform = client.v1.balance.retrieve()
    assert [(f.currency, f.amount) for f in platform.available] == [("usd", 1000 - 73)]
    homeowner = client.v1.balance.retrieve(options={"stripe_account": acct})
    assert [(f.currency, f.amount) for f in homeowner.available] == [("usd", 0)]


def test_a_transfer_from_a_converted_charge_is_in_its_settled_currency(
    client: stripe.StripeClient, acct: str
) -> None:
    """source_transaction's balance transaction currency (usd) is the one a transfer must use
    (https://docs.stripe.com/connect/separate-charges-and-transfers)."""
    charge = client.v1.charges.retrieve(_pay(client, 1000, "eur").latest_charge)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.transfers.create({"amount": 500, "currency": "eur", "destination": acct,
                                    "source_transaction": charge.id})
    assert info.value.param == "currency"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.transfers.create({"amount": 1101, "currency": "usd", "destination": acct,
                                    "source_transaction": charge.id})
    assert info.value.param == "amount"  # 1000 EUR settled as 1100 USD: no more
    transfer = client.v1.transfers.create({"amount": 1100, "currency": "usd",
                                           "destination": acct, "source_transaction": charge.id})
    assert (transfer.amount, transfer.currency) == (1100, "usd")


def test_a_converted_refund_waits_for_its_settled_amount(
    client: stripe.StripeClient, acct: str
) -> None:
    """A refund of 1000 eur needs 1100 usd available (the balance holds usd), not 1000: with
    the charge's 1027 net available it waits 73 short, still at 72 more, and completes at 73
    (https://docs.stripe.com/refunds#pending-refunds, /currencies/conversions)."""
    pi = _pay(client, 1000, "eur")
    assert [(b.currency, b.amount) for b in client.v1.balance.retrieve().available] == [
        ("usd", 1027)]
    refund = client.v1.refunds.create({"payment_intent": pi.id})
    assert (refund.status, refund.pending_reason) == ("pending", "insufficient_funds")
    client.v1.topups.create({"amount": 72, "currency": "usd"})
    assert client.v1.refunds.retrieve(refund.id).status == "pending"
    client.v1.topups.create({"amount": 1, "currency": "usd"})
    done = client.v1.refunds.retrieve(refund.id)
    assert done.status == "succeeded"
    txn = client.v1.balance_transactions.retrieve(done.balance_transaction)
    assert (txn.amount, txn.currency) == (-1100, "usd")
