"""Connect OAuth: Stripe's hosted authorize page, the token endpoint, and deauthorization.

The flow (https://docs.stripe.com/connect/oauth-express-accounts):

1. the platform sends the user to ``/express/oauth/authorize?client_id=ca_…&state=…``;
2. on Stripe's page the user fills in their details (prefilled from ``stripe_user[…]``) and
   submits, which creates the account, or denies;
3. Stripe redirects to ``redirect_uri?code=ac_…&state=…`` (or ``?error=access_denied…``);
4. the platform POSTs the code to ``/oauth/token`` and gets ``stripe_user_id`` with the
   account's credentials (an access token, a refresh token, its publishable key). Only then
   is the account connected: until the exchange the platform cannot see it.

The token and deauthorize endpoints answer errors in OAuth's shape, ``{"error": "<code>",
"error_description": "…"}``, not the API's, so stripe-python raises
``stripe.oauth_error.InvalidGrantError`` and friends.

A platform's redirect URIs, its branding and the Express OAuth switch are Dashboard settings
on Stripe (Connect → Settings). The emulator's Dashboard (``hosted/platform_dashboard.py``)
and the ``/_emulator/connect/settings`` control both change them through the functions here.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from .. import keys
from ..context import Context
from ..errors import StripeError
from ..params import check_url
from ..pipeline import HttpLayer, Page, json_response
from ..registry import route
from ..shapes import build
from . import accounts
from .account_links import connected_account, load_record, save_record

CODE_TTL = 300  # how long an authorization code can be exchanged (emulator seconds)
PENDING = "oauth_pending:"  # namespace of accounts created by OAuth, before the code exchange
DEAUTHORIZED = "deauthorized:"  # namespace of accounts whose connection was ended


# -- the platform's OAuth settings -----------------------------------------------------------------
def client_id_of(store: Any, platform: str) -> str | None:
    return store.get_meta(f"client_id:{platform}")


def platform_of_client(store: Any, client_id: str) -> str | None:
    row = store.execute(
        "SELECT name FROM meta WHERE name LIKE 'client_id:%' AND value=?", (client_id,)
    ).fetchone()
    return row["name"].split(":", 1)[1] if row else None


def redirect_uris(store: Any, platform: str) -> list[str]:
    raw = store.get_meta(f"oauth_redirect_uris:{platform}")
    return json.loads(raw) if raw else []


def set_redirect_uris(emulator: Any, platform: str, uris: list[str]) -> list[str]:
    """The platform's allowed redirect URIs; the first is the default (Dashboard settings).
    Only absolute http(s) URIs: the hosted page sends the browser there with the code."""
    clean = list(dict.fromkeys(check_url(u, "redirect_uris") for u in uris if u))
    emulator.store.set_meta(f"oauth_redirect_uris:{platform}", json.dumps(clean))
    return clean


def express_oauth_enabled(store: Any, platform: str) -> bool:
    """Connect settings → OAuth: "Enable onboarding Express accounts with OAuth"
    (https://docs.stripe.com/connect/oauth-express-accounts, step 1). On by default in the
    emulator, since the guide's OAuth steps use it; turned off, the Express authorize page
    refuses to open."""
    return store.get_meta(f"express_oauth:{platform}") != "off"


def set_express_oauth(emulator: Any, platform: str, enabled: bool) -> None:
    emulator.store.set_meta(f"express_oauth:{platform}", "on" if enabled else "off")


def set_branding(ctx: Context, branding: dict[str, Any]) -> dict[str, Any]:
    """Settings → Branding: the name, icon and colours the hosted onboarding and OAuth pages
    show. Stripe keeps them on the platform's own account (``business_profile.name`` and
    ``settings.branding``, https://docs.stripe.com/connect/customize-express-dashboard), so this
    is the same update as ``POST /v1/accounts/<platform>``, through its schema (a colour is
    ``#rrggbb`` or refused). An empty name or icon leaves it as it was."""
    from ..params import validate_fields

    raw: dict[str, Any] = {}
    if branding.get("name"):
        raw["business_profile"] = {"name": branding["name"]}
    # an empty colour unsets it (the schema makes it None); an empty icon is left as it was
    look = {k: branding[k] or "" for k in ("primary_color", "secondary_color") if k in branding}
    if branding.get("icon"):
        look["icon"] = branding["icon"]
    if look:
        raw["settings"] = {"branding": look}
    params = validate_fields(accounts.WRITABLE, raw)
    return accounts.update(ctx, params, ctx.platform)


# -- helpers ---------------------------------------------------------------------------------------
def _oauth_error(code: str, description: str, status: int = 400) -> Response:
    return json_response(status, {"error": code, "error_description": description})


def _application(emulator: Any, platform: str) -> dict[str, Any]:
    found = emulator.store.get(platform)
    return build("Application", id=client_id_of(emulator.store, platform), object="application",
                 name=accounts.display_name(found[1] if found else {}))


# -- what the hosted authorize page does (hosted/oauth_pages.py) ----------------------------
def with_query(url: str, params: dict[str, str | None]) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return url + ("&" if "?" in url else "?") + query


def grant(ctx: Context, session: dict[str, Any], email: str,
          supplied: dict[str, Any]) -> str:
    """The user authorized the platform on the hosted page: the account is made and
    onboarded, and an authorization code issued for it. Not connected yet: the platform
    sees the account once it exchanges the code (:func:`token`)."""
    account = accounts.new_account(ctx, ctx.new_id("acct", 16), {
        "type": "express" if session["express"] else "standard",
        "country": session["country"], "email": email,
        "business_type": "individual",
        "capabilities": {c: {"requested": True} for c in session["capabilities"]},
    })
    accounts.complete_onboarding(ctx, account, supplied)
    ctx.insert(account, ns=PENDING + ctx.platform)
    code = "ac_" + ctx.secret(32)
    save_record(ctx.emulator, "oauth_code", code, {
        "platform": ctx.platform, "account": account["id"], "scope": session["scope"],
        "redirect_uri": session["redirect_uri"], "created": ctx.now(), "used": False})
    return code


# -- the token and deauthorize endpoints ---------------------------------------------------------
def _caller(emulator: Any, request: Request, params: dict[str, Any]) -> str:
    """The platform making an OAuth call: its secret key as Bearer (what stripe-python sends),
    or as ``client_secret`` in the body (what older integrations send)."""
    try:
        key = HttpLayer.api_key(request)
    except StripeError:
        key = params.get("client_secret") if isinstance(params.get("client_secret"), str) \
            else ""
        if not key:
            raise
    platform, kind = emulator.platform_for_key(key)
    if kind != "secret":
        raise _OAuthFailure("invalid_client", "OAuth calls need your secret API key.", 401)
    return platform


class _OAuthFailure(HTTPException):
    """An OAuth error: the core answers its response and rolls the request back."""

    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(description, response=_oauth_error(code, description, status))


@route("POST", "/oauth/token", page=True)
def token(page: Page) -> Response:
    platform = _caller(page.emulator, page.request, page.params)
    return _token(page, platform, page.params)


def _token(page: Page, platform: str, params: dict[str, Any]) -> Response:
    emulator = page.emulator
    grant = params.get("grant_type")
    if not grant:
        raise _OAuthFailure("invalid_request", "No grant type specified")
    if grant == "refresh_token":
        return _refresh(page, platform, params)
    if grant != "authorization_code":
        raise _OAuthFailure("unsupported_grant_type", f"Unsupported grant_type: {grant}")
    code = params.get("code")
    if not isinstance(code, str) or not code:
        raise _OAuthFailure("invalid_request", "No authorization code provided")
    ctx = page.context(platform)
    record = load_record(emulator, "oauth_code", code)
    if record is None or record["platform"] != platform:
        raise _OAuthFailure("invalid_grant", f"Authorization code does not exist: {code}")
    if record["used"]:
        raise _OAuthFailure("invalid_grant", "This authorization code has already been "
                            "used. All tokens issued with this code have been revoked.")
    if ctx.now() - record["created"] > CODE_TTL:
        raise _OAuthFailure("invalid_grant", "Authorization code expired")
    record["used"] = True
    save_record(emulator, "oauth_code", code, record)
    account_id = record["account"]
    emulator.store.execute("UPDATE objects SET ns=? WHERE id=? AND ns=?",
                           (platform, account_id, PENDING + platform))
    ctx.emit("account.application.authorized", _application(emulator, platform),
             account=account_id)
    refresh_token = "rt_" + ctx.secret(32)
    save_record(emulator, "oauth_refresh", keys.digest(refresh_token), {
        "platform": platform, "account": account_id, "scope": record["scope"],
        "created": ctx.now()})
    return _credentials(emulator, platform, account_id, record["scope"], refresh_token)


def _credentials(emulator: Any, platform: str, account_id: str, scope: str,
                 refresh_token: str) -> Response:
    """What the token endpoint answers: exactly the fields of Connect's OAuth reference
    (https://docs.stripe.com/connect/oauth-reference, POST /oauth/token: access_token,
    livemode, refresh_token, scope, stripe_user_id, stripe_publishable_key, token_type).
    The access token works as a secret key acting as the account, and the publishable key
    as the account's own; Express platforms are told to use Stripe-Account instead
    (https://docs.stripe.com/connect/oauth-express-accounts), which works as well."""
    access_token, publishable = keys.issue_for_account(emulator.store, platform, account_id,
                                                       read_only=scope == "read_only")
    return json_response(200, {
        "access_token": access_token, "livemode": False, "refresh_token": refresh_token,
        "scope": scope, "stripe_publishable_key": publishable, "stripe_user_id": account_id,
        "token_type": "bearer"})


def _refresh(page: Page, platform: str, params: dict[str, Any]) -> Response:
    """``grant_type=refresh_token``: a new access token for the same account and scope."""
    value = params.get("refresh_token")
    value = value if isinstance(value, str) and value else ""
    if not value:
        raise _OAuthFailure("invalid_request", "No refresh token provided")
    record = load_record(page.emulator, "oauth_refresh", keys.digest(value))
    if record is None or record["platform"] != platform or connected_account(
            page.emulator, platform, record["account"]) is None:
        raise _OAuthFailure("invalid_grant", f"Refresh token does not exist: {value}")
    scope = params.get("scope") or record["scope"]
    if scope != record["scope"]:  # an equal or lesser scope: read_only from read_write
        if (record["scope"], scope) != ("read_write", "read_only"):
            raise _OAuthFailure("invalid_scope", f"Invalid scope: {scope}")
    return _credentials(page.emulator, platform, record["account"], scope, value)


@route("POST", "/oauth/deauthorize", page=True)
def deauthorize(page: Page) -> Response:
    platform = _caller(page.emulator, page.request, page.params)
    return _deauthorize(page, platform, page.params)


def _deauthorize(page: Page, platform: str, params: dict[str, Any]) -> Response:
    emulator = page.emulator
    client_id, user = params.get("client_id"), params.get("stripe_user_id")
    if not isinstance(client_id, str) or not client_id:
        raise _OAuthFailure("invalid_request", "No client_id provided")
    if not isinstance(user, str) or not user:
        raise _OAuthFailure("invalid_request", "No stripe_user_id provided")
    if client_id != client_id_of(emulator.store, platform):
        raise _OAuthFailure("invalid_client", f"No such application: '{client_id}'", 401)
    ctx = page.context(platform)
    if user == platform or connected_account(emulator, platform, user) is None:
        raise _OAuthFailure("invalid_client", f"This application is not connected to "
                            f"stripe account {user}, or that account does not exist.", 401)
    emulator.store.execute("UPDATE objects SET ns=? WHERE id=?",
                           (DEAUTHORIZED + platform, user))
    keys.revoke_account(emulator.store, platform, user)  # its access tokens end with it
    ctx.emit("account.application.deauthorized", _application(emulator, platform),
             account=user)
    return json_response(200, {"stripe_user_id": user})
