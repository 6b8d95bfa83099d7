"""The platform's checkout routes, through Flask's test client against the emulator.

The server decides the price, the fee and the destination; bad input gets a 4xx with a
message; the client secret appears once, in ``data-secret``, and nowhere else.
"""

from __future__ import annotations

import logging
import re
from types import SimpleNamespace

import pytest
import stripe

from harness.guide.elements_checkout import platform_rows
from harness.platform import PlatformConfig, create_app
from harness.platform.app import application_fee
from harness.platform.db import Database
from tests.conftest import make_client
from tests.emulator.support import onboarded_account, publishable

SECRET = re.compile(r'data-secret="(pi_[A-Za-z0-9]+)_secret_([A-Za-z0-9]+)"')


@pytest.fixture
def shop(emulator_server, api_key):
    """The platform app: ho_001 onboarded, ho_002 connected but not onboarded, the rest
    without an account."""
    client = make_client(emulator_server, api_key)
    config = PlatformConfig(
        secret_key=api_key, publishable_key=publishable(emulator_server, api_key),
        api_base=emulator_server.url, connect_base=emulator_server.url,
        stripe_js_url=emulator_server.url + "/v3/",
    )
    db = Database()
    db.seed(*platform_rows())
    ready = onboarded_account(emulator_server, client, api_key)
    pending = client.v1.accounts.create({
        "type": "express", "country": "US",
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
    })
    with db.transaction() as conn:
        conn.execute("UPDATE homeowners SET stripe_account_id = ? WHERE id = 'ho_001'", (ready,))
        conn.execute("UPDATE homeowners SET stripe_account_id = ? WHERE id = 'ho_002'",
                     (pending.id,))
    app = create_app(config, db)
    return SimpleNamespace(http=app.test_client(), db=db, client=client, account=ready,
                           config=config)


def page_intent(shop, html: str) -> stripe.PaymentIntent:
    match = SECRET.search(html)
    assert match, "no data-secret on the page"
    return shop.client.v1.payment_intents.retrieve(match.group(1))


def intents(shop) -> list[stripe.PaymentIntent]:
    return list(shop.client.v1.payment_intents.list().data)


def test_checkout_creates_the_destination_charge_on_the_server(shop):
    resp = shop.http.get("/checkout/lst_002?nights=3")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    pi = page_intent(shop, html)

    assert (pi.amount, pi.currency, pi.status) == (3 * 8900, "usd", "requires_payment_method")
    assert pi.application_fee_amount == application_fee(26700, 12.3) == 3284
    assert pi.transfer_data.destination == shop.account
    assert pi.metadata.to_dict() == {"listing_id": "lst_002", "homeowner_id": "ho_001",
                                 "nights": "3"}
    assert pi.description == "3 nights at Garden studio with bike storage"
    assert f'<script src="{shop.config.stripe_js_url}"></script>' in html
    assert f'data-key="{shop.config.publishable_key}"' in html
    assert "$267.00" in html
    assert resp.headers["Cache-Control"] == "no-store"


def test_the_key_on_the_page_leads_to_nothing_of_the_platform(shop, emulator_server):
    """A visitor reads Stripe.js's publishable key off the page and tries it as a secret
    key: it names another (empty) platform, never this one."""
    html = shop.http.get("/checkout/lst_002?nights=1").get_data(as_text=True)
    shown = re.search(r'data-key="(pk_test_[^"]+)"', html).group(1)
    assert len(intents(shop)) == 1
    guess = make_client(emulator_server, "sk_test_" + shown[len("pk_test_"):])
    assert guess.v1.accounts.retrieve_current().id != shop.client.v1.accounts \
        .retrieve_current().id
    assert guess.v1.payment_intents.list().data == []
    assert guess.v1.charges.list().data == []


def test_the_page_has_the_guides_form(shop):
    html = shop.http.get("/checkout/lst_002").get_data(as_text=True)
    for piece in ('id="cardholder-name"', 'id="card-element"', 'id="card-errors" role="alert"',
                  'id="submit" type="submit"', 'id="spinner"', 'data-ui="card"'):
        assert piece in html


def test_one_night_by_default(shop):
    pi = page_intent(shop, shop.http.get("/checkout/lst_002").get_data(as_text=True))
    assert (pi.amount, pi.application_fee_amount) == (8900, 1095)


def test_amounts_sent_by_the_browser_are_ignored(shop):
    resp = shop.http.get("/checkout/lst_001?nights=2&amount=1&application_fee_amount=0")
    pi = page_intent(shop, resp.get_data(as_text=True))
    assert (pi.amount, pi.application_fee_amount) == (29000, 3567)


