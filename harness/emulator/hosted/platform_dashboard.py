"""The platform's Dashboard (``/dashboard/<platform>/…``): what the guide sends the reader to
look at and set, served by the emulator (the Express Dashboard of a connected account is
``dashboard_pages.py``).

Every page reads through the resource modules' own route functions, as the platform itself
(or as one connected account, the way ``Stripe-Account`` does), so a page shows only what
that platform's secret key could read, and another platform's ID is a 404. Every action
(a refund, a dispute answer, a payout schedule, a webhook endpoint) is the same function
the API route runs, with its parameters checked by that route's schema, inside this page's
one transaction; an error rolls the page's work back and shows Stripe's message.

Links between pages are relative, so the Dashboard works under any public base.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ..context import Context
from ..errors import StripeError
from ..params import validate_fields
from ..pipeline import Page
from ..registry import registry, route
from ..resources import (
    accounts,
    balance,
    charges,
    disputes,
    events,
    oauth,
    payment_intents,
    payouts,
    refunds,
    transfers,
    webhook_endpoints,
)
from . import dashboard_session as auth
from .dashboard_pages import dashboard_data
from .rendering import money, platform_brand, render

P = "/dashboard/<platform>"
LIST_LIMIT = 50
# Stripe's test evidence values (https://docs.stripe.com/testing#disputes): put in
# ``uncategorized_text``, they win or lose the dispute when submitted.
TEST_EVIDENCE = ("winning_evidence", "losing_evidence")


# -- plumbing -------------------------------------------------------------------------------
@functools.cache
def _routes() -> dict[Callable, Any]:
    return {r.handler: r for r in registry.routes if not r.raw}


def api(ctx: Context, handler: Callable, raw: dict[str, Any] | None = None, **path: str) -> Any:
    """Run an API route's function as the API would: its schema checks ``raw`` first."""
    spec = _routes()[handler].params
    params = validate_fields(spec, raw or {}) if spec is not None else dict(raw or {})
    return handler(ctx, params, **path)


def _date(ts: int | None) -> str:
    if not ts:
        return ""
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")


def _root(page: Page, platform: str) -> str:
    """The relative way from this page back to the Dashboard's root."""
    rest = page.request.path[len(auth.root_path(platform)):]
    return "../" * rest.count("/") or "./"


class Dash:
    """One Dashboard request: the session, the platform's Context and the page chrome."""

    def __init__(self, page: Page, platform: str) -> None:
        self.page, self.platform = page, platform
        self.session = auth.session_of(page, platform)
        self.ctx = page.context(platform)
        self.root = _root(page, platform)

    def as_account(self, account_id: str) -> Context:
        """A Context acting as one connected account (a 404 unless it is this platform's)."""
        api(self.ctx, accounts.retrieve, id=account_id)
        return self.page.context(self.platform, account_id)

    def show(self, template: str, section: str, title: str, **values: Any) -> Response:
        return render(template, brand=platform_brand(self.page.emulator, self.platform),
                      root=self.root, section=section, page_title=title,
                      csrf=self.session["csrf"], notice=self._flash(None),
                      money=money, date=_date, **values)

    def _flash(self, notice: str | None) -> str:
        """Keep ``notice`` in the session for the next page (None: take the kept one), so
        no page shows text that came from its URL."""
        kept = self.session.get("notice") or ""
        if notice is None and not kept:
            return ""
        record = {k: v for k, v in self.session.items() if k not in ("sid", "used")}
        record["notice"] = notice or ""
        auth.save_session(self.page.emulator, self.session["sid"], record)
        return kept

    def back(self, to: str, notice: str = "") -> Response:
        """After a POST, to a page (relative to the Dashboard's root), with a notice."""
        self._flash(notice)
        response = Response("", status=303, headers={"Location": self.root + to})
        response.autocorrect_location_header = False
        return response


