"""Guide step 2: a homeowner signs up and becomes a connected account.

Two ways, both Stripe-hosted:

* **Express OAuth** (the guide's path, closed to new platforms): ``/`` shows a
  "Connect with Stripe" button carrying the OAuth link; Stripe sends the homeowner back to
  ``/connect/oauth`` with a code, which the platform exchanges for the account ID.
* **Account Links** (today's path): ``/onboard`` creates an Express account with the API and
  sends the homeowner to a single-use onboarding link; ``/onboard/refresh`` makes a new link
  when one expired; ``/onboard/return`` asks Stripe whether onboarding is done.

Every route here acts for the **signed-in** homeowner (:mod:`.auth`): a ``?homeowner=`` in
the URL must name that homeowner, else 403. The OAuth ``state`` is bound to the browser
session that started the signup, and a homeowner's saved account is never replaced: a
second connection for a connected homeowner is refused (409).
"""

from __future__ import annotations

import secrets
import time
import urllib.parse
from typing import Any

import stripe
from flask import Blueprint, current_app, jsonify, redirect, request

from . import auth
from .app import external_url
from .pages import page as _page

blueprint = Blueprint("onboarding", __name__)

STATE_TTL = 10 * 60  # a signup's OAuth state is valid for ten minutes, once
CAPABILITIES = ["card_payments", "transfers"]  # what a homeowner needs to be paid
ALREADY_CONNECTED = ("You already have a connected Stripe account; it was kept. To use "
                     "another one, disconnect the current one first (the "
                     "account.application.deauthorized webhook then clears it here).")


# -- the platform's own data ---------------------------------------------------------------------
def _config() -> Any:
    return current_app.config["PLATFORM"]


def _db() -> Any:
    return current_app.config["DB"]


def _stripe() -> stripe.StripeClient:
    return current_app.config["STRIPE"]


def save_account_id(homeowner_id: str, account_id: str) -> bool:
    """Save the homeowner's first account. Never replaces one: False if they already have
    one (for example when two signups finish at once)."""
    with _db().transaction() as conn:
        done = conn.execute("UPDATE homeowners SET stripe_account_id=? WHERE id=? AND"
                            " stripe_account_id IS NULL", (account_id, homeowner_id))
        return done.rowcount == 1


# -- OAuth state: random, single-use, expiring, bound to one browser session --------------------
class StateRefused(Exception):
    """The redirect's ``state`` is not one this browser session is waiting for."""


def new_state(db: Any, homeowner_id: str, session_key: str, now: float | None = None) -> str:
    """A fresh CSRF token for one signup, saved with the session that asked for it."""
    now = time.time() if now is None else now
    state = secrets.token_urlsafe(32)
    with db.transaction() as conn:
        conn.execute("DELETE FROM oauth_states WHERE created < ?", (int(now) - STATE_TTL,))
        conn.execute("INSERT INTO oauth_states (state, homeowner_id, session_hash, created)"
                     " VALUES (?,?,?,?)", (state, homeowner_id, session_key, int(now)))
    return state


def take_state(db: Any, state: str | None, session_key: str | None,
               now: float | None = None) -> str:
    """The homeowner a state was made for, if this session made it and it is fresh; it is
    used up. A state from another browser session is refused and left alone (a forger must
    not be able to spend the real homeowner's signup)."""
    if not state:
        raise StateRefused("Incorrect state parameter: " + str(state))
    now = time.time() if now is None else now
    with db.transaction() as conn:
        row = conn.execute("SELECT homeowner_id, session_hash, created FROM oauth_states"
                           " WHERE state=?", (state,)).fetchone()
        if row is None:
            raise StateRefused("Incorrect state parameter: " + state[:100])
        if session_key is None or not secrets.compare_digest(row["session_hash"] or "",
                                                             session_key):
            raise StateRefused("This signup was started in another browser session: start "
                               "again from your signup page, signed in.")
        conn.execute("DELETE FROM oauth_states WHERE state=?", (state,))
    if now - row["created"] > STATE_TTL:
        raise StateRefused("This signup expired: start again from your signup page.")
    return str(row["homeowner_id"])


