"""Prices through stripe-python: one-time prices on a product or with ``product_data``,
lookup keys, updates, lists that leave inline prices out, search, and who may see them."""

from __future__ import annotations

import pytest
import stripe

from ...conftest import make_client
from ..support import fresh_secret_key, onboarded_account


@pytest.fixture
def cabin(client: stripe.StripeClient) -> stripe.Product:
    return client.v1.products.create({"name": "Cabin night"})


def test_a_one_time_price(client: stripe.StripeClient, cabin: stripe.Product) -> None:
    price = client.v1.prices.create({"product": cabin.id, "currency": "USD",
                                     "unit_amount": 12000, "nickname": "nightly",
                                     "metadata": {"season": "summer"}})
    assert price.id.startswith("price_")
    assert (price.unit_amount, price.currency, price.type, price.billing_scheme,
            price.active, price.tax_behavior, price.recurring) == (
        12000, "usd", "one_time", "per_unit", True, "unspecified", None)
    assert client.v1.prices.retrieve(price.id, {"expand": ["product"]}).product.name \
        == "Cabin night"
    event = client.v1.events.list({"limit": 1}).data[0]
    assert (event.type, event.data.object.id) == ("price.created", price.id)


def test_product_data_creates_the_product(client: stripe.StripeClient) -> None:
    price = client.v1.prices.create({"currency": "usd", "unit_amount_decimal": "4500",
                                     "product_data": {"name": "Cleaning fee"}})
    assert price.unit_amount == 4500
    assert client.v1.products.retrieve(price.product).name == "Cleaning fee"


@pytest.mark.parametrize(("params", "param"), [
    ({"currency": "usd", "unit_amount": 100}, "product"),
    ({"currency": "usd", "product_data": {"name": "x"}}, "unit_amount"),
    ({"currency": "usd", "unit_amount": 100, "product": "prod_nosuchthing"}, "product"),
    ({"currency": "usd", "unit_amount": -1, "product_data": {"name": "x"}}, "unit_amount"),
    ({"currency": "zzz", "unit_amount": 1, "product_data": {"name": "x"}}, "currency"),
    ({"currency": "usd", "unit_amount": 1, "unit_amount_decimal": "1",
      "product_data": {"name": "x"}}, "unit_amount_decimal"),
])
def test_bad_prices_name_the_parameter(client: stripe.StripeClient, params: dict,
                                       param: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.prices.create(params)
    assert err.value.param == param
    assert err.value.http_status == (404 if "prod_nosuchthing" in str(params) else 400)


@pytest.mark.parametrize(("extra", "param"), [
    ({"recurring": {"interval": "month", "usage_type": "metered"}}, "recurring[usage_type]"),
    ({"recurring": {"interval": "month", "meter": "mtr_123"}}, "recurring[meter]"),
    ({"tiers": [{"up_to": "inf", "unit_amount": 1}], "tiers_mode": "volume",
      "billing_scheme": "tiered"}, "tiers"),
    ({"custom_unit_amount": {"enabled": True}}, "custom_unit_amount"),
    ({"unit_amount_decimal": "12.5"}, "unit_amount_decimal"),
])
def test_what_is_not_modelled_says_so(client: stripe.StripeClient, cabin: stripe.Product,
                                      extra: dict, param: str) -> None:
    params = {"product": cabin.id, "currency": "usd", **extra}
    if "unit_amount_decimal" not in extra and "custom_unit_amount" not in extra:
        params["unit_amount"] = 100
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.prices.create(params)
    assert (err.value.http_status, err.value.param) == (400, param)
    assert "does not model" in err.value.user_message


def test_a_recurring_price_is_kept_and_listed(client: stripe.StripeClient,
                                              cabin: stripe.Product) -> None:
    monthly = client.v1.prices.create({"product": cabin.id, "currency": "usd",
                                       "unit_amount": 99000,
                                       "recurring": {"interval": "month"}})
    assert monthly.type == "recurring"
    assert (monthly.recurring.interval, monthly.recurring.interval_count,
            monthly.recurring.usage_type, monthly.recurring.trial_period_days) == (
        "month", 1, "licensed", None)
    once = client.v1.prices.create({"product": cabin.id, "currency": "usd", "unit_amount": 1})
    assert [p.id for p in client.v1.prices.list({"type": "recurring"}).data] == [monthly.id]
    assert [p.id for p in client.v1.prices.list(
        {"recurring": {"interval": "month"}}).data] == [monthly.id]
    assert client.v1.prices.list({"recurring": {"interval": "year"}}).data == []
    assert [p.id for p in client.v1.prices.list({"type": "one_time"}).data] == [once.id]
    assert [p.id for p in client.v1.prices.search({"query": "type:'recurring'"})] \
        == [monthly.id]


def test_lookup_keys_are_unique_and_can_move(client: stripe.StripeClient,
                                             cabin: stripe.Product) -> None:
    first = client.v1.prices.create({"product": cabin.id, "currency": "usd",
                                     "unit_amount": 100, "lookup_key": "nightly"})
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.prices.create({"product": cabin.id, "currency": "usd", "unit_amount": 200,
                                 "lookup_key": "nightly"})
    assert err.value.param == "lookup_key" and first.id in err.value.user_message
    second = client.v1.prices.create({"product": cabin.id, "currency": "usd",
                                      "unit_amount": 200, "lookup_key": "nightly",
                                      "transfer_lookup_key": True})
    assert client.v1.prices.retrieve(first.id).lookup_key is None
    found = client.v1.prices.list({"lookup_keys": ["nightly"]}).data
    assert [p.id for p in found] == [second.id]


def test_update_and_tax_behavior_fixed_once_chosen(client: stripe.StripeClient,
                                                   cabin: stripe.Product) -> None:
    price = client.v1.prices.create({"product": cabin.id, "currency": "usd",
                                     "unit_amount": 100, "tax_behavior": "exclusive"})
    updated = client.v1.prices.update(price.id, {"nickname": "base", "active": False,
                                                 "metadata": {"a": "b"}})
    assert (updated.nickname, updated.active, updated.unit_amount) == ("base", False, 100)
    event = client.v1.events.list({"type": "price.updated"}).data[0]
    assert event.data.previous_attributes.to_dict() == {"active": True, "metadata": {},
                                                        "nickname": None}
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.prices.update(price.id, {"tax_behavior": "inclusive"})
    assert err.value.param == "tax_behavior"


def test_list_is_active_prices_without_inline_ones(client: stripe.StripeClient,
                                                   cabin: stripe.Product) -> None:
    on = client.v1.prices.create({"product": cabin.id, "currency": "usd", "unit_amount": 1})
    off = client.v1.prices.create({"product": cabin.id, "currency": "eur", "unit_amount": 2,
                                   "active": False})
    client.v1.checkout.sessions.create({
        "mode": "payment", "success_url": "https://example.com/ok",
        "line_items": [{"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 5000,
                                                      "product": cabin.id}}]})
    assert [p.id for p in client.v1.prices.list().data] == [on.id]
    assert [p.id for p in client.v1.prices.list({"active": False}).data] == [off.id]
    assert [p.id for p in client.v1.prices.list({"product": cabin.id}).data] == [on.id]
    assert client.v1.prices.list({"type": "recurring"}).data == []
    assert client.v1.prices.list({"currency": "eur"}).data == []  # active only
    assert [p.id for p in client.v1.prices.search({"query": f"product:'{cabin.id}'"})] \
        == [off.id, on.id]


