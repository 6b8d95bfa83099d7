"""AccountLink and LoginLink, and the Stripe-hosted pages they open.

* ``POST /v1/account_links`` returns a single-use URL to hosted onboarding. It expires
  after a few minutes; an expired or already-visited link sends the browser to
  ``refresh_url`` (https://docs.stripe.com/api/account_links/create). Finishing the form
  supplies every requirement, so capabilities, ``charges_enabled`` and ``payouts_enabled``
  turn on; leaving it early just goes to ``return_url`` with nothing changed.
* ``POST /v1/accounts/{id}/login_links`` returns a single-use URL to the account's Express
  Dashboard (https://docs.stripe.com/api/accounts/login_link), here a small page that reads
  the balance, payments and payouts from the ledger.

The hosted pages are Stripe's website, not its API: plain HTML forms and redirects.
"""

from __future__ import annotations

import copy
import datetime
import json
import re
from typing import Any

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from .. import pages
from ..context import Context
from ..errors import ApiError, InvalidRequest, PermissionDenied
from ..params import Enum, Obj, Str, Url
from ..registry import route
from ..shapes import build
from . import accounts

LINK_TTL = 300  # the API reference's example link expires 300 s after it is created
SESSION_TTL = 3600  # how long an opened hosted form stays usable (emulator time)

# Stripe's test-mode values that pass verification (https://docs.stripe.com/connect/testing).
TEST_VALUES = {
    "phone": "0000000000", "dob_day": "1", "dob_month": "1", "dob_year": "1901",
    "line1": "address_full_match", "city": "San Francisco", "state": "CA",
    "postal_code": "94111", "ssn_last_4": "0000", "url": "https://connect-lab.test/homeowner",
    "routing_number": "110000000", "account_number": "000123456789",
    "email": "", "first_name": "", "last_name": "",
}
FIELDS = tuple(TEST_VALUES)


# -- where the emulator is reachable ------------------------------------------------------------
def public_base(ctx: Context) -> str:
    """The emulator's own address as the caller reached it, for the hosted URLs it hands out."""
    if not ctx.base_url:
        raise ApiError("This request did not come over HTTP, so the emulator cannot tell "
                       "which address its hosted pages have.")
    return ctx.base_url.rstrip("/")


def page_context(emulator: Any, platform: str, account: str | None = None) -> Context:
    """A Context for work done by a hosted page on behalf of ``platform``."""
    return Context(emulator, platform, account or platform, emulator.platform_version(platform))


def platform_brand(emulator: Any, platform: str) -> dict[str, Any]:
    found = emulator.store.get(platform)
    return pages.branding(found[1] if found else None)


# -- records kept in the meta table -------------------------------------------------------------
def load_record(emulator: Any, kind: str, token: str) -> dict[str, Any] | None:
    raw = emulator.store.get_meta(f"{kind}:{token}")
    return json.loads(raw) if raw else None


def save_record(emulator: Any, kind: str, token: str, record: dict[str, Any]) -> None:
    emulator.store.set_meta(f"{kind}:{token}", json.dumps(record))


def drop_record(emulator: Any, kind: str, token: str) -> None:
    emulator.store.execute("DELETE FROM meta WHERE name=?", (f"{kind}:{token}",))


def consume_record(emulator: Any, kind: str, token: str, flag: str) -> bool:
    """Mark a single-use record used; True for exactly one caller however many race.

    Checking and setting the flag is one SQL statement in the caller's transaction, so two
    parallel requests cannot both see it unset (reading first and saving after can)."""
    cur = emulator.store.execute(
        "UPDATE meta SET value=json_set(value, ?, json('true')) "
        "WHERE name=? AND json_extract(value, ?) = 0",
        (f"$.{flag}", f"{kind}:{token}", f"$.{flag}"))
    return cur.rowcount == 1


def take_record(emulator: Any, kind: str, token: str) -> dict[str, Any] | None:
    """Delete a single-use record and return it, or None if another request took it first."""
    row = emulator.store.execute("DELETE FROM meta WHERE name=? RETURNING value",
                                 (f"{kind}:{token}",)).fetchone()
    return json.loads(row[0]) if row else None


# -- the personal-details form shared by hosted onboarding and Express OAuth ----------------------
def form_values(prefill: dict[str, str] | None = None) -> dict[str, Any]:
    values: dict[str, Any] = dict(TEST_VALUES)
    values.update({k: v for k, v in (prefill or {}).items() if k in TEST_VALUES and v})
    values["tos"] = False
    return values


