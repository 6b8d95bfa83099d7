"""API keys, attacked from outside: what a stranger can do with what a public page shows.

A hosted Checkout page is public (anyone with the link opens it) and must embed the
platform's publishable key for Stripe.js. Nothing it shows may lead to the secret key: the
publishable key is issued at random with the platform. The secret key is kept only as a
hash in a ``--db`` file, since a shared workshop database holds every learner's key.
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import stripe

from harness.emulator import Emulator, Settings
from harness.lab.server import BackgroundServer

from ..conftest import make_client
from .support import raw

INVALID_KEY = "Invalid API Key provided"


def _checkout_session(client: stripe.StripeClient) -> stripe.checkout.Session:
    return client.v1.checkout.sessions.create({
        "mode": "payment", "success_url": "https://example.com/ok",
        "line_items": [{"quantity": 1, "price_data": {
            "currency": "usd", "unit_amount": 5000, "product_data": {"name": "Cabin night"}}}]})


def _page_config(url: str) -> dict[str, Any]:
    """What the public Checkout page gives its Stripe.js, read as any visitor reads it."""
    with urllib.request.urlopen(url, timeout=10) as resp:
        page = resp.read().decode()
    found = re.search(r'data-config="([^"]+)"', page)
    assert found, page[:300]
    return json.loads(html.unescape(found.group(1)))


@pytest.fixture
def victim(emulator_server: BackgroundServer, api_key: str) -> dict[str, Any]:
    """A platform with money and a Checkout link that it hands to the public."""
    client = make_client(emulator_server, api_key)
    pi = client.v1.payment_intents.create({
        "amount": 4200, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}})
    customer = client.v1.customers.create({"email": "victim@example.com"})
    session = _checkout_session(client)
    return {"key": api_key, "client": client, "pi": pi, "customer": customer,
            "session": session, "platform": client.v1.accounts.retrieve_current().id}


def test_keys_derived_from_the_checkout_page_reach_nothing_of_the_victim(
    emulator_server: BackgroundServer, victim: dict[str, Any]
) -> None:
    config = _page_config(victim["session"].url)
    shown = config["pk"]
    assert shown.startswith("pk_test_")
    suffix = shown[len("pk_test_"):]
    guesses = {"sk_test_" + suffix, "rk_test_" + suffix}
    # the key names the platform in other ways too: try them as well
    guesses |= {"sk_test_" + victim["platform"][len("acct_"):],
                "sk_test_" + victim["session"].id}
    breaches = []
    for guess in sorted(guesses):
        charges = raw(emulator_server, "GET", "/v1/charges", key=guess)
        if charges.status == 200 and charges.body["data"]:
            breaches.append((guess, "listed charges"))
        if charges.status == 200:
            me = raw(emulator_server, "GET", "/v1/account", key=guess).body
            if me["id"] == victim["platform"]:
                breaches.append((guess, "is the victim's platform"))
        refund = raw(emulator_server, "POST", "/v1/refunds", key=guess,
                     params={"payment_intent": victim["pi"].id})
        if refund.status == 200:
            breaches.append((guess, "refunded"))
        raw(emulator_server, "POST", "/_emulator/reset", key=guess)
    assert breaches == []
    # ... and the victim's data is all still there, unrefunded
    charges = victim["client"].v1.charges.list({"limit": 10})
    assert [c.amount for c in charges.data] == [4200]
    assert charges.data[0].amount_refunded == 0
    assert victim["client"].v1.customers.retrieve(victim["customer"].id).email == \
        "victim@example.com"


def test_the_publishable_key_is_not_the_secret_key_renamed(
    emulator_server: BackgroundServer, victim: dict[str, Any]
) -> None:
    shown = _page_config(victim["session"].url)["pk"]
    assert shown[len("pk_test_"):] != victim["key"][len("sk_test_"):]
    renamed = "pk_test_" + victim["key"][len("sk_test_"):]  # what a pk used to be
    resp = raw(emulator_server, "GET", "/v1/payment_intents/" + victim["pi"].id, key=renamed,
               params={"client_secret": victim["pi"].client_secret})
    assert resp.status == 401 and INVALID_KEY in resp.error["message"]


def test_a_publishable_key_that_was_never_issued_is_401(emulator_server: BackgroundServer
                                                        ) -> None:
    for key in ("pk_test_" + "A" * 99, "pk_test_never_issued"):
        resp = raw(emulator_server, "GET", "/v1/payment_methods/pm_card_visa", key=key)
        assert resp.status == 401
        assert resp.error["type"] == "invalid_request_error"
        assert resp.error["message"].startswith(INVALID_KEY)


def test_the_owner_reads_the_publishable_key_and_the_page_shows_that_one(
    emulator_server: BackgroundServer, victim: dict[str, Any]
) -> None:
    resp = raw(emulator_server, "GET", "/_emulator/keys", key=victim["key"])
    assert resp.status == 200
    assert resp.body["object"] == "emulator.keys"
    assert resp.body["publishable_key"] == _page_config(victim["session"].url)["pk"]
    masked = resp.body["secret_key"]
    assert masked != victim["key"] and masked.startswith("sk_test_")
    assert masked.endswith(victim["key"][-4:]) and "*" in masked
    # the issued key works where Stripe.js needs it
    pk = resp.body["publishable_key"]
    seen = raw(emulator_server, "GET", "/v1/payment_intents/" + victim["pi"].id, key=pk,
               params={"client_secret": victim["pi"].client_secret})
    assert seen.status == 200 and seen.body["amount"] == 4200


def test_a_publishable_key_cannot_read_the_keys_or_list_charges(
    emulator_server: BackgroundServer, victim: dict[str, Any]
) -> None:
    pk = _page_config(victim["session"].url)["pk"]
    for method, path in (("GET", "/_emulator/keys"), ("GET", "/v1/charges"),
                         ("POST", "/_emulator/reset"), ("POST", "/v1/refunds")):
        resp = raw(emulator_server, method, path, key=pk,
                   params={"payment_intent": victim["pi"].id} if method == "POST" else None)
        assert resp.status == 403, (path, resp.body)
    assert len(victim["client"].v1.charges.list().data) == 1


def test_keys_control_refuses_a_connected_account_scope(
    emulator_server: BackgroundServer, victim: dict[str, Any]
) -> None:
    account = victim["client"].v1.accounts.create({"type": "express"})
    resp = raw(emulator_server, "GET", "/_emulator/keys", key=victim["key"],
               headers={"Stripe-Account": account.id})
    assert resp.status == 403


def _pk(server: BackgroundServer, key: str) -> str:
    resp = raw(server, "GET", "/_emulator/keys", key=key)
    assert resp.status == 200, resp.body
    return resp.body["publishable_key"]


def test_each_platform_has_its_own_stable_publishable_key(emulator_server: BackgroundServer
                                                          ) -> None:
    first, second = "sk_test_keys_owner_one", "sk_test_keys_owner_two"
    assert _pk(emulator_server, first) != _pk(emulator_server, second)
    assert _pk(emulator_server, first) == _pk(emulator_server, first)
    assert len(_pk(emulator_server, first)) > 40


def test_seeded_emulators_still_draw_the_publishable_key_at_random() -> None:
    keys = []
    for _ in range(2):
        emulator = Emulator(settings=Settings(seed=42))
        with BackgroundServer(emulator) as server:
            keys.append((raw(server, "GET", "/v1/account", key="sk_test_seeded").body["id"],
                         _pk(server, "sk_test_seeded")))
        emulator.close()
    assert keys[0][0] == keys[1][0]  # object IDs stay deterministic
    assert keys[0][1] != keys[1][1]  # the publishable key does not


def _all_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


def _all_values(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table'")]
        return "\n".join(repr(row) for t in tables for row in conn.execute(f"SELECT * FROM {t}"))
    finally:
        conn.close()


def test_a_db_file_holds_no_secret_key_and_keeps_the_publishable_key(tmp_path: Path) -> None:
    db = tmp_path / "workshop.db"
    key = "sk_test_learner_ana_4f9b2c"
    emulator = Emulator(db=str(db))
    with BackgroundServer(emulator) as server:
        client = make_client(server, key)
        client.v1.customers.create({"email": "a@example.com"},
                                   {"idempotency_key": "idem-1"})
        client.v1.webhook_endpoints.create({"url": "https://example.com/hook",
                                            "enabled_events": ["*"]})
        pk = _pk(server, key)
        platform = client.v1.accounts.retrieve_current().id
    emulator.close()
    suffix = key[len("sk_test_"):]
    assert suffix.encode() not in _all_bytes(db)
    assert suffix not in _all_values(db)

    emulator = Emulator(db=str(db))  # a restart on the same file
    with BackgroundServer(emulator) as server:
        assert raw(server, "GET", "/v1/account", key=key).body["id"] == platform
        assert _pk(server, key) == pk
        assert raw(server, "GET", "/v1/customers", key=key).body["data"][0]["email"] == \
            "a@example.com"
    emulator.close()


def test_an_old_db_file_is_migrated_to_hashed_keys(tmp_path: Path) -> None:
    """A file from before hashing kept ``key:<suffix>`` rows and key-prefixed idempotency
    scopes: opening it hashes the first and drops the second, and the platform survives."""
    db = tmp_path / "old.db"
    key = "sk_test_legacy_learner_bo_77"
    emulator = Emulator(db=str(db))
    with BackgroundServer(emulator) as server:
        platform = raw(server, "GET", "/v1/account", key=key).body["id"]
    emulator.close()
    conn = sqlite3.connect(db)
    with conn:  # what an older emulator wrote
        conn.execute("DELETE FROM api_keys")
        conn.execute("INSERT INTO meta (name, value) VALUES (?, ?)",
                     ("key:" + key[len("sk_test_"):], platform))
        conn.execute("INSERT INTO idempotency VALUES (?,?,?,?,?,?)",
                     (f"{key}|{platform}", "k1", "f", 200, "{}", 0))
    conn.close()
    emulator = Emulator(db=str(db))
    with BackgroundServer(emulator) as server:
        assert raw(server, "GET", "/v1/account", key=key).body["id"] == platform
        assert _pk(server, key).startswith("pk_test_")
    emulator.close()
    assert key[len("sk_test_"):].encode() not in _all_bytes(db)