def _page(section: str) -> Callable:
    """A Dashboard page: logged in, and a Stripe error shown as a page with its status
    (raised, so the page's writes roll back)."""

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def handler(page: Page, platform: str, **path: str) -> Response:
            dash = Dash(page, platform)
            try:
                return fn(dash, **path)
            except StripeError as exc:
                status = exc.status if 400 <= exc.status < 500 else 400
                error = exc.body()["error"].get("message", "Something went wrong.")
                if status == 403:
                    # Another platform's account: the API says "no access"; a page says it
                    # is not there, and tells nothing about whether it exists.
                    status, error = 404, "No such object on this platform."
                raise HTTPException(response=dash.show(
                    "dash_error.html", section, "Error", error=error,
                    status=status)) from None
        return handler

    return wrap


def _data(listing: dict[str, Any]) -> list[dict[str, Any]]:
    return listing["data"]


def _balance_rows(bal: dict[str, Any]) -> list[dict[str, Any]]:
    pending = {f["currency"]: f["amount"] for f in bal["pending"]}
    return [{"currency": f["currency"], "available": f["amount"],
             "pending": pending.get(f["currency"], 0)} for f in bal["available"]]


# -- Home -----------------------------------------------------------------------------------
@route("GET", P + "/login", page=True)
def login(page: Page, platform: str) -> Response:
    return auth.open_link(page, platform, page.text("token"))


@route("POST", P + "/logout", page=True)
def logout(page: Page, platform: str) -> Response:
    auth.session_of(page, platform)
    return auth.log_out(page, platform)


@route("GET", P + "/", page=True)
@_page("home")
def home(dash: Dash) -> Response:
    ctx = dash.ctx
    return dash.show("dash_home.html", "home", "Home",
                     balance=_balance_rows(api(ctx, balance.retrieve_balance)),
                     payments=_data(api(ctx, payment_intents.list_, {"limit": "10"})),
                     now=ctx.now(), platform=dash.platform)


# -- Connect → Accounts ----------------------------------------------------------------------
@route("GET", P + "/connect/accounts", page=True)
@_page("accounts")
def account_list(dash: Dash) -> Response:
    rows = []
    for account in _data(api(dash.ctx, accounts.list_, {"limit": str(LIST_LIMIT)})):
        bal = balance.balance_of(dash.as_account(account["id"]), account["id"])
        rows.append({"account": account, "balance": _balance_rows(bal)})
    return dash.show("dash_accounts.html", "accounts", "Connected accounts", rows=rows)


@route("GET", P + "/connect/accounts/<account_id>", page=True)
@_page("accounts")
def account_page(dash: Dash, account_id: str) -> Response:
    account = api(dash.ctx, accounts.retrieve, id=account_id)
    own = dash.as_account(account_id)
    limit = {"limit": str(LIST_LIMIT)}
    return dash.show(
        "dash_account.html", "accounts", accounts.display_name(account) or account_id,
        account=account, name=_account_name(dash, account),
        balance=_balance_rows(api(own, balance.retrieve_balance)),
        # what the account's own (Express) Dashboard lists: amount, application fee, net
        payments=dashboard_data(own, account_id)["payments"],
        transfers=_data(api(dash.ctx, transfers.list_, {**limit, "destination": account_id})),
        payouts=_data(api(own, payouts.list_, limit)),
        schedule=account["settings"]["payouts"]["schedule"])


def _account_name(dash: Dash, account: dict[str, Any]) -> str:
    from ..resources.account_links import account_details

    person = account_details(dash.page.emulator, account["id"]).get("individual", {})
    name = " ".join(x for x in (person.get("first_name"), person.get("last_name")) if x)
    return name or account.get("email") or account["id"]


def _schedule_params(page: Page) -> dict[str, Any]:
    schedule = {k: page.text(k) for k in ("interval", "delay_days", "weekly_anchor",
                                          "monthly_anchor") if page.text(k)}
    if schedule.get("interval") != "weekly":
        schedule.pop("weekly_anchor", None)
    if schedule.get("interval") != "monthly":
        schedule.pop("monthly_anchor", None)
    return {"settings": {"payouts": {"schedule": schedule}}}


