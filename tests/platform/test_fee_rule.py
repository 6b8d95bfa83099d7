"""The platform's fee rule, written once (harness.platform.app.application_fee) and used by
the marketplace's quotes, the platform's checkout and the simulated month."""

from __future__ import annotations

import pytest

from harness.books import marketplace
from harness.books.month import MonthConfig
from harness.platform.app import FEE_PERCENT, PlatformConfig, application_fee


@pytest.mark.parametrize(("amount", "percent", "fee"), [
    (1000, 12.3, 123), (37500, 12.3, 4613), (26700, 12.3, 3284),
    (3000, 4.35, 131),  # exactly 130.5 cents: half up, though 3000 * 4.35 / 100 < 130.5 in floats
    (0, 12.3, 0), (999, 0, 0), (1234, 100, 1234),
])
def test_fee_is_the_percent_rounded_half_up_to_the_cent(amount: int, percent: float,
                                                          fee: int) -> None:
    assert application_fee(amount, percent) == fee


def test_a_negative_amount_has_no_fee() -> None:
    with pytest.raises(ValueError):
        application_fee(-1, 12.3)


def test_every_quote_and_every_default_uses_the_platforms_rule() -> None:
    assert PlatformConfig("sk_test_x", "pk_test_x").fee_percent == FEE_PERCENT
    assert MonthConfig().fee_percent == FEE_PERCENT
    for listing in marketplace.listings():
        quote = marketplace.quote(listing.listing_id, max(listing.min_nights, 3))
        assert quote.application_fee_amount == application_fee(quote.amount, FEE_PERCENT)
