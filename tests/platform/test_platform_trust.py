"""The platform app attacked the way an outsider would: OAuth states carried to another
browser, replayed, or spent twice; a second connection for a connected homeowner; acting for
another homeowner; the same webhook delivered twelve times at once to a real threaded server;
live keys; and correctly signed bodies that are not events.

Signatures are computed here from Stripe's documented scheme (HMAC-SHA256 of
``"{t}.{payload}"`` keyed with the endpoint's ``whsec_`` secret,
https://docs.stripe.com/webhooks#verify-manually), not with any code of the app's or the
emulator's.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import hmac
import html
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest
import stripe
from flask import Flask
from flask.testing import FlaskClient

from harness.emulator.resources import oauth
from harness.lab.server import BackgroundServer
from harness.platform import PlatformConfig, create_app
from harness.platform.db import Database

from ..conftest import make_client
from ..emulator.resources.test_oauth import FORM, fetch, session_of

PUBLIC = "http://platform.test"
PASSCODES = {"ho_001": "maya-passcode-7f3a", "ho_002": "daniel-passcode-91bc"}
HOMEOWNERS = [
    {"id": "ho_001", "name": "Maya Chen", "email": "maya.chen@example.com",
     "passcode": PASSCODES["ho_001"]},
    {"id": "ho_002", "name": "Daniel Okafor", "email": "daniel.okafor@example.com",
     "passcode": PASSCODES["ho_002"]},
]
WHSEC = "whsec_" + "trust0test0secret0for0the0platform"


# -- fixtures ---------------------------------------------------------------------------------
@dataclass
class Setup:
    app: Flask
    db: Database
    stripe: stripe.StripeClient
    server: BackgroundServer

    def browser(self, homeowner: str | None = None) -> FlaskClient:
        """A separate browser (its own cookie jar), signed in as ``homeowner`` if given."""
        client = self.app.test_client()
        if homeowner:
            sign_in(client, homeowner)
        return client

    def saved(self, homeowner_id: str) -> str | None:
        row = self.db.one("SELECT stripe_account_id FROM homeowners WHERE id=?", (homeowner_id,))
        assert row is not None
        return row["stripe_account_id"]


def sign_in(client: FlaskClient, homeowner: str, passcode: str | None = None) -> Any:
    """POST /login as a person would. Not asserted here: the attacks below must show their
    effect whatever the sign-in did."""
    return client.post("/login", data={"homeowner": homeowner,
                                       "passcode": passcode or PASSCODES[homeowner]})


@pytest.fixture
def setup(emulator_server: BackgroundServer, api_key: str) -> Setup:
    emulator = emulator_server.emulator  # type: ignore[attr-defined]
    client = make_client(emulator_server, api_key)
    platform_id = client.v1.accounts.retrieve_current().id
    oauth.set_redirect_uris(emulator, platform_id, [PUBLIC + "/connect/oauth"])
    config = PlatformConfig(
        secret_key=api_key, publishable_key="pk_test_not_used_by_onboarding",
        api_base=emulator_server.url, connect_base=emulator_server.url,
        client_id=oauth.client_id_of(emulator.store, platform_id), public_url=PUBLIC)
    db = Database()
    db.seed(HOMEOWNERS, [])
    return Setup(create_app(config, db), db, client, emulator_server)


def oauth_href(browser: FlaskClient, homeowner: str = "ho_001") -> str:
    page = browser.get(f"/?homeowner={homeowner}")
    found = re.search(r'id="connect-with-stripe" href="([^"]+)"', page.get_data(as_text=True))
    assert found, (page.status_code, page.get_data(as_text=True)[:300])
    return html.unescape(found.group(1))


def through_stripe(s: Setup, href: str) -> str:
    """The homeowner completes Stripe's hosted form; the path Stripe sends the browser to."""
    page = fetch(href)
    answer = fetch(s.server.url + "/express/oauth/authorize",
                   {**FORM, "session": session_of(page), "action": "submit"})
    assert answer.status == 303 and answer.location.startswith(PUBLIC), answer.location
    return answer.location[len(PUBLIC):]


def error_of(response: Any) -> str:
    body = response.get_json(silent=True) or {}
    assert isinstance(body.get("error"), str) and body["error"], response.get_data(as_text=True)
    return body["error"]