def oauth_link(client: stripe.StripeClient, config: Any, homeowner: dict[str, Any],
               state: str) -> str:
    """The guide's Express OAuth link (https://docs.stripe.com/connect/oauth-express-accounts)."""
    first, _, last = homeowner["name"].partition(" ")
    params: dict[str, Any] = {
        "client_id": config.client_id,
        "state": state,
        "redirect_uri": external_url("/connect/oauth"),
        "suggested_capabilities": CAPABILITIES,
        "stripe_user": {"email": homeowner["email"], "first_name": first, "last_name": last},
    }
    url = client.oauth.authorize_url(params, {"express": True})
    if config.authorize_base and url.startswith(config.connect_base):
        url = config.authorize_base.rstrip("/") + url[len(config.connect_base.rstrip("/")):]
    return url


# -- pages -----------------------------------------------------------------------------------------
SIGNUP = """<p>Hello {{ homeowner.name }}. To receive your share of each booking, connect a
Stripe account. Stripe handles your identity and bank details; we only keep the account ID.</p>
{% if homeowner.stripe_account_id %}<p id="connected">Your Stripe account is connected.</p>
{% elif oauth_url %}<p><a class="button" id="connect-with-stripe" href="{{ oauth_url }}">
Connect with Stripe</a> (Express OAuth, the guide's flow)</p>{% else %}
<p id="no-client-id">OAuth is not configured (no client_id).</p>{% endif %}
<p><a class="button secondary" id="set-up-payouts"
href="{{ request.script_root }}/onboard?homeowner={{ homeowner.id }}">
Set up payouts</a> (Account Links, today's flow)</p>
<form method="post" action="{{ request.script_root }}/logout">
<button id="sign-out" type="submit">Sign out</button></form>"""

CONNECTED = """<p id="connected">{{ homeowner.name }}, your Stripe account
<code id="account">{{ account_id }}</code> is connected to Connect Lab Rentals. Your share of
each booking will be paid out to the bank account you gave Stripe.</p>
<p><a class="button secondary" href="/">Back to your listings</a></p>"""

RETURNED = """<p id="status" data-status="{{ outcome }}">{{ message }}</p>
<table><tr><td>account</td><td id="account">{{ account.id }}</td></tr>
<tr><td>details_submitted</td><td id="details-submitted">{{ account.details_submitted }}</td></tr>
<tr><td>charges_enabled</td><td id="charges-enabled">{{ account.charges_enabled }}</td></tr>
<tr><td>payouts_enabled</td><td id="payouts-enabled">{{ account.payouts_enabled }}</td></tr>
</table>
{% if outcome != "complete" %}<p><a class="button" id="continue"
href="{{ request.script_root }}/onboard/refresh?homeowner={{ homeowner.id }}">
Continue onboarding</a></p>{% endif %}"""


@blueprint.get("/")
def landing() -> Any:
    if auth.signed_in_id() is None:
        return auth.login_page(request.args.get("homeowner"))
    homeowner = auth.acting_homeowner()
    config = _config()
    oauth_url = None
    if config.client_id and not homeowner["stripe_account_id"]:
        state = new_state(_db(), homeowner["id"], auth.session_key() or "")
        oauth_url = oauth_link(_stripe(), config, homeowner, state)
    return _page("Get paid for your rentals", SIGNUP, homeowner=homeowner, oauth_url=oauth_url)


# -- Express OAuth: the guide's redirect handler ---------------------------------------------------
@blueprint.get("/connect/oauth")
def handle_oauth_redirect() -> Any:
    state = request.args.get("state")
    # The state must be one this browser session saved for its signup: random, single-use
    # and expiring. Bound to the session, a link made in someone else's browser does nothing.
    try:
        homeowner_id = take_state(_db(), state, auth.session_key())
    except StateRefused as refused:
        return jsonify(error=str(refused)), 403
    if homeowner_id != auth.signed_in_id():
        return jsonify(error="This signup belongs to another homeowner: sign in again."), 403

    # The homeowner may have pressed "Deny", or Stripe may report another problem.
    if request.args.get("error"):
        return jsonify(error=request.args["error"][:200],
                       error_description=request.args.get("error_description", "")[:500]), 400

    # A connected homeowner keeps their account: the code is not even exchanged.
    if auth.acting_homeowner()["stripe_account_id"]:
        return jsonify(error=ALREADY_CONNECTED), 409

    # Send the authorization code to Stripe. This is the guide's
    # stripe.OAuth.token(grant_type="authorization_code", code=code), on the platform's client.
    code = request.args.get("code") or ""
    try:
        response = _stripe().oauth.token({"grant_type": "authorization_code", "code": code})
    except stripe.oauth_error.OAuthError:
        return jsonify(error="Invalid authorization code: " + code[:100]), 400
    except Exception:
        return jsonify(error="An unknown error occurred."), 500

    connected_account_id = response["stripe_user_id"]
    if not save_account_id(homeowner_id, connected_account_id):
        # Another signup finished first. Release the account we just connected, so no
        # account stays connected to the platform without a homeowner.
        _release(connected_account_id)
        return jsonify(error=ALREADY_CONNECTED), 409
    if request.accept_mimetypes.accept_html:  # a person's browser: say so in words
        return _page("You're connected", CONNECTED, homeowner=auth.acting_homeowner(),
                     account_id=connected_account_id)
    return jsonify(success=True), 200  # the guide's answer, for a script


