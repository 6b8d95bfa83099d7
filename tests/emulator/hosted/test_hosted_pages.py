"""Stripe's browser side, attacked: script URLs, CSS injection, framing, and single-use
links raced by many browsers at once."""

from __future__ import annotations

import re
import threading
import urllib.parse
from collections import Counter
from typing import Any

import pytest
import stripe

from harness.emulator.errors import InvalidRequest
from harness.emulator.registry import registry
from harness.emulator.resources import oauth
from harness.lab.server import BackgroundServer

from ...conftest import make_client
from ..support import (
    Page,
    fresh_secret_key,
    onboarded_account,
    page,
    publishable_key,
    raw,
)

# What an attacker puts where a hosted page will send the browser.
BAD_URLS = [
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    "  javascript:alert(1)",
    "\tjavascript:alert(1)",
    "java\tscript:alert(1)",
    "javascript://example.com/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "/relative/path",
    "//evil.example/steal",
    "https:evil.example",
    "http://",
    "example.com/ok",
    "https://example.com/ok\n",
]
GOOD_URLS = ["https://example.com/ok?session={CHECKOUT_SESSION_ID}",
             "http://127.0.0.1:5000/done"]
LINE_ITEMS = [{"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 12000,
                                             "product_data": {"name": "Two nights"}}}]