# -- OAuth state bound to the browser session -----------------------------------------------------
def test_state_from_another_browser_session_is_403_and_connects_nothing(setup: Setup) -> None:
    victim = setup.browser("ho_001")
    callback = through_stripe(setup, oauth_href(victim))  # the flow started in browser A
    for other in (setup.browser(), setup.browser("ho_001"), setup.browser("ho_002")):
        answer = other.get(callback)  # ...and is finished in browser B
        assert answer.status_code == 403, answer.get_data(as_text=True)
        assert "session" in error_of(answer) or "state" in error_of(answer)
        assert setup.saved("ho_001") is None and setup.saved("ho_002") is None
    assert setup.stripe.v1.accounts.list().data == []  # the code was never exchanged
    done = victim.get(callback)  # the browser that started it still can
    assert (done.status_code, done.get_json()) == (200, {"success": True})
    assert setup.saved("ho_001", ).startswith("acct_")


def test_a_replayed_state_is_403(setup: Setup) -> None:
    browser = setup.browser("ho_001")
    callback = through_stripe(setup, oauth_href(browser))
    assert browser.get(callback).status_code == 200
    first = setup.saved("ho_001")
    for replayer in (browser, setup.browser("ho_001")):
        again = replayer.get(callback)
        assert again.status_code == 403 and error_of(again)
    assert setup.saved("ho_001") == first


def test_a_state_made_before_signing_in_again_is_dead(setup: Setup) -> None:
    """Signing in starts a new session (no session fixation): older states are useless."""
    browser = setup.browser("ho_001")
    callback = through_stripe(setup, oauth_href(browser))
    sign_in(browser, "ho_001")
    assert browser.get(callback).status_code == 403
    assert setup.saved("ho_001") is None


# -- a connection is never replaced -----------------------------------------------------------
def test_a_second_oauth_connection_is_refused_and_the_first_kept(setup: Setup) -> None:
    browser = setup.browser("ho_001")
    first_href, second_href = oauth_href(browser), oauth_href(browser)  # two tabs
    assert browser.get(through_stripe(setup, first_href)).status_code == 200
    kept = setup.saved("ho_001")
    second = browser.get(through_stripe(setup, second_href))
    assert second.status_code == 409 and "already" in error_of(second)
    assert setup.saved("ho_001") == kept
    assert [a.id for a in setup.stripe.v1.accounts.list().data] == [kept]


def test_oauth_cannot_replace_an_account_made_by_account_links(setup: Setup) -> None:
    browser = setup.browser("ho_002")
    href = oauth_href(browser, "ho_002")  # signup page opened before onboarding
    assert browser.get("/onboard").status_code == 303
    kept = setup.saved("ho_002")
    assert kept and kept.startswith("acct_")
    answer = browser.get(through_stripe(setup, href))
    assert answer.status_code == 409 and setup.saved("ho_002") == kept


def test_parallel_onboarding_clicks_make_one_account(setup: Setup) -> None:
    browser = setup.browser("ho_002")
    cookie = browser.get_cookie("platform_session")
    with BackgroundServer(setup.app) as server:
        def click(_: int) -> tuple[int, str]:
            request = urllib.request.Request(server.url + "/onboard?homeowner=ho_002")
            if cookie is not None:
                request.add_header("Cookie", f"platform_session={cookie.value}")
            return no_redirect(request)

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(click, range(8)))
    saved = setup.saved("ho_002")
    assert saved and all(status == 303 for status, _ in answers), answers
    assert all(f"/{saved}/" in location for _, location in answers), (saved, answers)
    live = [a.id for a in setup.stripe.v1.accounts.list().data
            if (a.metadata.to_dict() or {}).get("homeowner_id") == "ho_002"]
    assert live == [saved]


# -- acting for another homeowner ----------------------------------------------------------------
ROUTES = [("GET", "/?homeowner=ho_002"), ("GET", "/onboard?homeowner=ho_002"),
          ("POST", "/onboard?homeowner=ho_002"), ("GET", "/onboard/refresh?homeowner=ho_002"),
          ("GET", "/onboard/return?homeowner=ho_002")]


@pytest.mark.parametrize("method,path", ROUTES)
def test_acting_for_another_homeowner_is_403(setup: Setup, method: str, path: str) -> None:
    maya = setup.browser("ho_001")
    answer = maya.open(path, method=method)
    assert answer.status_code == 403, (answer.status_code, answer.get_data(as_text=True)[:200])
    assert "homeowner" in error_of(answer)
    assert setup.saved("ho_002") is None and setup.saved("ho_001") is None
    assert setup.db.query("SELECT * FROM oauth_states WHERE homeowner_id='ho_002'") == []


@pytest.mark.parametrize("method,path", ROUTES[1:] + [("GET", "/onboard")])
def test_nobody_signed_in_is_refused(setup: Setup, method: str, path: str) -> None:
    answer = setup.browser().open(path, method=method)
    assert answer.status_code == 401 and "Sign in" in error_of(answer)
    assert setup.saved("ho_002") is None


