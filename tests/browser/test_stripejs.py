"""The Stripe.js stand-in runs pages written from Stripe's docs, in headless Chromium.

The pages in ``stripejs_pages/`` follow the docs' snippets (Payment Element with Link and
Address, the deferred-intent flow, the card Element) and are served by a small shop of our
own on its own origin, which creates the intents with the secret key as a merchant's server
would. Every test checks what the page saw *and* the intent through the API.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect
from werkzeug.wrappers import Request, Response

from harness.lab.server import BackgroundServer

PAGES = Path(__file__).resolve().parent / "stripejs_pages"
VISA = "4242424242424242"
THREE_D_SECURE = "4000002500003155"
# Every Element type the Stripe.js reference documents (docs.stripe.com/js/element,
# /js/elements_object/create_element, /js/issuing_elements/create, and the older bank and
# messaging Elements still in it).
DOCUMENTED_TYPES = [
    "payment", "card", "cardNumber", "cardExpiry", "cardCvc", "linkAuthentication",
    "contactDetails", "address", "shippingAddress", "expressCheckout", "paymentRequestButton",
    "paymentMethodMessaging", "affirmMessage", "afterpayClearpayMessage", "iban", "idealBank",
    "auBankAccount", "fpxBank", "epsBank", "p24Bank", "currencySelector", "taxId", "terms",
    "paymentForm", "issuingCardNumberDisplay", "issuingCardCvcDisplay",
    "issuingCardExpiryDisplay", "issuingCardPinDisplay", "issuingCardCopyButton",
    "issuingAddToWalletButton",
]
INERT = [t for t in DOCUMENTED_TYPES
         if t not in ("payment", "card", "cardNumber", "cardExpiry", "cardCvc")]


class Shop:
    """A merchant's server: serves the pages and creates intents with the secret key."""

    def __init__(self, lab: Any) -> None:
        self.lab = lab
        self.payment_intents: list[str] = []
        self.setup_intents: list[str] = []
        self.server = BackgroundServer(self.app).start()
        self.url = f"http://127.0.0.1:{self.server.port}"

    def app(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        return self.answer(request)(environ, start_response)

    def answer(self, request: Request) -> Response:
        path = request.path
        if request.method == "GET" and path.endswith(".html"):
            text = (PAGES / Path(path).name).read_text()
            key = self.lab.config.publishable_key
            text = text.replace("{{STRIPE_JS}}", self.lab.api_base + "/v3/")
            return Response(text.replace("{{PK}}", key), mimetype="text/html")
        if request.method == "POST" and path in ("/create-payment-intent", "/create-intent"):
            # The server decides the amount: 2 nights of 1200, or the deferred page's 5000.
            amount = 2400 if path == "/create-payment-intent" else 5000
            pi = self.lab.client.v1.payment_intents.create({
                "amount": amount, "currency": "usd",
                "automatic_payment_methods": {"enabled": True}})
            self.payment_intents.append(pi.id)
            return json_answer({"clientSecret": pi.client_secret,
                                "client_secret": pi.client_secret})
        if request.method == "POST" and path == "/create-setup-intent":
            customer = self.lab.client.v1.customers.create({"name": "Sam Rivera"})
            si = self.lab.client.v1.setup_intents.create({
                "customer": customer.id, "automatic_payment_methods": {"enabled": True}})
            self.setup_intents.append(si.id)
            return json_answer({"client_secret": si.client_secret})
        if path == "/complete":
            return Response("<!doctype html><h1>Thanks</h1>", mimetype="text/html")
        return Response("not found", status=404)

    def stop(self) -> None:
        self.server.stop()


def json_answer(body: dict) -> Response:
    return Response(json.dumps(body), mimetype="application/json")


@pytest.fixture(scope="module")
def shop(lab: Any) -> Iterator[Shop]:
    running = Shop(lab)
    yield running
    running.stop()


@pytest.fixture
def open_page(page: Any, shop: Shop) -> Callable[..., Any]:
    """Open one of the pages; any uncaught error in it fails the test."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def go(name: str, query: str = "") -> Any:
        page.goto(f"{shop.url}/{name}.html{query}")
        return page

    yield go
    assert errors == []


def fill_card(frame: Any, number: str = VISA) -> None:
    frame.locator('input[name="number"]').fill(number)
    frame.locator('input[name="expiry"]').fill("12 / 34")
    frame.locator('input[name="cvc"]').fill("123")
    frame.locator('input[name="postalCode"]').fill("97211")


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_payment_element_with_link_and_address_pays_and_redirects(lab, shop, open_page):
    """The reported bug: mounting the Link Authentication Element threw before the page
    attached its submit handler. Now it mounts inert, and the payment redirects."""
    page = open_page("payment_link_address")
    page.wait_for_function("window.submitHandlerAttached === true")
    link = page.locator("#link-authentication-element")
    expect(link).to_contain_text("Link Authentication Element")
    expect(link).to_contain_text("not modelled offline")
    expect(page.locator("#address-element")).to_contain_text("Address Element")
    page.wait_for_function("window.seen.includes('payment:ready')")
    seen = page.evaluate("window.seen")
    assert {"linkAuthentication:ready", "address:ready", "payment:ready",
            "linkAuthentication:change:sam@example.com", "address:change:true"} <= set(seen)

    fill_card(page.frame_locator("#payment-element iframe"))
    with page.expect_navigation(url=f"{shop.url}/complete?**"):
        page.click("#submit")

    pi_id = shop.payment_intents[-1]
    query = query_of(page.url)
    assert set(query) == {"payment_intent", "payment_intent_client_secret", "redirect_status"}
    assert (query["payment_intent"], query["redirect_status"]) == (pi_id, "succeeded")
    assert query["payment_intent_client_secret"].startswith(pi_id + "_secret_")
    expect(page.locator("h1")).to_have_text("Thanks")
    pi = lab.client.v1.payment_intents.retrieve(pi_id)
    assert (pi.status, pi.amount, pi.amount_received) == ("succeeded", 2400, 2400)
    assert pi.receipt_email == "sam@example.com"
    assert (pi.shipping.name, pi.shipping.address.line1, pi.shipping.address.postal_code) == (
        "Sam Rivera", "12 Garden Row", "97211")
    pm = lab.client.v1.payment_methods.retrieve(pi.payment_method)
    assert (pm.card.last4, pm.billing_details.email) == ("4242", "sam@example.com")


EVERY_TYPE = """async ([key, types]) => {
  const stripe = Stripe(key);
  const out = {};
  for (const type of types) {
    const box = document.createElement('div');
    box.id = 'mount-' + type;
    document.getElementById('mounts').appendChild(box);
    const elements = stripe.elements({mode: 'payment', amount: 1099, currency: 'usd'});
    const options = type === 'address' ? {mode: 'billing'} : {};
    const element = elements.create(type, options);
    const events = [];
    const ready = new Promise((resolve) => element.once('ready', (e) => {
      events.push('ready:' + e.elementType); resolve();
    }));
    element.on('change', () => events.push('change'));
    const noop = () => {};
    element.on('focus', noop);
    element.off('focus', noop);
    element.mount('#mount-' + type);
    await Promise.race([ready, new Promise((r) => setTimeout(r, 5000))]);
    element.update({});
    element.focus();
    element.blur();
    element.clear();
    element.collapse();
    const text = box.textContent;
    const same = elements.getElement(type, options) === element;
    element.unmount();
    const emptied = box.textContent === '';
    element.mount(box);
    element.destroy();
    out[type] = {events, text, same, emptied, gone: elements.getElement(type, options) === null};
  }
  return out;
}"""


def test_every_documented_element_type_mounts_and_takes_every_call(lab, open_page):
    page = open_page("blank")
    result = page.evaluate(EVERY_TYPE, [lab.config.publishable_key, DOCUMENTED_TYPES])

    assert sorted(result) == sorted(DOCUMENTED_TYPES)
    for type_, seen in result.items():
        assert seen["events"][0] == f"ready:{type_}", type_
        assert (seen["same"], seen["emptied"], seen["gone"]) == (True, True, True), type_
    for type_ in INERT:
        assert "(Connect Lab emulator: not modelled offline)" in result[type_]["text"], type_
    assert result["payment"]["text"] == ""  # an iframe: the inputs are not in the page


def test_inert_elements_report_what_the_docs_show(lab, open_page):
    page = open_page("blank")
    seen = page.evaluate("""async (key) => {
      const stripe = Stripe(key);
      const elements = stripe.elements({mode: 'payment', amount: 1099, currency: 'usd'});
      const box = (id) => {
        const div = document.createElement('div'); div.id = id;
        document.body.appendChild(div); return '#' + id;
      };
      const express = elements.create('expressCheckout');
      const ready = new Promise((r) => express.on('ready', r));
      express.mount(box('express'));
      const readyEvent = await ready;
      const address = elements.create('address', {mode: 'billing', defaultValues: {
        name: 'Ada', address: {line1: '1 Way', city: 'Dublin', country: 'IE'}}});
      const value = await address.getValue();
      const pr = stripe.paymentRequest({country: 'US', currency: 'usd',
                                        total: {label: 'Stay', amount: 1099}});
      return {ready: readyEvent.elementType,
              available: typeof readyEvent.availablePaymentMethods,
              hasAvailable: 'availablePaymentMethods' in readyEvent,
              value, canMakePayment: await pr.canMakePayment(),
              billing: elements.getElement('address', {mode: 'billing'}) === address,
              shipping: elements.getElement('address', {mode: 'shipping'})};
    }""", lab.config.publishable_key)

    # https://docs.stripe.com/js/element/events/on_ready: undefined when none is available.
    assert (seen["ready"], seen["hasAvailable"], seen["available"]) == (
        "expressCheckout", True, "undefined")
    assert seen["value"] == {"complete": True, "isNewAddress": False, "value": {
        "name": "Ada", "address": {"line1": "1 Way", "line2": None, "city": "Dublin",
                                   "state": None, "postal_code": "", "country": "IE"}}}
    assert seen["canMakePayment"] is None  # no browser wallet offline, as Stripe answers
    assert (seen["billing"], seen["shipping"]) == (True, None)


def test_deferred_intent_submit_validates_then_confirm_redirects(lab, shop, open_page):
    page = open_page("deferred")
    frame = page.frame_locator("#payment-element iframe")
    frame.locator('input[name="number"]').wait_for()
    before = len(shop.payment_intents)

    page.click("#submit")  # nothing typed: elements.submit() answers the field error
    expect(page.locator("#error-message")).to_have_text("Your card number is incomplete.")
    assert len(shop.payment_intents) == before  # no intent was created for an empty form
    expect(frame.locator("#Field-numberError")).to_have_text("Your card number is incomplete.")

    fill_card(frame)
    with page.expect_navigation(url=f"{shop.url}/complete?**"):
        page.click("#submit")
    pi_id = shop.payment_intents[-1]
    query = query_of(page.url)
    assert (query["payment_intent"], query["redirect_status"]) == (pi_id, "succeeded")
    assert query["payment_intent_client_secret"].startswith(pi_id + "_secret_")
    pi = lab.client.v1.payment_intents.retrieve(pi_id)
    assert (pi.status, pi.amount, pi.amount_received) == ("succeeded", 5000, 5000)


def test_deferred_confirm_before_submit_is_refused_by_name(lab, shop, open_page):
    page = open_page("deferred")
    fill_card(page.frame_locator("#payment-element iframe"))
    message = page.evaluate("""async () => {
      const res = await fetch('/create-intent', {method: 'POST'});
      const {client_secret: clientSecret} = await res.json();
      try {
        await stripe.confirmPayment({elements, clientSecret,
                                     confirmParams: {return_url: location.origin + '/complete'}});
        return 'resolved';
      } catch (error) { return error.name + ': ' + error.message; }
    }""")
    assert message == ("IntegrationError: elements.submit() must be called before "
                       "stripe.confirmPayment().")
    pi = lab.client.v1.payment_intents.retrieve(shop.payment_intents[-1])
    assert (pi.status, pi.payment_method) == ("requires_payment_method", None)


def test_create_payment_method_from_the_payment_element(lab, open_page):
    page = open_page("deferred")
    fill_card(page.frame_locator("#payment-element iframe"))
    result = page.evaluate("""async () => {
      let refused;
      try { await stripe.createPaymentMethod({elements}); }
      catch (error) { refused = error.message; }
      const submitted = await elements.submit();
      const {paymentMethod, error} = await stripe.createPaymentMethod({
        elements, params: {billing_details: {name: 'Jenny Rosen'}}});
      return {refused, submitted, id: paymentMethod && paymentMethod.id, error};
    }""")
    assert result["refused"] == ("elements.submit() must be called before "
                                 "stripe.createPaymentMethod().")
    assert result["submitted"] == {"selectedPaymentMethod": "card"}
    assert result["error"] is None
    pm = lab.client.v1.payment_methods.retrieve(result["id"])
    assert (pm.type, pm.card.last4, pm.card.exp_month, pm.card.exp_year) == (
        "card", "4242", 12, 2034)
    assert (pm.billing_details.name, pm.billing_details.address.postal_code) == (
        "Jenny Rosen", "97211")


def test_create_payment_method_from_the_card_element(lab, open_page):
    page = open_page("card")
    frame = page.frame_locator("#card-element iframe")
    frame.locator('input[name="cardnumber"]').fill("5555555555554444")
    frame.locator('input[name="exp-date"]').fill("04 / 31")
    frame.locator('input[name="cvc"]').fill("314")
    frame.locator('input[name="postal"]').fill("10001")
    result = page.evaluate("""async () => {
      const {paymentMethod, error} = await stripe.createPaymentMethod({
        type: 'card', card: cardElement, billing_details: {name: 'Jenny Rosen'}});
      const other = await stripe.createPaymentMethod({type: 'sepa_debit', sepa_debit: {}});
      return {id: paymentMethod && paymentMethod.id, error, other: other.error.message};
    }""")
    assert result["error"] is None
    pm = lab.client.v1.payment_methods.retrieve(result["id"])
    assert (pm.card.brand, pm.card.last4, pm.card.exp_month, pm.billing_details.name) == (
        "mastercard", "4444", 4, "Jenny Rosen")
    assert result["other"].startswith(
        'stripe.createPaymentMethod({type: "sepa_debit"}) is not modelled by the Connect '
        "Lab Stripe.js stand-in")


def test_unsupported_and_unknown_calls_name_themselves(lab, open_page):
    page = open_page("blank")
    seen = page.evaluate("""async (key) => {
      const stripe = Stripe(key, {locale: 'fr', apiVersion: '2026-07-29.dahlia'});
      const sepa = await stripe.confirmSepaDebitPayment('pi_1_secret_2', {});
      const token = await stripe.createToken('bank_account', {country: 'US'});
      let unknown, badType, badSecret;
      try { stripe.confirmTeleportPayment('pi_1_secret_2'); }
      catch (error) { unknown = error.name + ': ' + error.message; }
      try { stripe.elements().create('hologram'); }
      catch (error) { badType = error.message; }
      try { stripe.retrieveSetupIntent('pi_1_secret_2'); }
      catch (error) { badSecret = error.message; }
      // loadStripe() resolves a Promise with the Stripe object: `then` must stay undefined.
      const same = (await Promise.resolve(stripe)) === stripe;
      return {sepa: sepa.error, token: token.error.message, unknown, badType, badSecret, same,
              then: typeof stripe.then};
    }""", lab.config.publishable_key)
    assert seen["sepa"]["type"] == "invalid_request_error"
    assert seen["sepa"]["message"].startswith(
        "stripe.confirmSepaDebitPayment() is not modelled by the Connect Lab Stripe.js "
        "stand-in")
    assert seen["token"].startswith('stripe.createToken("bank_account") is not modelled')
    assert seen["unknown"] == (
        "IntegrationError: stripe.confirmTeleportPayment() is not a Stripe.js method that "
        "the Connect Lab Stripe.js stand-in knows (see https://docs.stripe.com/js).")
    assert seen["badType"].startswith('elements.create(): "hologram" is not an Element type')
    assert seen["badSecret"] == (
        "Invalid value for stripe.retrieveSetupIntent: clientSecret must be the SetupIntent's "
        "client secret (seti_..._secret_...).")
    assert (seen["same"], seen["then"]) == (True, "undefined")


def test_options_reach_the_api(lab, open_page):
    """``Stripe(pk, {apiVersion, locale, stripeAccount})``: the version and the account go
    out as headers on every call, as Stripe.js sends them."""
    account = lab.client.v1.accounts.create({"type": "express", "country": "US",
                                             "email": "host@example.com"})
    pi = lab.client.v1.payment_intents.create(
        {"amount": 1500, "currency": "usd", "automatic_payment_methods": {"enabled": True}},
        {"stripe_account": account.id})
    page = open_page("blank")
    requests: list[Any] = []
    page.on("request", lambda r: requests.append(r) if "/v1/" in r.url else None)
    seen = page.evaluate("""async ([key, account, secret]) => {
      const stripe = Stripe(key, {stripeAccount: account, apiVersion: '2026-07-29.dahlia',
                                  locale: 'de'});
      const {paymentIntent, error} = await stripe.retrievePaymentIntent(secret);
      return {id: paymentIntent && paymentIntent.id, error};
    }""", [lab.config.publishable_key, account.id, pi.client_secret])
    assert seen == {"id": pi.id, "error": None}
    headers = requests[-1].all_headers()
    assert (headers["stripe-account"], headers["stripe-version"]) == (
        account.id, "2026-07-29.dahlia")


def test_handle_next_action_runs_the_3ds_challenge(lab, open_page):
    pi = lab.client.v1.payment_intents.create({
        "amount": 3200, "currency": "usd", "payment_method": "pm_card_authenticationRequired",
        "confirm": True, "automatic_payment_methods": {"enabled": True,
                                                       "allow_redirects": "never"}})
    assert pi.status == "requires_action"
    page = open_page("blank")
    page.evaluate("""([key, secret]) => {
      window.outcome = Stripe(key).handleNextAction({clientSecret: secret});
    }""", [lab.config.publishable_key, pi.client_secret])
    modal = page.frame_locator("iframe[name='__privateStripeFrame3DSChallenge']")
    modal.get_by_role("button", name="Complete authentication").click()
    result = page.evaluate("""async () => {
      const {paymentIntent, error} = await window.outcome;
      return {status: paymentIntent && paymentIntent.status, error};
    }""")
    assert result == {"status": "succeeded", "error": None}
    done = lab.client.v1.payment_intents.retrieve(pi.id)
    assert (done.status, done.amount_received) == ("succeeded", 3200)


# -- SetupIntents: saving a card for later -----------------------------------------------------
def test_deferred_setup_confirm_setup_redirects(lab, shop, open_page):
    page = open_page("deferred", "?mode=setup")
    fill_card(page.frame_locator("#payment-element iframe"))
    with page.expect_navigation(url=f"{shop.url}/complete?**"):
        page.click("#submit")

    si_id = shop.setup_intents[-1]
    query = query_of(page.url)
    assert set(query) == {"setup_intent", "setup_intent_client_secret", "redirect_status"}
    assert (query["setup_intent"], query["redirect_status"]) == (si_id, "succeeded")
    assert query["setup_intent_client_secret"].startswith(si_id + "_secret_")
    si = lab.client.v1.setup_intents.retrieve(si_id)
    assert si.status == "succeeded"
    pm = lab.client.v1.payment_methods.retrieve(si.payment_method)
    assert (pm.card.last4, pm.customer) == ("4242", si.customer)


def test_confirm_setup_with_client_secret_and_3ds_if_required(lab, open_page):
    customer = lab.client.v1.customers.create({"name": "Sam Rivera"})
    si = lab.client.v1.setup_intents.create({
        "customer": customer.id, "usage": "off_session",
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}})
    page = open_page("blank")
    page.evaluate("""([key, secret]) => {
      window.stripe = Stripe(key);
      window.elements = stripe.elements({clientSecret: secret});
      elements.create('payment').mount('#mounts');
    }""", [lab.config.publishable_key, si.client_secret])
    fill_card(page.frame_locator("#mounts iframe"), THREE_D_SECURE)
    page.evaluate("""() => {
      window.outcome = stripe.confirmSetup({elements, redirect: 'if_required'});
    }""")
    modal = page.frame_locator("iframe[name='__privateStripeFrame3DSChallenge']")
    modal.get_by_role("button", name="Complete authentication").click()
    result = page.evaluate("""async () => {
      const {setupIntent, error} = await window.outcome;
      const again = await stripe.retrieveSetupIntent(elements._options.clientSecret);
      return {status: setupIntent && setupIntent.status, error,
              retrieved: again.setupIntent.status, url: location.pathname};
    }""")
    assert result == {"status": "succeeded", "error": None, "retrieved": "succeeded",
                      "url": "/blank.html"}  # if_required: no redirect for a card
    done = lab.client.v1.setup_intents.retrieve(si.id)
    assert done.status == "succeeded"
    assert lab.client.v1.payment_methods.retrieve(done.payment_method).customer == customer.id


def test_confirm_card_setup_and_a_failed_challenge(lab, open_page):
    customer = lab.client.v1.customers.create({"name": "Sam Rivera"})
    si = lab.client.v1.setup_intents.create({"customer": customer.id})
    page = open_page("card")
    frame = page.frame_locator("#card-element iframe")
    frame.locator('input[name="cardnumber"]').fill(THREE_D_SECURE)
    frame.locator('input[name="exp-date"]').fill("12 / 34")
    frame.locator('input[name="cvc"]').fill("123")
    frame.locator('input[name="postal"]').fill("97211")
    page.evaluate("""(secret) => {
      window.outcome = stripe.confirmCardSetup(secret, {
        payment_method: {card: cardElement, billing_details: {name: 'Sam Rivera'}}});
    }""", si.client_secret)
    modal = page.frame_locator("iframe[name='__privateStripeFrame3DSChallenge']")
    modal.get_by_role("button", name="Fail authentication").click()
    result = page.evaluate("""async () => {
      const {setupIntent, error} = await window.outcome;
      return {setupIntent: setupIntent || null, code: error.code, message: error.message,
              status: error.setup_intent.status};
    }""")
    assert result == {
        "setupIntent": None, "code": "setup_intent_authentication_failure",
        "message": "We are unable to authenticate your payment method. Please choose a "
                   "different payment method and try again.",
        "status": "requires_payment_method"}
    failed = lab.client.v1.setup_intents.retrieve(si.id)
    assert (failed.status, failed.last_setup_error.code) == (
        "requires_payment_method", "setup_intent_authentication_failure")


def test_create_token_from_the_card_element(lab, open_page):
    page = open_page("card")
    frame = page.frame_locator("#card-element iframe")
    frame.locator('input[name="cardnumber"]').fill(VISA)
    frame.locator('input[name="exp-date"]').fill("09 / 33")
    frame.locator('input[name="cvc"]').fill("123")
    frame.locator('input[name="postal"]').fill("97211")
    token = page.evaluate("""async () => {
      const {token, error} = await stripe.createToken(cardElement, {name: 'Sam Rivera'});
      return error ? error : {id: token.id, last4: token.card.last4, name: token.card.name,
                              zip: token.card.address_zip, month: token.card.exp_month};
    }""")
    assert token["id"].startswith("tok_")
    assert (token["last4"], token["name"], token["zip"], token["month"]) == (
        "4242", "Sam Rivera", "97211", 9)


def test_elements_update_fetch_updates_and_get_element(lab, open_page):
    pi = lab.client.v1.payment_intents.create({
        "amount": 1800, "currency": "usd", "automatic_payment_methods": {"enabled": True}})
    page = open_page("blank")
    seen = page.evaluate("""async ([key, secret]) => {
      const stripe = Stripe(key);
      const deferred = stripe.elements({mode: 'payment', amount: 5000, currency: 'usd'});
      let ended = 0;
      deferred.on('update-end', () => { ended += 1; });
      const updated = await deferred.update({amount: 7000});
      const withIntent = stripe.elements({clientSecret: secret});
      const payment = withIntent.create('payment');
      return {updated: updated === undefined, ended, amount: deferred._options.amount,
              fetched: await withIntent.fetchUpdates(),
              deferredFetch: (await deferred.fetchUpdates()).error.message,
              found: withIntent.getElement('payment') === payment,
              missing: withIntent.getElement('card')};
    }""", [lab.config.publishable_key, pi.client_secret])
    assert seen == {
        "updated": True, "ended": 1, "amount": 7000, "fetched": {},
        "deferredFetch": "elements.fetchUpdates() reads the intent of elements({clientSecret}); "
                         "these Elements were created without one.",
        "found": True, "missing": None}
