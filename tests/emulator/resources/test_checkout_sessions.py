"""Checkout Session line items: page in the order they were given, both ways; take a
Price or inline price_data with quantities, and add up as Stripe adds them."""

from __future__ import annotations

import json

import pytest
import stripe

from ...conftest import make_client
from ..support import fresh_secret_key, onboarded_account


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
# -- line items with a Price ----------------------------------------------------------------
def _nightly(client: stripe.StripeClient, options: dict | None = None) -> stripe.Price:
    return client.v1.prices.create({"currency": "usd", "unit_amount": 14500,
                                    "product_data": {"name": "Lakeside cabin, per night"}},
                                   options=options or {})


def test_a_session_with_prices_and_quantities(client: stripe.StripeClient) -> None:
    nightly = _nightly(client)
    cleaning = client.v1.products.create({"name": "Cleaning fee", "default_price_data": {
        "currency": "usd", "unit_amount": 4500}})
    session = client.v1.checkout.sessions.create({
        "mode": "payment", "success_url": "https://example.com/ok",
        "line_items": [{"price": nightly.id, "quantity": 3},
                       {"price": cleaning.default_price, "quantity": 1},
                       {"quantity": 2, "price_data": {
                           "currency": "usd", "unit_amount": 1250,
                           "product_data": {"name": "Firewood bundle"}}}]})
    assert (session.amount_subtotal, session.amount_total, session.currency) == (
        3 * 14500 + 4500 + 2 * 1250, 3 * 14500 + 4500 + 2 * 1250, "usd")
    items = client.v1.checkout.sessions.line_items.list(session.id).data
    assert [(i.description, i.quantity, i.amount_subtotal, i.amount_total) for i in items] == [
        ("Lakeside cabin, per night", 3, 43500, 43500), ("Cleaning fee", 1, 4500, 4500),
        ("Firewood bundle", 2, 2500, 2500)]
    assert [i.price.id for i in items[:2]] == [nightly.id, cleaning.default_price]
    assert items[0].price.unit_amount == 14500 and items[0].price.product == nightly.product
    assert (items[0].amount_discount, items[0].amount_tax, items[0].currency) == (0, 0, "usd")
    inline = items[2].price
    assert (inline.active, inline.unit_amount, inline.type) == (False, 1250, "one_time")
    assert client.v1.prices.retrieve(inline.id).unit_amount == 1250
    assert client.v1.products.retrieve(inline.product).name == "Firewood bundle"
    expanded = client.v1.checkout.sessions.line_items.list(
        session.id, {"expand": ["data.price.product"]}).data
    assert expanded[1].price.product.name == "Cleaning fee"


def test_the_renter_pays_what_the_prices_add_up_to(emulator_server, client, api_key) -> None:
    from ..support import publishable

    nightly = _nightly(client)
    session = client.v1.checkout.sessions.create({
        "mode": "payment", "success_url": "https://example.com/ok",
        "line_items": [{"price": nightly.id, "quantity": 2}]})
    pk = make_client(emulator_server, publishable(emulator_server, api_key))
    page = json.loads(pk.raw_request("post", f"/v1/payment_pages/{session.id}/init").body)
    assert (page["amount_total"], page["currency"]) == (29000, "usd")
    intent = client.v1.payment_intents.retrieve(
        client.v1.checkout.sessions.retrieve(session.id).payment_intent)
    assert intent.amount == 29000


@pytest.mark.parametrize(("item", "param", "status"), [
    ({"price": "price_nosuchprice000000", "quantity": 1}, "line_items[0][price]", 404),
    ({"price": "NIGHTLY"}, "line_items[0][quantity]", 400),
    ({"price": "NIGHTLY", "quantity": 1, "price_data": {
        "currency": "usd", "unit_amount": 1, "product_data": {"name": "x"}}},
     "line_items[0][price_data]", 400),
    ({"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 100,
                                    "recurring": {"interval": "month"},
                                    "product_data": {"name": "x"}}},
     "line_items[0][price_data][recurring]", 400),
    ({"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 100}},
     "line_items[0][price_data][product]", 400),
    ({"quantity": 1, "price_data": {"currency": "usd", "product_data": {"name": "x"}}},
     "line_items[0][price_data][unit_amount]", 400),
])
def test_bad_line_items_name_the_parameter(client: stripe.StripeClient, item: dict,
                                           param: str, status: int) -> None:
    nightly = _nightly(client)
    if item.get("price") == "NIGHTLY":
        item = {**item, "price": nightly.id}
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.checkout.sessions.create({"mode": "payment", "line_items": [item],
                                            "success_url": "https://example.com/ok"})
    assert (err.value.http_status, err.value.param) == (status, param)