@route("POST", P + "/connect/accounts/<account_id>/payout_schedule", page=True)
@_page("accounts")
def account_schedule(dash: Dash, account_id: str) -> Response:
    api(dash.ctx, accounts.update, _schedule_params(dash.page), id=account_id)
    return dash.back(f"connect/accounts/{account_id}", "Payout schedule saved.")


# -- Payments ---------------------------------------------------------------------------------
@route("GET", P + "/payments", page=True)
@_page("payments")
def payment_list(dash: Dash) -> Response:
    limit = {"limit": str(LIST_LIMIT)}
    return dash.show("dash_payments.html", "payments", "Payments",
                     intents=_data(api(dash.ctx, payment_intents.list_, limit)),
                     charges=_data(api(dash.ctx, charges.list_, limit)),
                     disputes=_data(api(dash.ctx, disputes.list_, limit)))


def _trail(dash: Dash, charge: dict[str, Any]) -> list[dict[str, Any]]:
    """Every balance transaction the payment moved, on each account: the charge, its
    transfer and the connected account's payment, the application fee, and what refunds,
    reversals and disputes moved since (read from the ledger by source)."""
    ledger, ctx = dash.ctx.ledger, dash.ctx
    sources = [charge["id"]]
    transfer = charge.get("transfer")
    if isinstance(transfer, str):
        tr = api(ctx, transfers.retrieve, id=transfer)
        sources.append(tr["id"])
        if isinstance(tr.get("destination_payment"), str):
            sources.append(tr["destination_payment"])
        for reversal in _data(api(ctx, refunds.list_reversals, {"limit": "100"},
                                  transfer=tr["id"])):
            sources += [reversal["id"], reversal.get("destination_payment_refund")]
    fee = charge.get("application_fee")
    if isinstance(fee, str):
        sources.append(fee)
        sources += [r["id"] for r in _data(api(ctx, refunds.list_fee_refunds, {"limit": "100"},
                                               fee=fee))]
    sources += [r["id"] for r in _data(api(ctx, refunds.list_, {"charge": charge["id"],
                                                                 "limit": "100"}))]
    sources += [d["id"] for d in _data(api(ctx, disputes.list_, {"charge": charge["id"]}))]
    rows, seen = [], set()
    for source in filter(None, sources):
        for entry in ledger.for_source(source):
            if entry.id in seen:
                continue
            seen.add(entry.id)
            rows.append({"id": entry.id, "account": entry.ns,
                         "whose": "platform" if entry.ns == dash.platform else "connected",
                         "type": entry.type,
                         "source": source, "currency": entry.currency, "amount": entry.amount,
                         "fee": entry.fee, "net": entry.net, "created": entry.created})
    rows.sort(key=lambda r: (r["created"], r["id"]))
    return rows


@route("GET", P + "/payments/<id>", page=True)
@_page("payments")
def payment_page(dash: Dash, id: str) -> Response:
    ctx = dash.ctx
    if id.startswith("pi_"):
        intent = api(ctx, payment_intents.retrieve, id=id)
        charge_id = intent.get("latest_charge")
    else:
        intent, charge_id = None, id
    charge = api(ctx, charges.retrieve, id=charge_id) if isinstance(charge_id, str) else None
    if charge is not None and intent is None and isinstance(charge.get("payment_intent"), str):
        intent = api(ctx, payment_intents.retrieve, id=charge["payment_intent"])
    fee = None
    if charge is not None and isinstance(charge.get("application_fee"), str):
        fee = ctx.store.get(charge["application_fee"])[1]
    found = _data(api(ctx, disputes.list_, {"charge": charge["id"]})) if charge else []
    return dash.show("dash_payment.html", "payments", id, intent=intent, charge=charge,
                     fee=fee, disputes=found, trail=_trail(dash, charge) if charge else [],
                     refundable=(charge["amount_captured"] - charge["amount_refunded"])
                     if charge else 0)


def _flag(page: Page, name: str) -> str:
    return "true" if page.params.get(name) in ("true", "on") else "false"


