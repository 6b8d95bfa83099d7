"""Checkout Session line items page in the order they were given, both ways."""

from __future__ import annotations

import stripe


def test_line_items_page_forwards_and_backwards(client: stripe.StripeClient) -> None:
    names = ["Cabin night", "Cleaning", "Late checkout"]
    session = client.v1.checkout.sessions.create({
        "mode": "payment", "success_url": "https://example.com/ok",
        "line_items": [{"quantity": 1, "price_data": {
            "currency": "usd", "unit_amount": 1000 * (i + 1),
            "product_data": {"name": name}}} for i, name in enumerate(names)]})
    items = client.v1.checkout.sessions.line_items
    walked = [i.description for i in items.list(session.id, {"limit": 1}).auto_paging_iter()]
    assert walked == names
    every = items.list(session.id, {"limit": 10}).data
    assert [i.amount_total for i in every] == [1000, 2000, 3000]
    second = items.list(session.id, {"limit": 1, "starting_after": every[0].id})
    assert ([i.description for i in second.data], second.has_more) == (["Cleaning"], True)
    before_last = items.list(session.id, {"limit": 1, "ending_before": every[2].id})
    assert [i.description for i in before_last.data] == ["Cleaning"]
    both = items.list(session.id, {"limit": 5, "ending_before": every[2].id})
    assert [i.description for i in both.data] == names[:2]
