# Exercise 05: book and pay (the webhook fulfils), then refund in full (the webhook marks it).
answer = wl.book(platform, "lst_001", nights=2)
wl.pay(lab, answer)
wl.wait_for_booking(platform, answer, "paid")
client.v1.refunds.create({"payment_intent": answer, "reverse_transfer": True,
                          "refund_application_fee": True})
wl.wait_for_booking(platform, answer, "refunded")
wl.bookings(platform)