def read_form(form: Any) -> dict[str, Any]:
    values = {k: (form.get(k) or "").strip() for k in FIELDS}
    values["tos"] = form.get("tos") == "accepted"
    return values


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def validate(values: dict[str, Any], remote_ip: str, user_agent: str) -> tuple[dict, list[str]]:
    """What the person typed, checked the way the hosted form checks it."""
    errors = []
    if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", values["email"]):
        errors.append("Enter a valid email address.")
    if len(_digits(values["phone"])) != 10:
        errors.append("Enter a 10-digit US mobile number.")
    for key, label in (("first_name", "first name"), ("last_name", "last name"),
                       ("line1", "address"), ("city", "city"), ("state", "state")):
        if not values[key]:
            errors.append(f"Enter your {label}.")
    try:
        dob = {k: int(values[f"dob_{k}"]) for k in ("day", "month", "year")}
        datetime.date(dob["year"], dob["month"], dob["day"])
        if dob["year"] < 1900:
            raise ValueError
    except ValueError:
        dob = {}
        errors.append("Enter a valid date of birth.")
    if not re.fullmatch(r"\d{5}", values["postal_code"]):
        errors.append("Enter a 5-digit ZIP code.")
    if not re.fullmatch(r"\d{4}", values["ssn_last_4"]):
        errors.append("Enter the last 4 digits of your SSN.")
    if not re.match(r"^https?://\S+\.\S+", values["url"]):
        errors.append("Enter a website or profile URL starting with http:// or https://.")
    if not re.fullmatch(r"\d{9}", values["routing_number"]):
        errors.append("Enter a 9-digit routing number.")
    if not re.fullmatch(r"\d{4,17}", values["account_number"]):
        errors.append("Enter a bank account number (4 to 17 digits).")
    if not values["tos"]:
        errors.append("Accept the Stripe Connected Account Agreement to continue.")
    supplied = {
        "individual": {
            "email": values["email"], "phone": _digits(values["phone"]),
            "first_name": values["first_name"], "last_name": values["last_name"], "dob": dob,
            "address": {"line1": values["line1"], "city": values["city"],
                        "state": values["state"].upper(), "postal_code": values["postal_code"]},
            "ssn_last_4": values["ssn_last_4"]},
        "business_profile": {"url": values["url"]},
        "bank": {"routing_number": values["routing_number"],
                 "account_number": values["account_number"]},
        "tos_acceptance": {"ip": remote_ip, "user_agent": user_agent[:500] or None},
    }
    return supplied, errors


def account_prefill(emulator: Any, account: dict[str, Any]) -> dict[str, str]:
    """What hosted onboarding already knows of an account (it asks only to confirm it)."""
    raw = emulator.store.get_meta(f"account_details:{account['id']}")
    individual = (json.loads(raw) if raw else {}).get("individual", {})
    return {"email": account.get("email") or individual.get("email") or "",
            "first_name": individual.get("first_name") or "",
            "last_name": individual.get("last_name") or "",
            "url": (account.get("business_profile") or {}).get("url") or ""}


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
        "expires_at": now + LINK_TTL, "visited": False})
    return build("AccountLink", object="account_link", created=now,
                 expires_at=now + LINK_TTL,
                 url=f"{public_base(ctx)}/setup/c/{account['id']}/{token}")


def _link_for(emulator: Any, account_id: str, token: str) -> dict[str, Any] | None:
    link = load_record(emulator, "account_link", token)
    return link if link and link["account"] == account_id else None


def _message(emulator: Any, platform: str | None, title: str, message: str,
             status: int) -> Response:
    brand = platform_brand(emulator, platform) if platform else pages.branding(None)
    return pages.render("message.html", status=status, brand=brand, title=title,
                        message=message)


def _connected_account(emulator: Any, platform: str, account_id: str) -> dict | None:
    found = emulator.store.get(account_id)
    if found is None or found[0] != platform or found[1].get("object") != "account":
        return None
    return found[1]


def _onboarding_form(emulator: Any, link: dict[str, Any], account: dict[str, Any], sid: str,
                     action: str, values: dict[str, Any], errors: list[str]) -> Response:
    return pages.render(
        "onboarding_form.html", brand=platform_brand(emulator, link["platform"]),
        account_id=account["id"], due=account["requirements"]["currently_due"], session=sid,
        action=action, values=values, errors=errors)


@route("GET", "/setup/c/<account_id>/<token>", raw=True)
def onboarding_page(emulator: Any, request: Request, account_id: str, token: str) -> Response:
    link = _link_for(emulator, account_id, token)
    if link is None:
        return _message(emulator, None, "This link is not valid",
                        "Ask the platform that sent you here for a new link.", 404)
    now = emulator.clock.now(link["platform"])
    if link["visited"] or now >= link["expires_at"]:
        # Expired or previously visited: the browser goes to refresh_url, where the platform
        # should make a fresh link (https://docs.stripe.com/api/account_links/create).
        return redirect(link["refresh_url"], code=302)
    account = _connected_account(emulator, link["platform"], account_id)
    if account is None:
        return _message(emulator, link["platform"], "This account is not available",
                        "The platform can no longer onboard this account.", 404)
    with emulator.store.transaction():
        if not consume_record(emulator, "account_link", token, "visited"):
            # another request opened it a moment ago: this one is a repeat visit
            return redirect(link["refresh_url"], code=302)
        sid = emulator.ids.secret(24)
        save_record(emulator, "onboarding_session", sid,
                    {"token": token, "account": account_id, "platform": link["platform"],
                     "created": now})
    return _onboarding_form(emulator, link, account, sid, request.path,
                            form_values(account_prefill(emulator, account)), [])


