"""Connect OAuth: Stripe's hosted authorize page, the token endpoint, and deauthorization.

The flow (https://docs.stripe.com/connect/oauth-express-accounts):

1. the platform sends the user to ``/express/oauth/authorize?client_id=ca_…&state=…``;
2. on Stripe's page the user fills in their details (prefilled from ``stripe_user[…]``) and
   submits, which creates the account, or denies;
3. Stripe redirects to ``redirect_uri?code=ac_…&state=…`` (or ``?error=access_denied…``);
4. the platform POSTs the code to ``/oauth/token`` and gets ``stripe_user_id``. Only then is
   the account connected: until the exchange the platform cannot see it.

The token and deauthorize endpoints answer errors in OAuth's shape, ``{"error": "<code>",
"error_description": "…"}``, not the API's, so stripe-python raises
``stripe.oauth_error.InvalidGrantError`` and friends.

A platform's redirect URIs are Dashboard settings on Stripe (Connect → Settings → OAuth).
The emulator has no Dashboard, so :func:`set_redirect_uris` is the in-process equivalent;
``harness.onboarding.connect_settings`` calls it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from .. import pages
from ..errors import StripeError
from ..forms import decode_pairs
from ..params import check_url
from ..pipeline import HttpLayer, json_response
from ..registry import route
from ..shapes import build
from . import accounts
from .account_links import (
    SESSION_TTL,
    drop_record,
    form_values,
    load_record,
    page_context,
    platform_brand,
    read_form,
    save_record,
    take_record,
    validate,
)

CODE_TTL = 300  # how long an authorization code can be exchanged (emulator seconds)
PENDING = "oauth_pending:"  # namespace of accounts created by OAuth, before the code exchange
DEAUTHORIZED = "deauthorized:"  # namespace of accounts whose connection was ended

# stripe_user[...] prefill fields that the Express form shows, and the form field they fill.
# Invalid values are ignored, as Stripe ignores them (https://docs.stripe.com/connect/oauth-reference).
PREFILL = {"email": "email", "first_name": "first_name", "last_name": "last_name",
           "phone_number": "phone", "dob_day": "dob_day", "dob_month": "dob_month",
           "dob_year": "dob_year", "url": "url", "street_address": "line1", "city": "city",
           "state": "state", "zip": "postal_code"}


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


# -- helpers ---------------------------------------------------------------------------------------
def _with_query(url: str, params: dict[str, str]) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return url + ("&" if "?" in url else "?") + query


def _oauth_error(code: str, description: str, status: int = 400) -> Response:
    return json_response(status, {"error": code, "error_description": description})


def _page_error(title: str, message: str, status: int = 400) -> Response:
    return pages.render("message.html", status=status, brand=pages.branding(None), title=title,
                        message=message)


def _application(emulator: Any, platform: str) -> dict[str, Any]:
    return build("Application", id=client_id_of(emulator.store, platform), object="application",
                 name=platform_brand(emulator, platform)["name"])


# -- the hosted authorize page ---------------------------------------------------------------------
def _authorize(emulator: Any, request: Request, express: bool) -> Response:
    args = decode_pairs(list(request.args.items(multi=True)))
    client_id = args.get("client_id")
    platform = platform_of_client(emulator.store, client_id) if isinstance(client_id, str) \
        else None
    if platform is None:
        # What Stripe's page answers to a client_id it does not know.
        return json_response(400, {"error": {
            "message": "No application matches the supplied client identifier"}})
    allowed = redirect_uris(emulator.store, platform)
    redirect_uri = args.get("redirect_uri")
    if redirect_uri is None:
        if not allowed:
            return _page_error("No redirect URI",
                               "This application has no redirect URI in its Connect settings.")
        redirect_uri = allowed[0]  # the first URI in the settings is the default
    elif redirect_uri not in allowed:
        # Stripe redirects only to a URI registered in the platform's settings, matched
        # exactly (https://docs.stripe.com/connect/oauth-reference), so it shows an error page.
        return _page_error("Invalid redirect URI",
                           f"The redirect URI {redirect_uri!s} does not exactly match any URI "
                           "in this application's Connect settings.")
    state = args.get("state") if isinstance(args.get("state"), str) else None
    if args.get("response_type", "code") != "code":
        return redirect(_with_query(redirect_uri, {
            "error": "unsupported_response_type",
            "error_description": "The only response_type supported is `code`.",
            "state": state}), code=302)
    scope = "express"
    if not express:
        scope = args.get("scope", "read_only")
        if scope not in ("read_only", "read_write"):
            return redirect(_with_query(redirect_uri, {
                "error": "invalid_scope",
                "error_description": "scope must be read_only or read_write.",
                "state": state}), code=302)
    suggested = args.get("suggested_capabilities") or []
    if isinstance(suggested, str):
        suggested = [suggested]
    capabilities = [c for c in suggested if c in accounts.CAPABILITIES] \
        if isinstance(suggested, list) else []
    if not capabilities:
        capabilities = list(accounts.CAPABILITIES)
    user = args.get("stripe_user") if isinstance(args.get("stripe_user"), dict) else {}
    prefill = {PREFILL[k]: v for k, v in user.items() if k in PREFILL and isinstance(v, str)}
    country = user.get("country") if isinstance(user.get("country"), str) else "US"
    now = emulator.clock.now(platform)
    sid = emulator.ids.secret(24)
    with emulator.store.transaction():
        save_record(emulator, "oauth_session", sid, {
            "platform": platform, "redirect_uri": redirect_uri, "state": state,
            "express": express, "scope": scope, "capabilities": capabilities,
            "country": country.upper()[:2] or "US", "created": now})
    return _form(emulator, platform, sid, request.path, capabilities, express,
                 form_values(prefill), [])


def _form(emulator: Any, platform: str, sid: str, action: str, capabilities: list[str],
          express: bool, values: dict[str, Any], errors: list[str]) -> Response:
    labels = {"card_payments": "card payments", "transfers": "transfers (payouts to you)"}
    return pages.render("oauth_form.html", brand=platform_brand(emulator, platform),
                        session=sid, action=action, express=express, values=values,
                        errors=errors, capabilities=[labels.get(c, c) for c in capabilities])


def _submit(emulator: Any, request: Request) -> Response:
    sid = request.form.get("session", "")
    session = load_record(emulator, "oauth_session", sid) if sid else None
    if session is None:
        return _page_error("This page has expired",
                           "Go back to the platform and start connecting again.")
    platform = session["platform"]
    now = emulator.clock.now(platform)
    if now - session["created"] > SESSION_TTL:
        drop_record(emulator, "oauth_session", sid)
        return _page_error("This page has expired",
                           "Go back to the platform and start connecting again.")
    if request.form.get("action") == "deny":
        drop_record(emulator, "oauth_session", sid)
        return redirect(_with_query(session["redirect_uri"], {
            "error": "access_denied", "error_description": "The user denied your request",
            "state": session["state"]}), code=303)
    values = read_form(request.form)
    supplied, errors = validate(values, request.remote_addr or "127.0.0.1",
                                request.headers.get("User-Agent", ""))
    if errors:
        return _form(emulator, platform, sid, request.path, session["capabilities"],
                     session["express"], values, errors)
    ctx = page_context(emulator, platform)
    with emulator.store.transaction():
        if take_record(emulator, "oauth_session", sid) is None:
            # a parallel submit of the same form won: one account, one code per session
            return _page_error("This page has expired",
                               "Go back to the platform and start connecting again.")
        account = accounts.new_account(ctx, ctx.new_id("acct", 16), {
            "type": "express" if session["express"] else "standard",
            "country": session["country"], "email": values["email"],
            "business_type": "individual",
            "capabilities": {c: {"requested": True} for c in session["capabilities"]},
        })
        accounts.complete_onboarding(ctx, account, supplied)
        # Not connected yet: the platform sees the account once it exchanges the code.
        ctx.insert(account, ns=PENDING + platform)
        code = "ac_" + ctx.secret(32)
        save_record(emulator, "oauth_code", code, {
            "platform": platform, "account": account["id"], "scope": session["scope"],
            "redirect_uri": session["redirect_uri"], "created": now, "used": False})
        emulator.after_request(ctx)
    params = {"code": code, "state": session["state"]}
    if not session["express"]:
        params = {"scope": session["scope"], **params}
    return redirect(_with_query(session["redirect_uri"], params), code=303)


@route("GET", "/express/oauth/authorize", raw=True)
def express_authorize(emulator: Any, request: Request) -> Response:
    return _authorize(emulator, request, express=True)


@route("POST", "/express/oauth/authorize", raw=True)
def express_authorize_submit(emulator: Any, request: Request) -> Response:
    return _submit(emulator, request)


@route("GET", "/oauth/authorize", raw=True)
def standard_authorize(emulator: Any, request: Request) -> Response:
    return _authorize(emulator, request, express=False)


@route("POST", "/oauth/authorize", raw=True)
def standard_authorize_submit(emulator: Any, request: Request) -> Response:
    return _submit(emulator, request)


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


class _OAuthFailure(Exception):
    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.response = _oauth_error(code, description, status)


@route("POST", "/oauth/token", raw=True)
def token(emulator: Any, request: Request) -> Response:
    params = HttpLayer.parse(request)
    try:
        platform = _caller(emulator, request, params)
        return _token(emulator, platform, params)
    except _OAuthFailure as failure:
        return failure.response


def _token(emulator: Any, platform: str, params: dict[str, Any]) -> Response:
    grant = params.get("grant_type")
    if not grant:
        raise _OAuthFailure("invalid_request", "No grant type specified")
    if grant == "refresh_token":
        # The emulator never issues refresh tokens, so none exists.
        value = params.get("refresh_token") or params.get("code") or ""
        raise _OAuthFailure("invalid_grant", f"Refresh token does not exist: {value}")
    if grant != "authorization_code":
        raise _OAuthFailure("unsupported_grant_type", f"Unsupported grant_type: {grant}")
    code = params.get("code")
    if not isinstance(code, str) or not code:
        raise _OAuthFailure("invalid_request", "No authorization code provided")
    ctx = page_context(emulator, platform)
    with emulator.store.transaction():
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
        emulator.after_request(ctx)
    # Express token responses also carry access_token/refresh_token, which Stripe tells
    # Express platforms not to use (they act with Stripe-Account instead); the emulator
    # issues none. https://docs.stripe.com/connect/oauth-express-accounts
    return json_response(200, {"livemode": False, "scope": record["scope"],
                               "stripe_user_id": account_id, "token_type": "bearer"})


@route("POST", "/oauth/deauthorize", raw=True)
def deauthorize(emulator: Any, request: Request) -> Response:
    params = HttpLayer.parse(request)
    try:
        platform = _caller(emulator, request, params)
        return _deauthorize(emulator, platform, params)
    except _OAuthFailure as failure:
        return failure.response


def _deauthorize(emulator: Any, platform: str, params: dict[str, Any]) -> Response:
    client_id, user = params.get("client_id"), params.get("stripe_user_id")
    if not isinstance(client_id, str) or not client_id:
        raise _OAuthFailure("invalid_request", "No client_id provided")
    if not isinstance(user, str) or not user:
        raise _OAuthFailure("invalid_request", "No stripe_user_id provided")
    if client_id != client_id_of(emulator.store, platform):
        raise _OAuthFailure("invalid_client", f"No such application: '{client_id}'", 401)
    ctx = page_context(emulator, platform)
    with emulator.store.transaction():
        found = emulator.store.get(user)
        if found is None or found[0] != platform or user == platform \
                or found[1].get("object") != "account":
            raise _OAuthFailure("invalid_client", f"This application is not connected to "
                                f"stripe account {user}, or that account does not exist.", 401)
        emulator.store.execute("UPDATE objects SET ns=? WHERE id=?",
                               (DEAUTHORIZED + platform, user))
        ctx.emit("account.application.deauthorized", _application(emulator, platform),
                 account=user)
        emulator.after_request(ctx)
    return json_response(200, {"stripe_user_id": user})
