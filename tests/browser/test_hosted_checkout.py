"""Stripe Checkout's hosted page, paid in headless Chromium, and the webhook that fulfils.

The renter books on the platform (``/book/<listing>``), is redirected to the Session's hosted
page, and pays there; the browser then lands on ``success_url``. Every test checks what the
renter sees *and*, through the API and the platform's database, what really happened:
``success_url`` proves nothing, the ``checkout.session.completed`` webhook fulfils.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from harness.books import tables as insp
from harness.guide import hosted_checkout_steps as hd
from harness.guide.elements_checkout import Card

AUTH_FAILED = ("We are unable to authenticate your payment method. Please choose a different "
               "payment method and try again.")
GARDEN_STUDIO = 8900  # lst_002, per night, in cents
BUNGALOW = 14500  # lst_001
FULFILLED = re.compile(r"^fulfilled booking \d+: renter and homeowner connected$")


@pytest.fixture(scope="module", autouse=True)
def webhook(lab: Any, platform: Any) -> str:
    """The platform's /webhook, registered as a WebhookEndpoint, with its signing secret."""
    return hd.connect_webhook(lab, platform)


@pytest.fixture
def book(page: Any, platform: Any) -> Callable[..., hd.HostedCheckoutPage]:
    def open_page(listing: str = "lst_002", nights: int = 1) -> hd.HostedCheckoutPage:
        return hd.HostedCheckoutPage.book(page, platform.url, listing, nights=nights)

    return open_page


def session_of(lab: Any, hosted: hd.HostedCheckoutPage | str) -> Any:
    return lab.client.v1.checkout.sessions.retrieve(
        hosted if isinstance(hosted, str) else hosted.session)


def booking(platform: Any, session_id: str) -> dict[str, Any]:
    return platform.db.one("SELECT * FROM bookings WHERE checkout_session = ?", (session_id,))


def handled(platform: Any, *object_ids: str | None) -> list[tuple[str, str]]:
    ids = [i for i in object_ids if i]
    rows = platform.db.query(
        f"SELECT type, decision FROM webhook_events WHERE object_id IN ({','.join('?' * len(ids))})"
        " ORDER BY rowid", ids)
    return [(r["type"], r["decision"]) for r in rows]


def homeowner_account(platform: Any, homeowner: str = "ho_001") -> str:
    return platform.db.one("SELECT stripe_account_id FROM homeowners WHERE id = ?",
                           (homeowner,))["stripe_account_id"]


def snapshot(platform: Any) -> tuple[list[dict], list[dict]]:
    return (platform.db.query("SELECT * FROM bookings ORDER BY id"),
            platform.db.query("SELECT id, decision FROM webhook_events ORDER BY rowid"))


def assert_fulfilled_by_the_webhook(platform: Any, session: Any) -> None:
    """Both events arrive; only checkout.session.completed knows this booking, and it fulfils
    it once."""
    rows = hd.wait_for_webhooks(platform, session.id)
    assert [(r["type"], r["object_id"]) for r in rows] == [
        ("payment_intent.succeeded", session.payment_intent),
        ("checkout.session.completed", session.id)]
    assert rows[0]["decision"] == "ignored: no booking for this payment"
    assert FULFILLED.match(rows[1]["decision"])
    row = booking(platform, session.id)
    assert (row["status"], row["connected"], row["payment_intent"]) == (
        "paid", 1, session.payment_intent)


def test_paying_lands_on_success_url_and_the_webhook_fulfils(lab, platform, book):
    hosted = book("lst_002", nights=2)
    expect(hosted.page.locator("#total")).to_have_text("$178.00")
    expect(hosted.page.locator("table")).to_contain_text(
        "Garden studio with bike storage (Portland) × 2")
    assert hosted.pay_label() == "Pay $178.00"
    opened = session_of(lab, hosted)
    assert (opened.status, opened.payment_status, opened.payment_intent) == (
        "open", "unpaid", None)

    outcome, answered = hosted.pay(Card(hd.VISA, name="Sam Rivera"),
                                   email="sam.rivera@example.com")

    assert (outcome, answered) == ("redirected", None)
    assert hosted.page.url == f"{platform.url}/success?session_id={hosted.session}"
    expect(hosted.page.locator("h1")).to_have_text("Thanks, we are confirming your payment")
    expect(hosted.page.locator("#session-status")).to_have_text(
        "Checkout says: complete / paid.")

    session = session_of(lab, hosted)
    assert (session.status, session.payment_status, session.url) == ("complete", "paid", None)
    assert (session.amount_total, session.currency) == (2 * GARDEN_STUDIO, "usd")
    details = session.customer_details
    assert (details.email, details.name) == ("sam.rivera@example.com", "Sam Rivera")

    # The destination charge, to the cent: 17800 paid, 12.3 % = 2189 kept by the platform,
    # Stripe's 2.9 % + 30¢ = 546 from the platform's share, 15611 for Maya.
    account = homeowner_account(platform)
    dc = insp.destination_charge(lab.client, session.payment_intent)
    pi = dc.payment_intent
    assert (pi.status, pi.amount, pi.amount_received) == ("succeeded", 17800, 17800)
    assert pi.application_fee_amount == 2189
    assert pi.transfer_data.destination == account
    assert pi.metadata.to_dict() == {"listing_id": "lst_002", "nights": "2"}
    assert (dc.transfer.amount, dc.transfer.destination) == (17800, account)
    assert (dc.application_fee.amount, dc.application_fee.account) == (2189, account)
    assert (dc.payment.amount, dc.payment.source_transfer) == (17800, dc.transfer.id)
    assert (dc.stripe_fee, dc.platform_net, dc.homeowner_net) == (546, 1643, 15611)
    pm = lab.client.v1.payment_methods.retrieve(pi.payment_method)
    assert (pm.card.last4, pm.billing_details.name, pm.billing_details.email) == (
        "4242", "Sam Rivera", "sam.rivera@example.com")

    assert_fulfilled_by_the_webhook(platform, session)
    hosted.page.reload()
    expect(hosted.page.locator("#booking-status b")).to_have_text("paid")

    # The hosted page of a completed Session only sends the renter on; nothing is charged again.
    hosted.page.goto(f"{lab.api_base}/c/pay/{session.id}")
    hosted.page.wait_for_url(f"{platform.url}/success?session_id={session.id}")
    charges = lab.client.v1.charges.list({"payment_intent": pi.id})
    assert [(c.amount, c.status) for c in charges.data] == [(17800, "succeeded")]


