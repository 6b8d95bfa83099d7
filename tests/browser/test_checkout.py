"""The checkout page paid in headless Chromium, through the emulator's Stripe.js stand-in.

Every test checks what the renter sees *and* the PaymentIntent's final state through the
API: the DOM alone proves nothing about money.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from harness.guide import elements_checkout as cd
from harness.platform.app import application_fee

AUTH_FAILED = ("We are unable to authenticate your payment method. Please choose a different "
               "payment method and try again.")
GARDEN_STUDIO = 8900  # lst_002, per night, in cents


def intent(lab: Any, page: cd.CheckoutPage) -> Any:
    return lab.client.v1.payment_intents.retrieve(page.payment_intent)


def record(page: cd.CheckoutPage) -> list[Any]:
    """Every request the browser makes from now on."""
    requests: list[Any] = []
    page.page.on("request", lambda request: requests.append(request))
    return requests


def api_calls(requests: list[Any], lab: Any, method: str, suffix: str) -> list[Any]:
    return [r for r in requests if r.url.startswith(lab.api_base) and r.method == method
            and urlsplit(r.url).path.endswith(suffix)]


def homeowner_account(platform: Any, homeowner: str = "ho_001") -> str:
    return platform.db.one("SELECT stripe_account_id FROM homeowners WHERE id = ?",
                           (homeowner,))["stripe_account_id"]


def test_card_payment_succeeds_and_the_card_stays_in_stripes_iframe(lab, platform, checkout):
    page = checkout("lst_002", nights=2)
    requests = record(page)
    outcome, answered = page.pay(cd.Card(cd.VISA))

    assert (outcome, answered) == ("success", None)
    assert page.message(outcome) == "Payment processing"
    pi = intent(lab, page)
    assert pi.status == "succeeded"
    assert pi.amount == pi.amount_received == 2 * GARDEN_STUDIO
    assert pi.application_fee_amount == application_fee(2 * GARDEN_STUDIO, 12.3) == 2189
    assert pi.transfer_data.destination == homeowner_account(platform)
    pm = lab.client.v1.payment_methods.retrieve(pi.payment_method)
    assert (pm.card.last4, pm.billing_details.name) == ("4242", "Sam Rivera")
    assert pm.billing_details.address.postal_code == "42424"

    # The number went only from Stripe's iframe to the API, never through the page itself.
    html = page.page.content()
    assert "4242 4242" not in html and cd.VISA not in html
    carrying = [r for r in requests if cd.VISA in (r.post_data or "") + r.url]
    assert [urlsplit(r.url).path for r in carrying] == ["/v1/payment_methods"]
    assert carrying[0].frame != page.page.main_frame
    assert carrying[0].frame.url.startswith(lab.api_base + "/v3/elements-inner.html")
    # ...and the client secret never travelled to the platform in a URL.
    assert not [r for r in requests if r.url.startswith(platform.url) and "_secret_" in r.url]


def test_three_d_secure_completed_in_the_modal(lab, checkout):
    page = checkout()
    page.fill(cd.Card(cd.THREE_D_SECURE))
    page.submit()
    assert page.wait() == "challenge"
    modal = page.challenge_frame()
    expect(modal.get_by_text("$89.00")).to_be_visible()
    assert intent(lab, page).status == "requires_action"

    page.answer_challenge(complete=True)
    expect(page.page.locator("#payment-result")).to_be_visible()
    pi = intent(lab, page)
    assert (pi.status, pi.amount_received) == ("succeeded", GARDEN_STUDIO)
    charge = lab.client.v1.charges.retrieve(pi.latest_charge)
    assert charge.payment_method_details.card.three_d_secure.result == "authenticated"


def test_three_d_secure_failed_in_the_modal(lab, checkout):
    page = checkout()
    outcome, answered = page.pay(cd.Card(cd.THREE_D_SECURE), three_d_secure="fail")

    assert (outcome, answered) == ("error", "fail")
    assert page.error_text() == AUTH_FAILED
    assert not page.busy()
    pi = intent(lab, page)
    assert (pi.status, pi.amount, pi.amount_received) == (
        "requires_payment_method", GARDEN_STUDIO, 0)
    assert pi.last_payment_error.code == "payment_intent_authentication_failure"


@pytest.mark.parametrize(("number", "message", "decline_code"), [
    (cd.DECLINED, "Your card was declined.", "generic_decline"),
    (cd.INSUFFICIENT_FUNDS, "Your card has insufficient funds.", "insufficient_funds"),
])
def test_decline_is_shown_and_the_form_works_again(lab, checkout, number, message, decline_code):
    page = checkout("lst_001", nights=3)
    outcome, _ = page.pay(cd.Card(number))

    assert outcome == "error"
    assert page.error_text() == message
    assert page.page.is_enabled("#submit") and page.page.is_enabled("#cardholder-name")
    expect(page.page.locator("#spinner")).to_be_hidden()
    pi = intent(lab, page)
    assert (pi.status, pi.amount, pi.amount_received) == ("requires_payment_method", 43500, 0)
    assert (pi.last_payment_error.type, pi.last_payment_error.decline_code) == (
        "card_error", decline_code)

    # The renter fixes the card and pays the same PaymentIntent.
    page.type("number", cd.VISA)
    page.submit()
    assert page.wait() == "success"
    pi = intent(lab, page)
    assert (pi.status, pi.amount_received) == ("succeeded", 43500)


def test_validation_errors_are_shown_as_the_renter_types(lab, checkout):
    page = checkout()
    requests = record(page)
    errors = page.page.locator("#card-errors")

    page.type("number", "4242424242424241")  # fails the Luhn check
    expect(errors).to_have_text("Your card number is invalid.")
    page.type("number", cd.VISA)
    expect(errors).to_have_text("")
    page.type("expiry", "01 / 20")
    expect(errors).to_have_text("Your card's expiration year is in the past.")
    page.type("expiry", "12 / 34")
    page.type("cvc", "12")
    page.field("postal").focus()  # leaving the CVC field with too few digits
    expect(errors).to_have_text("Your card's security code is incomplete.")

    page.page.fill("#cardholder-name", "Sam Rivera")
    page.submit()
    assert page.wait() == "error"
    assert page.error_text() == "Your card's security code is incomplete."
    assert not api_calls(requests, lab, "POST", "/v1/payment_methods")
    pi = intent(lab, page)
    assert (pi.status, pi.amount, pi.payment_method) == (
        "requires_payment_method", GARDEN_STUDIO, None)


def test_second_click_is_ignored_while_confirming(lab, checkout):
    page = checkout()
    requests = record(page)
    page.fill(cd.Card(cd.VISA))
    # Both submits run in one task, so the second surely lands while the first confirms.
    disabled = page.page.evaluate("""() => {
        const form = document.getElementById('payment-form');
        const button = document.getElementById('submit');
        form.requestSubmit(button);
        const busy = button.disabled;
        form.requestSubmit();
        button.click();
        return busy;
    }""")
    assert disabled is True
    assert page.wait() == "success"

    assert len(api_calls(requests, lab, "POST", "/v1/payment_methods")) == 1
    assert len(api_calls(requests, lab, "POST", "/confirm")) == 1
    pi = intent(lab, page)
    assert (pi.status, pi.amount_received) == ("succeeded", GARDEN_STUDIO)
    charges = lab.client.v1.charges.list({"payment_intent": pi.id})
    assert [c.amount for c in charges.data] == [GARDEN_STUDIO]


def test_payment_element_variant_succeeds(lab, checkout):
    page = checkout("lst_001", nights=2, ui="payment")
    outcome, _ = page.pay(cd.Card(cd.VISA, postal="97211"))

    assert outcome == "success"
    pi = intent(lab, page)
    assert (pi.status, pi.amount, pi.amount_received) == ("succeeded", 29000, 29000)
    address = lab.client.v1.payment_methods.retrieve(pi.payment_method).billing_details.address
    assert (address.postal_code, address.country) == ("97211", "US")


def test_payment_element_three_d_secure(lab, checkout):
    page = checkout(ui="payment")
    outcome, answered = page.pay(cd.Card(cd.THREE_D_SECURE))

    assert (outcome, answered) == ("success", "complete")
    pi = intent(lab, page)
    assert (pi.status, pi.amount_received) == ("succeeded", GARDEN_STUDIO)


def test_payment_element_shows_its_own_field_errors(lab, checkout):
    page = checkout(ui="payment")
    page.page.fill("#cardholder-name", "Sam Rivera")
    page.type("number", "4242 4242")
    page.submit()
    assert page.wait() == "error"
    assert page.error_text() == "Your card number is incomplete."
    frame = page.page.frame_locator("#payment-element iframe")
    expect(frame.locator("#Field-numberError")).to_have_text("Your card number is incomplete.")
    expect(frame.locator("#Field-expiryError")).to_have_text(
        "Your card's expiration date is incomplete.")
    assert intent(lab, page).status == "requires_payment_method"


def test_split_card_elements_succeed(lab, checkout):
    page = checkout(ui="split")
    outcome, _ = page.pay(cd.Card(cd.VISA))

    assert outcome == "success"
    pi = intent(lab, page)
    assert (pi.status, pi.amount_received) == ("succeeded", GARDEN_STUDIO)


def test_success_page_fulfils_nothing(lab, platform, checkout):
    page = checkout()
    assert page.pay(cd.Card(cd.VISA))[0] == "success"
    pi = intent(lab, page)
    page.page.click("#success-link")

    expect(page.page.locator("h1")).to_have_text("Payment processing")
    expect(page.page.locator(".reference code")).to_have_text(pi.id)
    assert "_secret_" not in page.page.url
    assert lab.client.v1.payment_intents.retrieve(pi.id).status == "succeeded"
    booking = platform.db.one("SELECT status, paid_at FROM bookings WHERE payment_intent = ?",
                              (pi.id,))
    assert booking == {"status": "pending", "paid_at": None}  # the webhook's job


def test_retrieve_payment_intent_with_the_publishable_key(lab, checkout):
    page = checkout("lst_002", nights=3)
    seen = page.page.evaluate("""async () => {
        const form = document.getElementById('payment-form');
        const result = await Stripe(form.dataset.key).retrievePaymentIntent(form.dataset.secret);
        const bad = await Stripe(form.dataset.key).retrievePaymentIntent(
            result.paymentIntent.id + '_secret_wrong');
        return {status: result.paymentIntent.status, amount: result.paymentIntent.amount,
                transfer_data: 'transfer_data' in result.paymentIntent, error: bad.error.code};
    }""")
    assert seen == {"status": "requires_payment_method", "amount": 3 * GARDEN_STUDIO,
                    "transfer_data": False,  # a publishable key sees only the public fields
                    "error": "payment_intent_invalid_parameter"}


def test_confirm_payment_redirects_to_return_url_by_default(lab, checkout):
    """Without ``redirect: 'if_required'`` Stripe.js always goes to ``return_url``, adding the
    outcome (and the client secret) to its query: why client.js asks for if_required."""
    page = checkout(ui="payment")
    pi_id = page.payment_intent
    page.page.evaluate("""() => {
        const form = document.getElementById('payment-form');
        const box = document.createElement('div');
        box.id = 'extra-element';
        document.body.appendChild(box);
        window.extraStripe = Stripe(form.dataset.key);
        window.extraElements = window.extraStripe.elements({clientSecret: form.dataset.secret});
        window.extraElements.create('payment').mount('#extra-element');
    }""")
    frame = page.page.frame_locator("#extra-element iframe")
    frame.locator('input[name="number"]').fill(cd.VISA)
    frame.locator('input[name="expiry"]').fill("12 / 34")
    frame.locator('input[name="cvc"]').fill("123")
    frame.locator('input[name="postalCode"]').fill("42424")
    with page.page.expect_navigation():
        page.page.evaluate("""() => { window.extraStripe.confirmPayment({
            elements: window.extraElements,
            confirmParams: {return_url: location.origin + '/checkout/success'}}); }""")

    query = dict(part.split("=", 1) for part in urlsplit(page.page.url).query.split("&"))
    assert (query["payment_intent"], query["redirect_status"]) == (pi_id, "succeeded")
    assert query["payment_intent_client_secret"].startswith(pi_id + "_secret_")
    expect(page.page.locator("h1")).to_have_text("Payment processing")
    assert "_secret_" not in page.page.content()  # the success page does not repeat it
    pi = lab.client.v1.payment_intents.retrieve(pi_id)
    assert (pi.status, pi.amount_received) == ("succeeded", GARDEN_STUDIO)
