"""The platform's onboarding routes (guide step 2) against the emulator, through Flask's test
client: the OAuth redirect handler's 403/400/500/200 answers and the Account Links flow. The
homeowner signs in first (``POST /login``); the attacks on that are in test_platform_trust."""

from __future__ import annotations

import ast
import html
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import stripe
from flask import Flask
from flask.testing import FlaskClient

from harness.emulator.resources import oauth
from harness.lab import emulator_keys
from harness.lab.server import BackgroundServer
from harness.platform import PlatformConfig, create_app
from harness.platform import onboarding as steps
from harness.platform.db import Database

from ..conftest import make_client
from ..emulator.resources.test_oauth import FORM, fetch, session_of

PUBLIC = "http://platform.test"  # the app's public URL; Flask's test client serves it
PASSCODES = {"ho_001": "maya-onboarding-passcode", "ho_002": "daniel-onboarding-passcode"}
HOMEOWNERS = [
    {"id": "ho_001", "name": "Maya Chen", "email": "maya.chen@example.com",
     "passcode": PASSCODES["ho_001"]},
    {"id": "ho_002", "name": "Daniel Okafor", "email": "daniel.okafor@example.com",
     "passcode": PASSCODES["ho_002"]},
]


@dataclass
class Setup:
    app: Flask
    web: FlaskClient
    db: Database
    stripe: stripe.StripeClient
    server: BackgroundServer

    def homeowner(self, homeowner_id: str) -> dict[str, Any]:
        row = self.db.one("SELECT * FROM homeowners WHERE id=?", (homeowner_id,))
        assert row is not None
        return row

    def sign_in(self, homeowner_id: str) -> None:
        """Sign the test client's browser in as ``homeowner_id`` (a fresh session)."""
        answer = self.web.post("/login", data={"homeowner": homeowner_id,
                                               "passcode": PASSCODES[homeowner_id]})
        assert answer.status_code == 303, answer.get_data(as_text=True)


@pytest.fixture
def setup(emulator_server: BackgroundServer, api_key: str) -> Setup:
    emulator = emulator_server.emulator  # type: ignore[attr-defined]
    client = make_client(emulator_server, api_key)
    platform_id = client.v1.accounts.retrieve_current().id
    oauth.set_redirect_uris(emulator, platform_id, [PUBLIC + "/connect/oauth"])
    config = PlatformConfig(
        secret_key=api_key,
        publishable_key=emulator_keys(emulator_server.url, api_key)["publishable_key"],
        api_base=emulator_server.url, connect_base=emulator_server.url,
        client_id=oauth.client_id_of(emulator.store, platform_id), public_url=PUBLIC)
    db = Database()
    db.seed(HOMEOWNERS, [])
    app = create_app(config, db)
    return Setup(app, app.test_client(), db, client, emulator_server)


def oauth_href(s: Setup, homeowner_id: str) -> str:
    s.sign_in(homeowner_id)
    page = s.web.get(f"/?homeowner={homeowner_id}")
    assert page.status_code == 200
    found = re.search(r'id="connect-with-stripe" href="([^"]+)"', page.get_data(as_text=True))
    assert found
    return html.unescape(found.group(1))


def back_on_platform(location: str | None) -> str:
    assert location and location.startswith(PUBLIC), location
    return location[len(PUBLIC):]


def stripe_redirect(s: Setup, homeowner_id: str, action: str = "submit") -> str:
    """The homeowner goes through Stripe's form; returns the path Stripe redirects to."""
    page = fetch(oauth_href(s, homeowner_id))
    answer = fetch(s.server.url + "/express/oauth/authorize",
                   {**FORM, "session": session_of(page), "action": action})
    assert answer.status == 303
    return back_on_platform(answer.location)


def query_of(path: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))


# -- the landing page and its OAuth link 
def test_landing_asks_to_sign_in_then_greets_the_homeowner(setup: Setup) -> None:
    text = setup.web.get("/?homeowner=ho_002").get_data(as_text=True)
    assert 'id="sign-in-form"' in text and 'value="ho_002"' in text
    setup.sign_in("ho_002")
    text = setup.web.get("/").get_data(as_text=True)
    assert "Hello Daniel Okafor" in text and 'href="/onboard?homeowner=ho_002"' in text