def test_the_landing_page_lists_no_homeowners_or_accounts(setup: Setup) -> None:
    with setup.db.transaction() as conn:
        conn.execute("UPDATE homeowners SET stripe_account_id='acct_secretish' WHERE id='ho_001'")
    text = setup.browser().get("/").get_data(as_text=True)
    assert 'id="sign-in-form"' in text
    assert "acct_secretish" not in text and "Daniel Okafor" not in text


@pytest.mark.parametrize("homeowner,passcode,status", [
    ("ho_001", "wrong", 403), ("ho_404", "anything", 403), ("ho_001", "", 400),
    ("", "x", 400), ("ho_001", PASSCODES["ho_002"], 403), ("ho_001", "x" * 5000, 400),
])
def test_bad_sign_ins_are_refused(setup: Setup, homeowner: str, passcode: str,
                                  status: int) -> None:
    browser = setup.browser()
    answer = browser.post("/login", data={"homeowner": homeowner, "passcode": passcode})
    assert answer.status_code == status and error_of(answer)
    assert browser.get("/onboard").status_code == 401


def test_a_cross_site_sign_in_form_is_refused(setup: Setup) -> None:
    browser = setup.browser()
    answer = browser.post("/login", data={"homeowner": "ho_001", "passcode": PASSCODES["ho_001"]},
                          headers={"Origin": "https://attacker.example"})
    assert answer.status_code == 403 and "Cross-site" in error_of(answer)
    assert browser.get("/onboard").status_code == 401


