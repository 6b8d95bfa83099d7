"""Tenant isolation, tried as an outsider: two platforms from independent secret keys,
and platform B (or a connected account, or a browser holding a publishable key) reaching
for what belongs to someone else. Every attempt is counted; a breach is an answer that
succeeds or shows a foreign object."""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import pytest
import stripe

from harness.emulator.registry import registry
from harness.lab.server import BackgroundServer

from ..conftest import make_client
from .support import (
    Raw,
    fresh_secret_key,
    onboarded_account,
    page,
    publishable_key,
    raw,
)

LINE_ITEMS = [{"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 15000,
                                             "product_data": {"name": "Three nights"}}}]


@dataclass
class Tenant:
    """One platform with one of everything, as an attacker would find it."""

    key: str
    pk: str
    client: stripe.StripeClient
    id: str
    ids: dict[str, str] = field(default_factory=dict)  # type -> one object ID
    links: dict[str, str] = field(default_factory=dict)  # hosted URLs (paths)
    secrets: dict[str, str] = field(default_factory=dict)


def _path(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def build_tenant(server: BackgroundServer) -> Tenant:
    key = fresh_secret_key()
    client = make_client(server, key)
    t = Tenant(key, publishable_key(server, key), client,
               client.v1.accounts.retrieve_current().id)
    host = onboarded_account(server, client, key)
    sibling = onboarded_account(server, client, key)
    customer = client.v1.customers.create({"email": "renter@example.com"})
    saved = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    pi = client.v1.payment_intents.create({
        "amount": 20000, "currency": "usd", "payment_method": "pm_card_bypassPending",
        "confirm": True,
        "application_fee_amount": 2000, "transfer_data": {"destination": host}})
    charge = client.v1.charges.retrieve(pi.latest_charge)
    refund = client.v1.refunds.create({"charge": charge.id, "amount": 5000,
                                       "reverse_transfer": True,
                                       "refund_application_fee": True})
    transfer = client.v1.transfers.list({"limit": 1}).data[0]
    reversal = client.v1.transfers.list_reversals(transfer.id).data[0] \
        if hasattr(client.v1.transfers, "list_reversals") else \
        client.v1.transfers.reversals.list(transfer.id).data[0]
    fee = client.v1.application_fees.list({"limit": 1}).data[0]
    fee_refund = client.v1.application_fees.refunds.list(fee.id).data[0]
    disputed = client.v1.payment_intents.create({
        "amount": 3000, "currency": "usd", "payment_method": "pm_card_createDispute",
        "confirm": True})
    dispute = client.v1.disputes.list({"limit": 1}).data[0]
    topup = client.v1.topups.create({"amount": 5000, "currency": "usd"})
    payout = client.v1.payouts.create({"amount": 100, "currency": "usd"})
    session = client.v1.checkout.sessions.create({
        "mode": "payment", "success_url": "https://example.com/ok", "line_items": LINE_ITEMS,
        "payment_intent_data": {"application_fee_amount": 1500,
                                "transfer_data": {"destination": host}}})
    item = client.v1.checkout.sessions.line_items.list(session.id).data[0]
    endpoint = client.v1.webhook_endpoints.create({"url": "https://example.com/hook",
                                                   "enabled_events": ["*"]})
    open_pi = client.v1.payment_intents.create({"amount": 4200, "currency": "usd"})
    three_ds = client.v1.payment_intents.create({
        "amount": 4300, "currency": "usd", "payment_method": "pm_card_authenticationRequired",
        "confirm": True})
    setup = client.v1.setup_intents.create({
        "customer": customer.id, "payment_method": "pm_card_authenticationRequiredOnSetup",
        "confirm": True})
    product = client.v1.products.create({"name": "Cleaning fee", "default_price_data": {
        "currency": "usd", "unit_amount": 4500}})
    host_price = client.v1.prices.create({"currency": "usd", "unit_amount": 14500,
                                          "product_data": {"name": "Night"}},
                                         options={"stripe_account": host})
    person = client.v1.accounts.persons.create(host, {"first_name": "Jane", "relationship": {
        "representative": True}})
    event = client.v1.events.list({"limit": 1}).data[0]
    txn = client.v1.balance_transactions.list({"limit": 1}).data[0]
    bank = client.v1.accounts.external_accounts.list(host).data[0]
    t.ids.update({
        "account": host, "sibling": sibling, "customer": customer.id, "payment_method": saved.id,
        "payment_intent": pi.id, "charge": charge.id, "refund": refund.id,
        "transfer": transfer.id, "transfer_reversal": reversal.id, "application_fee": fee.id,
        "fee_refund": fee_refund.id, "dispute": dispute.id, "disputed_pi": disputed.id,
        "topup": topup.id, "payout": payout.id, "checkout.session": session.id,
        "item": item.id, "webhook_endpoint": endpoint.id, "open_pi": open_pi.id,
        "three_ds_pi": three_ds.id, "setup_intent": setup.id,
        "setup_attempt": setup.latest_attempt, "event": event.id, "balance_transaction": txn.id,
        "external_account": bank.id, "product": product.id, "price": product.default_price,
        "host_price": host_price.id, "host_product": host_price.product, "person": person.id})
    link = client.v1.account_links.create({
        "account": client.v1.accounts.create({"type": "express", "country": "US"}).id,
        "type": "account_onboarding", "refresh_url": "https://example.com/refresh",
        "return_url": "https://example.com/return"})
    login = client.v1.accounts.login_links.create(host)
    t.links.update({"checkout": _path(session.url), "account_link": _path(link.url),
                    "login_link": _path(login.url)})
    t.secrets.update({"open_pi": open_pi.client_secret, "three_ds_pi": three_ds.client_secret,
                      "setup_intent": setup.client_secret})
    return t


@pytest.fixture(scope="module")
def tenants(emulator_server: BackgroundServer) -> tuple[Tenant, Tenant]:
    return build_tenant(emulator_server), build_tenant(emulator_server)


class Tally:
    def __init__(self, victim: Tenant) -> None:
        self.attempts = 0
        self.breaches: list[tuple[str, Any]] = []
        self.foreign = set(victim.ids.values()) | set(victim.secrets.values())

    def check(self, what: str, status: int, text: str, ok: bool | None = None) -> None:
        """``ok``: the answer was the refusal expected; else any non-2xx that shows none of
        the victim's IDs counts as refused."""
        self.attempts += 1
        leaked = sorted(i for i in self.foreign if i in text)
        refused = (200 > status or status >= 300) if ok is None else ok
        if leaked and status < 300 or not refused:
            self.breaches.append((what, status, leaked[:3], text[:300]))

    def api(self, what: str, resp: Raw, ok: bool | None = None) -> None:
        self.check(what, resp.status, json.dumps(resp.body), ok)


def _report(name: str, tally: Tally) -> None:
    print(f"\n[isolation] {name}: {tally.attempts} attempts, {len(tally.breaches)} breaches")
    assert tally.breaches == [], tally.breaches[:5]


# -- hosted pages with another tenant's tokens -------------------------------------------------
def test_other_tenants_hosted_pages_and_tokens_do_not_open(
    emulator_server: BackgroundServer, tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = tenants
    tally = Tally(a)
    cs = a.ids["checkout.session"]
    for method, path in (("POST", f"/v1/payment_pages/{cs}/init"),
                         ("GET", f"/v1/payment_pages/{cs}")):
        tally.api(f"B's pk on A's Checkout {path}", raw(emulator_server, method, path, key=b.pk))
    for name, kind in (("open_pi", "payment_intents"), ("three_ds_pi", "payment_intents"),
                       ("setup_intent", "setup_intents")):
        pi, secret = a.ids[name], a.secrets[name]
        tally.api(f"B's pk retrieves A's {name}", raw(
            emulator_server, "GET", f"/v1/{kind}/{pi}", key=b.pk,
            params={"client_secret": secret}))
        tally.api(f"B's pk confirms A's {name}", raw(
            emulator_server, "POST", f"/v1/{kind}/{pi}/confirm", key=b.pk,
            params={"client_secret": secret, "payment_method": "pm_card_visa"}))
        tally.api(f"B's pk answers A's 3DS for {name}", raw(
            emulator_server, "POST", f"/_emulator/3ds/{pi}", key=b.pk,
            params={"client_secret": secret, "outcome": "complete"}))
        tally.api(f"B's secret key retrieves A's {name}", raw(
            emulator_server, "GET", f"/v1/{kind}/{pi}", key=b.key))
    # A's single-use tokens under B's account IDs, and B's under A's.
    for owner, other in ((a, b), (b, a)):
        for kind in ("account_link", "login_link"):
            prefix, account, token = owner.links[kind].rsplit("/", 2)
            for foreign_account in (other.ids["account"], other.ids["sibling"], other.id):
                got = page(emulator_server, f"{prefix}/{foreign_account}/{token}")
                tally.check(f"{kind} token of {owner.id} on {foreign_account}",
                            got.status, got.text, ok=got.status == 404)
            guess = token[:-1] + ("y" if token.endswith("x") else "x")  # never the token
            got = page(emulator_server, f"{prefix}/{account}/{guess}")
            tally.check(f"{kind} with a guessed token", got.status, got.text,
                        ok=got.status == 404)
    # A's pages must show B nothing of B, and B's pk nothing of A's secret key.
    text = page(emulator_server, a.links["checkout"]).text
    tally.check("A's Checkout page shows A's secret key", 404 if a.key not in text else 200,
                text.replace(a.key, "<A's secret key>"))
    _report("hosted pages with foreign tokens", tally)


# -- foreign cursors in every list -------------------------------------------------------------
PARENTS = {"customer": "customer", "charge": "charge", "transfer": "transfer",
           "fee": "application_fee", "id": "checkout.session", "account": "account"}


def _list_routes() -> list[str]:
    return sorted({r.path for r in registry.routes if r.method == "GET" and not r.raw
                   and r.params is not None and "starting_after" in r.params})


def test_foreign_cursors_are_unknown_in_every_list(
    emulator_server: BackgroundServer, tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = tenants
    tally = Tally(a)
    routes = _list_routes()
    assert len(routes) >= 20
    cursors = sorted(set(a.ids.values()))
    for route in routes:
        path = route
        if "/_emulator/webhook_endpoints/" in route:
            path = route.replace("<id>", b.ids["webhook_endpoint"])
        for arg, kind in PARENTS.items():
            path = path.replace(f"<{arg}>", b.ids[kind])
        assert "<" not in path, route
        # A list that needs its parent as a query parameter gets B's own.
        scope = {"setup_intent": b.ids["setup_intent"]} if path == "/v1/setup_attempts" \
            else {}
        for name in ("starting_after", "ending_before"):
            for cursor in cursors:
                resp = raw(emulator_server, "GET", path, key=b.key,
                           params={name: cursor, "limit": "3", **scope})
                error = (resp.body or {}).get("error", {})
                tally.api(f"{path}?{name}={cursor}", resp,
                          ok=resp.status == 404 and error.get("param") == name
                          and error.get("code") == "resource_missing")
    _report(f"foreign cursors over {len(routes)} list routes", tally)


def test_a_cursor_of_another_type_is_unknown_even_in_ones_own_account(
    emulator_server: BackgroundServer, tenants: tuple[Tenant, Tenant]
) -> None:
    _, b = tenants
    tally = Tally(Tenant("", "", b.client, b.id))  # nothing foreign: count refusals only
    for path, other in (("/v1/charges", "customer"), ("/v1/customers", "charge"),
                        ("/v1/refunds", "payment_intent"), ("/v1/events", "charge"),
                        ("/v1/payment_intents", "checkout.session"),
                        ("/v1/balance_transactions", "charge")):
        resp = raw(emulator_server, "GET", path, key=b.key,
                   params={"starting_after": b.ids[other]})
        tally.api(f"{path} after a {other}", resp, ok=resp.status == 404)
    _report("cursors of the wrong type", tally)


# -- the catalog: products and prices -----------------------------------------------------------
def test_foreign_products_and_prices_are_missing(
    emulator_server: BackgroundServer, tenants: tuple[Tenant, Tenant]
) -> None:
    """B, or A acting as its connected account, or A itself for its account's objects:
    every way to read, change, delete, search or sell someone else's Product or Price is
    Stripe's 404 (or an empty answer)."""
    a, b = tenants
    tally = Tally(a)
    host = {"Stripe-Account": a.ids["account"]}
    sale = {"mode": "payment", "success_url": "https://example.com/ok",
            "line_items[0][quantity]": "1"}
    for key, headers, kind, own in ((b.key, {}, "product", "product"),
                                    (b.key, {}, "price", "price"),
                                    (a.key, host, "product", "product"),
                                    (a.key, host, "price", "price"),
                                    (a.key, {}, "product", "host_product"),
                                    (a.key, {}, "price", "host_price")):
        object_id = a.ids[own]
        # What this caller must never see: the platform's catalog from the host's scope or
        # B's, the host's from the platform's own scope.
        tally.foreign = ({a.ids["host_product"], a.ids["host_price"]} if own.startswith(
            "host_") else {a.ids["product"], a.ids["price"]})
        who = f"{'B' if key == b.key else 'A'}{' as host' if headers else ''}"
        for method, path, params in (
                ("GET", f"/v1/{kind}s/{object_id}", {}),
                ("POST", f"/v1/{kind}s/{object_id}", {"metadata[mine]": "now"}),
                ("DELETE", f"/v1/products/{object_id}", {})):
            if method == "DELETE" and kind != "product":
                continue
            resp = raw(emulator_server, method, path, key=key, params=params, headers=headers)
            tally.api(f"{who}: {method} {path}", resp,
                      ok=resp.status == 404 and resp.error.get("code") == "resource_missing")
        resp = raw(emulator_server, "GET", f"/v1/{kind}s/search", key=key, headers=headers,
                   params={"query": f"{'product' if kind == 'price' else 'name'}~'"
                                    f"{'prod' if kind == 'price' else 'Nig'}'"})
        tally.api(f"{who}: search {kind}s", resp, ok=resp.status in (200, 400))
        resp = raw(emulator_server, "GET", f"/v1/{kind}s", key=key, headers=headers)
        tally.api(f"{who}: list {kind}s", resp, ok=resp.status == 200)
        if kind == "price":
            resp = raw(emulator_server, "POST", "/v1/checkout/sessions", key=key,
                       headers=headers, params={**sale, "line_items[0][price]": object_id})
            tally.api(f"{who}: Checkout with {object_id}", resp,
                      ok=resp.status == 404 and resp.error.get("param")
                      == "line_items[0][price]")
        else:
            resp = raw(emulator_server, "POST", "/v1/prices", key=key, headers=headers,
                       params={"product": object_id, "currency": "usd", "unit_amount": "1"})
            tally.api(f"{who}: a price on {object_id}", resp,
                      ok=resp.status == 404 and resp.error.get("param") == "product")
    assert tally.breaches == [], tally.breaches
    _report("foreign products and prices", tally)


def test_foreign_persons_are_out_of_reach(
    emulator_server: BackgroundServer, tenants: tuple[Tenant, Tenant]
) -> None:
    """B under A's account, B under its own account with A's person, A's sibling scope: a
    403 for a foreign account, Stripe's 404 for a person under another account."""
    a, b = tenants
    tally = Tally(a)
    person = a.ids["person"]
    sibling = {"Stripe-Account": a.ids["sibling"]}
    for who, key, headers, account in (
            ("B", b.key, {}, a.ids["account"]), ("B", b.key, {}, b.ids["account"]),
            ("A's sibling", a.key, sibling, a.ids["account"]),
            ("A", a.key, {}, a.ids["sibling"])):
        # what this caller must not see: the person (and, for B, all of A's)
        tally.foreign = {person} if who != "B" else set(a.ids.values())
        for method, path, params in (
                ("GET", f"/v1/accounts/{account}/persons/{person}", {}),
                ("POST", f"/v1/accounts/{account}/persons/{person}", {"first_name": "Eve"}),
                ("DELETE", f"/v1/accounts/{account}/persons/{person}", {}),
                ("GET", f"/v1/accounts/{account}/persons", {}),
                ("POST", f"/v1/accounts/{account}/persons", {"first_name": "Eve"})):
            resp = raw(emulator_server, method, path, key=key, params=params, headers=headers)
            mine = account != a.ids["account"] or who == "A"
            tally.api(f"{who}: {method} {path}", resp,
                      ok=resp.status == 404 if mine and "person_" in path else
                      resp.status in (200, 403) if mine else resp.status == 403)
    assert a.client.v1.accounts.persons.retrieve(a.ids["account"], person).first_name \
        == "Jane"
    assert tally.breaches == [], tally.breaches
    _report("foreign persons", tally)


# -- Stripe-Account scope ----------------------------------------------------------------------
def test_a_connected_scope_sees_no_siblings_and_no_platform_endpoints(
    emulator_server: BackgroundServer, tenants: tuple[Tenant, Tenant]
) -> None:
    a, _ = tenants
    tally = Tally(Tenant("", "", a.client, a.id,
                         ids={k: v for k, v in a.ids.items()
                              if k in ("sibling", "webhook_endpoint", "customer")}))
    scope = {"Stripe-Account": a.ids["account"]}
    for path in ("/v1/accounts", "/v1/webhook_endpoints",
                 f"/v1/webhook_endpoints/{a.ids['webhook_endpoint']}",
                 f"/v1/accounts/{a.ids['sibling']}", f"/v1/customers/{a.ids['customer']}",
                 "/v1/customers"):
        resp = raw(emulator_server, "GET", path, key=a.key, headers=scope)
        empty_list = resp.status == 200 and resp.body.get("object") == "list" \
            and resp.body["data"] == []
        tally.api(f"as {a.ids['account']}: {path}", resp,
                  ok=empty_list or 400 <= resp.status < 500)
    _report("Stripe-Account scope", tally)


# -- what a publishable key may do -------------------------------------------------------------
def test_a_publishable_key_cannot_charge_someone_elses_saved_card(
    emulator_server: BackgroundServer, tenants: tuple[Tenant, Tenant]
) -> None:
    a, b = tenants
    tally = Tally(a)
    # A guest's PaymentIntent (no customer, as Checkout makes them) and a renter's saved card.
    guest = a.client.v1.payment_intents.create({"amount": 9900, "currency": "usd"})
    someone = a.client.v1.customers.create({"email": "other@example.com"})
    theirs = a.client.v1.payment_intents.create({"amount": 9900, "currency": "usd",
                                                 "customer": someone.id})
    for pi in (guest, theirs):
        resp = raw(emulator_server, "POST", f"/v1/payment_intents/{pi.id}/confirm", key=a.pk,
                   params={"client_secret": pi.client_secret,
                           "payment_method": a.ids["payment_method"]})
        tally.api(f"pk confirm of {pi.id} with a saved card of another customer", resp,
                  ok=resp.status == 400 and resp.error.get("param") == "payment_method")
        assert a.client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"
    # B's browser with A's saved card, on B's own PaymentIntent.
    mine = b.client.v1.payment_intents.create({"amount": 100, "currency": "usd"})
    resp = raw(emulator_server, "POST", f"/v1/payment_intents/{mine.id}/confirm", key=b.pk,
               params={"client_secret": mine.client_secret,
                       "payment_method": a.ids["payment_method"]})
    tally.api("B's pk with A's saved card", resp,
              ok=resp.status in (400, 404) and resp.error.get("param") == "payment_method")
    _report("saved cards of others", tally)


SECRET_ONLY = {
    "amount": "1", "application_fee_amount": "9000", "transfer_data[destination]": "acct_x",
    "metadata[paid]": "yes", "customer": "cus_x", "on_behalf_of": "acct_x",
    "capture_method": "manual", "off_session": "true", "error_on_requires_action": "true",
    "description": "free", "statement_descriptor": "FREE",
}


def test_a_publishable_key_confirms_only_with_what_stripe_js_sends(
    emulator_server: BackgroundServer, tenants: tuple[Tenant, Tenant]
) -> None:
    a, _ = tenants
    tally = Tally(a)
    pi = a.client.v1.payment_intents.create({"amount": 7700, "currency": "usd"})
    for name, value in SECRET_ONLY.items():
        resp = raw(emulator_server, "POST", f"/v1/payment_intents/{pi.id}/confirm", key=a.pk,
                   params={"client_secret": pi.client_secret, "payment_method": "pm_card_visa",
                           name: value})
        tally.api(f"pk confirm with {name}", resp,
                  ok=resp.status == 400 and resp.error.get("code") == "parameter_unknown"
                  and resp.error.get("param") == name.split("[")[0])
    after = a.client.v1.payment_intents.retrieve(pi.id)
    assert (after.status, after.amount, after.capture_method) == \
        ("requires_payment_method", 7700, "automatic_async")
    # What Stripe.js does send still works.
    ok = raw(emulator_server, "POST", f"/v1/payment_intents/{pi.id}/confirm", key=a.pk,
             params={"client_secret": pi.client_secret, "payment_method": "pm_card_visa",
                     "use_stripe_sdk": "true", "return_url": "https://example.com/back",
                     "receipt_email": "renter@example.com", "expand[]": "payment_method",
                     "shipping[name]": "R. Renter", "shipping[address][line1]": "1 Main"})
    assert ok.status == 200 and ok.body["status"] == "succeeded", ok.body
    # The public view, and no way through it to the customer or the charge.
    view = raw(emulator_server, "GET", f"/v1/payment_intents/{pi.id}", key=a.pk,
               params={"client_secret": pi.client_secret})
    hidden = {"customer", "metadata", "latest_charge", "transfer_data",
              "application_fee_amount", "on_behalf_of", "payment_method_options"}
    tally.check("pk retrieve shows merchant fields", view.status,
                json.dumps(view.body), ok=not hidden & set(view.body))
    for path in ("payment_method.customer", "latest_charge", "customer"):
        resp = raw(emulator_server, "GET", f"/v1/payment_intents/{pi.id}", key=a.pk,
                   params={"client_secret": pi.client_secret, "expand[]": path})
        tally.api(f"pk expand {path}", resp, ok=resp.status == 400)
    _report("publishable key on confirm", tally)


def test_isolation_figures_are_whole(tenants: tuple[Tenant, Tenant]) -> None:
    """Every ID the attacks above aim at exists (a typo would make them vacuous)."""
    for t in tenants:
        assert all(re.fullmatch(r"[a-z_]+_[A-Za-z0-9]+", v) for v in t.ids.values()), t.ids
        assert len(set(t.ids.values())) == len(t.ids)