def test_signup_link_is_the_guides_express_oauth_link(setup: Setup) -> None:
    url = oauth_href(setup, "ho_001")
    parts = urllib.parse.urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == \
        setup.server.url + "/express/oauth/authorize"
    query = query_of(url)
    assert query["client_id"].startswith("ca_") and query["response_type"] == "code"
    assert query["redirect_uri"] == PUBLIC + "/connect/oauth"
    assert query["stripe_user[email]"] == "maya.chen@example.com"
    assert {query["suggested_capabilities[0]"], query["suggested_capabilities[1]"]} == \
        {"card_payments", "transfers"}
    again = query_of(html.unescape(re.search(
        r'id="connect-with-stripe" href="([^"]+)"',
        setup.web.get("/").get_data(as_text=True)).group(1)))  # a second view, same session
    assert len(query["state"]) >= 40 and again["state"] != query["state"]  # random per signup
    saved = setup.db.query("SELECT state, homeowner_id, session_hash FROM oauth_states")
    assert {(r["state"], r["homeowner_id"]) for r in saved} >= {
        (query["state"], "ho_001"), (again["state"], "ho_001")}
    assert len({r["session_hash"] for r in saved}) == 1  # both bound to this browser session


def test_no_client_id_means_no_oauth_button(setup: Setup) -> None:
    setup.app.config["PLATFORM"].client_id = None
    setup.sign_in("ho_001")
    text = setup.web.get("/?homeowner=ho_001").get_data(as_text=True)
    assert 'id="no-client-id"' in text and "connect-with-stripe" not in text


# -- /connect/oauth --------------------------------------------------------------------------------
def test_a_browser_lands_on_a_page_that_says_she_is_connected(setup: Setup) -> None:
    """A person's browser (Accept: text/html) gets words, not the guide's JSON body."""
    path = stripe_redirect(setup, "ho_001")
    resp = setup.web.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    text = resp.get_data(as_text=True)
    account_id = setup.homeowner("ho_001")["stripe_account_id"]
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    assert "<h1>You&#39;re connected</h1>" in text or "<h1>You're connected</h1>" in text
    assert f'<code id="account">{account_id}</code> is connected' in text


def test_full_oauth_signup_saves_the_account(setup: Setup) -> None:
    path = stripe_redirect(setup, "ho_001")
    resp = setup.web.get(path)
    assert (resp.status_code, resp.get_json()) == (200, {"success": True})
    account_id = setup.homeowner("ho_001")["stripe_account_id"]
    assert account_id and account_id.startswith("acct_")
    account = setup.stripe.v1.accounts.retrieve(account_id)
    assert account.charges_enabled and account.payouts_enabled
    assert setup.homeowner("ho_002")["stripe_account_id"] is None


def test_forged_state_is_403_with_the_guides_error(setup: Setup) -> None:
    setup.sign_in("ho_001")
    resp = setup.web.get("/connect/oauth?state=forged&code=ac_123")
    assert resp.status_code == 403
    assert resp.get_json() == {"error": "Incorrect state parameter: forged"}
    assert setup.web.get("/connect/oauth?code=ac_123").status_code == 403


def test_state_is_single_use(setup: Setup) -> None:
    path = stripe_redirect(setup, "ho_001")
    assert setup.web.get(path).status_code == 200
    replay = setup.web.get(path)
    assert replay.status_code == 403
    assert replay.get_json()["error"].startswith("Incorrect state parameter: ")


def test_state_expires(setup: Setup) -> None:
    setup.sign_in("ho_001")
    state = query_of(oauth_href(setup, "ho_001"))["state"]
    mine = setup.db.one("SELECT session_hash FROM oauth_states WHERE state=?",
                        (state,))["session_hash"]
    with setup.db.transaction() as conn:  # the signup page was opened eleven minutes ago
        conn.execute("UPDATE oauth_states SET created=created-? WHERE state=?",
                     (steps.STATE_TTL + 60, state))
    resp = setup.web.get(f"/connect/oauth?state={state}&code=ac_123")
    assert resp.status_code == 403 and "expired" in resp.get_json()["error"]
    fresh = steps.new_state(setup.db, "ho_001", mine)
    with pytest.raises(steps.StateRefused, match="another browser session"):
        steps.take_state(setup.db, fresh, "some-other-session")
    assert steps.take_state(setup.db, fresh, mine) == "ho_001"
    for state_value in (fresh, None):
        with pytest.raises(steps.StateRefused, match="Incorrect state parameter"):
            steps.take_state(setup.db, state_value, mine)


def test_invalid_code_is_400(setup: Setup) -> None:
    state = query_of(oauth_href(setup, "ho_001"))["state"]
    resp = setup.web.get(f"/connect/oauth?state={state}&code=ac_invalid")
    assert resp.status_code == 400
    assert resp.get_json() == {"error": "Invalid authorization code: ac_invalid"}
    assert setup.homeowner("ho_001")["stripe_account_id"] is None


