"""Destination charges ("collect then transfer") and transfers, to the cent.

The worked example is DESIGN.md's; each detail is backed by /tmp/facts_ledger.md
(docs.stripe.com/connect/destination-charges, .../marketplace/tasks/app-fees and a real
test-mode capture of a destination charge).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import stripe

from ..conftest import make_client
from .support import balance_totals, bt_ids, onboarded_account

DAY = 86400


@pytest.fixture
def acct(emulator_server: Any, client: stripe.StripeClient, api_key: str) -> str:
    return onboarded_account(emulator_server, client, api_key)


def _by_type(txns: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for t in txns:
        assert t.type not in out, f"two {t.type} balance transactions"
        out[t.type] = t
    return out


def _destination(client: stripe.StripeClient, acct: str, **extra: Any) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "return_url": "https://example.com/return",
            "transfer_data": {"destination": acct, **extra.pop("transfer_data", {})},
            **extra,
        }
    )


# -- the worked example -----------------------------------------------------------------------
def test_worked_example_platform_side(client: stripe.StripeClient, acct: str) -> None:
    pi = _destination(client, acct, application_fee_amount=123)
    assert (pi.status, pi.amount_received, pi.application_fee_amount) == ("succeeded", 1000, 123)
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.id.startswith("ch_")
    assert charge.transfer.startswith("tr_")
    assert charge.application_fee.startswith("fee_")
    assert charge.application_fee_amount == 123
    assert charge.transfer_data.destination == acct and charge.transfer_data.amount is None

    txns = _by_type(client.v1.balance_transactions.list().data)
    assert set(txns) == {"charge", "transfer", "application_fee"}
    c, t, f = txns["charge"], txns["transfer"], txns["application_fee"]
    assert (c.amount, c.fee, c.net, c.source) == (1000, 59, 941, charge.id)
    assert [(d.type, d.amount, d.description) for d in c.fee_details] == [
        ("stripe_fee", 59, "Stripe processing fees")
    ]
    assert (t.amount, t.fee, t.net, t.source, t.fee_details) == (
        -1000,
        0,
        -1000,
        charge.transfer,
        [],
    )
    assert (f.amount, f.fee, f.net, f.source, f.fee_details) == (
        123,
        0,
        123,
        charge.application_fee,
        [],
    )
    assert f.reporting_category == "platform_earning"
    assert f.available_on == c.available_on  # the fee shares the charge's available_on
    assert c.net + t.net + f.net == 64  # the platform nets 64
    assert balance_totals(client) == {"available": 0, "pending": 64}


def test_worked_example_connected_side(client: stripe.StripeClient, acct: str) -> None:
    pi = _destination(client, acct, application_fee_amount=123)
    charge = client.v1.charges.retrieve(pi.latest_charge)
    as_acct = {"stripe_account": acct}
    (txn,) = client.v1.balance_transactions.list(options=as_acct).data
    assert (txn.type, txn.amount, txn.fee, txn.net) == ("payment", 1000, 123, 877)
    assert txn.source.startswith("py_")
    assert [(d.type, d.amount) for d in txn.fee_details] == [("application_fee", 123)]
    assert balance_totals(client, acct) == {"available": 0, "pending": 877}

    payment = client.v1.charges.retrieve(txn.source, options=as_acct)
    assert (payment.object, payment.amount, payment.source_transfer) == (
        "charge",
        1000,
        charge.transfer,
    )
    assert payment.application_fee == charge.application_fee

    fee = client.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount, fee.account, fee.charge) == (123, acct, payment.id)
    assert fee.originating_transaction == charge.id
    assert (fee.fee_source.type, fee.fee_source.charge) == ("charge", payment.id)
    assert (fee.refunded, fee.amount_refunded) == (False, 0)

    transfer = client.v1.transfers.retrieve(charge.transfer)
    assert (transfer.amount, transfer.destination) == (1000, acct)
    assert transfer.destination_payment == payment.id
    assert transfer.source_transaction == charge.id
    assert (transfer.amount_reversed, transfer.reversed) == (0, False)


def test_transfer_data_amount_instead_of_a_fee(client: stripe.StripeClient, acct: str) -> None:
    pi = _destination(client, acct, transfer_data={"amount": 900})
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.application_fee is None
    assert charge.transfer_data.amount == 900
    assert client.v1.application_fees.list().data == []  # no ApplicationFee object
    txns = _by_type(client.v1.balance_transactions.list().data)
    assert set(txns) == {"charge", "transfer"}
    assert (txns["charge"].net, txns["transfer"].amount) == (941, -900)
    assert client.v1.transfers.retrieve(charge.transfer).amount == 900
    (incoming,) = client.v1.balance_transactions.list(options={"stripe_account": acct}).data
    assert (incoming.amount, incoming.fee, incoming.net) == (900, 0, 900)
    assert balance_totals(client) == {"available": 0, "pending": 41}
    assert balance_totals(client, acct) == {"available": 0, "pending": 900}


def test_no_fee_transfers_everything(client: stripe.StripeClient, acct: str) -> None:
    _destination(client, acct)
    assert balance_totals(client) == {"available": 0, "pending": -59}  # platform pays Stripe
    assert balance_totals(client, acct) == {"available": 0, "pending": 1000}


def test_guide_call_word_for_word_on_a_dahlia_client(
    emulator_server: Any, api_key: str, acct: str
) -> None:
    dahlia = make_client(emulator_server, api_key, stripe_version="2026-07-29.dahlia")
    pi = dahlia.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "usd",
            "payment_method_types": ["card"],
            "application_fee_amount": 123,
            "transfer_data": {"destination": acct},
        }
    )
    assert pi.status == "requires_payment_method"
    pi = dahlia.v1.payment_intents.confirm(
        pi.id, {"payment_method": "pm_card_visa", "return_url": "https://example.com/return"}
    )
    assert pi.status == "succeeded"
    assert balance_totals(dahlia) == {"available": 0, "pending": 64}
    assert balance_totals(dahlia, acct) == {"available": 0, "pending": 877}


def test_manual_capture_of_a_destination_charge(client: stripe.StripeClient, acct: str) -> None:
    pi = _destination(
        client, acct, amount=5000, application_fee_amount=500, capture_method="manual"
    )
    assert pi.status == "requires_capture"
    assert bt_ids(client) == [] and bt_ids(client, acct) == []
    client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 4000})
    # Stripe fee on 4000: 116 + 30 = 146; transfer is the captured 4000; fee 500 back
    txns = _by_type(client.v1.balance_transactions.list().data)
    assert (txns["charge"].amount, txns["charge"].fee) == (4000, 146)
    assert (txns["transfer"].amount, txns["application_fee"].amount) == (-4000, 500)
    assert balance_totals(client) == {"available": 0, "pending": 4000 - 146 - 4000 + 500}
    assert balance_totals(client, acct) == {"available": 0, "pending": 3500}


def test_destination_money_follows_the_clock(
    emulator_server: Any, client: stripe.StripeClient, api_key: str, acct: str
) -> None:
    from .support import advance

    _destination(client, acct, application_fee_amount=123)
    advance(emulator_server, api_key, 8 * DAY)
    assert balance_totals(client) == {"available": 64, "pending": 0}
    # the homeowner's 877 became available; its automatic daily payout may have swept it
    as_acct = {"stripe_account": acct}
    paid_out = sum(p.amount for p in client.v1.payouts.list(options=as_acct).data)
    after = balance_totals(client, acct)
    assert after["pending"] == 0 and after["available"] + paid_out == 877


# -- errors leave no trace ----------------------------------------------------------------------
def _snapshot(client: stripe.StripeClient, accounts: list[str]) -> dict[str, Any]:
    return {
        "bts": {a: bt_ids(client, a or None) for a in ["", *accounts]},
        "charges": {
            a: [
                c.id
                for c in client.v1.charges.list(
                    {"limit": 100}, options={"stripe_account": a} if a else {}
                ).data
            ]
            for a in ["", *accounts]
        },
        "transfers": [t.id for t in client.v1.transfers.list({"limit": 100}).data],
        "fees": [f.id for f in client.v1.application_fees.list({"limit": 100}).data],
        "pis": [p.id for p in client.v1.payment_intents.list({"limit": 100}).data],
    }


def _refused(
    client: stripe.StripeClient,
    accounts: list[str],
    call: Callable[[], Any],
    param: str,
    code: str | None = None,
) -> stripe.InvalidRequestError:
    before = _snapshot(client, accounts)
    with pytest.raises(stripe.InvalidRequestError) as info:
        call()
    assert info.value.http_status == 400
    assert info.value.param == param
    if code is not None:
        assert info.value.code == code
    assert _snapshot(client, accounts) == before
    return info.value


@pytest.fixture
def seeded(client: stripe.StripeClient, acct: str) -> str:
    """Some money already moved, so 'nothing changed' is not trivially true."""
    _destination(client, acct, application_fee_amount=123)
    return acct


def test_destination_that_does_not_exist(client: stripe.StripeClient, seeded: str) -> None:
    err = _refused(
        client,
        [seeded],
        lambda: _destination(client, "acct_1NoSuchAccount00"),
        "transfer_data[destination]",
    )
    assert err.user_message == "No such destination: 'acct_1NoSuchAccount00'"


def test_destination_of_another_platform(
    emulator_server: Any, client: stripe.StripeClient, seeded: str
) -> None:
    other_key = "sk_test_otherplatform0042"
    theirs = onboarded_account(emulator_server, make_client(emulator_server, other_key), other_key)
    err = _refused(
        client, [seeded], lambda: _destination(client, theirs), "transfer_data[destination]"
    )
    assert err.user_message == f"No such destination: '{theirs}'"


def test_destination_without_active_transfers_capability(
    emulator_server: Any, client: stripe.StripeClient, api_key: str, seeded: str
) -> None:
    fresh = client.v1.accounts.create(
        {
            "type": "express",
            "country": "US",
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
        }
    )
    assert fresh.capabilities.transfers == "inactive"
    err = _refused(
        client,
        [seeded, fresh.id],
        lambda: _destination(client, fresh.id),
        "transfer_data[destination]",
        "insufficient_capabilities_for_transfer",
    )
    assert err.user_message == (
        "Your destination account needs to have at least one of the following capabilities "
        "enabled: transfers, crypto_transfers, legacy_payments"
    )
    from .support import control

    control(emulator_server, api_key, f"/_emulator/accounts/{fresh.id}/complete_onboarding")
    assert client.v1.accounts.retrieve(fresh.id).capabilities.transfers == "active"
    assert _destination(client, fresh.id).status == "succeeded"


def test_application_fee_larger_than_amount(client: stripe.StripeClient, seeded: str) -> None:
    _refused(
        client,
        [seeded],
        lambda: _destination(client, seeded, application_fee_amount=1001),
        "application_fee_amount",
    )


def test_transfer_amount_larger_than_amount(client: stripe.StripeClient, seeded: str) -> None:
    _refused(
        client,
        [seeded],
        lambda: _destination(client, seeded, transfer_data={"amount": 1001}),
        "transfer_data[amount]",
    )


def test_transfer_amount_and_application_fee_together(
    client: stripe.StripeClient, seeded: str
) -> None:
    _refused(
        client,
        [seeded],
        lambda: _destination(
            client, seeded, application_fee_amount=100, transfer_data={"amount": 800}
        ),
        "transfer_data[amount]",
        "parameters_exclusive",
    )


@pytest.mark.parametrize("amount", [0, -1000])
def test_zero_or_negative_amount(client: stripe.StripeClient, seeded: str, amount: int) -> None:
    err = _refused(
        client,
        [seeded],
        lambda: _destination(client, seeded, amount=amount, application_fee_amount=10),
        "amount",
        "parameter_invalid_integer",
    )
    assert err.user_message == "This value must be greater than or equal to 1."


def test_negative_application_fee(client: stripe.StripeClient, seeded: str) -> None:
    _refused(
        client,
        [seeded],
        lambda: _destination(client, seeded, application_fee_amount=-1),
        "application_fee_amount",
        "parameter_invalid_integer",
    )


def test_below_minimum(client: stripe.StripeClient, seeded: str) -> None:
    _refused(
        client,
        [seeded],
        lambda: _destination(client, seeded, amount=49),
        "amount",
        "amount_too_small",
    )


def test_unsupported_currency(client: stripe.StripeClient, seeded: str) -> None:
    _refused(client, [seeded], lambda: _destination(client, seeded, currency="xyz"), "currency")


def test_decline_on_a_destination_charge_moves_no_money(
    client: stripe.StripeClient, seeded: str
) -> None:
    before = _snapshot(client, [seeded])
    with pytest.raises(stripe.CardError):
        _destination(
            client, seeded, application_fee_amount=123, payment_method="pm_card_chargeDeclined"
        )
    after = _snapshot(client, [seeded])
    assert after["bts"] == before["bts"]
    assert after["transfers"] == before["transfers"] and after["fees"] == before["fees"]
    assert len(after["charges"][""]) == len(before["charges"][""]) + 1  # the failed charge


# -- separate charges and transfers --------------------------------------------------------------
def test_transfer_funded_by_a_pending_charge(client: stripe.StripeClient, acct: str) -> None:
    pi = client.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "usd",
            "confirm": True,
            "return_url": "https://example.com/return",
            "payment_method": "pm_card_visa",
        }
    )
    charge = client.v1.charges.retrieve(pi.latest_charge, {"expand": ["balance_transaction"]})
    assert charge.balance_transaction.status == "pending"
    tr = client.v1.transfers.create(
        {
            "amount": 700,
            "currency": "usd",
            "destination": acct,
            "source_transaction": charge.id,
            "transfer_group": "booking-7",
        }
    )
    assert (tr.amount, tr.destination, tr.source_transaction) == (700, acct, charge.id)
    assert tr.destination_payment.startswith("py_")
    out = client.v1.balance_transactions.retrieve(tr.balance_transaction)
    assert (out.type, out.amount, out.net) == ("transfer", -700, -700)
    assert out.available_on == charge.balance_transaction.available_on
    assert balance_totals(client) == {"available": 0, "pending": 941 - 700}
    (incoming,) = client.v1.balance_transactions.list(options={"stripe_account": acct}).data
    assert (incoming.type, incoming.amount, incoming.net, incoming.source) == (
        "payment",
        700,
        700,
        tr.destination_payment,
    )
    payment = client.v1.charges.retrieve(tr.destination_payment, options={"stripe_account": acct})
    assert payment.source_transfer == tr.id
    with pytest.raises(stripe.InvalidRequestError) as info:  # only 300 of the charge is left
        client.v1.transfers.create(
            {"amount": 301, "currency": "usd", "destination": acct, "source_transaction": charge.id}
        )
    assert info.value.param == "amount"
    assert (
        client.v1.transfers.create(
            {"amount": 300, "currency": "usd", "destination": acct, "source_transaction": charge.id}
        ).amount
        == 300
    )


def test_transfer_funded_by_a_partially_captured_charge(
    client: stripe.StripeClient, acct: str
) -> None:
    """Only the captured 600 can fund transfers (amount_refunded holds the released 400)."""
    pi = client.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "usd",
            "confirm": True,
            "return_url": "https://example.com/return",
            "payment_method": "pm_card_visa",
            "capture_method": "manual",
        }
    )
    client.v1.payment_intents.capture(pi.id, {"amount_to_capture": 600})
    params = {"currency": "usd", "destination": acct, "source_transaction": pi.latest_charge}
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.transfers.create({"amount": 601, **params})
    assert info.value.param == "amount"
    assert client.v1.transfers.create({"amount": 600, **params}).amount == 600
    assert balance_totals(client, acct) == {"available": 0, "pending": 600}


def test_transfer_without_available_funds_is_balance_insufficient(
    client: stripe.StripeClient, acct: str
) -> None:
    client.v1.payment_intents.create(
        {
            "amount": 5000,
            "currency": "usd",
            "confirm": True,
            "return_url": "https://example.com/return",
            "payment_method": "pm_card_visa",
        }
    )  # pending only
    before = (bt_ids(client), bt_ids(client, acct))
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.transfers.create({"amount": 100, "currency": "usd", "destination": acct})
    err = info.value
    assert (err.http_status, err.code) == (400, "balance_insufficient")
    assert err.user_message == (
        "You have insufficient available funds in your Stripe account. Try adding funds "
        "directly to your available balance by creating Charges using the 4000000000000077 "
        "test card. See: https://stripe.com/docs/testing#available-balance"
    )
    assert (bt_ids(client), bt_ids(client, acct)) == before
    assert client.v1.transfers.list().data == []


def test_transfer_after_a_bypass_pending_charge(client: stripe.StripeClient, acct: str) -> None:
    client.v1.payment_intents.create(
        {
            "amount": 2000,
            "currency": "usd",
            "confirm": True,
            "return_url": "https://example.com/return",
            "payment_method": "pm_card_bypassPending",
        }
    )
    assert balance_totals(client) == {"available": 1912, "pending": 0}
    tr = client.v1.transfers.create({"amount": 1500, "currency": "usd", "destination": acct})
    assert tr.source_transaction is None
    assert balance_totals(client) == {"available": 412, "pending": 0}
    assert balance_totals(client, acct) == {"available": 1500, "pending": 0}
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.transfers.create({"amount": 413, "currency": "usd", "destination": acct})
    assert info.value.code == "balance_insufficient"
    assert (
        client.v1.transfers.create({"amount": 412, "currency": "usd", "destination": acct}).amount
        == 412
    )
    assert balance_totals(client) == {"available": 0, "pending": 0}


def test_transfer_to_an_account_without_transfers(client: stripe.StripeClient) -> None:
    client.v1.payment_intents.create(
        {
            "amount": 2000,
            "currency": "usd",
            "confirm": True,
            "return_url": "https://example.com/return",
            "payment_method": "pm_card_bypassPending",
        }
    )
    fresh = client.v1.accounts.create(
        {"type": "express", "country": "US", "capabilities": {"transfers": {"requested": True}}}
    )
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.transfers.create({"amount": 100, "currency": "usd", "destination": fresh.id})
    assert info.value.code == "insufficient_capabilities_for_transfer"
    assert balance_totals(client) == {"available": 1912, "pending": 0}


# -- when funds become available ----------------------------------------------------------------
# An account's first payout waits 7 days from its first successful payment; later card funds
# wait settings.payouts.schedule.delay_days (2 for a US account), to 00:00 UTC. Express and
# Custom accounts follow the platform's timing. Sources: https://support.stripe.com/questions/
# delay-for-first-payout, https://support.stripe.com/questions/7-day-delay-for-first-payout-
# for-connected-accounts, https://docs.stripe.com/connect/manage-payout-schedule.
def _charge_txn(client: stripe.StripeClient, pi: stripe.PaymentIntent,
                account: str | None = None) -> Any:
    options: dict[str, Any] = {"stripe_account": account} if account else {}
    charge = client.v1.charges.retrieve(pi.latest_charge, {"expand": ["balance_transaction"]},
                                        options)
    return charge.balance_transaction


def _midnight(ts: int, days: int) -> int:
    return (ts // DAY + days) * DAY


def test_first_payment_waits_seven_days_later_ones_delay_days(
    emulator_server: Any, client: stripe.StripeClient, api_key: str, acct: str
) -> None:
    """The 7-day wait is the first payout's only: a charge after it waits delay_days (2).
    https://support.stripe.com/questions/delay-for-first-payout ("Following payouts will
    then process according to the account's payout schedule")."""
    from .support import advance

    first = _charge_txn(client, _destination(client, acct, application_fee_amount=123))
    assert first.available_on == _midnight(first.created, 7)
    advance(emulator_server, api_key, DAY)  # still inside the first week: its end holds
    inside = _charge_txn(client, _destination(client, acct, application_fee_amount=123))
    assert inside.available_on == first.available_on
    advance(emulator_server, api_key, 7 * DAY)
    later = _charge_txn(client, _destination(client, acct, application_fee_amount=123))
    assert later.available_on == _midnight(later.created, 2)
    assert client.v1.accounts.retrieve(acct).settings.payouts.schedule.delay_days == 2
    # the Express account's payment follows the platform's charge, not a hold of its own
    payment = client.v1.transfers.retrieve(
        client.v1.charges.retrieve(client.v1.payment_intents.list({"limit": 1}).data[0]
                                   .latest_charge).transfer).destination_payment
    incoming = client.v1.charges.retrieve(payment, {"expand": ["balance_transaction"]},
                                          {"stripe_account": acct}).balance_transaction
    assert (incoming.amount, incoming.fee, incoming.net) == (1000, 123, 877)
    assert incoming.available_on == later.available_on


