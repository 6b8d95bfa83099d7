"""AccountLink and LoginLink, and the Stripe-hosted pages they open.

* ``POST /v1/account_links`` returns a single-use URL to hosted onboarding. It expires
  after a few minutes; an expired or already-visited link sends the browser to
  ``refresh_url`` (https://docs.stripe.com/api/account_links/create). Finishing the form
  supplies every requirement, so capabilities, ``charges_enabled`` and ``payouts_enabled``
  turn on; leaving it early just goes to ``return_url`` with nothing changed.
* ``POST /v1/accounts/{id}/login_links`` returns a single-use URL to the account's Express
  Dashboard (https://docs.stripe.com/api/accounts/login_link), here a small page that reads
  the balance, payments and payouts from the ledger.

The hosted pages themselves are Stripe's website, not its API: plain HTML forms and
redirects, in ``hosted/onboarding_pages.py`` and ``hosted/dashboard_pages.py``; this module
keeps the links, their single-use records, and what the pages need to know of an account.
"""

from __future__ import annotations

import json
from typing import Any

from ..context import Context
from ..context import connected_account as _connected_account
from ..errors import ApiError, InvalidRequest, PermissionDenied
from ..params import Enum, Obj, Str, Url
from ..registry import route
from ..shapes import build
from . import accounts

LINK_TTL = 300  # the API reference's example link expires 300 s after it is created
SESSION_TTL = 3600  # how long an opened hosted form stays usable (emulator time)


# -- where the emulator is reachable ------------------------------------------------------------
def public_base(ctx: Context) -> str:
    """The emulator's own address as the caller reached it, for the hosted URLs it hands out."""
    if not ctx.base_url:
        raise ApiError("This request did not come over HTTP, so the emulator cannot tell "
                       "which address its hosted pages have.")
    return ctx.base_url.rstrip("/")


# -- single-use records (the store's records table) -----------------------------------------------
def load_record(emulator: Any, kind: str, token: str) -> dict[str, Any] | None:
    return emulator.store.get_record(kind, token)


def save_record(emulator: Any, kind: str, token: str, record: dict[str, Any]) -> None:
    emulator.store.put_record(kind, token, record)


def drop_record(emulator: Any, kind: str, token: str) -> None:
    emulator.store.drop_record(kind, token)


def consume_record(emulator: Any, kind: str, token: str) -> bool:
    """Mark a single-use record used; True for exactly one caller however many race."""
    return emulator.store.use_record(kind, token)


def take_record(emulator: Any, kind: str, token: str) -> dict[str, Any] | None:
    """Delete a single-use record and return it, or None if another request took it first."""
    return emulator.store.take_record(kind, token)


def account_prefill(emulator: Any, account: dict[str, Any]) -> dict[str, str]:
    """What hosted onboarding already knows of an account (it asks only to confirm it)."""
    individual = account_details(emulator, account["id"]).get("individual", {})
    return {"email": account.get("email") or individual.get("email") or "",
            "first_name": individual.get("first_name") or "",
            "last_name": individual.get("last_name") or "",
            "url": (account.get("business_profile") or {}).get("url") or ""}


def link_for(emulator: Any, account_id: str, token: str) -> dict[str, Any] | None:
    """The AccountLink record behind an onboarding URL, if the URL names its account."""
    link = load_record(emulator, "account_link", token)
    return link if link and link["account"] == account_id else None


def connected_account(emulator: Any, platform: str, account_id: str) -> dict | None:
    """The account, if it is still one of ``platform``'s connected accounts."""
    return _connected_account(emulator.store, platform, account_id)


def account_details(emulator: Any, account_id: str) -> dict[str, Any]:
    """The personal details the account supplied (kept apart from the Account object)."""
    raw = emulator.store.get_meta(f"account_details:{account_id}")
    return json.loads(raw) if raw else {}


# -- AccountLink -----------------------------------------------------------------------------------
CREATE = {
    "account": Str(required=True),
    "type": Enum(required=True, choices=("account_onboarding", "account_update")),
    "refresh_url": Url(required=True),
    "return_url": Url(required=True),
    "collect": Enum(choices=("currently_due", "eventually_due")),
    "collection_options": Obj(fields={
        "fields": Enum(choices=("currently_due", "eventually_due")),
        "future_requirements": Enum(choices=("include", "omit")),
    }),
}


def _platform_only(ctx: Context, what: str) -> None:
    if ctx.is_connected:
        raise PermissionDenied(f"Only the platform can create {what} for its connected "
                               "accounts; remove the Stripe-Account header.")


@route("POST", "/v1/account_links", params=CREATE)
def create_account_link(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    _platform_only(ctx, "Account Links")
    if params["account"] == ctx.platform:
        raise InvalidRequest("You cannot create an Account Link for your own platform account.",
                             param="account")
    account = accounts._connected(ctx, params["account"])
    if "collect" in params and "collection_options" in params:
        raise InvalidRequest("You may only specify one of these parameters: collect, "
                             "collection_options.", code="parameters_exclusive",
                             param="collection_options")
    dashboard = ((account.get("controller") or {}).get("stripe_dashboard") or {}).get("type")
    if params["type"] == "account_update" and dashboard in ("express", "full"):
        # https://docs.stripe.com/api/account_links/create: account_update only for accounts
        # whose requirements the platform collects, not ones with a Stripe-hosted Dashboard.
        raise InvalidRequest(
            "You can't create Account Links of type `account_update` for accounts that have "
            "access to a Stripe-hosted Dashboard.", param="type")
    refresh_url, return_url = params["refresh_url"], params["return_url"]
    token = ctx.secret(24)
    now = ctx.now()
    save_record(ctx.emulator, "account_link", token, {
        "platform": ctx.platform, "account": account["id"], "type": params["type"],
        "refresh_url": refresh_url, "return_url": return_url, "created": now,
        "expires_at": now + LINK_TTL, "used": False})
    return build("AccountLink", object="account_link", created=now,
                 expires_at=now + LINK_TTL,
                 url=f"{public_base(ctx)}/setup/c/{account['id']}/{token}")


# -- LoginLink and the Express Dashboard -------------------------------------------------------
# ``redirect_url`` (where the Express Dashboard's "log out" goes) was removed in API version
# 2022-08-01: stripe-node's generated changelog for that release lists "Remove support for
# `redirect_url` on `LoginLink#create`", and stripe-python 16 no longer declares it. Older
# pinned versions still send it; from 2022-08-01 on it is an unknown parameter, as on Stripe.
LOGIN_LINK = {"redirect_url": Url(until="2022-08-01")}


@route("POST", "/v1/accounts/<id>/login_links", params=LOGIN_LINK)
def create_login_link(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    _platform_only(ctx, "login links")
    account = accounts._connected(ctx, id)
    dashboard = ((account.get("controller") or {}).get("stripe_dashboard") or {}).get("type")
    if id == ctx.platform or dashboard != "express":
        # https://docs.stripe.com/api/accounts/login_link/create
        raise InvalidRequest("You can only create login links for accounts that use the Express "
                             "Dashboard and are connected to your platform.", param="account")
    if not account["details_submitted"]:
        raise InvalidRequest("Cannot create a login link for an account that has not completed "
                             "onboarding.")
    token = ctx.secret(24)
    now = ctx.now()
    save_record(ctx.emulator, "login_link", token,
                {"platform": ctx.platform, "account": id, "created": now, "used": False,
                 "redirect_url": params.get("redirect_url")})
    return build("LoginLink", object="login_link", created=now,
                 url=f"{public_base(ctx)}/express/{id}/{token}")