def test_used_code_is_400(setup: Setup) -> None:
    path = stripe_redirect(setup, "ho_001")
    code = query_of(path)["code"]
    assert setup.web.get(path).status_code == 200
    state = query_of(oauth_href(setup, "ho_002"))["state"]  # Daniel signs in, same browser
    resp = setup.web.get(f"/connect/oauth?state={state}&code={code}")
    assert resp.status_code == 400
    assert setup.homeowner("ho_002")["stripe_account_id"] is None


def test_any_other_failure_is_500(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    path = stripe_redirect(setup, "ho_001")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise stripe.APIConnectionError("network down")

    monkeypatch.setattr(setup.app.config["STRIPE"].oauth, "token", broken)
    resp = setup.web.get(path)
    assert (resp.status_code, resp.get_json()) == (500, {"error": "An unknown error occurred."})
    assert setup.homeowner("ho_001")["stripe_account_id"] is None


def test_denied_signup_reports_stripes_error(setup: Setup) -> None:
    path = stripe_redirect(setup, "ho_001", action="deny")
    resp = setup.web.get(path)
    assert resp.status_code == 400
    assert resp.get_json() == {"error": "access_denied",
                               "error_description": "The user denied your request"}
    assert setup.homeowner("ho_001")["stripe_account_id"] is None


# -- Account Links 
def test_onboard_creates_one_account_and_redirects_to_a_fresh_link(setup: Setup) -> None:
    assert setup.web.get("/onboard?homeowner=ho_002").status_code == 401  # not signed in
    setup.sign_in("ho_002")
    assert setup.web.get("/onboard?homeowner=ho_404").status_code == 403
    first = setup.web.get("/onboard?homeowner=ho_002")
    assert first.status_code == 303
    account_id = setup.homeowner("ho_002")["stripe_account_id"]
    assert first.location.startswith(f"{setup.server.url}/setup/c/{account_id}/")
    account = setup.stripe.v1.accounts.retrieve(account_id)
    assert account.type == "express" and account.email == "daniel.okafor@example.com"
    assert account.metadata["homeowner_id"] == "ho_002" and not account.details_submitted
    again = setup.web.get("/onboard/refresh?homeowner=ho_002")
    assert again.status_code == 303 and again.location != first.location
    assert setup.homeowner("ho_002")["stripe_account_id"] == account_id  # no second account
    assert len(setup.stripe.v1.accounts.list().data) == 1


def test_return_checks_details_submitted_not_the_redirect(setup: Setup) -> None:
    setup.sign_in("ho_002")
    link = setup.web.get("/onboard?homeowner=ho_002").location
    page = fetch(link)
    left = fetch(link, {**FORM, "session": session_of(page), "action": "leave"})
    early = setup.web.get(back_on_platform(left.location)).get_data(as_text=True)
    assert 'data-status="incomplete"' in early and 'href="/onboard/refresh?homeowner=ho_002"' \
        in early

    link = setup.web.get("/onboard/refresh?homeowner=ho_002").location
    page = fetch(link)
    done = fetch(link, {**FORM, "session": session_of(page), "action": "submit"})
    final = setup.web.get(back_on_platform(done.location)).get_data(as_text=True)
    assert 'data-status="complete"' in final
    assert re.search(r'id="charges-enabled">True<', final)


def test_an_expired_link_comes_back_through_refresh(setup: Setup, api_key: str) -> None:
    setup.sign_in("ho_001")
    link = setup.web.get("/onboard?homeowner=ho_001").location
    setup.stripe.raw_request("post", "/_emulator/clock/advance", seconds=301)
    expired = fetch(link)
    assert expired.status == 302
    again = setup.web.get(back_on_platform(expired.location))
    assert again.status_code == 303 and fetch(again.location).status == 200


def test_return_without_an_account(setup: Setup) -> None:
    setup.sign_in("ho_001")
    assert setup.web.get("/onboard/return?homeowner=ho_001").status_code == 404


# -- the wall 
def test_the_platform_never_imports_the_emulator() -> None:
    for path in Path(steps.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [(node.module or "", node.level)]
            elif isinstance(node, ast.Import):
                names = [(a.name, 0) for a in node.names]
            else:
                continue
            for module, level in names:
                assert "emulator" not in module, f"{path.name} imports {module}"
                assert not (level >= 2), f"{path.name} reaches outside harness.platform"
