"""Issue 13 item 5: one platform advancing its clock years ahead does not freeze the room.

The advance settles one day per transaction: between days the store is free, other
platforms' requests (and the advancing platform's own) go through, and a day that fails
leaves the days before it settled and itself not at all. The figures (150 accounts, ten
years, the other platform's worst latency) come from ``bench/clock_freeze.py``; these
tests check ordering, never timing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from harness.emulator import Emulator, Settings
from harness.emulator.errors import InvalidRequest
from harness.emulator.registry import registry
from harness.lab.server import BackgroundServer

from ..conftest import make_client
from .support import onboarded_account, raw

DAY = 86400
TWO_YEARS = 2 * 366 * DAY


@pytest.fixture
def server() -> Iterator[BackgroundServer]:
    emulator = Emulator(settings=Settings(frozen_clock=True))  # time moves only when told
    with BackgroundServer(emulator) as background:
        background.emulator = emulator  # type: ignore[attr-defined]
        yield background
    emulator.close()


def _now(server: BackgroundServer, key: str) -> int:
    resp = raw(server, "GET", "/_emulator/clock", key=key)
    assert resp.status == 200, resp.body
    return resp.body["now"]


def _busy_platform(server: BackgroundServer, key: str, accounts: int = 3) -> list[str]:
    client = make_client(server, key)
    ids = []
    for i in range(accounts):
        account = onboarded_account(server, client, key)
        client.v1.payment_intents.create({
            "amount": 2000 + i, "currency": "usd", "payment_method": "pm_card_visa",
            "confirm": True, "transfer_data": {"destination": account},
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}})
        ids.append(account)
    return ids


def test_other_platforms_and_the_clock_itself_move_while_one_platform_advances_years(
    server: BackgroundServer,
) -> None:
    busy, other = "sk_test_tenancybusy00001", "sk_test_tenancyother0001"
    accounts = _busy_platform(server, busy)
    other_client = make_client(server, other)
    other_client.v1.balance.retrieve()  # the other platform exists before the advance
    start = _now(server, busy)
    end = start + TWO_YEARS
    answer: dict[str, Any] = {}

    def advance() -> None:
        answer["resp"] = raw(server, "POST", "/_emulator/clock/advance", key=busy,
                             params={"seconds": str(TWO_YEARS)})

    worker = threading.Thread(target=advance)
    worker.start()
    served_mid_advance = 0
    for _ in range(10_000):  # bounded; ends as soon as the advance does, or 3 proofs
        other_client.v1.balance.retrieve()
        pi = other_client.v1.payment_intents.create({"amount": 500, "currency": "usd"})
        assert pi.status == "requires_payment_method"
        seen = _now(server, busy)  # after the other platform's calls were answered
        if start < seen < end:  # ... the busy platform's clock was still on its way
            served_mid_advance += 1
        if served_mid_advance >= 3 or not worker.is_alive():
            break
    worker.join(timeout=120)
    assert served_mid_advance >= 3
    assert answer["resp"].status == 200, answer["resp"].body
    assert answer["resp"].body == {"object": "emulator.clock", "now": end}
    assert _now(server, busy) == end
    client = make_client(server, busy)
    for account in accounts:  # every day settled: the funds matured and were paid out
        balance = client.v1.balance.retrieve(options={"stripe_account": account})
        assert sum(b.amount for b in balance.available) == 0
        payouts = client.v1.payouts.list(options={"stripe_account": account}).data
        assert [p.status for p in payouts] == ["paid"]


def test_a_day_that_fails_is_rolled_back_alone_and_the_clock_cache_follows(
    server: BackgroundServer,
) -> None:
    key = "sk_test_tenancyfailday001"
    _busy_platform(server, key, accounts=1)
    emulator: Emulator = server.emulator  # type: ignore[attr-defined]
    start = _now(server, key)
    first_midnight = start + DAY - start % DAY
    seen: list[int] = []

    def third_day_fails(ctx: Any, before: int) -> None:
        seen.append(ctx.now())
        if len(seen) == 3:
            raise InvalidRequest("a day that cannot settle")

    registry.tick_hooks.append(third_day_fails)
    try:
        resp = raw(server, "POST", "/_emulator/clock/advance", key=key,
                   params={"seconds": str(10 * DAY)})
    finally:
        registry.tick_hooks.remove(third_day_fails)
    assert resp.status == 400
    assert seen == [first_midnight, first_midnight + DAY, first_midnight + 2 * DAY]
    # Two whole days settled and stayed; the third left no trace, in the cache or the store.
    assert _now(server, key) == first_midnight + DAY
    platform = emulator.platform_for_key(key)[0]
    stored = int(emulator.store.platform_value(platform, "clock_offset") or 0)
    assert emulator.clock.frozen_at + stored == first_midnight + DAY


def test_a_rolled_back_transaction_leaves_no_stale_clock_in_the_cache(
    server: BackgroundServer,
) -> None:
    """The cache of clock offsets is dropped inside the rollback, before another thread can
    take the store's lock and read a time that never happened."""
    emulator: Emulator = server.emulator  # type: ignore[attr-defined]
    key = "sk_test_tenancyrollback01"
    platform = emulator.platform_for_key(key)[0]
    start = emulator.clock.now(platform)
    with pytest.raises(stripe.StripeError), emulator.store.transaction():
        emulator.clock.advance(platform, 5 * DAY)
        raise stripe.StripeError("rolled back")
    assert emulator.clock.now(platform) == start
