# Exercise 07: a working bank account for Daniel, then a manual payout of exactly 877.
client.v1.accounts.external_accounts.create(
    DANIEL, {"external_account": "btok_us_verified", "default_for_currency": True})
answer = client.v1.payouts.create({"amount": 877, "currency": "usd"},
                                  {"stripe_account": DANIEL})
print(answer.id, answer.status, "| arrives:", insp.when(answer.arrival_date))
if lab.config.is_emulator:
    lab.advance_clock(answer.arrival_date - lab.now())  # to the day it arrives
    answer = client.v1.payouts.retrieve(answer.id, options={"stripe_account": DANIEL})
    print(answer.id, answer.status, "| now:", insp.when(lab.now()))