def _release(account_id: str) -> None:
    """Disconnect an account the platform won't keep (https://docs.stripe.com/connect/oauth-reference#post-deauthorize)."""
    try:
        _stripe().oauth.deauthorize({"client_id": _config().client_id,
                                     "stripe_user_id": account_id})
    except stripe.StripeError:
        current_app.logger.warning("could not deauthorize an unused account; see the Dashboard")


# -- Account Links: today's flow ----------------------------------------------------------------
def _onboarding_redirect(homeowner: dict[str, Any]) -> Any:
    """Create the homeowner's Express account if needed, then send them to a fresh link."""
    client = _stripe()
    try:
        account_id = homeowner["stripe_account_id"]
        if not account_id:
            first, _, last = homeowner["name"].partition(" ")
            account = client.v1.accounts.create({
                "type": "express",
                "country": "US",
                "email": homeowner["email"],
                "business_type": "individual",
                "individual": {"first_name": first, "last_name": last,
                               "email": homeowner["email"]},
                "capabilities": {c: {"requested": True} for c in CAPABILITIES},
                "metadata": {"homeowner_id": homeowner["id"]},
            })
            account_id = account.id
            if not save_account_id(homeowner["id"], account_id):  # saved once onboarding starts
                # A second click won the race: keep its account, delete ours (it is empty).
                client.v1.accounts.delete(account_id)
                account_id = _db().one("SELECT stripe_account_id FROM homeowners WHERE id=?",
                                       (homeowner["id"],))["stripe_account_id"]
        query = "?" + urllib.parse.urlencode({"homeowner": homeowner["id"]})
        link = client.v1.account_links.create({
            "account": account_id,
            "type": "account_onboarding",
            "refresh_url": external_url("/onboard/refresh" + query),
            "return_url": external_url("/onboard/return" + query),
        })
    except stripe.StripeError as exc:
        return jsonify(error=exc.user_message or "Stripe refused the request."), 502
    # Account Link URLs are single-use and short-lived: redirect at once, never store them.
    return redirect(link.url, code=303)


@blueprint.route("/onboard", methods=["GET", "POST"])
def onboard() -> Any:
    return _onboarding_redirect(auth.acting_homeowner())


@blueprint.get("/onboard/refresh")
def onboard_refresh() -> Any:
    """Stripe sends the browser here when a link expired or was already used: make a new one."""
    return _onboarding_redirect(auth.acting_homeowner())


@blueprint.get("/onboard/return")
def onboard_return() -> Any:
    """Arriving here proves nothing: the homeowner may have left the form early. Ask Stripe."""
    homeowner = auth.acting_homeowner()
    if not homeowner["stripe_account_id"]:
        return jsonify(error="You have no Stripe account yet: start at /onboard."), 404
    try:
        account = _stripe().v1.accounts.retrieve(homeowner["stripe_account_id"])
    except stripe.StripeError as exc:
        return jsonify(error=exc.user_message or "Stripe refused the request."), 502
    if account.details_submitted:
        outcome, message = "complete", "You're all set: your details are with Stripe."
    else:
        outcome, message = "incomplete", "Onboarding isn't finished yet."
    return _page("Payout setup", RETURNED, homeowner=homeowner, account=account,
                 outcome=outcome, message=message)
