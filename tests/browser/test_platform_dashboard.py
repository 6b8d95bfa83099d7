"""The platform's Dashboard in a real (headless) Chromium: log in with a link, follow a
destination charge's money trail and a connected account's balance, add a redirect URI and
complete OAuth with it, rebrand and see it on onboarding, add a webhook endpoint and resend
a delivery, answer a dispute. Each page is saved as a screenshot under build/dashboard/."""

from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from harness.lab import Lab
from harness.lab.chromium import chromium_path

SHOTS = Path(__file__).resolve().parents[2] / "build" / "dashboard"


def _have_browser() -> bool:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return bool(chromium_path() or shutil.which("chromium"))


pytestmark = pytest.mark.skipif(not _have_browser(), reason="Playwright or Chromium missing")


class Catcher:
    """A site of the platform's on 127.0.0.1: the OAuth redirect target and a webhook URL.
    It records what reached it."""

    def __init__(self) -> None:
        self.hits: list[tuple[str, str, bytes]] = []
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                catcher.hits.append((self.command, self.path, self.rfile.read(length)))
                body = b"<h1 id='landed'>back on the platform</h1>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def posts(self, path: str) -> list[bytes]:
        return [body for method, p, body in self.hits if method == "POST" and p == path]


@pytest.fixture(scope="module")
def catcher() -> Iterator[Catcher]:
    site = Catcher()
    yield site
    site.server.shutdown()


@pytest.fixture(scope="module")
def world(lab: Lab) -> dict[str, Any]:
    client = lab.client
    account = client.v1.accounts.create({
        "type": "express", "country": "US", "email": "maya@example.com",
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}}})
    lab.complete_onboarding(account.id)
    pi = client.v1.payment_intents.create({
        "amount": 1000, "currency": "usd", "application_fee_amount": 123,
        "transfer_data": {"destination": account.id}, "payment_method": "pm_card_visa",
        "confirm": True, "return_url": "https://example.com/r"})
    disputed = client.v1.payment_intents.create({
        "amount": 2000, "currency": "usd", "application_fee_amount": 246,
        "transfer_data": {"destination": account.id}, "payment_method": "pm_card_createDispute",
        "confirm": True, "return_url": "https://example.com/r"})
    dispute = client.v1.disputes.list({"charge": disputed.latest_charge}).data[0]
    return {"account": account.id, "pi": pi, "dispute": dispute.id}


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _login(page: Any, lab: Lab, where: str = "") -> None:
    page.goto(lab.dashboard_url(where))
    page.wait_for_selector("#heading")


def test_log_in_and_follow_the_money(page: Any, lab: Lab, world: dict[str, Any]) -> None:
    link = lab.dashboard_url()
    page.goto(link)
    assert page.text_content("#heading") == "Home"
    assert "token" not in page.url  # the token is gone from the address bar
    cookies = page.context.cookies()
    assert [c["httpOnly"] for c in cookies] == [True]
    assert cookies[0]["sameSite"] == "Strict"
    assert cookies[0]["path"] == f"/dashboard/{lab.platform_id}"  # the link's directory
    # pending: 64 (1000 - 59 - 1000 + 123) + 158 (2000 - 88 - 2000 + 246); available: the
    # dispute's 2000 and its 1500 fee, debited at once
    assert "-$35.00" in page.text_content("#balance")
    assert "$2.22" in page.text_content("#balance")
    assert world["pi"].id in page.text_content("#payments")
    _shot(page, "home")

    page.click(f"text={world['pi'].id}")
    page.wait_for_selector("#trail")
    trail = page.text_content("#trail")
    for amount in ("$10.00", "$0.59", "$9.41", "-$10.00", "$1.23", "$8.77"):
        assert amount in trail, amount
    charge = lab.client.v1.charges.retrieve(world["pi"].latest_charge)
    assert charge.transfer in trail and charge.application_fee in trail
    _shot(page, "payment_money_trail")

    page.click("#destination")
    page.wait_for_selector("#account-balance")
    # pending: 877 (1000 - 123) + 1754 (2000 - 246): a dispute debits the platform
    assert "$26.31" in page.text_content("#account-balance")
    assert charge.transfer in page.text_content("#account-transfers")
    # the account's payment py_: 1000, the application fee 123 taken from it, net 877
    payments = page.text_content("#account-payments")
    assert all(x in payments for x in ("$10.00", "$1.23", "$8.77"))
    _shot(page, "connect_account")

    page.click("#nav-accounts")
    page.wait_for_selector("#accounts")
    assert world["account"] in page.text_content("#accounts")
    _shot(page, "connect_accounts")

    page.click("#nav-payments")
    page.wait_for_selector("#charges")
    _shot(page, "payments")

    page.click("#nav-balance")
    page.wait_for_selector("#transactions")
    _shot(page, "balances")

    # the same link again is refused, in a fresh browser context
    other = page.context.browser.new_context().new_page()
    other.goto(link)
    assert "expired" in other.text_content("#heading")
    other.context.close()


def test_refund_from_the_page(page: Any, lab: Lab, world: dict[str, Any]) -> None:
    client = lab.client
    pi = client.v1.payment_intents.create({
        "amount": 1000, "currency": "usd", "application_fee_amount": 123,
        "transfer_data": {"destination": world["account"]}, "payment_method": "pm_card_visa",
        "confirm": True, "return_url": "https://example.com/r"})
    _login(page, lab, f"payments/{pi.id}")
    page.fill("#amount", "500")
    with page.expect_navigation():
        page.click("#refund")
    assert page.query_selector("#notice"), (page.url, page.content()[:3000])
    trail = page.text_content("#trail")
    assert "-$5.00" in trail  # the refund, and the transfer reversal
    assert "-$0.62" in trail  # the fee refund: 123 x 500/1000, rounded half up
    assert client.v1.transfers.retrieve(
        client.v1.charges.retrieve(pi.latest_charge).transfer).amount_reversed == 500


