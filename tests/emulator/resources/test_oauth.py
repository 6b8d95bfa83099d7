"""Connect OAuth on the emulator: the hosted authorize page, /oauth/token, /oauth/deauthorize.

Errors from the token and deauthorize endpoints come back in OAuth's shape, so the SDK raises
its ``stripe.oauth_error`` classes; every error path has a test here.
"""

from __future__ import annotations

import importlib
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest
import stripe

from harness.emulator.resources import oauth
from harness.lab.server import BackgroundServer

from ...conftest import make_client
from ..support import Problems, check_body, control, publishable

REDIRECT = "http://127.0.0.1:9/connect/oauth"  # never visited: redirects are only read
OTHER_REDIRECT = "http://127.0.0.1:9/other/callback"
FORM = {
    "email": "maya.chen@example.com", "phone": "0000000000", "first_name": "Maya",
    "last_name": "Chen", "dob_day": "1", "dob_month": "1", "dob_year": "1901",
    "line1": "address_full_match", "city": "Portland", "state": "OR", "postal_code": "97211",
    "ssn_last_4": "0000", "url": "https://example.com/maya", "routing_number": "110000000",
    "account_number": "000123456789", "tos": "accepted",
}


@dataclass
class Platform:
    id: str
    client_id: str
    key: str
    client: stripe.StripeClient
    server: BackgroundServer


@dataclass
class Answer:
    status: int
    location: str | None
    text: str

    @property
    def query(self) -> dict[str, str]:
        assert self.location, f"no redirect (status {self.status})"
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.location).query))

    @property
    def json(self) -> Any:
        return json.loads(self.text)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def fetch(url: str, form: dict[str, str] | None = None, headers: dict | None = None) -> Answer:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=10) as resp:
            return Answer(resp.status, resp.headers.get("Location"), resp.read().decode())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.headers.get("Location"), exc.read().decode())


@pytest.fixture
def platform(emulator_server: BackgroundServer, api_key: str) -> Platform:
    client = make_client(emulator_server, api_key)
    platform_id = client.v1.accounts.retrieve_current().id
    emulator = emulator_server.emulator  # type: ignore[attr-defined]
    oauth.set_redirect_uris(emulator, platform_id, [REDIRECT, OTHER_REDIRECT])
    client_id = oauth.client_id_of(emulator.store, platform_id)
    assert client_id and client_id.startswith("ca_")
    return Platform(platform_id, client_id, api_key, client, emulator_server)


def authorize_url(p: Platform, express: bool = True, **params: Any) -> str:
    base = {"client_id": p.client_id, "state": "st_123",
            "suggested_capabilities": ["transfers", "card_payments"]}
    base.update(params)
    return p.client.oauth.authorize_url(base, {"express": express})


