# Exercise 03: lst_003 for 3 nights, priced by the server; Maya receives exactly 70000 cents.
promo = marketplace.quote("lst_003", 3)
answer = client.v1.payment_intents.create({
    "amount": promo.amount,
    "currency": promo.currency,
    "application_fee_amount": promo.amount - 70000,  # the platform keeps the rest
    "transfer_data": {"destination": account.id},
    "metadata": promo.metadata(),
    "payment_method": "pm_card_visa",
    "confirm": True,
    "return_url": RETURN_URL,
})
insp.money_table(insp.destination_charge(client, answer.id))