def test_the_session_key_is_random_per_app_and_not_the_old_constant(
        setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    from flask.sessions import SecureCookieSessionInterface

    monkeypatch.delenv("FLASK_SECRET_KEY", raising=False)
    other = create_app(setup.app.config["PLATFORM"], setup.db)
    keys = {setup.app.config["SECRET_KEY"], other.config["SECRET_KEY"]}
    assert len(keys) == 2 and "connect-lab-dev-session" not in keys
    # a cookie signed with the key the app used to ship with signs nobody in
    forger = Flask("forger")
    forger.secret_key = "connect-lab-dev-session"
    signer = SecureCookieSessionInterface().get_signing_serializer(forger)
    forged = signer.dumps({"homeowner": "ho_002", "sid": "attacker"})
    browser = setup.browser()
    browser.set_cookie("platform_session", forged)
    browser.set_cookie("session", forged)
    assert browser.get("/onboard?homeowner=ho_002").status_code == 401
    monkeypatch.setenv("FLASK_SECRET_KEY", "s" * 40)
    assert create_app(setup.app.config["PLATFORM"], setup.db).config["SECRET_KEY"] == "s" * 40
    monkeypatch.setenv("FLASK_SECRET_KEY", "short")
    with pytest.raises(ValueError, match="at least"):
        create_app(setup.app.config["PLATFORM"], setup.db)


# -- live keys ---------------------------------------------------------------------------------
@pytest.mark.parametrize("field,prefix", [("secret_key", "sk_"), ("secret_key", "rk_"),
                                          ("publishable_key", "pk_")])
def test_live_keys_are_refused_at_start(field: str, prefix: str) -> None:
    live = prefix + "live_" + "x" * 24  # built here, so secret scanners stay quiet
    values = {"secret_key": "sk_test_" + "y" * 24, "publishable_key": "pk_test_" + "z" * 24}
    values[field] = live
    with pytest.raises(ValueError, match="live-mode key") as info:
        create_app(PlatformConfig(**values), Database())
    assert live not in str(info.value)


# -- webhooks: signed by Stripe's documented scheme ---------------------------------------------
def stripe_signature(payload: str, secret: str = WHSEC, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


@pytest.fixture
def shop() -> tuple[Flask, Database]:
    db = Database()
    db.seed([{"id": "h1", "name": "Ana", "email": "ana@example.com"}],
            [{"id": "l1", "homeowner_id": "h1", "title": "Loft", "city": "Lisbon",
              "nightly_price": 1000}])
    with db.transaction() as conn:
        conn.execute("INSERT INTO bookings (listing_id, nights, amount, application_fee,"
                     " currency, payment_intent) VALUES ('l1', 1, 1000, 123, 'usd', 'pi_1')")
    config = PlatformConfig("sk_test_" + "w" * 24, "pk_test_" + "w" * 24, webhook_secret=WHSEC)
    return create_app(config, db), db


def no_redirect(request: urllib.request.Request) -> tuple[int, str]:
    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    try:
        with urllib.request.build_opener(Stay).open(request, timeout=30) as resp:
            return resp.status, resp.headers.get("Location") or resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location") or exc.read().decode()


def test_parallel_duplicate_deliveries_fulfil_the_booking_once(shop) -> None:
    app, db = shop
    payload = json.dumps({"id": "evt_dup", "object": "event", "type": "payment_intent.succeeded",
                          "data": {"object": {"id": "pi_1", "object": "payment_intent",
                                              "amount_received": 1000}}})
    signature = stripe_signature(payload)
    start = threading.Barrier(12)
    with BackgroundServer(app) as server:
        def deliver(_: int) -> tuple[int, str]:
            request = urllib.request.Request(
                server.url + "/webhook", data=payload.encode(), method="POST",
                headers={"Content-Type": "application/json", "Stripe-Signature": signature})
            start.wait(timeout=10)
            return no_redirect(request)

        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(deliver, range(12)))
    assert [status for status, _ in answers] == [200] * 12, answers
    decisions = sorted(json.loads(body)["decision"] for _, body in answers)
    assert sum(d.startswith("fulfilled") for d in decisions) == 1, decisions
    assert sum(d.startswith("duplicate") for d in decisions) == 11, decisions
    assert len(db.query("SELECT * FROM webhook_events WHERE id='evt_dup'")) == 1
    rows = db.query("SELECT status, connected, paid_at FROM bookings")
    assert len(rows) == 1 and rows[0]["status"] == "paid" and rows[0]["connected"] == 1
    assert rows[0]["paid_at"] is not None


def _event(**fields: Any) -> str:
    base: dict[str, Any] = {"id": "evt_bad", "object": "event", "type": "payment_intent.succeeded",
                            "data": {"object": {"id": "pi_1", "object": "payment_intent",
                                                "amount_received": 1000}}}
    for key, value in fields.items():
        if value is ...:
            base.pop(key)
        else:
            base[key] = value
    return json.dumps(base)


BAD_BODIES = {
    "no data": _event(data=...),
    "data is null": _event(data=None),
    "data without object": _event(data={}),
    "data.object is a list": _event(data={"object": [1, 2]}),
    "data.object is a string": _event(data={"object": "pi_1"}),
    "data is a list": _event(data=[{"object": {}}]),
    "a JSON list": json.dumps([{"id": "evt_bad"}]),
    "a JSON number": "42",
    "not JSON": "{not json",
    "no type": _event(type=...),
    "type is a number": _event(type=7),
    "type is not an event type": _event(type="DROP TABLE bookings"),
    "no id": _event(id=...),
    "id is an object": _event(id={"a": 1}),
    "object id is an object": _event(data={"object": {"id": {"$ne": 1}}}),
    "amount is a string": _event(data={"object": {"id": "pi_1", "amount_received": "1000"}}),
    "account is a list": _event(account=["acct_1"]),
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_a_signed_body_that_is_not_an_event_is_400(shop, body: str) -> None:
    app, db = shop
    answer = app.test_client().post("/webhook", data=body, headers={
        "Content-Type": "application/json", "Stripe-Signature": stripe_signature(body)})
    assert answer.status_code == 400, (answer.status_code, answer.get_data(as_text=True)[:200])
    assert error_of(answer)
    assert db.query("SELECT * FROM webhook_events") == []
    assert db.one("SELECT status FROM bookings")["status"] == "pending"


def test_a_well_formed_event_of_another_type_is_acknowledged(shop) -> None:
    """Stripe retries anything but a 2xx: a type the handler ignores is still a 200."""
    app, db = shop
    body = _event(type="payout.paid", data={"object": {"id": "po_1", "object": "payout"}})
    answer = app.test_client().post("/webhook", data=body, headers={
        "Content-Type": "application/json", "Stripe-Signature": stripe_signature(body)})
    assert answer.status_code == 200 and answer.get_json()["decision"].startswith("ignored")


def test_deauthorization_is_the_one_way_a_saved_account_is_cleared(setup: Setup) -> None:
    """After Stripe says the connection ended, the homeowner may connect again."""
    setup.app.config["PLATFORM"].webhook_secret = WHSEC
    browser = setup.browser("ho_001")
    assert browser.get(through_stripe(setup, oauth_href(browser))).status_code == 200
    first = setup.saved("ho_001")
    setup.stripe.oauth.deauthorize({"client_id": setup.app.config["PLATFORM"].client_id,
                                    "stripe_user_id": first})
    body = json.dumps({"id": "evt_deauth", "object": "event", "account": first,
                       "type": "account.application.deauthorized",
                       "data": {"object": {"id": "ca_x", "object": "application"}}})
    answer = browser.post("/webhook", data=body, headers={
        "Content-Type": "application/json", "Stripe-Signature": stripe_signature(body)})
    assert answer.status_code == 200 and "disconnected" in answer.get_json()["decision"]
    assert setup.saved("ho_001") is None
    assert browser.get(through_stripe(setup, oauth_href(browser))).status_code == 200
    assert setup.saved("ho_001") not in (None, first)
