"""Workshop mode: ``harness.start()`` joins a trainer's shared emulator with the learner's
own key (``CONNECT_LAB_API_BASE`` + ``STRIPE_SECRET_KEY``), instead of taking any key for
real Stripe; every step works over HTTP, each learner on a platform of their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import harness
from harness.emulator import Emulator
from harness.lab.server import BackgroundServer


@pytest.fixture(scope="module")
def room() -> Iterator[BackgroundServer]:
    with BackgroundServer(Emulator()) as server:  # the trainer's: another process in a room
        yield server


def join(room: BackgroundServer, key: str) -> harness.Lab:
    return harness.start(env={"CONNECT_LAB_API_BASE": room.url + "/", "STRIPE_SECRET_KEY": key})


def test_a_learner_joins_the_room_with_their_own_key(room: BackgroundServer) -> None:
    ada = join(room, "sk_test_ada-lovelace.42")
    assert (ada.backend, ada.api_base, ada.emulator) == ("emulator", room.url, None)
    assert ada.publishable_key.startswith("pk_test_")
    account = ada.client.v1.accounts.create({"type": "express", "country": "US"})
    assert ada.complete_onboarding(account.id) == "onboarding completed (emulator)"
    assert ada.client.v1.accounts.retrieve(account.id).charges_enabled is True
    before = ada.now()
    assert ada.advance_clock(86400) == before + 86400
    grace = join(room, "sk_test_grace-hopper.7")
    assert grace.client.v1.accounts.list().data == []  # each learner is a platform
    assert grace.now() < ada.now()  # and has a clock of their own


def test_joining_needs_the_learners_own_key(room: BackgroundServer) -> None:
    with pytest.raises(ValueError, match="set STRIPE_SECRET_KEY to a key of your own"):
        harness.start(env={"CONNECT_LAB_API_BASE": room.url})
    with pytest.raises(harness.LiveKeyRefused):
        join(room, "sk_live_" + "x" * 24)


def test_a_key_the_room_refuses_says_why(room: BackgroundServer) -> None:
    with pytest.raises(RuntimeError, match="sk_test_ followed by 4 to 200 letters"):
        join(room, "sk_test_abc")


def test_no_emulator_at_that_address_says_so() -> None:
    with pytest.raises(ConnectionError, match="No Connect Lab emulator answers at"):
        harness.start(env={"CONNECT_LAB_API_BASE": "http://127.0.0.1:9",
                           "STRIPE_SECRET_KEY": "sk_test_nobody_home"})