@route("POST", P + "/payments/<id>/refund", page=True)
@_page("payments")
def payment_refund(dash: Dash, id: str) -> Response:
    """A refund from the Dashboard: ``POST /v1/refunds``'s function and schema."""
    raw = {"charge": id, "reverse_transfer": _flag(dash.page, "reverse_transfer"),
           "refund_application_fee": _flag(dash.page, "refund_application_fee")}
    amount = dash.page.text("amount").strip()
    if amount:
        raw["amount"] = amount
    if dash.page.text("reason"):
        raw["reason"] = dash.page.text("reason")
    refund = api(dash.ctx, refunds.create, raw)
    return dash.back(f"payments/{id}", f"Refund {refund['id']}: {refund['status']}.")


@route("GET", P + "/disputes/<id>", page=True)
@_page("payments")
def dispute_page(dash: Dash, id: str) -> Response:
    dispute = api(dash.ctx, disputes.retrieve, id=id)
    return dash.show("dash_dispute.html", "payments", id, dispute=dispute,
                     test_evidence=TEST_EVIDENCE, is_open=dispute["status"] in disputes.OPEN)


@route("POST", P + "/disputes/<id>", page=True)
@_page("payments")
def dispute_answer(dash: Dash, id: str) -> Response:
    """Accept (``POST /v1/disputes/<id>/close``) or submit evidence (``POST
    /v1/disputes/<id>`` with ``submit=true``)."""
    if dash.page.text("action") == "accept":
        dispute = api(dash.ctx, disputes.close, id=id)
    else:
        evidence = {k: dash.page.text(k) for k in ("uncategorized_text", "customer_name",
                                                   "product_description") if dash.page.text(k)}
        dispute = api(dash.ctx, disputes.update, {"evidence": evidence, "submit": "true"},
                      id=id)
    return dash.back(f"disputes/{id}", f"Dispute {dispute['status']}.")


# -- Balances and payouts -------------------------------------------------------------------
@route("GET", P + "/balance", page=True)
@_page("balance")
def balance_page(dash: Dash) -> Response:
    ctx, limit = dash.ctx, {"limit": str(LIST_LIMIT)}
    platform = api(ctx, accounts.retrieve_own)
    return dash.show("dash_balance.html", "balance", "Balances",
                     balance=_balance_rows(api(ctx, balance.retrieve_balance)),
                     transactions=_data(api(ctx, balance.list_, limit)),
                     payouts=_data(api(ctx, payouts.list_, limit)),
                     schedule=platform["settings"]["payouts"]["schedule"])


@route("POST", P + "/balance/payout_schedule", page=True)
@_page("balance")
def balance_schedule(dash: Dash) -> Response:
    api(dash.ctx, accounts.update, _schedule_params(dash.page), id=dash.platform)
    return dash.back("balance", "Payout schedule saved.")


# -- Developers -----------------------------------------------------------------------------
@route("GET", P + "/developers", page=True)
@route("GET", P + "/developers/logs", page=True)
@_page("developers")
def developers(dash: Dash) -> Response:
    emulator = dash.page.emulator
    return dash.show("dash_developers.html", "developers", "API keys",
                     publishable=emulator.publishable_key(dash.platform),
                     masked=dash.session.get("masked_key") or "sk_test_…",
                     requests=emulator.requests.entries(dash.platform)[-50:][::-1])


@route("GET", P + "/developers/webhooks", page=True)
@_page("developers")
def webhooks(dash: Dash) -> Response:
    return dash.show("dash_webhooks.html", "developers", "Webhooks",
                     endpoints=_data(api(dash.ctx, webhook_endpoints.list_, {"limit": "100"})))


def _event_types(page: Page) -> list[str]:
    text = page.text("enabled_events")
    return [t for t in (x.strip() for x in text.replace(",", "\n").splitlines()) if t]


@route("POST", P + "/developers/webhooks", page=True)
@_page("developers")
def webhook_add(dash: Dash) -> Response:
    """Add an endpoint: ``POST /v1/webhook_endpoints``'s function and schema."""
    raw: dict[str, Any] = {"url": dash.page.text("url"),
                           "enabled_events": _event_types(dash.page) or [""]}
    if dash.page.text("connect") in ("true", "on"):
        raw["connect"] = "true"
    endpoint = api(dash.ctx, webhook_endpoints.create, raw)
    return dash.back(f"developers/webhooks/{endpoint['id']}",
                     "Endpoint added. Its signing secret is shown once by the API that "
                     "creates it; here it stays hidden.")


