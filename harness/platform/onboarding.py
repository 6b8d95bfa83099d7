"""Guide step 2: a homeowner signs up and becomes a connected account.

Two ways, both Stripe-hosted:

* **Express OAuth** (the guide's path, closed to new platforms): ``/`` shows a
  "Connect with Stripe" button carrying the OAuth link; Stripe sends the homeowner back to
  ``/connect/oauth`` with a code, which the platform exchanges for the account ID.
* **Account Links** (today's path): ``/onboard`` creates an Express account with the API and
  sends the homeowner to a single-use onboarding link; ``/onboard/refresh`` makes a new link
  when one expired; ``/onboard/return`` asks Stripe whether onboarding is done.

Who the homeowner is comes from the ``homeowner`` query parameter, a stand-in for the
platform's own login session. A real platform must authenticate the user on every one of
these routes, because the links open forms about that user.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import stripe
from flask import Blueprint, current_app, jsonify, redirect, render_template_string, request

blueprint = Blueprint("onboarding", __name__)

STATE_TTL = 10 * 60  # a signup's OAuth state is valid for ten minutes, once
CAPABILITIES = ["card_payments", "transfers"]  # what a homeowner needs to be paid


# -- the platform's own data ---------------------------------------------------------------------
def _config() -> Any:
    return current_app.config["PLATFORM"]


def _db() -> Any:
    return current_app.config["DB"]


def _stripe() -> stripe.StripeClient:
    return current_app.config["STRIPE"]


def _homeowner(homeowner_id: str | None) -> dict[str, Any] | None:
    if not homeowner_id:
        return None
    return _db().one("SELECT * FROM homeowners WHERE id=?", (homeowner_id,))


def save_account_id(homeowner_id: str, account_id: str) -> None:
    with _db().transaction() as conn:
        conn.execute("UPDATE homeowners SET stripe_account_id=? WHERE id=?",
                     (account_id, homeowner_id))


# -- OAuth state: random, single-use, expiring ---------------------------------------------------
def new_state(db: Any, homeowner_id: str, now: float | None = None) -> str:
    """A fresh CSRF token for one signup, saved so the redirect can be checked against it."""
    now = time.time() if now is None else now
    state = secrets.token_urlsafe(32)
    with db.transaction() as conn:
        conn.execute("DELETE FROM oauth_states WHERE created < ?", (int(now) - STATE_TTL,))
        conn.execute("INSERT INTO oauth_states (state, homeowner_id, created) VALUES (?,?,?)",
                     (state, homeowner_id, int(now)))
    return state


def take_state(db: Any, state: str | None, now: float | None = None) -> str | None:
    """The homeowner a state was made for, if it is known and fresh; it is used up either way."""
    if not state:
        return None
    now = time.time() if now is None else now
    with db.transaction() as conn:
        row = conn.execute("SELECT homeowner_id, created FROM oauth_states WHERE state=?",
                           (state,)).fetchone()
        conn.execute("DELETE FROM oauth_states WHERE state=?", (state,))
    if row is None or now - row["created"] > STATE_TTL:
        return None
    return row["homeowner_id"]


def oauth_link(client: stripe.StripeClient, config: Any, homeowner: dict[str, Any],
               state: str) -> str:
    """The guide's Express OAuth link (https://docs.stripe.com/connect/oauth-express-accounts)."""
    first, _, last = homeowner["name"].partition(" ")
    params: dict[str, Any] = {
        "client_id": config.client_id,
        "state": state,
        "redirect_uri": config.public_url + "/connect/oauth",
        "suggested_capabilities": CAPABILITIES,
        "stripe_user": {"email": homeowner["email"], "first_name": first, "last_name": last},
    }
    return client.oauth.authorize_url(params, {"express": True})