def test_an_inactive_price_is_refused(client: stripe.StripeClient) -> None:
    nightly = _nightly(client)
    client.v1.prices.update(nightly.id, {"active": False})
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.checkout.sessions.create({
            "mode": "payment", "success_url": "https://example.com/ok",
            "line_items": [{"price": nightly.id, "quantity": 1}]})
    assert "inactive" in err.value.user_message


def test_a_recurring_price_needs_subscription_mode(client: stripe.StripeClient) -> None:
    monthly = client.v1.prices.create({"currency": "usd", "unit_amount": 99000,
                                       "recurring": {"interval": "month"},
                                       "product_data": {"name": "Monthly lease"}})
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.checkout.sessions.create({
            "mode": "payment", "success_url": "https://example.com/ok",
            "line_items": [{"price": _nightly(client).id, "quantity": 1},
                           {"price": monthly.id, "quantity": 1}]})
    assert (err.value.http_status, err.value.param) == (400, "line_items[1][price]")
    assert "recurring price" in err.value.user_message
    assert client.v1.checkout.sessions.list().data == []  # nothing of it was kept


def test_subscription_mode_is_not_modelled(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.checkout.sessions.create({
            "mode": "subscription", "success_url": "https://example.com/ok",
            "line_items": [{"price": _nightly(client).id, "quantity": 1}]})
    assert (err.value.http_status, err.value.param) == (400, "mode")
    assert "does not model" in err.value.user_message


def test_a_price_is_usable_only_by_its_own_account(emulator_server, client, api_key) -> None:
    host = onboarded_account(emulator_server, client, api_key)
    platform_price = _nightly(client)
    host_price = _nightly(client, {"stripe_account": host})
    stranger = make_client(emulator_server, fresh_secret_key())
    attempts = [(stranger, platform_price.id, {}), (client, host_price.id, {}),
                (client, platform_price.id, {"stripe_account": host})]
    for who, price, options in attempts:
        with pytest.raises(stripe.InvalidRequestError) as err:
            who.v1.checkout.sessions.create({
                "mode": "payment", "success_url": "https://example.com/ok",
                "line_items": [{"price": price, "quantity": 1}]}, options=options)
        assert (err.value.http_status, err.value.code, err.value.param) == (
            404, "resource_missing", "line_items[0][price]")
        assert price in err.value.user_message
    own = client.v1.checkout.sessions.create({
        "mode": "payment", "success_url": "https://example.com/ok",
        "line_items": [{"price": host_price.id, "quantity": 4}]},
        options={"stripe_account": host})
    assert own.amount_total == 4 * 14500


def test_line_items_expand_on_the_session(client: stripe.StripeClient) -> None:
    nightly = _nightly(client)
    session = client.v1.checkout.sessions.create({
        "mode": "payment", "success_url": "https://example.com/ok",
        "line_items": [{"price": nightly.id, "quantity": 2}]})
    assert client.v1.checkout.sessions.retrieve(session.id).line_items is None
    expanded = client.v1.checkout.sessions.retrieve(
        session.id, {"expand": ["line_items.data.price.product"]})
    (item,) = expanded.line_items.data
    assert (item.quantity, item.amount_total, item.price.product.name) == (
        2, 29000, "Lakeside cabin, per night")
    assert expanded.line_items.url == f"/v1/checkout/sessions/{session.id}/line_items"


def test_payment_intent_data_shipping_reaches_the_payment_intent(
        emulator_server, client, api_key) -> None:
    """As the Stripe CLI's ``checkout.session.completed`` fixture sends it."""
    from ..support import publishable

    session = client.v1.checkout.sessions.create({
        "mode": "payment", "success_url": "https://example.com/ok",
        "line_items": [{"price": _nightly(client).id, "quantity": 2}],
        "payment_intent_data": {"shipping": {"name": "Jenny Rosen", "address": {
            "line1": "510 Townsend St", "postal_code": "94103", "city": "San Francisco",
            "state": "CA", "country": "US"}}}})
    pk = make_client(emulator_server, publishable(emulator_server, api_key))
    pk.raw_request("post", f"/v1/payment_pages/{session.id}/init")
    intent = client.v1.payment_intents.retrieve(
        client.v1.checkout.sessions.retrieve(session.id).payment_intent)
    assert (intent.shipping.name, intent.shipping.address.city, intent.amount) == (
        "Jenny Rosen", "San Francisco", 29000)