def test_three_d_secure_completed_in_the_modal(lab, platform, book):
    hosted = book()
    hosted.fill(Card(hd.THREE_D_SECURE))
    hosted.submit()
    assert hosted.wait() == "challenge"
    expect(hosted.challenge_frame().get_by_text("$89.00")).to_be_visible()
    waiting = session_of(lab, hosted)
    assert waiting.status == "open"
    assert lab.client.v1.payment_intents.retrieve(waiting.payment_intent).status == \
        "requires_action"

    hosted.answer_challenge(complete=True)
    assert hosted.wait() == "redirected"
    session = session_of(lab, hosted)
    assert (session.status, session.payment_status) == ("complete", "paid")
    pi = lab.client.v1.payment_intents.retrieve(session.payment_intent)
    assert (pi.status, pi.amount_received, pi.application_fee_amount) == (
        "succeeded", GARDEN_STUDIO, 1095)
    charge = lab.client.v1.charges.retrieve(pi.latest_charge)
    assert charge.payment_method_details.card.three_d_secure.result == "authenticated"
    assert_fulfilled_by_the_webhook(platform, session)


def test_three_d_secure_failed_keeps_the_session_open_for_another_try(lab, platform, book):
    hosted = book()
    outcome, answered = hosted.pay(Card(hd.THREE_D_SECURE), three_d_secure="fail")

    assert (outcome, answered) == ("error", "fail")
    assert hosted.error_text() == AUTH_FAILED
    assert hosted.on_hosted_page() and not hosted.busy()
    assert hosted.pay_label() == "Pay $89.00"
    session = session_of(lab, hosted)
    assert (session.status, session.payment_status) == ("open", "unpaid")
    pi = lab.client.v1.payment_intents.retrieve(session.payment_intent)
    assert (pi.status, pi.amount_received) == ("requires_payment_method", 0)
    assert pi.last_payment_error.code == "payment_intent_authentication_failure"
    assert booking(platform, session.id)["status"] == "pending"
    assert handled(platform, session.id, pi.id) == []

    # The renter tries another card on the same page: the same Session, the same PaymentIntent.
    hosted.type("number", hd.VISA)
    hosted.submit()
    assert hosted.wait() == "redirected"
    paid = session_of(lab, session.id)
    assert (paid.status, paid.payment_status, paid.payment_intent) == (
        "complete", "paid", pi.id)
    charges = lab.client.v1.charges.list({"payment_intent": pi.id}).data
    assert [(c.amount, c.status) for c in charges if c.status == "succeeded"] == [
        (GARDEN_STUDIO, "succeeded")]
    assert_fulfilled_by_the_webhook(platform, paid)


@pytest.mark.parametrize(("number", "message", "decline_code"), [
    (hd.DECLINED, "Your card was declined.", "generic_decline"),
    (hd.INSUFFICIENT_FUNDS, "Your card has insufficient funds.", "insufficient_funds"),
])
def test_decline_is_shown_and_the_form_works_again(lab, platform, book, number, message,
                                                   decline_code):
    hosted = book("lst_001", nights=3)
    outcome, _ = hosted.pay(Card(number))

    assert outcome == "error"
    assert hosted.error_text() == message
    for control in ("#pay", "#email", "#cardholder"):
        expect(hosted.page.locator(control)).to_be_enabled()
    assert hosted.pay_label() == "Pay $435.00"
    session = session_of(lab, hosted)
    assert (session.status, session.payment_status, session.amount_total) == (
        "open", "unpaid", 3 * BUNGALOW)
    pi = lab.client.v1.payment_intents.retrieve(session.payment_intent)
    assert (pi.status, pi.amount, pi.amount_received) == (
        "requires_payment_method", 3 * BUNGALOW, 0)
    assert (pi.last_payment_error.type, pi.last_payment_error.code,
            pi.last_payment_error.decline_code) == ("card_error", "card_declined", decline_code)
    assert booking(platform, session.id)["status"] == "pending"
    assert handled(platform, session.id, pi.id) == []