def test_add_redirect_uri_and_complete_oauth(page: Any, lab: Lab, catcher: Catcher) -> None:
    _login(page, lab, "settings/connect")
    uri = catcher.url + "/connect/oauth"
    page.fill("#uri", "javascript:alert(1)")
    page.click("#add")
    assert page.text_content("#heading") == "Something went wrong"
    page.go_back()
    page.reload()
    page.fill("#uri", uri)
    page.click("#add")
    page.wait_for_selector("#notice")
    assert uri in page.text_content("#redirect-uris")
    client_id = page.text_content("#client-id")
    _shot(page, "settings_connect")

    # The OAuth link with no redirect_uri goes to the default: the URI just added.
    page.goto(f"{lab.api_base}/express/oauth/authorize?" + urllib.parse.urlencode(
        {"client_id": client_id, "state": "st8", "stripe_user[email]": "daniel@example.com",
         "stripe_user[first_name]": "Daniel", "stripe_user[last_name]": "Ng"}))
    page.check("input[name=tos]")
    page.click("#submit")
    page.wait_for_selector("#landed")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)
    assert page.url.startswith(uri) and query["state"] == ["st8"]
    token = lab.client.oauth.token({"grant_type": "authorization_code",
                                    "code": query["code"][0]})
    account = lab.client.v1.accounts.retrieve(token.stripe_user_id)
    assert account.charges_enabled is True


def test_branding_shows_on_onboarding(page: Any, lab: Lab) -> None:
    _login(page, lab, "settings/connect")
    page.fill("#name", "Casa Lab Stays")
    page.fill("#primary_color", "#0a7d33")
    page.click("#save-branding")
    page.wait_for_selector("#notice")
    assert page.text_content("#brand-name").strip() == "Casa Lab Stays"
    account = lab.client.v1.accounts.create({"type": "express", "country": "US"})
    link = lab.client.v1.account_links.create({
        "account": account.id, "type": "account_onboarding",
        "refresh_url": "https://example.com/refresh", "return_url": "https://example.com/back"})
    page.goto(link.url)
    page.wait_for_selector("#brand-header")
    assert page.text_content("#brand-name").strip() == "Casa Lab Stays"
    colour = page.eval_on_selector("#brand-header",
                                   "e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(10, 125, 51)"
    _shot(page, "onboarding_branded")


def _wait(check: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_add_webhook_endpoint_and_resend(page: Any, lab: Lab, catcher: Catcher) -> None:
    _login(page, lab, "developers/webhooks")
    page.fill("#url", catcher.url + "/hook")
    page.fill("#enabled_events", "customer.created")
    page.click("#add")
    page.wait_for_selector("#endpoint-id")
    endpoint_id = page.text_content("#endpoint-id")
    customer = lab.client.v1.customers.create({"email": "renter@example.com"})
    _wait(lambda: len(catcher.posts("/hook")) == 1)
    assert customer.id.encode() in catcher.posts("/hook")[0]
    page.reload()
    page.wait_for_selector("#deliveries")

    def delivered() -> bool:
        page.reload()
        return "succeeded" in page.text_content("#deliveries")

    _wait(delivered)
    _shot(page, "webhook_endpoint")
    page.click("#resend-1")
    page.wait_for_selector("#notice")
    _wait(lambda: len(catcher.posts("/hook")) == 2)
    first, again = (json.loads(body) for body in catcher.posts("/hook"))
    assert again["id"] == first["id"] and again["type"] == "customer.created"  # same event
    assert endpoint_id.startswith("we_")

    page.click("#nav-events")
    page.wait_for_selector("#events")
    _shot(page, "events")
    page.click("#events a >> nth=0")
    page.wait_for_selector("#payload")
    assert '"object": "event"' in page.text_content("#payload")
    _shot(page, "event_payload")

    page.click("#nav-keys")
    page.wait_for_selector("#keys")
    assert lab.publishable_key in page.text_content("#publishable-key")
    assert lab.config.secret_key not in page.content()
    _shot(page, "developers_keys_and_logs")
    page.click("#nav-webhooks")
    page.wait_for_selector("#endpoints")
    _shot(page, "webhooks")


def test_answer_a_dispute(page: Any, lab: Lab, world: dict[str, Any]) -> None:
    _login(page, lab, "payments")
    page.click(f"text={world['dispute']}")
    page.wait_for_selector("#evidence-form")
    _shot(page, "dispute")
    page.select_option("#test_evidence", "winning_evidence")
    assert page.input_value("#uncategorized_text") == "winning_evidence"
    page.click("#submit-evidence")
    page.wait_for_selector("#closed")
    assert page.text_content("#dispute-status") == "won"
    assert lab.client.v1.disputes.retrieve(world["dispute"]).status == "won"
    _shot(page, "dispute_won")


def test_payout_schedule_editor(page: Any, lab: Lab, world: dict[str, Any]) -> None:
    _login(page, lab, f"connect/accounts/{world['account']}")
    page.select_option("#interval", "weekly")
    page.select_option("#weekly_anchor", "friday")
    page.fill("#delay_days", "4")
    page.click("#save-schedule")
    page.wait_for_selector("#notice")
    schedule = lab.client.v1.accounts.retrieve(world["account"]).settings.payouts.schedule
    assert (schedule.interval, schedule.weekly_anchor, schedule.delay_days) == (
        "weekly", "friday", 4)
