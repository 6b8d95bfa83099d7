"""Products through stripe-python: create (with a default price), retrieve, update, list,
search, delete, their events, and whose they are."""

from __future__ import annotations

from decimal import Decimal

import pytest
import stripe

from ...conftest import make_client
from ..support import fresh_secret_key, onboarded_account


def test_a_product_with_a_default_price(client: stripe.StripeClient) -> None:
    product = client.v1.products.create({
        "name": "Cleaning fee", "description": "After every stay",
        "metadata": {"kind": "fee"},
        "default_price_data": {"currency": "usd", "unit_amount": 4500}})
    assert (product.name, product.active, product.type) == ("Cleaning fee", True, "service")
    assert product.id.startswith("prod_") and product.updated == product.created
    price = client.v1.prices.retrieve(product.default_price)
    assert (price.unit_amount, price.currency, price.product, price.type) == (
        4500, "usd", product.id, "one_time")
    expanded = client.v1.products.retrieve(product.id, {"expand": ["default_price"]})
    assert expanded.default_price.unit_amount_decimal == Decimal("4500")
    events = [e.type for e in client.v1.events.list({"limit": 5}).data]
    assert events == ["price.created", "product.created"]


def test_update_announces_what_changed_and_metadata_merges(
        client: stripe.StripeClient) -> None:
    product = client.v1.products.create({"name": "Cabin night", "metadata": {"a": "1"}})
    updated = client.v1.products.update(product.id, {
        "name": "Lakeside cabin night", "metadata": {"b": "2"}, "unit_label": "night"})
    assert (updated.name, updated.unit_label) == ("Lakeside cabin night", "night")
    assert updated.metadata.to_dict() == {"a": "1", "b": "2"}
    event = client.v1.events.list({"type": "product.updated"}).data[0]
    assert event.data.previous_attributes["name"] == "Cabin night"
    assert event.data.previous_attributes["unit_label"] is None


def test_default_price_must_be_one_of_the_products_own(client: stripe.StripeClient) -> None:
    cabin = client.v1.products.create({"name": "Cabin"})
    other = client.v1.products.create({"name": "Boat",
                                       "default_price_data": {"currency": "usd",
                                                              "unit_amount": 900}})
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.products.update(cabin.id, {"default_price": other.default_price})
    assert err.value.param == "default_price"
    own = client.v1.prices.create({"product": cabin.id, "currency": "usd",
                                   "unit_amount": 12000})
    assert client.v1.products.update(cabin.id, {"default_price": own.id}).default_price \
        == own.id


def test_only_a_product_without_prices_can_be_deleted(client: stripe.StripeClient) -> None:
    priced = client.v1.products.create({"name": "Priced", "default_price_data": {
        "currency": "usd", "unit_amount": 100}})
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.products.delete(priced.id)
    assert err.value.http_status == 400
    bare = client.v1.products.create({"name": "Bare"})
    gone = client.v1.products.delete(bare.id)
    assert gone.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.products.retrieve(bare.id)
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    assert client.v1.events.list({"limit": 1}).data[0].type == "product.deleted"


def test_list_filters(client: stripe.StripeClient) -> None:
    a = client.v1.products.create({"name": "A", "shippable": True})
    b = client.v1.products.create({"name": "B", "active": False})
    c = client.v1.products.create({"name": "C"})
    assert [p.id for p in client.v1.products.list().data] == [c.id, b.id, a.id]
    assert [p.id for p in client.v1.products.list({"active": False}).data] == [b.id]
    assert [p.id for p in client.v1.products.list({"shippable": True}).data] == [a.id]
    assert [p.id for p in client.v1.products.list({"ids": [a.id, c.id]}).data] == [c.id, a.id]
    page = client.v1.products.list({"limit": 1, "starting_after": c.id})
    assert ([p.id for p in page.data], page.has_more) == ([b.id], True)


def test_search_query_language(client: stripe.StripeClient) -> None:
    fee = client.v1.products.create({"name": "Cleaning fee", "metadata": {"kind": "fee"}})
    night = client.v1.products.create({"name": "Cabin night", "url": "https://e.com/cabin"})
    old = client.v1.products.create({"name": "Old cleaning kit", "active": False})

    def ids(query: str) -> list[str]:
        return [p.id for p in client.v1.products.search({"query": query}).data]

    assert ids("name:'Cleaning fee'") == [fee.id]
    assert ids('name~"clean"') == [old.id, fee.id]
    assert ids("name~'clean' AND active:'true'") == [fee.id]
    assert ids("-active:'true'") == [old.id]
    assert ids("metadata['kind']:'fee' OR url:'https://e.com/cabin'") == [night.id, fee.id]
    assert ids('metadata["kind"]:null') == [old.id, night.id]
    walked = [p.id for p in client.v1.products.search(
        {"query": "active:'true' OR active:'false'", "limit": 1}).auto_paging_iter()]
    assert walked == [old.id, night.id, fee.id]


@pytest.mark.parametrize("query", [
    "name:'a' AND url:'b' OR active:'true'",  # AND and OR mixed
    "(name:'a')",  # no grouping
    "name~'ab'",  # substring needs 3 characters
    "created>0",  # not one of the emulator's query fields for products
    "active>1", "name:unquoted", "", "name", "name:",
    " OR ".join(["name:'x'"] * 11),  # more than 10 clauses
])
def test_search_refuses_what_it_does_not_understand(client: stripe.StripeClient,
                                                    query: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.products.search({"query": query})
    assert (err.value.http_status, err.value.param) == (400, "query")


def test_search_page_token_is_checked(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.products.search({"query": "active:'true'", "page": "bm90LWEtcGFnZQ"})
    assert err.value.param == "page"


def test_products_are_the_creating_accounts_own(emulator_server, client, api_key) -> None:
    mine = client.v1.products.create({"name": "Mine"})
    host = onboarded_account(emulator_server, client, api_key)
    theirs = client.v1.products.create({"name": "Host's"}, options={"stripe_account": host})
    stranger = make_client(emulator_server, fresh_secret_key())
    for who, product, options in ((stranger, mine.id, {}), (client, theirs.id, {}),
                                  (client, mine.id, {"stripe_account": host})):
        with pytest.raises(stripe.InvalidRequestError) as err:
            who.v1.products.retrieve(product, options=options)
        assert (err.value.http_status, err.value.code) == (404, "resource_missing")
    assert stranger.v1.products.search({"query": "name:'Mine'"}).data == []
    assert [p.id for p in client.v1.products.list(options={"stripe_account": host}).data] \
        == [theirs.id]
    assert client.v1.events.list({"limit": 1}, options={"stripe_account": host}).data[0] \
        .account == host


def test_custom_ids_are_refused_as_not_modelled(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.products.create({"name": "Fee", "id": "cleaning_fee"})
    assert err.value.param == "id" and "does not model" in err.value.user_message