def test_cancel_link_goes_to_cancel_url_and_charges_nothing(lab, platform, book):
    before = len(lab.client.v1.payment_intents.list({"limit": 100}).data)
    hosted = book("lst_002", nights=4)
    session_id = hosted.session

    assert hosted.cancel() == "canceled"
    assert hosted.page.url == f"{platform.url}/book/lst_002/canceled"
    expect(hosted.page.locator("h1")).to_have_text("No charge was made")
    session = session_of(lab, session_id)
    # Leaving Checkout does not expire the Session; no PaymentIntent was ever made.
    assert (session.status, session.payment_status, session.payment_intent) == (
        "open", "unpaid", None)
    assert len(lab.client.v1.payment_intents.list({"limit": 100}).data) == before
    assert booking(platform, session_id)["status"] == "pending"

    hosted.page.click("text=Try again")  # a fresh Session, priced again by the server
    again = hd.HostedCheckoutPage.attach(hosted.page)
    assert again.session != session_id


def test_visiting_success_url_before_paying_changes_nothing(lab, platform, book):
    hosted = book("lst_002", nights=2)
    session_id = hosted.session
    success_url = f"{platform.url}/success?session_id={session_id}"
    before = snapshot(platform)

    # A malicious (or impatient) renter skips the payment and opens success_url directly.
    hosted.page.goto(success_url)
    expect(hosted.page.locator("h1")).to_have_text("Thanks, we are confirming your payment")
    expect(hosted.page.locator("#session-status")).to_have_text(
        "Checkout says: open / unpaid.")
    expect(hosted.page.locator("#booking-status b")).to_have_text("pending")
    assert snapshot(platform) == before
    session = session_of(lab, session_id)
    assert (session.status, session.payment_status, session.payment_intent) == (
        "open", "unpaid", None)

    # The early visit broke nothing either: the renter goes back and pays, the webhook fulfils.
    hosted.page.go_back()
    hosted = hd.HostedCheckoutPage.attach(hosted.page)
    assert hosted.pay(Card(hd.VISA))[0] == "redirected"
    assert hosted.page.url == success_url
    assert_fulfilled_by_the_webhook(platform, session_of(lab, session_id))


def test_forged_success_urls_change_nothing(lab, platform, page):
    paid = platform.db.one("SELECT checkout_session FROM bookings WHERE status = 'paid'"
                           " ORDER BY id LIMIT 1")  # from the tests above, if they ran
    unpaid = session_of(lab, hd.HostedCheckoutPage.book(page, platform.url, "lst_002"))
    before = snapshot(platform)
    forged = {
        "/success?session_id=cs_test_" + "a" * 58: 404,  # well formed, but no such Session
        "/success?session_id=pi_123&paid=true": 400,
        "/success": 400,
        f"/success?session_id={unpaid.id}&payment_status=paid&status=complete": 200,
    }
    if paid:  # someone else's paid Session, replayed
        forged[f"/success?session_id={paid['checkout_session']}"] = 200
    for path, status in forged.items():
        response = page.goto(platform.url + path)
        assert response.status == status, path
    expect(page.locator("#booking-status b")).to_have_text("paid" if paid else "pending")
    assert snapshot(platform) == before
    assert session_of(lab, unpaid.id).status == "open"


def test_closing_the_tab_before_the_redirect_still_fulfils(lab, platform, book):
    hosted = book("lst_002", nights=3)
    session_id = hosted.session
    reached: list[str] = []

    def tab_closed(route: Any) -> None:  # the browser never gets to load success_url
        reached.append(urlsplit(route.request.url).path)
        route.abort()

    hosted.page.route(re.compile(re.escape(platform.url) + r"/success\b.*"), tab_closed)
    hosted.fill(Card(hd.VISA))
    hosted.submit()
    for _ in range(200):  # until the page, having been paid, sets off for success_url
        if reached:
            break
        hosted.page.wait_for_timeout(50)
    hosted.page.close()
    assert reached == ["/success"]

    session = session_of(lab, session_id)
    assert (session.status, session.payment_status) == ("complete", "paid")
    assert_fulfilled_by_the_webhook(platform, session)


def test_expired_session_shows_the_expired_page_and_cancels_its_payment(lab, platform, book):
    hosted = book()
    assert hosted.pay(Card(hd.DECLINED))[0] == "error"
    pi_id = session_of(lab, hosted).payment_intent

    expired = lab.client.v1.checkout.sessions.expire(hosted.session)
    assert (expired.status, expired.url) == ("expired", None)
    assert lab.client.v1.payment_intents.retrieve(pi_id).status == "canceled"
    hosted.page.reload()
    expect(hosted.page.locator("#expired")).to_have_text("This checkout session has expired.")
    expect(hosted.page.locator("a")).to_have_attribute(
        "href", f"{platform.url}/book/lst_002/canceled")
    assert booking(platform, hosted.session)["status"] == "pending"
