"""Connect Onboarding, hosted: the page an AccountLink's URL opens (``/setup/c/...``).

An expired or already-visited link sends the browser to ``refresh_url``
(https://docs.stripe.com/api/account_links/create). Finishing the form supplies every
requirement; leaving it early just goes to ``return_url`` with nothing changed. The links
and their records are ``resources/account_links.py``'s.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from ..pipeline import Page
from ..registry import route
from ..resources import accounts
from ..resources.account_links import (
    SESSION_TTL,
    account_prefill,
    connected_account,
    consume_record,
    drop_record,
    link_for,
    load_record,
    save_record,
    take_record,
)
from .details_form import form_values, read_form, validate
from .rendering import message, platform_brand, render, self_action


def _invalid(page: Page) -> Response:
    return message(page.emulator, None, "This link is not valid",
                   "Ask the platform that sent you here for a new link.", 404)


def _unavailable(page: Page, platform: str) -> Response:
    return message(page.emulator, platform, "This account is not available",
                   "The platform can no longer onboard this account.", 404)


# stripe-python 16 declares both URLs NotRequired (AccountLinkCreateParams); the docs do not
# say what Stripe's page does without one, so the emulator says in words where the browser
# would have gone, and stays on its own page.
def _to_refresh(page: Page, link: dict[str, Any], code: int) -> Response:
    if link.get("refresh_url"):
        return redirect(link["refresh_url"], code=code)
    return message(page.emulator, link["platform"], "This link has expired",
                   "It was already used or is too old. Ask the platform that sent you here "
                   "for a new link.", 410)


def _to_return(page: Page, link: dict[str, Any]) -> Response:
    """Where the browser goes when the flow ends: ``return_url``, or the emulator's own page.

    For an Accounts v2 account the platform also hears ``v2.core.account_link.returned``
    (the SDK: data ``account_id``, ``configurations``, ``use_case``), whether the person
    finished or left: the docs say the user returned, not how the flow ended."""
    state = page.emulator.store.get_meta(accounts.v2_state_key(link["account"]))
    if state is not None:
        ctx = page.context(link["platform"])
        ctx.emit("v2.core.account_link.returned", {
            "account_id": link["account"],
            "configurations": sorted(json.loads(state).get("configuration") or {}),
            "use_case": link["type"]}, account=link["platform"])
    if link.get("return_url"):
        return redirect(link["return_url"], code=303)
    return message(page.emulator, link["platform"], "You can close this page",
                   "Return to the platform that sent you here.", 200)


def _onboarding_form(emulator: Any, link: dict[str, Any], account: dict[str, Any], sid: str,
                     action: str, values: dict[str, Any], errors: list[str]) -> Response:
    return render(
        "onboarding_form.html", brand=platform_brand(emulator, link["platform"]),
        account_id=account["id"], due=account["requirements"]["currently_due"], session=sid,
        action=action, values=values, errors=errors)


@route("GET", "/setup/c/<account_id>/<token>", page=True)
def onboarding_page(page: Page, account_id: str, token: str) -> Response:
    emulator = page.emulator
    link = link_for(emulator, account_id, token)
    if link is None:
        return _invalid(page)
    now = emulator.clock.now(link["platform"])
    if link["used"] or now >= link["expires_at"]:
        # Expired or previously visited: the browser goes to refresh_url, where the platform
        # should make a fresh link (https://docs.stripe.com/api/account_links/create).
        return _to_refresh(page, link, 302)
    account = connected_account(emulator, link["platform"], account_id)
    if account is None:
        return _unavailable(page, link["platform"])
    if not consume_record(emulator, "account_link", token):
        # another request opened it a moment ago: this one is a repeat visit
        return _to_refresh(page, link, 302)
    sid = emulator.ids.secret(24)
    save_record(emulator, "onboarding_session", sid,
                {"token": token, "account": account_id, "platform": link["platform"],
                 "created": now})
    return _onboarding_form(emulator, link, account, sid, self_action(page.request.path),
                            form_values(account_prefill(emulator, account)), [])


@route("POST", "/setup/c/<account_id>/<token>", page=True)
def onboarding_submit(page: Page, account_id: str, token: str) -> Response:
    emulator = page.emulator
    link = link_for(emulator, account_id, token)
    if link is None:
        return _invalid(page)
    sid = page.text("session")
    session = load_record(emulator, "onboarding_session", sid) if sid else None
    now = emulator.clock.now(link["platform"])
    if session is None or session["token"] != token or now - session["created"] > SESSION_TTL:
        return _to_refresh(page, link, 303)
    if page.text("action") == "leave":
        drop_record(emulator, "onboarding_session", sid)
        return _to_return(page, link)
    values = read_form(page.params)
    supplied, errors = validate(values, page.request.remote_addr or "127.0.0.1",
                                page.request.headers.get("User-Agent", ""))
    ctx = page.context(link["platform"])
    account = connected_account(emulator, link["platform"], account_id)
    if account is None:
        return _unavailable(page, link["platform"])
    if errors:
        return _onboarding_form(emulator, link, account, sid, self_action(page.request.path),
                                values, errors)
    if take_record(emulator, "onboarding_session", sid) is None:
        # a parallel submit of the same form finished first: onboard once
        return _to_return(page, link)
    before = copy.deepcopy(account)
    accounts.complete_onboarding(ctx, account, supplied)
    accounts.save_and_announce(ctx, before, account)
    return _to_return(page, link)