@route("GET", P + "/developers/webhooks/<id>", page=True)
@_page("developers")
def webhook_page(dash: Dash, id: str) -> Response:
    endpoint = api(dash.ctx, webhook_endpoints.retrieve, id=id)
    deliveries = _data(api(dash.ctx, webhook_endpoints.deliveries, {"limit": "50"}, id=id))
    return dash.show("dash_webhook.html", "developers", id, endpoint=endpoint,
                     deliveries=deliveries)


@route("POST", P + "/developers/webhooks/<id>", page=True)
@_page("developers")
def webhook_edit(dash: Dash, id: str) -> Response:
    api(dash.ctx, webhook_endpoints.update,
        {"enabled_events": _event_types(dash.page) or [""]}, id=id)
    return dash.back(f"developers/webhooks/{id}", "Events saved.")


@route("POST", P + "/developers/webhooks/<id>/resend", page=True)
@_page("developers")
def webhook_resend(dash: Dash, id: str) -> Response:
    event = dash.page.text("event")
    webhook_endpoints.resend(dash.ctx, id, event)
    return dash.back(f"developers/webhooks/{id}", f"{event} queued again.")


@route("GET", P + "/developers/events", page=True)
@_page("developers")
def event_list(dash: Dash) -> Response:
    return dash.show("dash_events.html", "developers", "Events",
                     events=_data(api(dash.ctx, events.list_, {"limit": str(LIST_LIMIT)})))


@route("GET", P + "/developers/events/<id>", page=True)
@_page("developers")
def event_page(dash: Dash, id: str) -> Response:
    event = api(dash.ctx, events.retrieve, id=id)
    return dash.show("dash_event.html", "developers", id, event=event,
                     payload=json.dumps(event, indent=2, sort_keys=True))


# -- Settings → Connect --------------------------------------------------------------------
@route("GET", P + "/settings/connect", page=True)
@_page("settings")
def connect_settings(dash: Dash) -> Response:
    store = dash.page.emulator.store
    own = api(dash.ctx, accounts.retrieve_own)
    return dash.show("dash_settings.html", "settings", "Connect settings",
                     client_id=oauth.client_id_of(store, dash.platform),
                     redirect_uris=oauth.redirect_uris(store, dash.platform),
                     express_oauth=oauth.express_oauth_enabled(store, dash.platform),
                     name=(own.get("business_profile") or {}).get("name") or "",
                     branding=own["settings"]["branding"])


@route("POST", P + "/settings/connect", page=True)
@_page("settings")
def connect_settings_save(dash: Dash) -> Response:
    page, emulator, platform = dash.page, dash.page.emulator, dash.platform
    uris = oauth.redirect_uris(emulator.store, platform)
    action, uri = page.text("action"), page.text("uri").strip()
    if action == "add_uri":
        if not uri:
            return dash.back("settings/connect", "Enter a redirect URI to add.")
        oauth.set_redirect_uris(emulator, platform, [*uris, uri])
        notice = f"Added {uri}."
    elif action == "remove_uri":
        oauth.set_redirect_uris(emulator, platform, [u for u in uris if u != uri])
        notice = f"Removed {uri}."
    elif action == "default_uri" and uri in uris:
        oauth.set_redirect_uris(emulator, platform, [uri, *(u for u in uris if u != uri)])
        notice = f"{uri} is the default."
    elif action == "branding":
        oauth.set_branding(dash.ctx, {k: page.text(k).strip() for k in (
            "name", "icon", "primary_color", "secondary_color")})
        notice = "Branding saved."
    elif action == "express_oauth":
        oauth.set_express_oauth(emulator, platform, page.text("enabled") == "on")
        notice = "OAuth for Express accounts is " + (
            "on." if page.text("enabled") == "on" else "off.")
    else:
        return dash.back("settings/connect", "Nothing to do.")
    return dash.back("settings/connect", notice)
