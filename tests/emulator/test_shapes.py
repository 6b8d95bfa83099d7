"""Fidelity rule 2: every object the emulator returns uses only fields stripe-python 16
declares for its class (inherited annotations included), and carries every field the class
declares non-Optional.

A broad scenario runs through the official SDK over a recording transport, so the raw JSON
of every response (errors included) is checked, not what the SDK makes of it.
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from .support import (
    Problems,
    check_body,
    control,
    onboarded_account,
    publishable,
    raw,
    recording_client,
)

EXPECTED_TYPES = {
    "account",
    "account_link",
    "application_fee",
    "balance",
    "balance_transaction",
    "bank_account",
    "capability",
    "charge",
    "card",
    "checkout.session",
    "customer",
    "dispute",
    "event",
    "fee_refund",
    "list",
    "login_link",
    "payment_intent",
    "payment_method",
    "payout",
    "person",
    "price",
    "product",
    "refund",
    "setup_attempt",
    "setup_intent",
    "token",
    "search_result",
    "item",
    "topup",
    "transfer",
    "transfer_reversal",
    "webhook_endpoint",
}


def _expect_error(kind: type[Exception], fn: Any, *args: Any) -> None:
    with pytest.raises(kind):
        fn(*args)


def run_scenario(server: Any, key: str) -> tuple[list[Any], Problems]:
    sk, log = recording_client(server, key)
    pk, pk_log = recording_client(server, publishable(server, key))
    v1 = sk.v1
    # customers
    cus = v1.customers.create(
        {"email": "renter@example.com", "name": "Renter", "metadata": {"tier": "gold"}}
    )
    v1.customers.update(cus.id, {"phone": "+15555550100"})
    v1.customers.retrieve(cus.id)
    gone = v1.customers.create({"email": "gone@example.com"})
    v1.customers.delete(gone.id)
    v1.customers.list({"limit": 3})

    # payment methods: a raw test number with the publishable key, as Stripe.js sends it
    pm = pk.v1.payment_methods.create(
        {
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"},
            "billing_details": {"name": "Renter", "address": {"postal_code": "94111"}},
        }
    )
    v1.payment_methods.attach(pm.id, {"customer": cus.id})
    v1.payment_methods.update(pm.id, {"metadata": {"nick": "main"}})
    v1.customers.payment_methods.list(cus.id)
    v1.payment_methods.retrieve("pm_card_mastercard")
    other = v1.payment_methods.retrieve("pm_card_amex")
    v1.payment_methods.attach(other.id, {"customer": cus.id})
    v1.payment_methods.detach(other.id)
    v1.payment_methods.list({"customer": cus.id})

    # PaymentIntents in every status
    v1.payment_intents.create({"amount": 1500, "currency": "usd"})  # requires_payment_method
    waiting = v1.payment_intents.create(
        {"amount": 1500, "currency": "usd", "customer": cus.id, "payment_method": pm.id}
    )  # requires_confirmation
    v1.payment_intents.update(waiting.id, {"description": "Cabin, 2 nights"})
    v1.payment_intents.confirm(
        waiting.id, {"return_url": "https://example.com/return"}
    )  # succeeded
    manual = v1.payment_intents.create(
        {
            "amount": 2000,
            "currency": "usd",
            "confirm": True,
            "return_url": "https://example.com/return",
            "payment_method": "pm_card_visa",
            "capture_method": "manual",
        }
    )  # requires_capture
    v1.payment_intents.capture(manual.id, {"amount_to_capture": 1500})
    released = v1.payment_intents.create(
        {
            "amount": 900,
            "currency": "usd",
            "confirm": True,
            "return_url": "https://example.com/return",
            "payment_method": "pm_card_visa",
            "capture_method": "manual",
        }
    )
    v1.payment_intents.cancel(released.id, {"cancellation_reason": "requested_by_customer"})
    v1.payment_intents.cancel(v1.payment_intents.create({"amount": 700, "currency": "usd"}).id)
    for card in ("pm_card_chargeDeclined", "pm_card_chargeDeclinedInsufficientFunds"):
        with pytest.raises(stripe.CardError):
            v1.payment_intents.create(
                {
                    "amount": 1000,
                    "currency": "usd",
                    "confirm": True,
                    "return_url": "https://example.com/return",
                    "payment_method": card,
                }
            )
    for outcome in ("complete", "fail"):
        tds = v1.payment_intents.create(
            {
                "amount": 1200,
                "currency": "usd",
                "confirm": True,
                "return_url": "https://example.com/return",
                "payment_method": "pm_card_authenticationRequired",
            }
        )
        assert tds.status == "requires_action"
        pk.v1.payment_intents.retrieve(tds.id, {"client_secret": tds.client_secret})
        pk.raw_request(
            "post", f"/_emulator/3ds/{tds.id}", client_secret=tds.client_secret, outcome=outcome
        )
        v1.payment_intents.retrieve(tds.id)
    pending = v1.payment_intents.create(
        {
            "amount": 3000,
            "currency": "usd",
            "confirm": True,
            "return_url": "https://example.com/return",
            "payment_method": "pm_card_bypassPending",
        }
    )
    v1.payment_intents.list({"limit": 20, "expand": ["data.latest_charge"]})

    # accounts, capabilities, external accounts
    fresh = v1.accounts.create(
        {
            "type": "express",
            "country": "US",
            "email": "h@example.com",
            "capabilities": {"transfers": {"requested": True}},
        }
    )
    v1.accounts.update(
        fresh.id,
        {"business_profile": {"url": "https://example.com"}, "metadata": {"listing": "cabin"}},
    )
    v1.accounts.capabilities.list(fresh.id)
    v1.accounts.capabilities.retrieve(fresh.id, "transfers")
    v1.accounts.capabilities.update(fresh.id, "card_payments", {"requested": True})
    v1.accounts.external_accounts.create(fresh.id, {"external_account": "btok_us_verified"})
    v1.accounts.external_accounts.list(fresh.id)
    v1.accounts.retrieve(fresh.id)
    with pytest.raises(stripe.InvalidRequestError):  # transfers capability not active yet
        v1.payment_intents.create(
            {
                "amount": 1000,
                "currency": "usd",
                "payment_method": "pm_card_visa",
                "confirm": True,
                "return_url": "https://example.com/return",
                "transfer_data": {"destination": fresh.id},
            }
        )
    acct = onboarded_account(server, sk, key)
    v1.accounts.retrieve(acct)
    v1.accounts.list()
    sk.raw_request("get", "/v1/account")
    doomed = v1.accounts.create(
        {"type": "custom", "country": "US", "capabilities": {"transfers": {"requested": True}}}
    )
    v1.accounts.delete(doomed.id)

    # a company and its people
    company = v1.accounts.create({
        "type": "custom", "country": "US", "business_type": "company",
        "capabilities": {"transfers": {"requested": True}},
        "company": {"name": "Lakeside LLC", "tax_id": "000000000",
                    "address": {"line1": "1 Main", "city": "SF"}}})
    rep = v1.accounts.persons.create(company.id, {
        "first_name": "Jane", "dob": {"day": 1, "month": 1, "year": 1901},
        "relationship": {"representative": True, "percent_ownership": 50, "title": "CEO"}})
    v1.accounts.persons.update(company.id, rep.id, {"ssn_last_4": "0000"})
    v1.accounts.persons.retrieve(company.id, rep.id)
    v1.accounts.persons.list(company.id)
    v1.accounts.persons.delete(
        company.id, v1.accounts.persons.create(company.id, {"first_name": "Gone"}).id)
    control(server, key, f"/_emulator/accounts/{company.id}/complete_onboarding")
    v1.accounts.retrieve(company.id)

    # destination charges (fee; transfer_data[amount]; manual capture)
    dest = v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "return_url": "https://example.com/return",
            "application_fee_amount": 123,
            "transfer_data": {"destination": acct},
            "expand": ["latest_charge.balance_transaction"],
        }
    )
    v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "usd",
            "confirm": True,
            "return_url": "https://example.com/return",
            "payment_method": "pm_card_visa",
            "transfer_data": {"destination": acct, "amount": 900},
        }
    )
    held = v1.payment_intents.create(
        {
            "amount": 5000,
            "currency": "usd",
            "confirm": True,
            "return_url": "https://example.com/return",
            "payment_method": "pm_card_visa",
            "capture_method": "manual",
            "application_fee_amount": 500,
            "transfer_data": {"destination": acct},
        }
    )
    v1.payment_intents.capture(held.id, {"amount_to_capture": 4000})
    charge = v1.charges.retrieve(
        dest.latest_charge.id, {"expand": ["transfer", "application_fee", "balance_transaction"]}
    )
    v1.charges.update(charge.id, {"description": "booking 42"})
    v1.charges.list({"limit": 50, "expand": ["data.balance_transaction"]})

    # transfers (separate charges and transfers), application fees
    tr = v1.transfers.create(
        {
            "amount": 800,
            "currency": "usd",
            "destination": acct,
            "source_transaction": pending.latest_charge,
            "transfer_group": "booking-42",
        }
    )
    v1.transfers.create({"amount": 100, "currency": "usd", "destination": acct})
    v1.transfers.update(tr.id, {"metadata": {"booking": "42"}})
    v1.transfers.retrieve(tr.id, {"expand": ["destination_payment", "balance_transaction"]})
    v1.transfers.list({"destination": acct})
    fees = v1.application_fees.list({"expand": ["data.balance_transaction"]})
    v1.application_fees.retrieve(fees.data[0].id, {"expand": ["charge", "originating_transaction"]})

    # balances and balance transactions, platform and connected
    v1.balance.retrieve()
    v1.balance.retrieve(options={"stripe_account": acct})
    txns = v1.balance_transactions.list({"limit": 100, "expand": ["data.source"]})
    v1.balance_transactions.retrieve(txns.data[0].id)
    v1.balance_transactions.list(
        {"limit": 100, "expand": ["data.source"]}, options={"stripe_account": acct}
    )
    v1.charges.list(options={"stripe_account": acct})

    # saved cards: SetupIntents (3DS on set-up, a decline), then an off-session payment
    saver = v1.customers.create({"email": "saver@example.com"})
    plain = v1.setup_intents.create({"customer": saver.id, "usage": "on_session"})
    v1.setup_intents.update(plain.id, {"metadata": {"stay": "42"}})
    v1.setup_intents.confirm(plain.id, {"payment_method": "pm_card_visa",
                                        "return_url": "https://example.com/return"})
    tds_si = v1.setup_intents.create({
        "customer": saver.id, "payment_method": "pm_card_authenticationRequiredOnSetup",
        "confirm": True, "return_url": "https://example.com/return"})
    pk.v1.setup_intents.retrieve(tds_si.id, {"client_secret": tds_si.client_secret})
    pk.raw_request("post", f"/_emulator/3ds/{tds_si.id}", client_secret=tds_si.client_secret,
                   outcome="complete")
    saved_si = v1.setup_intents.retrieve(tds_si.id, {"expand": ["latest_attempt"]})
    with pytest.raises(stripe.CardError):
        v1.setup_intents.create({"payment_method": "pm_card_chargeDeclined", "confirm": True,
                                 "return_url": "https://example.com/return"})
    v1.setup_intents.cancel(v1.setup_intents.create({}).id)
    v1.setup_intents.list({"customer": saver.id})
    v1.setup_attempts.list({"setup_intent": tds_si.id})
    v1.payment_intents.create({
        "amount": 2500, "currency": "usd", "customer": saver.id, "off_session": True,
        "confirm": True, "payment_method": saved_si.payment_method})
    with pytest.raises(stripe.CardError):
        v1.payment_intents.create({
            "amount": 2500, "currency": "usd", "customer": saver.id, "off_session": True,
            "confirm": True, "payment_method": v1.payment_methods.attach(
                "pm_card_authenticationRequired", {"customer": saver.id}).id})

    # legacy shapes: Tokens and Charges with a source
    tok = pk.v1.tokens.create({"card": {"number": "4242424242424242", "exp_month": "12",
                                        "exp_year": "2034", "cvc": "123"}})
    v1.tokens.retrieve(tok.id)
    legacy = v1.charges.create({"amount": 1000, "currency": "usd", "source": tok.id,
                                "application_fee_amount": 123,
                                "transfer_data": {"destination": acct}})
    held_legacy = v1.charges.create({"amount": 2000, "currency": "usd",
                                     "source": "tok_mastercard", "capture": False})
    v1.charges.capture(held_legacy.id, {"amount": 1500})
    with pytest.raises(stripe.CardError):
        v1.charges.create({"amount": 1000, "currency": "usd", "source": "tok_chargeDeclined"})
    v1.charges.retrieve(legacy.id, {"expand": ["transfer", "application_fee"]})

    # errors are bodies too
    for call in (
        lambda: v1.customers.retrieve("cus_missing"),
        lambda: v1.payment_intents.create({"amount": 49, "currency": "usd"}),
        lambda: v1.payment_intents.confirm(dest.id, {"return_url": "https://example.com/return"}),
    ):
        with pytest.raises(stripe.InvalidRequestError):
            call()
    with pytest.raises(stripe.PermissionError):
        v1.balance.retrieve(options={"stripe_account": "acct_nobodyhere"})

    # money going back: refunds, reversals, fee refunds, disputes, payouts, top-ups
    as_acct = {"stripe_account": acct}
    v1.refunds.create(
        {
            "payment_intent": dest.id,
            "amount": 400,
            "reverse_transfer": True,
            "refund_application_fee": True,
        }
    )
    v1.refunds.create({"charge": pending.latest_charge, "amount": 100})
    v1.refunds.list({"expand": ["data.balance_transaction"]})
    sk.raw_request("get", f"/v1/charges/{pending.latest_charge}/refunds")
    v1.transfers.reversals.create(tr.id, {"amount": 50})
    v1.transfers.reversals.list(tr.id)
    v1.application_fees.refunds.list(charge.application_fee.id)
    disputed = v1.payment_intents.create(
        {
            "amount": 1800,
            "currency": "usd",
            "confirm": True,
            "return_url": "https://example.com/return",
            "payment_method": "pm_card_createDispute",
        }
    )
    disputes = v1.disputes.list({"payment_intent": disputed.id})
    if disputes.data:
        v1.disputes.update(disputes.data[0].id, {"evidence": {"customer_name": "Renter"}})
        v1.disputes.close(disputes.data[0].id)
        v1.disputes.retrieve(disputes.data[0].id, {"expand": ["charge"]})
    v1.topups.create({"amount": 10000, "currency": "usd", "source": "btok_us_verified"})
    v1.topups.list()
    v1.payouts.create({"amount": 200, "currency": "usd"}, options=as_acct)
    v1.payouts.list(options=as_acct)
    v1.account_links.create(
        {
            "account": fresh.id,
            "type": "account_onboarding",
            "refresh_url": "https://example.com/refresh",
            "return_url": "https://example.com/return",
        }
    )
    v1.accounts.login_links.create(acct)
    session = v1.checkout.sessions.create(
        {
            "mode": "payment",
            "success_url": "https://example.com/ok",
            "line_items": [
                {
                    "quantity": 2,
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 5000,
                        "product_data": {"name": "Cabin night"},
                    },
                }
            ],
            "payment_intent_data": {
                "application_fee_amount": 1000,
                "transfer_data": {"destination": acct},
            },
        }
    )
    v1.checkout.sessions.retrieve(session.id)
    v1.checkout.sessions.list({"limit": 3})

    # products and prices, and a Checkout Session priced with them
    product = v1.products.create({"name": "Cleaning fee", "default_price_data": {
        "currency": "usd", "unit_amount": 4500}, "marketing_features": [{"name": "Linen"}],
        "package_dimensions": {"height": 1, "length": 2, "weight": 3, "width": 4},
        "tax_details": {"tax_code": "txcd_20030000"}})
    v1.products.update(product.id, {"description": "After every stay"})
    v1.products.retrieve(product.id, {"expand": ["default_price"]})
    v1.products.list({"limit": 3})
    v1.products.search({"query": "name~'clean'"})
    v1.products.delete(v1.products.create({"name": "Gone"}).id)
    nightly = v1.prices.create({"currency": "usd", "unit_amount": 14500,
                                "lookup_key": "nightly", "product_data": {"name": "Night"}})
    v1.prices.update(nightly.id, {"nickname": "nightly"})
    v1.prices.create({"currency": "usd", "unit_amount": 99000, "product": product.id,
                      "recurring": {"interval": "month", "trial_period_days": 7}})
    v1.prices.retrieve(nightly.id, {"expand": ["product"]})
    v1.prices.list({"limit": 3})
    v1.prices.search({"query": "lookup_key:'nightly'", "limit": 1})
    priced = v1.checkout.sessions.create({
        "mode": "payment", "success_url": "https://example.com/ok",
        "line_items": [{"price": nightly.id, "quantity": 3},
                       {"price": product.default_price, "quantity": 1}]})
    v1.checkout.sessions.line_items.list(priced.id, {"expand": ["data.price.product"]})
    v1.checkout.sessions.line_items.list(session.id)

    control(server, key, "/_emulator/clock/advance", seconds=8 * 86400)
    v1.balance.retrieve()
    v1.balance.retrieve(options=as_acct)
    v1.balance_transactions.list({"limit": 100, "expand": ["data.source"]})
    # (not expand[]=data.source here: see test_connected_account_can_expand_refund_sources)
    v1.balance_transactions.list({"limit": 100}, options=as_acct)
    v1.payouts.list({"expand": ["data.balance_transaction"]}, options=as_acct)
    v1.events.list({"limit": 100})
    v1.events.list({"limit": 100}, options=as_acct)

    # webhook endpoints last, and deleted, so nothing is ever delivered
    hook = v1.webhook_endpoints.create(
        {"url": "https://example.com/hook", "enabled_events": ["payment_intent.succeeded"]}
    )
    v1.webhook_endpoints.update(hook.id, {"description": "renters"})
    v1.webhook_endpoints.list()
    v1.webhook_endpoints.delete(hook.id)
    return log.log + pk_log.log, _checked(log.log, pk_log.log)


def _checked(secret_log: list[Any], publishable_log: list[Any]) -> Problems:
    problems = Problems()
    for exchange in secret_log:
        check_body(exchange.body, problems)
    for exchange in publishable_log:  # pk reads return "a subset of properties"
        check_body(exchange.body, problems, partial=True)
    return problems


@pytest.fixture(scope="module")
def scenario(emulator_server: Any) -> tuple[list[Any], Problems]:
    return run_scenario(emulator_server, "sk_test_fidelityscenario0001")


def test_scenario_ran_without_server_errors(scenario: tuple[list[Any], Problems]) -> None:
    exchanges, _ = scenario
    assert len(exchanges) > 60
    assert [e for e in exchanges if e.status >= 500] == []


def test_scenario_saw_every_object_type(scenario: tuple[list[Any], Problems]) -> None:
    _, problems = scenario
    assert EXPECTED_TYPES <= problems.types_seen, EXPECTED_TYPES - problems.types_seen


def test_every_field_is_declared_and_required_fields_are_present(
    scenario: tuple[list[Any], Problems],
) -> None:
    _, problems = scenario
    assert sorted(problems.items) == []


def test_nested_typed_classes_were_checked_too(scenario: tuple[list[Any], Problems]) -> None:
    _, problems = scenario
    assert {
        "Charge.Outcome",
        "Charge.PaymentMethodDetails",
        "Charge.PaymentMethodDetails.Card",
        "BalanceTransaction.FeeDetail",
        "PaymentIntent.LastPaymentError",
        "PaymentIntent.NextAction",
        "PaymentMethod.Card",
        "Account.Requirements",
        "Account.Company",
        "Person.Relationship",
        "Person.Requirements",
        "Price.Recurring",
        "Product.MarketingFeature",
        "Product.PackageDimensions",
        "Balance.Available",
        "ApplicationFee.FeeSource",
        "ErrorObject",
        "SetupIntent.NextAction",
        "SetupIntent.LastSetupError",
        "SetupIntent.PaymentMethodOptions.Card",
        "SetupAttempt.PaymentMethodDetails.Card.ThreeDSecure",
    } <= problems.classes_checked


def test_checker_catches_an_undeclared_field_and_a_missing_required_one() -> None:
    problems = Problems()
    check_body({"object": "customer", "id": "cus_1", "favourite_colour": "teal"}, problems)
    assert "customer.favourite_colour: not declared by Customer" in problems.items
    assert "customer.created: non-Optional field is missing" in problems.items
    nested = Problems()
    check_body({"object": "charge", "outcome": {"type": "authorized", "bogus": 1}}, nested)
    assert "charge.outcome.bogus: not declared by Charge.Outcome" in nested.items
    raw_error = Problems()
    check_body({"error": {"message": "x"}}, raw_error)
    assert "error.type: non-Optional field is missing" in raw_error.items


def test_raw_http_bodies_match_sdk_recording(emulator_server: Any) -> None:
    """The recording transport is honest: a urllib GET sees the same JSON."""
    key = "sk_test_fidelityrawcheck01"
    sk, log = recording_client(emulator_server, key)
    cus = sk.v1.customers.create({"email": "a@example.com"})
    direct = raw(emulator_server, "GET", f"/v1/customers/{cus.id}", key=key)
    assert direct.body == log.log[-1].body
