"""Checkout Session line items page in the order they were given, both ways."""

from __future__ import annotations

import pytest
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


# -- ui_mode across versions ------------------------------------------------------------------
# 2026-03-25.dahlia renamed ui_mode's values (hosted -> hosted_page, embedded ->
# embedded_page, custom -> elements) and the old ones fail from then on
# (https://docs.stripe.com/changelog/dahlia/2026-03-25/updates-available-checkout-session-ui-modes);
# stripe-python 16 declares elements, embedded_page, form and hosted_page.
SESSION = {"mode": "payment", "success_url": "https://example.com/ok",
           "line_items": [{"quantity": 1, "price_data": {
               "currency": "usd", "unit_amount": 1000, "product_data": {"name": "Cabin"}}}]}
CLOVER = {"stripe_version": "2026-02-25.clover"}


def test_ui_mode_is_hosted_page_on_the_pinned_version(client: stripe.StripeClient) -> None:
    default = client.v1.checkout.sessions.create(SESSION)
    assert default.ui_mode == "hosted_page" and default.url.endswith(f"/c/pay/{default.id}")
    named = client.v1.checkout.sessions.create({**SESSION, "ui_mode": "hosted_page"})
    assert named.ui_mode == "hosted_page"
    for old in ("hosted", "embedded", "custom"):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.checkout.sessions.create({**SESSION, "ui_mode": old})
        assert (refused.value.http_status, refused.value.param) == (400, "ui_mode")
        assert refused.value.user_message == (
            "Invalid ui_mode: must be one of elements, embedded_page, form, or hosted_page")


def test_old_ui_mode_names_keep_working_on_older_versions(client: stripe.StripeClient) -> None:
    old = client.v1.checkout.sessions.create({**SESSION, "ui_mode": "hosted"}, CLOVER)
    assert old.ui_mode == "hosted"
    # The same Session read on the pinned version shows the new name, and back again.
    assert client.v1.checkout.sessions.retrieve(old.id).ui_mode == "hosted_page"
    assert client.v1.checkout.sessions.retrieve(old.id, options=CLOVER).ui_mode == "hosted"
    listed = client.v1.checkout.sessions.list({"limit": 1}, CLOVER).data[0]
    assert (listed.id, listed.ui_mode) == (old.id, "hosted")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.checkout.sessions.create({**SESSION, "ui_mode": "hosted_page"}, CLOVER)
    assert refused.value.user_message == (
        "Invalid ui_mode: must be one of custom, embedded, or hosted")


def test_ui_modes_the_emulator_does_not_host(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as embedded:
        client.v1.checkout.sessions.create({**SESSION, "ui_mode": "embedded_page"})
    assert embedded.value.param == "ui_mode"
    assert "ui_mode=hosted_page" in embedded.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as old:
        client.v1.checkout.sessions.create({**SESSION, "ui_mode": "embedded"}, CLOVER)
    assert "ui_mode=hosted " in old.value.user_message