@route("POST", "/setup/c/<account_id>/<token>", raw=True)
def onboarding_submit(emulator: Any, request: Request, account_id: str, token: str) -> Response:
    link = _link_for(emulator, account_id, token)
    if link is None:
        return _message(emulator, None, "This link is not valid",
                        "Ask the platform that sent you here for a new link.", 404)
    sid = request.form.get("session", "")
    session = load_record(emulator, "onboarding_session", sid) if sid else None
    now = emulator.clock.now(link["platform"])
    if session is None or session["token"] != token or now - session["created"] > SESSION_TTL:
        return redirect(link["refresh_url"], code=303)
    if request.form.get("action") == "leave":
        drop_record(emulator, "onboarding_session", sid)
        return redirect(link["return_url"], code=303)
    values = read_form(request.form)
    supplied, errors = validate(values, request.remote_addr or "127.0.0.1",
                                request.headers.get("User-Agent", ""))
    ctx = page_context(emulator, link["platform"])
    with emulator.store.transaction():
        account = _connected_account(emulator, link["platform"], account_id)
        if account is None:
            return _message(emulator, link["platform"], "This account is not available",
                            "The platform can no longer onboard this account.", 404)
        if errors:
            return _onboarding_form(emulator, link, account, sid, request.path, values, errors)
        if take_record(emulator, "onboarding_session", sid) is None:
            # a parallel submit of the same form finished first: onboard once
            return redirect(link["return_url"], code=303)
        before = copy.deepcopy(account)
        accounts.complete_onboarding(ctx, account, supplied)
        accounts.save_and_announce(ctx, before, account)
        emulator.after_request(ctx)
    return redirect(link["return_url"], code=303)


# -- LoginLink and the Express Dashboard -------------------------------------------------------
@route("POST", "/v1/accounts/<id>/login_links", params={})
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
                {"platform": ctx.platform, "account": id, "created": now, "used": False})
    return build("LoginLink", object="login_link", created=now,
                 url=f"{public_base(ctx)}/express/{id}/{token}")


def _date(ts: int | None) -> str:
    if not ts:
        return ""
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")


def dashboard_data(emulator: Any, platform: str, account_id: str) -> dict[str, Any]:
    """The Express Dashboard's view of one account, from the store and the ledger."""
    from .balance import balance_of

    ctx = page_context(emulator, platform, account_id)
    found = emulator.store.get(account_id)
    account = found[1] if found else {}
    bal = balance_of(ctx, account_id)
    pending = {f["currency"]: f["amount"] for f in bal["pending"]}
    balance = [{"currency": f["currency"], "available": pages.money(f["amount"], f["currency"]),
                "pending": pages.money(pending.get(f["currency"], 0), f["currency"])}
               for f in bal["available"]]
    payments = []
    for charge in emulator.store.query(type="charge", ns=account_id, limit=25):
        currency = charge.get("currency", "usd")
        entry = emulator.ledger.get(charge["balance_transaction"]) \
            if isinstance(charge.get("balance_transaction"), str) else None
        fee = entry.fee if entry else 0
        payments.append({"id": charge["id"], "date": _date(charge.get("created")),
                         "amount": pages.money(charge.get("amount", 0), currency),
                         "fee": pages.money(fee, currency),
                         "net": pages.money(entry.net if entry else charge.get("amount", 0),
                                            currency)})
    payouts = [{"id": p["id"], "date": _date(p.get("arrival_date")), "status": p.get("status"),
                "amount": pages.money(p.get("amount", 0), p.get("currency", "usd"))}
               for p in emulator.store.query(type="payout", ns=account_id, limit=25)]
    individual = {}
    raw = emulator.store.get_meta(f"account_details:{account_id}")
    if raw:
        individual = json.loads(raw).get("individual", {})
    name = " ".join(x for x in (individual.get("first_name"), individual.get("last_name")) if x)
    return {"account_id": account_id, "account_name": name or account.get("email") or account_id,
            "charges_enabled": account.get("charges_enabled"),
            "payouts_enabled": account.get("payouts_enabled"),
            "balance": balance, "payments": payments, "payouts": payouts}


@route("GET", "/express/<account_id>/<token>", raw=True)
def express_dashboard(emulator: Any, request: Request, account_id: str, token: str) -> Response:
    link = load_record(emulator, "login_link", token)
    if link is None or link["account"] != account_id:
        return _message(emulator, None, "This link is not valid",
                        "Ask the platform for a new link to your Express Dashboard.", 404)
    if link["used"]:
        # Login links are single-use (https://docs.stripe.com/api/accounts/login_link).
        return _message(emulator, link["platform"], "This link has already been used",
                        "Login links work once. Ask the platform for a new one.", 410)
    if _connected_account(emulator, link["platform"], account_id) is None:
        return _message(emulator, link["platform"], "This account is not available",
                        "It is no longer connected to the platform.", 404)
    with emulator.store.transaction():
        if not consume_record(emulator, "login_link", token, "used"):
            return _message(emulator, link["platform"], "This link has already been used",
                            "Login links work once. Ask the platform for a new one.", 410)
    return pages.render("dashboard.html", brand=platform_brand(emulator, link["platform"]),
                        **dashboard_data(emulator, link["platform"], account_id))
