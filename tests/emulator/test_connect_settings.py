"""The Dashboard settings a script needs, as controls (``/_emulator/connect/settings``,
``/_emulator/platform``): a standalone or workshop emulator is configured over HTTP, each
platform only its own, with the platform's secret key only."""

from __future__ import annotations

from harness.lab.server import BackgroundServer

from .support import fresh_secret_key, publishable, raw


def test_redirect_uris_are_set_over_http_first_one_default(
        emulator_server: BackgroundServer) -> None:
    key = fresh_secret_key()
    before = raw(emulator_server, "GET", "/_emulator/connect/settings", key=key)
    assert before.status == 200 and before.body["redirect_uris"] == []
    assert before.body["client_id"].startswith("ca_")
    after = raw(emulator_server, "POST", "/_emulator/connect/settings", key=key, params=[
        ("redirect_uris[0]", "https://rentals.example/connect/oauth"),
        ("redirect_uris[1]", "http://127.0.0.1:5000/connect/oauth")])
    assert after.status == 200, after.body
    assert after.body["redirect_uris"] == ["https://rentals.example/connect/oauth",
                                           "http://127.0.0.1:5000/connect/oauth"]
    assert after.body["default_redirect_uri"] == "https://rentals.example/connect/oauth"
    assert after.body["client_id"] == before.body["client_id"]
    cleared = raw(emulator_server, "POST", "/_emulator/connect/settings", key=key,
                  params={"redirect_uris": ""})
    assert cleared.body["redirect_uris"] == [] and cleared.body["default_redirect_uri"] is None


def test_a_redirect_uri_must_be_a_url(emulator_server: BackgroundServer) -> None:
    key = fresh_secret_key()
    for bad in ("javascript:alert(1)", "not a url", "ftp://x.example/"):
        answer = raw(emulator_server, "POST", "/_emulator/connect/settings", key=key,
                     params={"redirect_uris[0]": bad})
        assert answer.status == 400, (bad, answer.body)
        assert answer.body["error"]["param"] == "redirect_uris[0]"
    assert raw(emulator_server, "GET", "/_emulator/connect/settings",
               key=key).body["redirect_uris"] == []


def test_each_platform_sees_and_sets_only_its_own(emulator_server: BackgroundServer) -> None:
    mine, theirs = fresh_secret_key(), fresh_secret_key()
    raw(emulator_server, "POST", "/_emulator/connect/settings", key=mine,
        params={"redirect_uris[0]": "https://mine.example/oauth"})
    other = raw(emulator_server, "GET", "/_emulator/connect/settings", key=theirs).body
    assert other["redirect_uris"] == []
    assert other["client_id"] != raw(emulator_server, "GET", "/_emulator/connect/settings",
                                     key=mine).body["client_id"]


def test_only_the_platforms_secret_key_may_use_them(emulator_server: BackgroundServer) -> None:
    key = fresh_secret_key()
    pk = publishable(emulator_server, key)
    for path in ("/_emulator/connect/settings", "/_emulator/platform"):
        assert raw(emulator_server, "GET", path, key=pk).status in (401, 403)
        assert raw(emulator_server, "GET", path).status == 401
    account = raw(emulator_server, "POST", "/v1/accounts", key=key,
                  params={"type": "express"}).body["id"]
    acting = raw(emulator_server, "GET", "/_emulator/connect/settings", key=key,
                 headers={"Stripe-Account": account})
    assert acting.status == 403


def test_platform_tells_its_default_version_and_the_pricing(
        emulator_server: BackgroundServer) -> None:
    key = fresh_secret_key()
    info = raw(emulator_server, "GET", "/_emulator/platform", key=key).body
    assert info["api_version"] == "2026-07-29.dahlia"
    assert info["pricing"]["fee_percent"] == 2.9 and info["pricing"]["fee_fixed"] == 30
    assert info["id"] == raw(emulator_server, "GET", "/v1/account", key=key).body["id"]
