# Exercise 04: lst_001 for 3 nights, paid on the page with 3D Secure (4000 0025 0000 3155).
if driver:
    answer = driver.pay("lst_001", cd.THREE_D_SECURE, nights=3,
                        three_d_secure="complete").payment_intent
else:  # test mode: pay in this page yourself, then run this cell again
    print("pay here:", platform.url_for("/checkout/lst_001?nights=3"))
    newest = platform.db.one("SELECT payment_intent FROM bookings WHERE listing_id = 'lst_001'"
                             " AND nights = 3 ORDER BY id DESC LIMIT 1")
    answer = newest["payment_intent"] if newest else None
