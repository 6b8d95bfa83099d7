"""Products, Prices and a Checkout Session priced with them, asserted the same way on the
emulator and on Stripe test mode (``--backend=stripe``): the amounts Checkout computes, the
line items it lists, inline prices, and the 404 for another account's price.

On Stripe, Prices cannot be deleted: what a run creates is tagged ``metadata[connect_lab]=1``
and archived (``active=false``) at the end where Stripe allows it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from .conftest import TAG, Backend

pytestmark = pytest.mark.contract
OK_URL = "https://example.com/ok"


@pytest.fixture
def catalog(backend: Backend) -> Iterator[dict[str, str]]:
    client = backend.client
    nightly = client.v1.products.create({"name": "Garden studio, one night", "metadata": TAG,
                                         "default_price_data": {"currency": "usd",
                                                                "unit_amount": 8900}})
    cleaning = client.v1.prices.create({"currency": "usd", "unit_amount": 4500,
                                        "metadata": TAG,
                                        "product_data": {"name": "Cleaning fee",
                                                         "metadata": TAG}})
    yield {"nightly": nightly.default_price, "cleaning": cleaning.id,
           "nightly_product": nightly.id, "cleaning_product": cleaning.product}
    if not backend.is_emulator:  # archive what can be archived; the tag finds the rest
        for archive in (lambda: client.v1.prices.update(cleaning.id, {"active": False}),
                        lambda: client.v1.products.update(nightly.id, {"active": False}),
                        lambda: client.v1.products.update(cleaning.product,
                                                          {"active": False})):
            try:
                archive()
            except stripe.StripeError:
                pass


def test_checkout_adds_up_prices_times_quantities(backend: Backend,
                                                  catalog: dict[str, str]) -> None:
    session = backend.client.v1.checkout.sessions.create({
        "mode": "payment", "success_url": OK_URL, "metadata": TAG,
        "line_items": [{"price": catalog["nightly"], "quantity": 3},
                       {"price": catalog["cleaning"], "quantity": 1}]})
    assert (session.amount_subtotal, session.amount_total, session.currency) == (
        31200, 31200, "usd")
    items = backend.client.v1.checkout.sessions.line_items.list(session.id).data
    assert [(i.description, i.quantity, i.amount_subtotal, i.amount_total, i.amount_tax,
             i.amount_discount) for i in items] == [
        ("Garden studio, one night", 3, 26700, 26700, 0, 0),
        ("Cleaning fee", 1, 4500, 4500, 0, 0)]
    assert [i.price.id for i in items] == [catalog["nightly"], catalog["cleaning"]]
    assert items[0].price.product == catalog["nightly_product"]
    backend.client.v1.checkout.sessions.expire(session.id)


def test_price_data_makes_an_inline_price(backend: Backend, catalog: dict[str, str]) -> None:
    session = backend.client.v1.checkout.sessions.create({
        "mode": "payment", "success_url": OK_URL, "metadata": TAG,
        "line_items": [{"quantity": 2, "price_data": {
            "currency": "usd", "unit_amount": 1250, "product": catalog["cleaning_product"]}}]})
    (item,) = backend.client.v1.checkout.sessions.line_items.list(session.id).data
    assert (item.amount_total, item.description, item.price.unit_amount, item.price.type) == (
        2500, "Cleaning fee", 1250, "one_time")
    assert item.price.id not in [p.id for p in backend.client.v1.prices.list(
        {"product": catalog["cleaning_product"]}).data]
    backend.client.v1.checkout.sessions.expire(session.id)


def test_a_price_that_does_not_exist_is_404(backend: Backend) -> None:
    with pytest.raises(stripe.InvalidRequestError) as err:
        backend.client.v1.checkout.sessions.create({
            "mode": "payment", "success_url": OK_URL,
            "line_items": [{"price": "price_1ConnectLabNoSuchPrice0", "quantity": 1}]})
    assert (err.value.http_status, err.value.code) == (404, "resource_missing")
    assert err.value.param == "line_items[0][price]"
