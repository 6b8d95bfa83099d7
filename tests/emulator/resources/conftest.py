"""Fixtures the resource tests share: one webhook receiver per module, emptied per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .test_events_webhooks import Receiver


@pytest.fixture(scope="module")
def _receiver() -> Iterator[Receiver]:
    recv = Receiver()
    with recv.server:
        yield recv


@pytest.fixture
def receiver(_receiver: Receiver) -> Receiver:
    """The module's receiver, emptied (each test posts to paths of its own, too)."""
    with _receiver.changed:
        _receiver.requests.clear()
        _receiver.script.clear()
    return _receiver