def test_search(client: stripe.StripeClient, cabin: stripe.Product) -> None:
    a = client.v1.prices.create({"product": cabin.id, "currency": "usd", "unit_amount": 1,
                                 "lookup_key": "cabin_nightly", "metadata": {"n": "1"}})
    b = client.v1.prices.create({"product": cabin.id, "currency": "eur", "unit_amount": 1})
    assert [p.id for p in client.v1.prices.search(
        {"query": "active:'true' AND metadata['n']:'1'"})] == [a.id]
    assert [p.id for p in client.v1.prices.search({"query": "lookup_key~'nightly'"})] \
        == [a.id]
    assert [p.id for p in client.v1.prices.search({"query": "-currency:'usd'"})] == [b.id]
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.prices.search({"query": "unit_amount>5"})
    assert err.value.param == "query"


def test_prices_are_the_creating_accounts_own(emulator_server, client, api_key,
                                              cabin: stripe.Product) -> None:
    mine = client.v1.prices.create({"product": cabin.id, "currency": "usd",
                                    "unit_amount": 100})
    host = onboarded_account(emulator_server, client, api_key)
    as_host = {"stripe_account": host}
    with pytest.raises(stripe.InvalidRequestError) as err:  # not the host's product
        client.v1.prices.create({"product": cabin.id, "currency": "usd", "unit_amount": 1},
                                options=as_host)
    assert (err.value.http_status, err.value.param) == (404, "product")
    theirs = client.v1.prices.create({"currency": "usd", "unit_amount": 700,
                                      "product_data": {"name": "Host's towels"}},
                                     options=as_host)
    stranger = make_client(emulator_server, fresh_secret_key())
    for who, price, options in ((stranger, mine.id, {}), (client, theirs.id, {}),
                                (client, mine.id, as_host)):
        with pytest.raises(stripe.InvalidRequestError) as err:
            who.v1.prices.retrieve(price, options=options)
        assert (err.value.http_status, err.value.code) == (404, "resource_missing")
        with pytest.raises(stripe.InvalidRequestError):
            who.v1.prices.update(price, {"nickname": "mine now"}, options=options)
    assert stranger.v1.prices.list().data == []
    assert [p.id for p in client.v1.prices.list(options=as_host).data] == [theirs.id]
    assert client.v1.prices.search({"query": "currency:'usd'"}, options=as_host).data[0].id \
        == theirs.id
