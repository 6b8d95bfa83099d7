"""The guide's first call works on the emulator, to the cent."""

import stripe


def test_first_payment_intent_succeeds_with_stripe_fee(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "return_url": "https://example.com/return",
        }
    )
    assert pi.status == "succeeded"
    assert pi.amount_received == 1000
    charge = client.v1.charges.retrieve(pi.latest_charge, {"expand": ["balance_transaction"]})
    txn = charge.balance_transaction
    assert (txn.amount, txn.fee, txn.net, txn.type) == (1000, 59, 941, "charge")
    assert txn.fee_details[0].type == "stripe_fee"