def test_a_delay_days_change_moves_later_charges_only(
    emulator_server: Any, client: stripe.StripeClient, api_key: str, acct: str
) -> None:
    """delay_days is read when a charge is captured: posted balance transactions keep their
    available_on (https://docs.stripe.com/connect/manage-payout-schedule)."""
    from .support import advance

    _destination(client, acct)
    advance(emulator_server, api_key, 8 * DAY)
    before = _charge_txn(client, _destination(client, acct))
    client.v1.accounts.update(acct, {"settings": {"payouts": {"schedule": {"delay_days": 5}}}})
    direct = client.v1.payment_intents.create(
        {"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
         "return_url": "https://example.com/return"}, {"stripe_account": acct})
    on_acct = _charge_txn(client, direct, acct)
    assert on_acct.available_on == _midnight(on_acct.created, 5)  # a direct charge: its own
    assert (on_acct.amount, on_acct.fee, on_acct.net) == (2000, 88, 1912)
    assert client.v1.balance_transactions.retrieve(before.id).available_on == \
        before.available_on == _midnight(before.created, 2)
    # a destination charge follows the platform's delay, whatever the destination's
    dest = _charge_txn(client, _destination(client, acct))
    assert dest.available_on == _midnight(dest.created, 2)
    # on_behalf_of makes the connected account the settlement merchant: its delay_days
    obo = _charge_txn(client, _destination(client, acct, on_behalf_of=acct))
    assert obo.available_on == _midnight(obo.created, 5)


def test_bypass_pending_skips_even_the_first_week(client: stripe.StripeClient, acct: str) -> None:
    """https://docs.stripe.com/testing#available-balance: available at once."""
    txn = _charge_txn(client, _destination(client, acct, payment_method="pm_card_bypassPending",
                                           application_fee_amount=123))
    assert txn.status == "available" and txn.available_on <= txn.created + 1
    assert balance_totals(client) == {"available": 64, "pending": 0}
    assert balance_totals(client, acct) == {"available": 877, "pending": 0}