def session_of(page: Answer) -> str:
    found = re.search(r'name="session" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def connect(p: Platform, express: bool = True, **params: Any) -> Answer:
    """Open the authorize page and submit the form; returns Stripe's redirect."""
    page = fetch(authorize_url(p, express, **params))
    assert page.status == 200, page.text[:300]
    path = "/express/oauth/authorize" if express else "/oauth/authorize"
    return fetch(p.server.url + path, {**FORM, "session": session_of(page), "action": "submit"})


# -- the hosted page 
def test_sdk_authorize_url_opens_a_prefilled_branded_form(platform: Platform) -> None:
    url = authorize_url(platform, stripe_user={"email": "lucia@example.com",
                                               "first_name": "Lucia", "zip": "87501"})
    assert url.startswith(platform.server.url + "/express/oauth/authorize?")
    page = fetch(url)
    assert page.status == 200
    assert 'value="lucia@example.com"' in page.text
    assert 'value="Lucia"' in page.text and 'value="87501"' in page.text
    assert "Connect Lab Rentals" in page.text  # the platform's business name
    assert "card payments" in page.text and "transfers" in page.text


def test_page_shows_the_platform_branding(platform: Platform) -> None:
    platform.client.v1.accounts.update(platform.id, {
        "business_profile": {"name": "Cozy Stays"},
        "settings": {"branding": {"primary_color": "#0a7d5a"}}})
    page = fetch(authorize_url(platform))
    assert "Cozy Stays" in page.text and "--brand: #0a7d5a" in page.text
    with pytest.raises(stripe.InvalidRequestError) as refused:  # only #rrggbb is stored
        platform.client.v1.accounts.update(
            platform.id, {"settings": {"branding": {"primary_color": "red;}</style>"}}})
    assert refused.value.param == "settings[branding][primary_color]"
    page = fetch(authorize_url(platform))
    assert "--brand: #0a7d5a" in page.text and "</style>\"" not in page.text


def test_unknown_or_missing_client_id_is_refused_without_redirect(platform: Platform) -> None:
    for url in (authorize_url(platform, client_id="ca_doesnotexist"),
                platform.server.url + "/express/oauth/authorize?state=x"):
        page = fetch(url)
        assert page.status == 400 and page.location is None
        assert page.json == {"error": {
            "message": "No application matches the supplied client identifier"}}


def test_mismatched_redirect_uri_shows_an_error_and_never_redirects(platform: Platform) -> None:
    for uri in ("https://evil.example/steal", REDIRECT + "/", REDIRECT.upper()):
        page = fetch(authorize_url(platform, redirect_uri=uri))
        assert page.status == 400 and page.location is None
        assert "Invalid redirect URI" in page.text


def test_without_redirect_uri_the_first_registered_one_is_used(platform: Platform) -> None:
    answer = connect(platform)
    assert answer.status == 303 and answer.location.startswith(REDIRECT + "?")
    answer = connect(platform, redirect_uri=OTHER_REDIRECT)
    assert answer.location.startswith(OTHER_REDIRECT + "?")


def test_no_registered_redirect_uri(platform: Platform) -> None:
    oauth.set_redirect_uris(platform.server.emulator, platform.id, [])  # type: ignore[attr-defined]
    assert fetch(authorize_url(platform)).status == 400


def test_unsupported_response_type_redirects_with_the_error(platform: Platform) -> None:
    page = fetch(authorize_url(platform, response_type="token"))
    assert page.status == 302
    assert page.query == {"error": "unsupported_response_type", "state": "st_123",
                          "error_description": "The only response_type supported is `code`."}


def test_deny_redirects_with_access_denied_and_creates_nothing(platform: Platform) -> None:
    before = len(platform.client.v1.accounts.list({"limit": 100}).data)
    page = fetch(authorize_url(platform))
    answer = fetch(platform.server.url + "/express/oauth/authorize",
                   {"session": session_of(page), "action": "deny"})
    assert answer.status == 303
    assert answer.query == {"error": "access_denied", "state": "st_123",
                            "error_description": "The user denied your request"}
    assert len(platform.client.v1.accounts.list({"limit": 100}).data) == before


def test_invalid_details_are_shown_again_and_create_nothing(platform: Platform) -> None:
    page = fetch(authorize_url(platform))
    bad = {**FORM, "ssn_last_4": "12", "postal_code": "abc", "session": session_of(page),
           "action": "submit"}
    del bad["tos"]
    answer = fetch(platform.server.url + "/express/oauth/authorize", bad)
    assert answer.status == 200 and answer.location is None
    for message in ("last 4 digits of your SSN", "5-digit ZIP", "Connected Account Agreement"):
        assert message in answer.text
    assert 'value="Maya"' in answer.text  # what was typed is kept
    assert platform.client.v1.accounts.list({"limit": 100}).data == []


def test_an_unknown_form_session_is_refused(platform: Platform) -> None:
    answer = fetch(platform.server.url + "/express/oauth/authorize",
                   {**FORM, "session": "nope", "action": "submit"})
    assert answer.status == 400 and answer.location is None


# -- the token exchange 
def test_submit_redirects_with_code_and_state_then_token_connects(platform: Platform) -> None:
    answer = connect(platform)
    assert answer.status == 303
    code, state = answer.query["code"], answer.query["state"]
    assert re.fullmatch(r"ac_[A-Za-z0-9]{32}", code) and state == "st_123"
    assert platform.client.v1.accounts.list({"limit": 100}).data == []  # not connected yet

    token = platform.client.oauth.token({"grant_type": "authorization_code", "code": code})
    assert (token.scope, token.livemode, token.token_type) == ("express", False, "bearer")
    account = platform.client.v1.accounts.retrieve(token.stripe_user_id)
    assert account.id.startswith("acct_") and account.type == "express"
    assert account.charges_enabled and account.payouts_enabled and account.details_submitted
    assert account.capabilities.to_dict() == {"card_payments": "active", "transfers": "active"}
    assert account.requirements.currently_due == []
    assert account.email == FORM["email"]
    assert [a.id for a in platform.client.v1.accounts.list().data] == [account.id]


def test_the_guide_code_works_with_the_sdk_globals(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stripe, "api_key", platform.key)
    monkeypatch.setattr(stripe, "api_base", platform.server.url)
    monkeypatch.setattr(stripe, "connect_api_base", platform.server.url)
    monkeypatch.setattr(stripe, "client_id", platform.client_id)
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    # stripe-python 16's OAuth.authorize_url reads connect_api_base as bound when
    # stripe._oauth was first imported, so a later change of the global must reach it too.
    monkeypatch.setattr(importlib.import_module("stripe._oauth"), "connect_api_base",
                        platform.server.url)
    url = stripe.OAuth.authorize_url(express=True, state="guide",
                                     suggested_capabilities=["transfers"])
    page = fetch(url)
    answer = fetch(platform.server.url + "/express/oauth/authorize",
                   {**FORM, "session": session_of(page), "action": "submit"})
    response = stripe.OAuth.token(grant_type="authorization_code", code=answer.query["code"])
    assert response["stripe_user_id"].startswith("acct_")
    with pytest.raises(stripe.oauth_error.OAuthError):
        stripe.OAuth.token(grant_type="authorization_code", code="ac_invented")


def test_code_is_single_use(platform: Platform) -> None:
    code = connect(platform).query["code"]
    platform.client.oauth.token({"grant_type": "authorization_code", "code": code})
    with pytest.raises(stripe.oauth_error.InvalidGrantError) as caught:
        platform.client.oauth.token({"grant_type": "authorization_code", "code": code})
    err = caught.value
    assert (err.http_status, err.code) == (400, "invalid_grant")
    assert err.json_body["error_description"] == ("This authorization code has already been "
                                                  "used. All tokens issued with this code have "
                                                  "been revoked.")


def test_code_expires(platform: Platform) -> None:
    code = connect(platform).query["code"]
    control(platform.server, platform.key, "/_emulator/clock/advance", seconds=301)
    with pytest.raises(stripe.oauth_error.InvalidGrantError) as caught:
        platform.client.oauth.token({"grant_type": "authorization_code", "code": code})
    assert caught.value.json_body == {"error": "invalid_grant",
                                      "error_description": "Authorization code expired"}
    assert platform.client.v1.accounts.list().data == []  # never connected


def test_unknown_code_and_another_platforms_code(
    platform: Platform, emulator_server: BackgroundServer
) -> None:
    with pytest.raises(stripe.oauth_error.InvalidGrantError) as caught:
        platform.client.oauth.token({"grant_type": "authorization_code", "code": "ac_nope"})
    assert caught.value.json_body["error_description"] == \
        "Authorization code does not exist: ac_nope"
    code = connect(platform).query["code"]
    stranger = make_client(emulator_server, platform.key + "x")
    with pytest.raises(stripe.oauth_error.InvalidGrantError):
        stranger.oauth.token({"grant_type": "authorization_code", "code": code})
    # the rightful platform can still use it
    platform.client.oauth.token({"grant_type": "authorization_code", "code": code})


def _token_raw(p: Platform, form: dict[str, str], key: str | None = None) -> Answer:
    return fetch(p.server.url + "/oauth/token", form,
                 {"Authorization": f"Bearer {key or p.key}"})


def test_token_request_errors_have_the_oauth_shape(platform: Platform) -> None:
    cases = [
        ({}, 400, "invalid_request", "No grant type specified"),
        ({"grant_type": "authorization_code"}, 400, "invalid_request",
         "No authorization code provided"),
        ({"grant_type": "password", "code": "x"}, 400, "unsupported_grant_type",
         "Unsupported grant_type: password"),
        ({"grant_type": "refresh_token", "refresh_token": "rt_1"}, 400, "invalid_grant",
         "Refresh token does not exist: rt_1"),
    ]
    for form, status, code, description in cases:
        answer = _token_raw(platform, form)
        assert answer.status == status, form
        assert answer.json == {"error": code, "error_description": description}


def test_sdk_raises_the_matching_oauth_error_classes(platform: Platform) -> None:
    with pytest.raises(stripe.oauth_error.InvalidRequestError):
        platform.client.oauth.token({"grant_type": "authorization_code"})
    with pytest.raises(stripe.oauth_error.UnsupportedGrantTypeError):
        platform.client.oauth.token({"grant_type": "client_credentials"})  # type: ignore
    with pytest.raises(stripe.oauth_error.InvalidGrantError):
        platform.client.oauth.token({"grant_type": "refresh_token", "refresh_token": "rt_x"})


def test_token_needs_a_secret_key(platform: Platform) -> None:
    code = connect(platform).query["code"]
    answer = _token_raw(platform, {"grant_type": "authorization_code", "code": code},
                        key=publishable(platform.server, platform.key))
    assert answer.status == 401 and answer.json["error"] == "invalid_client"
    missing = fetch(platform.server.url + "/oauth/token",
                    {"grant_type": "authorization_code", "code": code})
    assert missing.status == 401
    # the older client_secret form parameter is accepted
    body = _token_raw(platform, {"grant_type": "authorization_code", "code": code,
                                 "client_secret": platform.key}, key="").json
    assert body["stripe_user_id"].startswith("acct_")


def test_the_exchange_emits_account_application_authorized(platform: Platform) -> None:
    token = platform.client.oauth.token(
        {"grant_type": "authorization_code", "code": connect(platform).query["code"]})
    events = platform.client.v1.events.list(options={"stripe_account": token.stripe_user_id})
    assert [e.type for e in events.data] == ["account.application.authorized"]
    event = events.data[0]
    assert event.account == token.stripe_user_id
    assert event.data.object.to_dict() == {"id": platform.client_id, "object": "application",
                                           "name": "Connect Lab Rentals", "deleted": None}
    problems = Problems()
    check_body(json.loads(str(event)), problems)
    assert problems.items == set()


def test_standard_oauth_returns_scope(platform: Platform) -> None:
    answer = connect(platform, express=False, scope="read_write")
    assert answer.query["scope"] == "read_write"
    token = platform.client.oauth.token({"grant_type": "authorization_code",
                                         "code": answer.query["code"]})
    assert token.scope == "read_write"
    assert platform.client.v1.accounts.retrieve(token.stripe_user_id).type == "standard"
    bad = fetch(authorize_url(platform, express=False, scope="everything"))
    assert bad.status == 302 and bad.query["error"] == "invalid_scope"


# -- deauthorization 
def test_deauthorize_ends_the_connection_and_emits_the_event(platform: Platform) -> None:
    token = platform.client.oauth.token(
        {"grant_type": "authorization_code", "code": connect(platform).query["code"]})
    account_id = token.stripe_user_id
    result = platform.client.oauth.deauthorize({"client_id": platform.client_id,
                                                "stripe_user_id": account_id})
    assert result.stripe_user_id == account_id
    with pytest.raises(stripe.PermissionError):
        platform.client.v1.accounts.retrieve(account_id)
    assert platform.client.v1.accounts.list().data == []
    store = platform.server.emulator.store  # type: ignore[attr-defined]
    types = [e["type"] for e in store.query(type="event", ns=account_id, limit=10)]
    assert types[0] == "account.application.deauthorized"
    with pytest.raises(stripe.oauth_error.InvalidClientError) as caught:
        platform.client.oauth.deauthorize({"client_id": platform.client_id,
                                           "stripe_user_id": account_id})
    assert caught.value.http_status == 401
    assert caught.value.json_body["error_description"] == (
        f"This application is not connected to stripe account {account_id}, or that account "
        "does not exist.")


def test_deauthorize_errors(platform: Platform) -> None:
    with pytest.raises(stripe.oauth_error.InvalidClientError):
        platform.client.oauth.deauthorize({"client_id": "ca_wrong", "stripe_user_id": "acct_1"})
    with pytest.raises(stripe.oauth_error.InvalidClientError):
        platform.client.oauth.deauthorize({"client_id": platform.client_id,
                                           "stripe_user_id": platform.id})
    answer = fetch(platform.server.url + "/oauth/deauthorize",
                   {"client_id": platform.client_id},
                   {"Authorization": f"Bearer {platform.key}"})
    assert answer.status == 400 and answer.json["error"] == "invalid_request"


# -- the credentials the exchange returns ----------------------------------------------------
TOKEN_FIELDS = {"access_token", "livemode", "refresh_token", "scope", "stripe_publishable_key",
                "stripe_user_id", "token_type"}


def test_token_response_carries_the_oauth_references_fields_and_they_work(
    platform: Platform,
) -> None:
    """POST /oauth/token answers access_token, livemode, refresh_token, scope,
    stripe_publishable_key, stripe_user_id and token_type
    (https://docs.stripe.com/connect/oauth-reference). The access token is a secret key acting
    as the account; the publishable key is the account's."""
    answer = _token_raw(platform, {"grant_type": "authorization_code",
                                   "code": connect(platform).query["code"]})
    body = answer.json
    assert set(body) == TOKEN_FIELDS
    assert (body["livemode"], body["token_type"], body["scope"]) == (False, "bearer", "express")
    assert re.fullmatch(r"sk_test_[A-Za-z0-9]{99}", body["access_token"])
    assert re.fullmatch(r"rt_[A-Za-z0-9]{32}", body["refresh_token"])
    assert re.fullmatch(r"pk_test_[A-Za-z0-9]{99}", body["stripe_publishable_key"])
    account = body["stripe_user_id"]
    as_account = make_client(platform.server, body["access_token"])
    assert as_account.v1.accounts.retrieve_current().id == account
    made = as_account.v1.customers.create({"email": "guest@example.com"})
    assert platform.client.v1.customers.retrieve(made.id, options={
        "stripe_account": account}).email == "guest@example.com"
    with pytest.raises(stripe.InvalidRequestError):  # not the platform's own customer
        platform.client.v1.customers.retrieve(made.id)
    with pytest.raises(stripe.PermissionError):  # bound to its account
        as_account.v1.customers.list(options={"stripe_account": platform.id})
    pm = fetch(platform.server.url + "/v1/payment_methods",
               {"type": "card", "card[number]": "4242424242424242", "card[exp_month]": "12",
                "card[exp_year]": "2034", "card[cvc]": "123"},
               {"Authorization": f"Bearer {body['stripe_publishable_key']}"})
    assert pm.status == 200, pm.text
    assert platform.client.v1.payment_methods.retrieve(
        pm.json["id"], options={"stripe_account": account}).card.last4 == "4242"


def test_refresh_token_gives_a_new_access_token_until_deauthorized(platform: Platform) -> None:
    first = _token_raw(platform, {"grant_type": "authorization_code",
                                  "code": connect(platform, express=False,
                                                  scope="read_write").query["code"]}).json
    refreshed = platform.client.oauth.token({"grant_type": "refresh_token",
                                             "refresh_token": first["refresh_token"]})
    assert set(refreshed.to_dict()) == TOKEN_FIELDS
    assert (refreshed.stripe_user_id, refreshed.scope, refreshed.refresh_token) == (
        first["stripe_user_id"], "read_write", first["refresh_token"])
    assert refreshed.access_token != first["access_token"]
    assert refreshed.stripe_publishable_key == first["stripe_publishable_key"]
    assert make_client(platform.server, refreshed.access_token).v1.accounts \
        .retrieve_current().id == first["stripe_user_id"]
    lesser = platform.client.oauth.token({"grant_type": "refresh_token", "scope": "read_only",
                                          "refresh_token": first["refresh_token"]})
    assert lesser.scope == "read_only"
    missing = _token_raw(platform, {"grant_type": "refresh_token"})
    assert missing.json == {"error": "invalid_request",
                            "error_description": "No refresh token provided"}

    platform.client.oauth.deauthorize({"client_id": platform.client_id,
                                       "stripe_user_id": first["stripe_user_id"]})
    with pytest.raises(stripe.AuthenticationError) as expired:
        make_client(platform.server, first["access_token"]).v1.accounts.retrieve_current()
    assert expired.value.http_status == 401
    assert expired.value.user_message.startswith("Expired API Key provided: sk_test_")
    with pytest.raises(stripe.oauth_error.InvalidGrantError):
        platform.client.oauth.token({"grant_type": "refresh_token",
                                     "refresh_token": first["refresh_token"]})
