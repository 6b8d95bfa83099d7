"""Connect OAuth's hosted authorize page (``/oauth/authorize``, ``/express/oauth/authorize``):
the form where the user fills in their details (prefilled from ``stripe_user[…]``) and
authorizes the platform, or denies. https://docs.stripe.com/connect/oauth-express-accounts

The rules (registered redirect URIs, the account and code a grant makes, the token
exchange) are ``resources/oauth.py``'s.
"""

from __future__ import annotations

from typing import Any

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from ..pipeline import Page, json_response
from ..registry import route
from ..resources import accounts
from ..resources.account_links import (
    SESSION_TTL,
    drop_record,
    load_record,
    save_record,
    take_record,
)
from ..resources.oauth import (
    express_oauth_enabled,
    grant,
    platform_of_client,
    redirect_uris,
    with_query,
)
from .details_form import form_values, read_form, validate
from .rendering import branding, platform_brand, render, self_action

# stripe_user[...] prefill fields that the Express form shows, and the form field they fill.
# Invalid values are ignored, as Stripe ignores them (https://docs.stripe.com/connect/oauth-reference).
PREFILL = {"email": "email", "first_name": "first_name", "last_name": "last_name",
           "phone_number": "phone", "dob_day": "dob_day", "dob_month": "dob_month",
           "dob_year": "dob_year", "url": "url", "street_address": "line1", "city": "city",
           "state": "state", "zip": "postal_code"}

EXPIRED = ("This page has expired", "Go back to the platform and start connecting again.")
# An authorize page opens for anyone holding the public client_id: its sessions are bounded
# (SESSION_TTL to fill the form in, the newest thousand per platform, a 5,000-character state).
MAX_SESSIONS = 1000
MAX_STATE = 5000


def _page_error(title: str, message: str, status: int = 400) -> Response:
    return render("message.html", status=status, brand=branding(None), title=title,
                  message=message)


def _authorize(page: Page, express: bool) -> Response:
    emulator, args = page.emulator, page.params
    client_id = args.get("client_id")
    platform = platform_of_client(emulator.store, client_id) if isinstance(client_id, str) \
        else None
    if platform is None:
        # What Stripe's page answers to a client_id it does not know.
        return json_response(400, {"error": {
            "message": "No application matches the supplied client identifier"}})
    if express and not express_oauth_enabled(emulator.store, platform):
        # The platform turned "onboarding Express accounts with OAuth" off in its Connect
        # settings (https://docs.stripe.com/connect/oauth-express-accounts); Stripe does not
        # document the page shown then, so this one says what is off and where.
        return _page_error("OAuth is off for Express accounts",
                           "This platform has not enabled onboarding Express accounts with "
                           "OAuth in its Connect settings.", 403)
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
    if state is not None and len(state) > MAX_STATE:
        # Stripe documents ``state`` as an arbitrary string and gives no limit; the emulator
        # keeps it for the session, so it bounds it (this page needs no key to open).
        return _page_error("Invalid state", f"state can be at most {MAX_STATE} characters.")
    if args.get("response_type", "code") != "code":
        return redirect(with_query(redirect_uri, {
            "error": "unsupported_response_type",
            "error_description": "The only response_type supported is `code`.",
            "state": state}), code=302)
    scope = "express"
    if not express:
        scope = args.get("scope", "read_only")
        if scope not in ("read_only", "read_write"):
            return redirect(with_query(redirect_uri, {
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
    emulator.store.prune_records("oauth_session", platform, older_than=now - SESSION_TTL,
                                 keep=MAX_SESSIONS - 1)
    save_record(emulator, "oauth_session", sid, {
        "platform": platform, "redirect_uri": redirect_uri, "state": state,
        "express": express, "scope": scope, "capabilities": capabilities,
        "country": country.upper()[:2] or "US", "created": now})
    return _form(emulator, platform, sid, self_action(page.request.path), capabilities, express,
                 form_values(prefill), [])


def _form(emulator: Any, platform: str, sid: str, action: str, capabilities: list[str],
          express: bool, values: dict[str, Any], errors: list[str]) -> Response:
    labels = {"card_payments": "card payments", "transfers": "transfers (payouts to you)"}
    return render("oauth_form.html", brand=platform_brand(emulator, platform),
                  session=sid, action=action, express=express, values=values,
                  errors=errors, capabilities=[labels.get(c, c) for c in capabilities])


def _submit(page: Page) -> Response:
    emulator = page.emulator
    sid = page.text("session")
    session = load_record(emulator, "oauth_session", sid) if sid else None
    if session is None:
        return _page_error(*EXPIRED)
    platform = session["platform"]
    now = emulator.clock.now(platform)
    if now - session["created"] > SESSION_TTL:
        drop_record(emulator, "oauth_session", sid)
        return _page_error(*EXPIRED)
    if page.text("action") == "deny":
        drop_record(emulator, "oauth_session", sid)
        return redirect(with_query(session["redirect_uri"], {
            "error": "access_denied", "error_description": "The user denied your request",
            "state": session["state"]}), code=303)
    values = read_form(page.params)
    supplied, errors = validate(values, page.request.remote_addr or "127.0.0.1",
                                page.request.headers.get("User-Agent", ""))
    if errors:
        return _form(emulator, platform, sid, self_action(page.request.path),
                     session["capabilities"], session["express"], values, errors)
    ctx = page.context(platform)
    if take_record(emulator, "oauth_session", sid) is None:
        # a parallel submit of the same form won: one account, one code per session
        return _page_error(*EXPIRED)
    code = grant(ctx, session, values["email"], supplied)
    params = {"code": code, "state": session["state"]}
    if not session["express"]:
        params = {"scope": session["scope"], **params}
    return redirect(with_query(session["redirect_uri"], params), code=303)


@route("GET", "/express/oauth/authorize", page=True)
def express_authorize(page: Page) -> Response:
    return _authorize(page, express=True)


@route("POST", "/express/oauth/authorize", page=True)
def express_authorize_submit(page: Page) -> Response:
    return _submit(page)


@route("GET", "/oauth/authorize", page=True)
def standard_authorize(page: Page) -> Response:
    return _authorize(page, express=False)


@route("POST", "/oauth/authorize", page=True)
def standard_authorize_submit(page: Page) -> Response:
    return _submit(page)