@pytest.mark.parametrize("nights", ["0", "-1", "abc", "31", "2.5", "", "1e3", "9999"])
def test_bad_nights_are_refused(shop, nights):
    resp = shop.http.get(f"/checkout/lst_002?nights={nights}")
    assert resp.status_code == 400
    assert resp.get_json() == {"error": "nights must be a whole number from 1 to 30."}
    assert intents(shop) == []


def test_unknown_listing_is_404(shop):
    resp = shop.http.get("/checkout/lst_999")
    assert resp.status_code == 404
    assert resp.get_json() == {"error": "There is no listing 'lst_999'."}


def test_unknown_ui_is_400(shop):
    resp = shop.http.get("/checkout/lst_002?ui=bitcoin")
    assert resp.status_code == 400
    assert "ui must be one of" in resp.get_json()["error"]


def test_homeowner_without_an_account_is_403(shop):
    resp = shop.http.get("/checkout/lst_006")  # ho_003: never connected
    assert resp.status_code == 403
    assert "has not connected a Stripe account" in resp.get_json()["error"]
    assert intents(shop) == []


def test_homeowner_still_onboarding_is_403(shop):
    resp = shop.http.get("/checkout/lst_004?nights=2")  # ho_002: connected, not onboarded
    assert resp.status_code == 403
    assert "not finished onboarding" in resp.get_json()["error"]
    assert intents(shop) == []


def test_other_stripe_errors_are_a_502_with_a_message(shop):
    with shop.db.transaction() as conn:
        conn.execute("UPDATE homeowners SET stripe_account_id = 'acct_gone' WHERE id = 'ho_005'")
    resp = shop.http.get("/checkout/lst_011?nights=3")
    assert resp.status_code == 502
    assert resp.get_json()["error"].startswith("Payment could not be set up: No such destination")


@pytest.mark.parametrize(("ui", "container"), [("payment", 'id="payment-element"'),
                                                ("split", 'id="card-number"')])
def test_other_element_variants(shop, ui, container):
    html = shop.http.get(f"/checkout/lst_002?ui={ui}").get_data(as_text=True)
    assert container in html and 'id="card-element"' not in html
    assert f'data-ui="{ui}"' in html
    assert page_intent(shop, html).amount == 8900


def test_client_secret_is_only_in_the_data_attribute(shop, caplog):
    caplog.set_level(logging.DEBUG)
    html = shop.http.get("/checkout/lst_002?ui=payment").get_data(as_text=True)
    pi_id, tail = SECRET.search(html).groups()
    secret = f"{pi_id}_secret_{tail}"

    assert html.count(secret) == 1
    for attribute in re.findall(r'(?:href|src|data-return-url|data-success-url)="([^"]*)"', html):
        assert "_secret_" not in attribute
    assert secret not in caplog.text
    assert f"{pi_id}_secret_[redacted]" in caplog.text  # the SDK logged it, masked


def test_a_pending_booking_is_recorded(shop):
    pi = page_intent(shop, shop.http.get("/checkout/lst_003?nights=4").get_data(as_text=True))
    booking = shop.db.one("SELECT * FROM bookings WHERE payment_intent = ?", (pi.id,))
    assert {k: booking[k] for k in ("listing_id", "nights", "amount", "application_fee",
                                    "currency", "status", "paid_at")} == {
        "listing_id": "lst_003", "nights": 4, "amount": 104000, "application_fee": 12792,
        "currency": "usd", "status": "pending", "paid_at": None}


def test_success_page_fulfils_nothing_and_repeats_no_secret(shop):
    pi = page_intent(shop, shop.http.get("/checkout/lst_002").get_data(as_text=True))
    resp = shop.http.get(f"/checkout/success?payment_intent={pi.id}"
                         f"&payment_intent_client_secret={pi.client_secret}"
                         "&redirect_status=succeeded")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Payment processing" in html and pi.id in html
    assert "_secret_" not in html
    assert "payment_intent.succeeded" in html  # it says who confirms the booking
    booking = shop.db.one("SELECT status FROM bookings WHERE payment_intent = ?", (pi.id,))
    assert booking == {"status": "pending"}
    assert shop.client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"


def test_success_page_echoes_only_a_payment_intent_id(shop):
    html = shop.http.get('/checkout/success?payment_intent=<script>alert(1)</script>')\
        .get_data(as_text=True)
    assert "<script>alert" not in html and "Reference" not in html
