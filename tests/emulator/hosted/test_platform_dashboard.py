"""The platform's Dashboard over plain HTTP: the way in (a single-use link that becomes a
path-scoped cookie), what each page shows to the cent, its actions going through the API's
own rules, and an attacker's tries (another platform's IDs, a stolen cookie, a reused or
expired link, a form without its CSRF token, a ``javascript:`` redirect URI)."""

from __future__ import annotations

import html
import re
import urllib.parse
from dataclasses import dataclass, field

import pytest
import stripe

from harness.lab.server import BackgroundServer

from ...conftest import make_client
from ..support import Page, advance, control, fresh_secret_key, onboarded_account, page, raw


def _link(server: BackgroundServer, key: str, where: str = "") -> str:
    resp = raw(server, "POST", "/_emulator/dashboard/login_links", key=key,
               params={"page": where} if where else {})
    assert resp.status == 200, resp.body
    assert resp.body["object"] == "login_link"
    return resp.body["url"]


def _path(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Browser:
    """A cookie jar of one: the Dashboard's session cookie, and the page's CSRF token."""

    server: BackgroundServer
    cookie: str = ""
    csrf: str = ""
    root: str = ""
    last: Page | None = field(default=None)

    def login(self, url: str) -> Page:
        resp = page(self.server, _path(url))
        assert resp.status == 303, resp.text
        self.cookie = resp.headers["set-cookie"]
        # the browser's default cookie path: the login URL's directory
        self.root = urllib.parse.urlsplit(url).path.rsplit("/", 1)[0] + "/"
        return resp

    def get(self, rel: str = "") -> Page:
        resp = page(self.server, self.root + rel, headers=self._headers())
        found = re.search(r'name="csrf" value="([^"]+)"', resp.text)
        if found:
            self.csrf = found.group(1)
        self.last = resp
        return resp

    def post(self, rel: str, form: dict[str, str], *, csrf: bool = True,
             headers: dict[str, str] | None = None) -> Page:
        body = {**form, **({"csrf": self.csrf} if csrf else {})}
        return page(self.server, self.root + rel, form=body,
                    headers={**self._headers(), **(headers or {})})

    def _headers(self) -> dict[str, str]:
        return {"Cookie": self.cookie.split(";", 1)[0]} if self.cookie else {}


def _text(resp: Page) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", resp.text))


@pytest.fixture
def world(emulator_server: BackgroundServer, api_key: str, client: stripe.StripeClient):
    account = onboarded_account(emulator_server, client, api_key)
    pi = client.v1.payment_intents.create({
        "amount": 1000, "currency": "usd", "application_fee_amount": 123,
        "transfer_data": {"destination": account}, "payment_method": "pm_card_visa",
        "confirm": True, "return_url": "https://example.com/r"})
    return account, pi


def _browser(server: BackgroundServer, key: str, where: str = "") -> Browser:
    browser = Browser(server)
    browser.login(_link(server, key, where))
    return browser


def test_login_link_becomes_a_scoped_cookie(emulator_server: BackgroundServer,
                                            api_key: str) -> None:
    url = _link(emulator_server, api_key, "payments")
    resp = page(emulator_server, _path(url))
    assert resp.status == 303
    assert resp.location == "./payments"  # relative: no secret, any public base
    cookie = resp.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    # No Path: the browser scopes it to /dashboard/<platform>, under any proxy prefix.
    assert "Path=" not in cookie
    assert re.fullmatch(r"/dashboard/acct_\w+/login\?token=\w{32}", _path(url))
    # used once: the same link again is refused
    assert page(emulator_server, _path(url)).status == 410


def test_expired_link_is_refused(emulator_server: BackgroundServer, api_key: str) -> None:
    url = _link(emulator_server, api_key)
    advance(emulator_server, api_key, 301)
    assert page(emulator_server, _path(url)).status == 410


def test_login_link_needs_the_secret_key(emulator_server: BackgroundServer,
                                         api_key: str) -> None:
    pk = raw(emulator_server, "GET", "/_emulator/keys", key=api_key).body["publishable_key"]
    assert raw(emulator_server, "POST", "/_emulator/dashboard/login_links",
               key=pk).status in (401, 403)
    assert raw(emulator_server, "POST", "/_emulator/dashboard/login_links").status == 401
    bad = raw(emulator_server, "POST", "/_emulator/dashboard/login_links", key=api_key,
              params={"page": "//evil.example"})
    assert bad.status == 400 and bad.error["param"] == "page"


def test_home_shows_balances_and_payments(emulator_server: BackgroundServer, api_key: str,
                                          world) -> None:
    account, pi = world
    browser = _browser(emulator_server, api_key)
    home = browser.get()
    assert home.status == 200
    assert home.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in home.headers["content-security-policy"]
    text = _text(home)
    assert pi.id in text and "$10.00" in text
    # platform pending: 1000 - 59 - 1000 + 123 = 64 cents
    assert "$0.64" in text


def test_money_trail_and_account_balance(emulator_server: BackgroundServer, api_key: str,
                                         client: stripe.StripeClient, world) -> None:
    account, pi = world
    browser = _browser(emulator_server, api_key)
    detail = browser.get(f"payments/{pi.id}")
    assert detail.status == 200, detail.text
    trail = _text(detail).split("Money trail", 1)[1]
    charge = client.v1.charges.retrieve(pi.latest_charge)
    for needle in (charge.transfer, charge.application_fee, "$10.00", "$0.59", "$9.41",
                   "-$10.00", "$1.23", "$8.77"):
        assert needle in trail, needle
    acct_page = _text(browser.get(f"connect/accounts/{account}"))
    assert "$8.77" in acct_page  # 1000 - 123 pending on the account
    assert charge.transfer in acct_page


def test_refund_from_the_page_moves_money_like_the_api(emulator_server: BackgroundServer,
                                                       api_key: str,
                                                       client: stripe.StripeClient,
                                                       world) -> None:
    account, pi = world
    browser = _browser(emulator_server, api_key)
    browser.get(f"payments/{pi.id}")
    charge_id = pi.latest_charge
    resp = browser.post(f"payments/{charge_id}/refund", {
        "amount": "500", "reverse_transfer": "true", "refund_application_fee": "true"})
    assert resp.status == 303, resp.text
    refunds = client.v1.refunds.list({"charge": charge_id}).data
    assert [r.amount for r in refunds] == [500]
    transfer = client.v1.transfers.retrieve(client.v1.charges.retrieve(charge_id).transfer)
    assert transfer.amount_reversed == 500
    fee = client.v1.application_fees.retrieve(client.v1.charges.retrieve(charge_id)
                                              .application_fee)
    assert fee.amount_refunded == 62  # 123 * 500/1000 = 61.5, rounded half up
    # A refund larger than what is left is Stripe's 400, shown on the page; nothing moves.
    browser.get(f"payments/{charge_id}")
    too_much = browser.post(f"payments/{charge_id}/refund", {"amount": "600"})
    assert too_much.status == 400
    assert len(client.v1.refunds.list({"charge": charge_id}).data) == 1


def test_another_platforms_ids_are_404(emulator_server: BackgroundServer, api_key: str,
                                       world) -> None:
    account, pi = world
    other = _browser(emulator_server, fresh_secret_key())
    for rel in (f"payments/{pi.id}", f"payments/{pi.latest_charge}",
                f"connect/accounts/{account}"):
        resp = other.get(rel)
        assert resp.status == 404, rel
        assert pi.id not in resp.text.split("</nav>", 1)[1] or "No such" in resp.text
    assert account not in other.get("connect/accounts").text
    # and a POST with another platform's charge refunds nothing
    other.get()
    assert other.post(f"payments/{pi.latest_charge}/refund", {}).status == 404


def test_stolen_cookie_opens_no_other_platform(emulator_server: BackgroundServer,
                                               api_key: str) -> None:
    mine = _browser(emulator_server, api_key)
    theirs = _browser(emulator_server, fresh_secret_key())
    stolen = Browser(emulator_server, cookie=mine.cookie, root=theirs.root)
    assert stolen.get().status == 401
    assert page(emulator_server, theirs.root).status == 401  # no cookie at all


def test_post_without_csrf_is_403(emulator_server: BackgroundServer, api_key: str) -> None:
    browser = _browser(emulator_server, api_key)
    browser.get("settings/connect")
    form = {"action": "add_uri", "uri": "https://example.com/cb"}
    assert browser.post("settings/connect", form, csrf=False).status == 403
    assert browser.post("settings/connect", form,
                        headers={"Origin": "https://evil.example"}).status == 403
    assert browser.post("settings/connect", form).status == 303
    settings = raw(emulator_server, "GET", "/_emulator/connect/settings", key=api_key).body
    assert settings["redirect_uris"] == ["https://example.com/cb"]


def test_redirect_uris_add_default_remove(emulator_server: BackgroundServer,
                                          api_key: str) -> None:
    browser = _browser(emulator_server, api_key)
    browser.get("settings/connect")
    for uri in ("https://a.example/cb", "https://b.example/cb"):
        assert browser.post("settings/connect", {"action": "add_uri", "uri": uri}).status == 303
    bad = browser.post("settings/connect", {"action": "add_uri",
                                            "uri": "javascript:alert(1)"})
    assert bad.status == 400
    browser.post("settings/connect", {"action": "default_uri", "uri": "https://b.example/cb"})
    settings = raw(emulator_server, "GET", "/_emulator/connect/settings", key=api_key).body
    assert settings["redirect_uris"] == ["https://b.example/cb", "https://a.example/cb"]
    assert settings["default_redirect_uri"] == "https://b.example/cb"
    browser.post("settings/connect", {"action": "remove_uri", "uri": "https://b.example/cb"})
    settings = raw(emulator_server, "GET", "/_emulator/connect/settings", key=api_key).body
    assert settings["redirect_uris"] == ["https://a.example/cb"]


def test_branding_and_express_oauth_controls(emulator_server: BackgroundServer,
                                             api_key: str) -> None:
    resp = control(emulator_server, api_key, "/_emulator/connect/settings",
                   **{"branding[name]": "Casa Lab", "branding[primary_color]": "#0a7d33",
                      "express_oauth": "false"})
    assert resp.body["branding"]["name"] == "Casa Lab"
    assert resp.body["branding"]["primary_color"] == "#0a7d33"
    assert resp.body["express_oauth"] is False
    bad = raw(emulator_server, "POST", "/_emulator/connect/settings", key=api_key,
              params={"branding[primary_color]": "red;}body{x"})
    assert bad.status == 400
    client_id = resp.body["client_id"]
    off = page(emulator_server, f"/express/oauth/authorize?client_id={client_id}")
    assert off.status == 403
    control(emulator_server, api_key, "/_emulator/connect/settings", express_oauth="true",
            **{"redirect_uris[0]": "https://example.com/cb"})
    on = page(emulator_server, f"/express/oauth/authorize?client_id={client_id}")
    assert on.status == 200 and "Casa Lab" in on.text and "#0a7d33" in on.text


def test_dispute_evidence_wins(emulator_server: BackgroundServer, api_key: str,
                               client: stripe.StripeClient) -> None:
    account = onboarded_account(emulator_server, client, api_key)
    pi = client.v1.payment_intents.create({
        "amount": 2000, "currency": "usd", "transfer_data": {"destination": account},
        "payment_method": "pm_card_createDispute", "confirm": True,
        "return_url": "https://example.com/r"})
    dispute = client.v1.disputes.list({"charge": pi.latest_charge}).data[0]
    browser = _browser(emulator_server, api_key)
    assert dispute.id in browser.get("payments").text
    browser.get(f"disputes/{dispute.id}")
    resp = browser.post(f"disputes/{dispute.id}", {"action": "evidence",
                                                    "uncategorized_text": "winning_evidence"})
    assert resp.status == 303
    assert client.v1.disputes.retrieve(dispute.id).status == "won"


def test_webhook_endpoint_add_edit_resend(emulator_server: BackgroundServer, api_key: str,
                                          client: stripe.StripeClient) -> None:
    browser = _browser(emulator_server, api_key)
    browser.get("developers/webhooks")
    resp = browser.post("developers/webhooks", {
        "url": "http://127.0.0.1:9/hook", "enabled_events": "customer.created"})
    assert resp.status == 303
    endpoint = client.v1.webhook_endpoints.list().data[0]
    assert endpoint.enabled_events == ["customer.created"]
    browser.get(f"developers/webhooks/{endpoint.id}")
    browser.post(f"developers/webhooks/{endpoint.id}",
                 {"enabled_events": "customer.created\ncustomer.updated"})
    assert client.v1.webhook_endpoints.retrieve(endpoint.id).enabled_events == [
        "customer.created", "customer.updated"]
    customer = client.v1.customers.create({"email": "a@example.com"})
    event = client.v1.events.list({"type": "customer.created"}).data[0]
    assert event.data.object.id == customer.id
    listed = browser.get(f"developers/webhooks/{endpoint.id}")
    assert event.id in listed.text
    assert browser.post(f"developers/webhooks/{endpoint.id}/resend",
                        {"event": event.id}).status == 303
    log = raw(emulator_server, "GET", f"/_emulator/webhook_endpoints/{endpoint.id}/deliveries",
              key=api_key).body["data"]
    assert [d["event"] for d in log] == [event.id, event.id]
    # an event this endpoint never got cannot be pushed to it
    assert browser.post(f"developers/webhooks/{endpoint.id}/resend",
                        {"event": "evt_nope"}).status == 404
    payload = browser.get(f"developers/events/{event.id}")
    assert customer.id in payload.text and "customer.created" in payload.text


def test_keys_page_masks_the_secret(emulator_server: BackgroundServer, api_key: str,
                                    client: stripe.StripeClient) -> None:
    client.v1.customers.create({"email": "log@example.com"})
    browser = _browser(emulator_server, api_key)
    keys = browser.get("developers")
    publishable = raw(emulator_server, "GET", "/_emulator/keys", key=api_key).body
    assert publishable["publishable_key"] in keys.text
    assert api_key not in keys.text
    assert publishable["secret_key"] in keys.text
    assert "/v1/customers" in keys.text  # the request log


def test_payout_schedule_editor(emulator_server: BackgroundServer, api_key: str,
                                client: stripe.StripeClient) -> None:
    account = onboarded_account(emulator_server, client, api_key)
    browser = _browser(emulator_server, api_key)
    browser.get(f"connect/accounts/{account}")
    resp = browser.post(f"connect/accounts/{account}/payout_schedule",
                        {"interval": "weekly", "delay_days": "3", "weekly_anchor": "friday"})
    assert resp.status == 303, resp.text
    schedule = client.v1.accounts.retrieve(account).settings.payouts.schedule
    assert (schedule.interval, schedule.delay_days, schedule.weekly_anchor) == (
        "weekly", 3, "friday")
    browser.get("balance")
    assert browser.post("balance/payout_schedule", {"interval": "daily",
                                                     "delay_days": "2"}).status == 303


def test_logout_ends_the_session(emulator_server: BackgroundServer, api_key: str) -> None:
    browser = _browser(emulator_server, api_key)
    browser.get()
    assert browser.post("logout", {}).status == 200
    assert browser.get().status == 401


def test_pages_need_no_other_client(emulator_server: BackgroundServer, api_key: str) -> None:
    """Every page answers 200 on a platform with nothing in it yet."""
    from harness.lab.session import DASHBOARD_PAGES

    browser = _browser(emulator_server, api_key)
    pages = [p for p in DASHBOARD_PAGES if not p.endswith("/")]  # lab.dashboard_url's pages
    assert len(pages) == 9
    for rel in pages:
        assert browser.get(rel).status == 200, rel
    make_client(emulator_server, api_key)


HOSTILE = ["", "x", "-1", "0", "99999999999999999999", "١٠", "javascript:alert(1)",
           "https://evil.example/\r\nSet-Cookie: a=b", "\x00", "%", "a" * 5000, "#zzzzzz",
           "../../../etc", "{}"]
FIELDS = ("amount", "reason", "reverse_transfer", "refund_application_fee", "uri", "name",
          "icon", "primary_color", "secondary_color", "enabled", "interval", "delay_days",
          "weekly_anchor", "monthly_anchor", "url", "enabled_events", "connect", "event",
          "uncategorized_text", "customer_name")


def test_hostile_input_logged_in_never_5xx(emulator_server: BackgroundServer, api_key: str,
                                           client: stripe.StripeClient, world) -> None:
    """Every Dashboard route, logged in with a valid CSRF token, with each hostile value in
    every form field and in every path segment: a page or a 4xx, never a 5xx."""
    from harness.emulator.registry import registry

    account, pi = world
    endpoint = client.v1.webhook_endpoints.create({"url": "http://127.0.0.1:9/h",
                                                   "enabled_events": ["*"]})
    ids = {"account_id": account, "id": pi.latest_charge, "token": "nope"}
    routes = [r for r in registry.routes if r.path.startswith("/dashboard/")]
    assert len(routes) >= 20
    browser = _browser(emulator_server, api_key)
    browser.get()
    platform = browser.root.split("/")[2]
    failures, sent = [], 0
    for route in routes:
        if route.path.endswith("/logout"):
            continue
        args = re.findall(r"<(\w+)>", route.path)
        values = {**ids, "platform": platform}
        if "webhooks/<id>" in route.path:
            values["id"] = endpoint.id
        choices = [values] + [{**values, a: bad} for a in args if a != "platform"
                              for bad in ("x", "pi_%00", "acct_" + "z" * 300, "..")]
        for chosen in choices:
            path = route.path
            for a in args:
                path = path.replace(f"<{a}>", urllib.parse.quote(chosen[a], safe=""))
            for value in HOSTILE:
                form = {k: value for k in FIELDS}
                actions = ["add_uri", "remove_uri", "default_uri", "branding", "express_oauth",
                           "accept", "evidence", value] if route.method == "POST" else [None]
                for action in actions:
                    if route.method == "POST":
                        resp = page(emulator_server, path, form={
                            **form, "action": action, "csrf": browser.csrf},
                            headers=browser._headers())
                    else:
                        query = urllib.parse.urlencode({"notice": value})
                        resp = page(emulator_server, f"{path}?{query}",
                                    headers=browser._headers())
                    sent += 1
                    if resp.status >= 500 or (resp.status == 403 and "expired" in resp.text):
                        failures.append((route.method, path[:90], value[:30], action,
                                         resp.status, resp.text[:200]))
    assert not failures, failures[:5]
    assert sent > 1000


def test_notices_come_from_the_session_not_the_url(emulator_server: BackgroundServer,
                                                   api_key: str) -> None:
    browser = _browser(emulator_server, api_key)
    assert "Call 555" not in browser.get("?notice=Call+555+now").text
    browser.post("settings/connect", {"action": "add_uri", "uri": "https://c.example/cb"})
    assert "Added https://c.example/cb." in browser.get("settings/connect").text
    assert "Added https://c.example/cb." not in browser.get("settings/connect").text  # once


def test_express_oauth_switch_on_the_settings_page(emulator_server: BackgroundServer,
                                                    api_key: str) -> None:
    browser = _browser(emulator_server, api_key)
    browser.get("settings/connect")
    browser.post("settings/connect", {"action": "add_uri", "uri": "https://a.example/cb"})
    client_id = raw(emulator_server, "GET", "/_emulator/connect/settings",
                    key=api_key).body["client_id"]
    authorize = f"/express/oauth/authorize?client_id={client_id}"
    assert page(emulator_server, authorize).status == 200
    browser.post("settings/connect", {"action": "express_oauth"})  # box unticked: off
    assert "checked" not in browser.get("settings/connect").text.split('id="express-oauth"')[1][:20]
    assert page(emulator_server, authorize).status == 403
    browser.post("settings/connect", {"action": "express_oauth", "enabled": "on"})
    assert page(emulator_server, authorize).status == 200


def test_accepting_a_dispute_loses_it(emulator_server: BackgroundServer, api_key: str,
                                      client: stripe.StripeClient) -> None:
    account = onboarded_account(emulator_server, client, api_key)
    pi = client.v1.payment_intents.create({
        "amount": 2000, "currency": "usd", "transfer_data": {"destination": account},
        "payment_method": "pm_card_createDispute", "confirm": True,
        "return_url": "https://example.com/r"})
    dispute = client.v1.disputes.list({"charge": pi.latest_charge}).data[0]
    browser = _browser(emulator_server, api_key)
    browser.get(f"disputes/{dispute.id}")
    assert browser.post(f"disputes/{dispute.id}", {"action": "accept"}).status == 303
    assert client.v1.disputes.retrieve(dispute.id).status == "lost"
    # a closed dispute takes no more answers: Stripe's 400, shown on the page
    assert browser.post(f"disputes/{dispute.id}", {"action": "accept"}).status == 400
