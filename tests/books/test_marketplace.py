"""The sample marketplace in data/: consistent, and in agreement with the emulator."""

from __future__ import annotations

import csv

import pytest

from harness.books import marketplace
from harness.emulator import cards as test_cards


def _rows(name: str) -> list[dict[str, str]]:
    with open(marketplace.DATA_DIR / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _behaviour(card: test_cards.TestCard) -> str:
    if card.decline_code:
        return "declined"
    if card.three_d_secure:
        return "requires_authentication"
    if card.bypass_pending:
        return "succeeds_available"
    if card.dispute:
        return f"dispute_{card.dispute}"
    return "succeeds"


def test_test_cards_csv_matches_the_emulator() -> None:
    rows = _rows("test_cards.csv")
    numbers = [row["number"] for row in rows]
    assert len(numbers) == len(set(numbers))
    assert set(numbers) == set(test_cards.BY_NUMBER), "a card is in one table but not the other"
    for row in rows:
        card = test_cards.BY_NUMBER[row["number"]]
        assert test_cards.luhn_ok(row["number"])
        assert row["token"] == (card.token or ""), row["number"]
        assert row["brand"] == card.brand, row["number"]
        assert row["funding"] == card.funding, row["number"]
        assert row["behaviour"] == _behaviour(card), row["number"]
        assert row["decline_code"] == (card.decline_code or ""), row["number"]
        assert row["error_code"] == (card.error_code if card.decline_code else ""), row["number"]


def test_renters_pay_with_known_test_tokens() -> None:
    for renter in marketplace.renters():
        assert renter.test_payment_method in test_cards.BY_TOKEN, renter.renter_id


def test_sample_marketplace_is_consistent() -> None:
    owners = {h.homeowner_id for h in marketplace.homeowners()}
    assert len(owners) == 5 == len(marketplace.homeowners())
    listings = marketplace.listings()
    assert len(listings) == 12 == len({x.listing_id for x in listings})
    assert len(marketplace.renters()) == 5
    for x in listings:
        assert x.homeowner_id in owners
        assert x.currency == "usd"
        assert x.nightly_price > 0 and x.min_nights >= 1
    assert owners == {x.homeowner_id for x in listings}, "every homeowner has a listing"


@pytest.mark.parametrize(("amount", "fee"), [(1000, 123), (0, 0), (4, 0), (5, 1), (37500, 4613),
                                             (43500, 5351)])
def test_application_fee_rule(amount: int, fee: int) -> None:
    assert marketplace.application_fee(amount) == fee


def test_the_server_decides_the_amount() -> None:
    quote = marketplace.quote_from_request({"listing_id": "lst_001", "nights": 3, "amount": 1})
    assert quote.amount == 3 * marketplace.listing("lst_001").nightly_price == 43500
    assert quote.application_fee_amount == 5351
    assert quote.homeowner_share == 43500 - 5351
    with pytest.raises(marketplace.PricingError):
        marketplace.quote("lst_001", 1)  # below the listing's minimum stay
    with pytest.raises(marketplace.PricingError):
        marketplace.quote("lst_999", 3)
    with pytest.raises(marketplace.PricingError):
        marketplace.quote_from_request({"listing_id": "lst_001"})
