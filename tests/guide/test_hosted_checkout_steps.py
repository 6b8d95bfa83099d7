"""Notebook 04b's section 9 helpers: a listing's catalog (Products and Prices), the
destination charge's fee taken on the total the Prices add up to, and the line items."""

from __future__ import annotations

from harness.books import marketplace
from harness.guide import elements_checkout as cd
from harness.guide import hosted_checkout_steps as hd

from ..conftest import seeded_lab


def test_a_session_priced_from_the_catalog() -> None:
    with seeded_lab() as lab:
        platform = cd.start_marketplace_platform(lab, connect=["ho_001"])
        try:
            catalog = hd.listing_catalog(lab, "lst_002", cleaning_fee=4500)
            table = hd.catalog_table(lab, catalog)
            nightly = marketplace.listing("lst_002").nightly_price
            assert list(table["unit_amount"]) == [nightly, 4500]
            assert list(table["name"])[1] == "Cleaning fee"
            items = [{"price": catalog["nightly"], "quantity": 3},
                     {"price": catalog["cleaning"], "quantity": 1}]
            data = hd.destination_for(lab, platform, "lst_002", items)
            total = 3 * nightly + 4500
            assert data["application_fee_amount"] == marketplace.application_fee(total)
            session = lab.client.v1.checkout.sessions.create({
                "mode": "payment", "line_items": items, "payment_intent_data": data,
                "success_url": platform.url_for("/success?session_id={CHECKOUT_SESSION_ID}")})
            assert (session.amount_subtotal, session.amount_total) == (total, total)
            lines = hd.line_items_table(lab, session.id)
            assert list(lines["amount_total"]) == [3 * nightly, 4500]
            assert list(lines["quantity"]) == [3, 1]
        finally:
            platform.stop()
