"""harness.guide.saved_card_steps: notebook 06's saved card and off-session damage fee."""

from __future__ import annotations

from typing import Any

import stripe

from harness.guide import saved_card_steps as steps

from ..emulator.support import all_balance_transactions, onboarded_account


def test_a_saved_card_pays_the_damage_fee_off_session(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    host = onboarded_account(emulator_server, client, api_key)
    renter = client.v1.customers.create({"email": "sam.rivera@example.com"})
    setup = steps.save_card(client, renter.id)
    assert setup.status == "succeeded" and setup.mandate is None
    assert client.v1.payment_methods.retrieve(setup.payment_method).customer == renter.id
    result = steps.charge_damage_fee(
        client, customer=renter.id, payment_method=setup.payment_method, amount=15000,
        homeowner=host, application_fee_amount=0, description="Damage: broken lamp")
    assert (result.status, result.code) == ("succeeded", None)
    # 150.00 charged; Stripe's fee 4.35 + 0.30 = 4.65; all 150.00 sent on to the homeowner.
    assert sorted((t["type"], t["amount"], t["fee"]) for t in
                  all_balance_transactions(client)) == [("charge", 15000, 465),
                                                        ("transfer", -15000, 0)]
    assert [(t["type"], t["net"]) for t in all_balance_transactions(client, host)] == \
        [("payment", 15000)]


def test_a_card_that_always_authenticates_is_declined_off_session(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    host = onboarded_account(emulator_server, client, api_key)
    renter = client.v1.customers.create({})
    card = client.v1.payment_methods.attach("pm_card_authenticationRequired",
                                            {"customer": renter.id})
    result = steps.charge_damage_fee(
        client, customer=renter.id, payment_method=card.id, amount=15000, homeowner=host,
        application_fee_amount=0, description="Damage")
    assert (result.status, result.code, result.decline_code, result.payment_method) == \
        ("requires_payment_method", "authentication_required", "authentication_required",
         card.id)
    assert all_balance_transactions(client) == []