# -- pages -----------------------------------------------------------------------------------------
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} · Connect Lab Rentals</title>
<style>
 body { font: 15px/1.5 system-ui, sans-serif; max-width: 640px; margin: 40px auto; color: #222; }
 a.button { display: inline-block; background: #635bff; color: #fff; padding: 9px 16px;
            border-radius: 4px; text-decoration: none; font-weight: 600; margin: 6px 0; }
 a.secondary { background: #fff; color: #635bff; border: 1px solid #635bff; }
 td, th { padding: 4px 10px 4px 0; text-align: left; }
</style></head><body>
<h1>{{ title }}</h1>
{{ body | safe }}
</body></html>"""

LIST = """<p>Sign in as a homeowner to connect your payouts.</p>
<table><tr><th>Homeowner</th><th>Stripe account</th></tr>
{% for h in homeowners %}<tr><td><a href="/?homeowner={{ h.id }}">{{ h.name }}</a></td>
<td>{{ h.stripe_account_id or "not connected" }}</td></tr>{% endfor %}</table>"""

SIGNUP = """<p>Hello {{ homeowner.name }}. To receive your share of each booking, connect a
Stripe account. Stripe handles your identity and bank details; we only keep the account ID.</p>
{% if oauth_url %}<p><a class="button" id="connect-with-stripe" href="{{ oauth_url }}">
Connect with Stripe</a> (Express OAuth, the guide's flow)</p>{% else %}
<p id="no-client-id">OAuth is not configured (no client_id).</p>{% endif %}
<p><a class="button secondary" id="set-up-payouts" href="/onboard?homeowner={{ homeowner.id }}">
Set up payouts</a> (Account Links, today's flow)</p>"""

RETURNED = """<p id="status" data-status="{{ outcome }}">{{ message }}</p>
<table><tr><td>account</td><td id="account">{{ account.id }}</td></tr>
<tr><td>details_submitted</td><td id="details-submitted">{{ account.details_submitted }}</td></tr>
<tr><td>charges_enabled</td><td id="charges-enabled">{{ account.charges_enabled }}</td></tr>
<tr><td>payouts_enabled</td><td id="payouts-enabled">{{ account.payouts_enabled }}</td></tr>
</table>
{% if outcome != "complete" %}<p><a class="button" id="continue"
href="/onboard/refresh?homeowner={{ homeowner.id }}">Continue onboarding</a></p>{% endif %}"""


def _page(title: str, body: str, status: int = 200, **values: Any) -> Any:
    inner = render_template_string(body, **values)
    return render_template_string(PAGE, title=title, body=inner), status


@blueprint.get("/")
def landing() -> Any:
    homeowner = _homeowner(request.args.get("homeowner"))
    if homeowner is None:
        rows = _db().query("SELECT * FROM homeowners ORDER BY id")
        return _page("Connect Lab Rentals", LIST, homeowners=rows)
    config = _config()
    oauth_url = None
    if config.client_id:
        oauth_url = oauth_link(_stripe(), config, homeowner, new_state(_db(), homeowner["id"]))
    return _page("Get paid for your rentals", SIGNUP, homeowner=homeowner, oauth_url=oauth_url)


# -- Express OAuth: the guide's redirect handler ---------------------------------------------------
@blueprint.get("/connect/oauth")
def handle_oauth_redirect() -> Any:
    state = request.args.get("state")
    # The state must be the one saved for this signup: random, single-use and expiring.
    homeowner_id = take_state(_db(), state)
    if homeowner_id is None:
        return jsonify(error="Incorrect state parameter: " + str(state)), 403

    # The homeowner may have pressed "Deny", or Stripe may report another problem.
    if request.args.get("error"):
        return jsonify(error=request.args["error"],
                       error_description=request.args.get("error_description", "")), 400

    # Send the authorization code to Stripe. This is the guide's
    # stripe.OAuth.token(grant_type="authorization_code", code=code), on the platform's client.
    code = request.args.get("code") or ""
    try:
        response = _stripe().oauth.token({"grant_type": "authorization_code", "code": code})
    except stripe.oauth_error.OAuthError:
        return jsonify(error="Invalid authorization code: " + code), 400
    except Exception:
        return jsonify(error="An unknown error occurred."), 500

    connected_account_id = response["stripe_user_id"]
    save_account_id(homeowner_id, connected_account_id)
    return jsonify(success=True), 200


# -- Account Links: today's flow ----------------------------------------------------------------
def _onboarding_redirect(homeowner: dict[str, Any]) -> Any:
    """Create the homeowner's Express account if needed, then send them to a fresh link."""
    client, config = _stripe(), _config()
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
            save_account_id(homeowner["id"], account_id)  # saved once onboarding starts
        query = f"?homeowner={homeowner['id']}"
        link = client.v1.account_links.create({
            "account": account_id,
            "type": "account_onboarding",
            "refresh_url": config.public_url + "/onboard/refresh" + query,
            "return_url": config.public_url + "/onboard/return" + query,
        })
    except stripe.StripeError as exc:
        return jsonify(error=exc.user_message or "Stripe refused the request."), 502
    # Account Link URLs are single-use and short-lived: redirect at once, never store them.
    return redirect(link.url, code=303)


def _known_homeowner() -> dict[str, Any] | None:
    return _homeowner(request.args.get("homeowner"))


@blueprint.route("/onboard", methods=["GET", "POST"])
def onboard() -> Any:
    homeowner = _known_homeowner()
    if homeowner is None:
        return jsonify(error="Unknown homeowner: sign in first."), 404
    return _onboarding_redirect(homeowner)


@blueprint.get("/onboard/refresh")
def onboard_refresh() -> Any:
    """Stripe sends the browser here when a link expired or was already used: make a new one."""
    homeowner = _known_homeowner()
    if homeowner is None:
        return jsonify(error="Unknown homeowner: sign in first."), 404
    return _onboarding_redirect(homeowner)


@blueprint.get("/onboard/return")
def onboard_return() -> Any:
    """Arriving here proves nothing: the homeowner may have left the form early. Ask Stripe."""
    homeowner = _known_homeowner()
    if homeowner is None or not homeowner["stripe_account_id"]:
        return jsonify(error="Unknown homeowner or no Stripe account yet."), 404
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