def _path(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _refused_as_invalid_url(resp: Any, param: str) -> bool:
    error = (resp.body or {}).get("error", {})
    return (resp.status == 400 and error.get("code") == "url_invalid"
            and error.get("param") == param and error.get("message") == "Not a valid URL")


@pytest.fixture
def platform(emulator_server: BackgroundServer) -> tuple[str, stripe.StripeClient]:
    key = fresh_secret_key()
    return key, make_client(emulator_server, key)


def _express(client: stripe.StripeClient) -> str:
    return client.v1.accounts.create({
        "type": "express", "country": "US",
        "capabilities": {"card_payments": {"requested": True},
                         "transfers": {"requested": True}}}).id


# -- URLs ---------------------------------------------------------------------------------------
def test_every_url_parameter_refuses_script_and_relative_urls(
    emulator_server: BackgroundServer, platform: tuple[str, stripe.StripeClient]
) -> None:
    key, client = platform
    account = _express(client)
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    pk = publishable_key(emulator_server, key)
    session_base = {"mode": "payment", "success_url": GOOD_URLS[0]}
    items = {"line_items[0][quantity]": "1", "line_items[0][price_data][currency]": "usd",
             "line_items[0][price_data][unit_amount]": "1000",
             "line_items[0][price_data][product_data][name]": "Stay"}
    link_base = {"account": account, "type": "account_onboarding",
                 "refresh_url": GOOD_URLS[0], "return_url": GOOD_URLS[1]}
    # (route, parameter, other parameters, key)
    targets = [
        ("/v1/checkout/sessions", "success_url", {**session_base, **items}, key),
        ("/v1/checkout/sessions", "cancel_url", {**session_base, **items}, key),
        ("/v1/checkout/sessions", "return_url", {**session_base, **items}, key),
        ("/v1/account_links", "refresh_url", link_base, key),
        ("/v1/account_links", "return_url", link_base, key),
        ("/v1/payment_intents", "return_url",
         {"amount": "1000", "currency": "usd", "payment_method": "pm_card_visa",
          "confirm": "true"}, key),
        (f"/v1/payment_intents/{pi.id}/confirm", "return_url",
         {"payment_method": "pm_card_visa"}, key),
        (f"/v1/payment_intents/{pi.id}/confirm", "return_url",
         {"payment_method": "pm_card_visa", "client_secret": pi.client_secret}, pk),
    ]
    accepted = []
    for path, name, base, use_key in targets:
        for bad in BAD_URLS:
            resp = raw(emulator_server, "POST", path, key=use_key, params={**base, name: bad})
            if not _refused_as_invalid_url(resp, name):
                accepted.append((path, name, bad, resp.status))
    assert accepted == []
    for bad in BAD_URLS:  # the Dashboard's OAuth settings (in-process here)
        with pytest.raises(InvalidRequest):
            oauth.set_redirect_uris(emulator_server.emulator,  # type: ignore[attr-defined]
                                    "acct_x", [bad])


def test_good_urls_still_work_and_apps_may_use_their_own_scheme(
    platform: tuple[str, stripe.StripeClient]
) -> None:
    _, client = platform
    for url in GOOD_URLS:
        session = client.v1.checkout.sessions.create({
            "mode": "payment", "success_url": url, "cancel_url": url,
            "line_items": LINE_ITEMS})
        assert session.success_url == url
    pi = client.v1.payment_intents.create({
        "amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        "return_url": "cozystays://payment-done"})
    assert pi.status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError) as refused:  # an app scheme: PI only
        client.v1.checkout.sessions.create({"mode": "payment", "line_items": LINE_ITEMS,
                                            "success_url": "cozystays://done"})
    assert refused.value.code == "url_invalid"


# -- colours ------------------------------------------------------------------------------------
def test_brand_colours_must_be_hex_and_never_reach_css_otherwise(
    emulator_server: BackgroundServer, platform: tuple[str, stripe.StripeClient]
) -> None:
    key, client = platform
    me = client.v1.accounts.retrieve_current().id
    refused = []
    for name in ("primary_color", "secondary_color"):
        for bad in ("red;}</style><script>alert(1)</script>", "#0a7d5a;background:url(x)",
                    "#0a7d5a\n", "expression(alert(1))", "#12345", "0a7d5a", "#0a7d5a}"):
            resp = raw(emulator_server, "POST", f"/v1/accounts/{me}", key=key,
                       params={f"settings[branding][{name}]": bad})
            refused.append(resp.status == 400 and
                           resp.error["param"] == f"settings[branding][{name}]")
    assert all(refused)
    client.v1.accounts.update(me, {"settings": {"branding": {"primary_color": "#0a7d5a"}}})
    session = client.v1.checkout.sessions.create({
        "mode": "payment", "success_url": GOOD_URLS[0], "line_items": LINE_ITEMS})
    assert "background: #0a7d5a" in page(emulator_server, _path(session.url)).text

    # A colour stored before the check existed (an old --db file) is dropped at render.
    store = emulator_server.emulator.store  # type: ignore[attr-defined]
    ns, account = store.get(me)
    account["settings"]["branding"]["primary_color"] = "red;}</style><script>alert(1)</script>"
    store.save(account)
    account_id = onboarded_account(emulator_server, client, key)
    express = client.v1.accounts.create({"type": "express", "country": "US"}).id
    link = client.v1.account_links.create({"account": express, "type": "account_onboarding",
                                           "refresh_url": GOOD_URLS[0],
                                           "return_url": GOOD_URLS[1]})
    login = client.v1.accounts.login_links.create(account_id)
    for url in (session.url, link.url, login.url):
        text = page(emulator_server, _path(url)).text
        assert "<script>alert(1)" not in text and "red;}" not in text, url
        assert "#635bff" in text, url


# -- framing and the other browser headers --------------------------------------------------------
FRAMEABLE = {"/v3/elements-inner.html", "/_emulator/3ds/<id>"}


def test_every_hosted_page_refuses_to_be_framed_except_the_stripe_js_frames(
    emulator_server: BackgroundServer, platform: tuple[str, stripe.StripeClient]
) -> None:
    key, client = platform
    account_id = onboarded_account(emulator_server, client, key)
    session = client.v1.checkout.sessions.create({
        "mode": "payment", "success_url": GOOD_URLS[0], "line_items": LINE_ITEMS})
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    login = client.v1.accounts.login_links.create(account_id)
    token = _path(login.url).rsplit("/", 1)[1]
    real = {"id": session.id, "account_id": account_id, "token": token, "platform": "x"}
    pages_seen, problems = 0, []
    raw_gets = [r for r in registry.routes if r.raw and r.method == "GET" and not r.websocket]
    for route in raw_gets:
        values = dict(real, id=pi.id) if "3ds" in route.path else real
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m, v=values: v.get(m.group(1), "x"), route.path)
        for variant in (path, path + "?0=x", re.sub(r"/[^/]+$", "/nope", path)):
            got: Page = page(emulator_server, variant)
            if not got.headers.get("content-type", "").startswith("text/html"):
                continue
            pages_seen += 1
            h = got.headers
            if h.get("x-content-type-options") != "nosniff" or \
                    h.get("referrer-policy") not in ("no-referrer", "same-origin"):
                problems.append((variant, "nosniff/referrer", h))
            framed_ok = route.path in FRAMEABLE
            denies = h.get("x-frame-options") == "DENY" and \
                "frame-ancestors 'none'" in h.get("content-security-policy", "")
            if denies == framed_ok:
                problems.append((variant, "framing", h))
    print(f"hosted HTML answers checked for browser headers: {pages_seen}")
    assert pages_seen >= len(raw_gets) and problems == []
    assert {r.path for r in raw_gets if getattr(r, "frameable", False)} == FRAMEABLE


# -- single-use links, raced -----------------------------------------------------------------------
def _race(server: BackgroundServer, path: str, n: int = 16) -> list[Page]:
    barrier = threading.Barrier(n)
    out: list[Page] = []
    lock = threading.Lock()

    def go() -> None:
        barrier.wait()
        got = page(server, path)
        with lock:
            out.append(got)

    threads = [threading.Thread(target=go) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert len(out) == n
    return out


def test_a_login_link_opens_once_however_many_browsers_race_for_it(
    emulator_server: BackgroundServer, platform: tuple[str, stripe.StripeClient]
) -> None:
    key, client = platform
    account_id = onboarded_account(emulator_server, client, key)
    for _ in range(3):
        login = client.v1.accounts.login_links.create(account_id)
        statuses = Counter(p.status for p in _race(emulator_server, _path(login.url)))
        assert statuses == {200: 1, 410: 15}, statuses


def test_an_account_link_opens_once_however_many_browsers_race_for_it(
    emulator_server: BackgroundServer, platform: tuple[str, stripe.StripeClient]
) -> None:
    _, client = platform
    account = _express(client)
    for _ in range(10):
        link = client.v1.account_links.create({
            "account": account, "type": "account_onboarding",
            "refresh_url": "http://127.0.0.1:9/refresh", "return_url": GOOD_URLS[1]})
        answers = _race(emulator_server, _path(link.url))
        forms = [p for p in answers if p.status == 200]
        refreshed = [p for p in answers if p.status == 302
                     and p.location == "http://127.0.0.1:9/refresh"]
        assert len(forms) == 1 and len(refreshed) == 15, Counter(p.status for p in answers)
