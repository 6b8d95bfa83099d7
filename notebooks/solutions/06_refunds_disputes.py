# Exercise 06: refund half; Maya pays it back (reverse_transfer), the platform keeps its fee.
answer = book()
client.v1.refunds.create({"payment_intent": answer.id, "amount": answer.amount // 2,
                          "reverse_transfer": True})
insp.money_trail(client, answer.id)
