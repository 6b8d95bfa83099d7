"""harness.widgets: the models' logic and the plain-text form of every widget.

The fee calculator is pure. The onboarding, checkout and event-log models run against the
platform app and a seeded emulator of their own (``harness.start``), as in a notebook.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import stripe

from harness import widgets
from harness.checkout_driver import CheckoutResult, start_marketplace_platform
from harness.emulator.settings import Settings
from harness.lab import Lab
from harness.platform.db import Database
from harness.platform.webhooks import handle
from harness.platform_server import PlatformHandle

from ..conftest import seeded_lab

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"



@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with seeded_lab() as lab:
        yield lab


@pytest.fixture(scope="module")
def platform(lab: Lab) -> Iterator[PlatformHandle]:
    handle_ = start_marketplace_platform(lab, connect=("ho_001",))
    yield handle_
    handle_.stop()


def no_redirect_get(url: str) -> tuple[int, str]:
    class Stop(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    try:
        with urllib.request.build_opener(Stop).open(url, timeout=30) as response:
            return response.status, response.headers.get("Location", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", "")


# -- fee calculator --------------------------------------------------------------------------------
def test_fee_model_gives_the_guides_numbers() -> None:
    b = widgets.FeeModel().breakdown()
    assert (b.amount, b.stripe_fee, b.application_fee) == (1000, 59, 123)
    assert (b.platform_net, b.homeowner_net) == (64, 877)
    assert b.stripe_fee + b.platform_net + b.homeowner_net == b.amount


def test_fee_model_follows_the_sliders_and_the_emulators_settings() -> None:
    model = widgets.FeeModel()
    seen: list[int] = []
    model.on_change(lambda m: seen.append(m.amount))
    b = model.set(amount=37500)
    assert (b.application_fee, b.stripe_fee) == (4613, 1118)  # 12.3 % and 2.9 % + 30, half up
    b = model.set(fee_percent=10)
    assert (b.application_fee, b.platform_net, b.homeowner_net) == (3750, 2632, 33750)
    assert seen == [37500, 37500]
    cheap = widgets.FeeModel(amount=1000, settings=Settings(fee_percent=1.5, fee_fixed=0))
    assert cheap.breakdown().stripe_fee == 15
    assert widgets.FeeModel(amount=100).breakdown().platform_net == 12 - 33  # a loss
    with pytest.raises(ValueError):
        model.set(amount=-1)
    with pytest.raises(ValueError):
        model.set(fee_percent=101)


def test_fee_model_for_a_lab_uses_its_emulators_fees(lab: Lab) -> None:
    model = widgets.FeeModel.for_lab(lab, amount=1000)
    assert model.settings is lab.emulator.settings
    assert model.breakdown().stripe_fee == 59


def test_fee_calculator_text_and_widget() -> None:
    calc = widgets.FeeCalculator()
    text = calc.text()
    assert text == repr(calc) == str(calc) == calc.model.text()
    assert text.splitlines() == [
        "Fee calculator: Stripe 2.9 % + 30 cents, platform 12.3 %, rounded half up",
        "  renter pays                   1000       $10.00",
        "  Stripe's fee                    59        $0.59",
        "  platform fee (12.3 %)          123        $1.23",
        "  platform net                    64        $0.64",
        "  homeowner net                  877        $8.77",
    ]
    bundle = calc._repr_mimebundle_()
    assert bundle["text/plain"] == text
    assert WIDGET_VIEW in bundle
    amount, percent, table = calc.widget.children
    amount.value = 2000  # what dragging the slider does
    assert calc.model.amount == 2000
    for cells in ("2000 ¢  $20.00", "88 ¢  $0.88", "246 ¢  $2.46", "158 ¢  $1.58",
                  "1754 ¢  $17.54"):
        assert cells in table.value
    percent.value = 0.0
    assert calc.model.breakdown().platform_net == -88
    assert "platform loses money" in calc.text()
    calc.close()


# -- event log ------------------------------------------------------------------------------------
def event(event_id: str, event_type: str, obj: dict, account: str | None = None):
    return stripe.Event.construct_from(
        {"id": event_id, "object": "event", "type": event_type, "account": account,
         "data": {"object": obj}}, "sk_test_x")


def test_event_log_shows_what_the_handler_decided() -> None:
    db = Database(":memory:")
    with db.transaction() as conn:
        conn.execute("INSERT INTO listings (id, homeowner_id, title, city, nightly_price)"
                     " VALUES ('lst_001', 'ho_001', 'Bungalow', 'Portland', 14500)")
        conn.execute("INSERT INTO bookings (listing_id, nights, amount, application_fee,"
                     " currency, payment_intent) VALUES ('lst_001', 2, 29000, 3567, 'usd',"
                     " 'pi_1')")
    model = widgets.EventLogModel(SimpleNamespace(db=db))
    assert model.poll() == []
    assert model.text() == "Webhook events handled: 0\n  (none yet)"
    handle(db, event("evt_1", "payment_intent.succeeded",
                     {"id": "pi_1", "object": "payment_intent", "amount_received": 29000}))
    handle(db, event("evt_2", "payout.paid", {"id": "po_9", "object": "payout"}, "acct_9"))
    seen: list[int] = []
    model.on_change(lambda m: seen.append(len(m.rows)))
    new = model.poll()
    assert [r["event"] for r in new] == ["evt_1", "evt_2"]
    assert new[0] == {"event": "evt_1", "type": "payment_intent.succeeded",
                      "account": "platform", "object": "pi_1",
                      "decision": "fulfilled booking 1: renter and homeowner connected"}
    assert new[1]["account"] == "acct_9"
    assert model.poll() == [] and seen == [2]
    assert model.text().splitlines() == [
        "Webhook events handled: 2",
        "  type                      account   object  decision",
        "  payment_intent.succeeded  platform  pi_1    fulfilled booking 1: renter and homeowner"
        " connected",
        "  payout.paid               acct_9    po_9    ignored: payout.paid needs no action",
    ]
    assert model.text(limit=1).splitlines()[0] == "Webhook events handled: 2 (the last 1 shown)"
    view = widgets.EventLog(model, limit=5)
    assert repr(view) == model.text(5)
    assert "payout.paid" in view.widget.children[1].value
    handle(db, event("evt_3", "charge.refunded", {"id": "ch_1", "payment_intent": "pi_1",
                                                  "refunded": True}))
    model.watch(interval=0.05)
    deadline = time.monotonic() + 5
    while len(model.rows) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    view.close()  # stops the polling
    assert model.rows[-1]["decision"] == "booking 1 refunded in full"
    assert "charge.refunded" in view.text()


# -- checkout -------------------------------------------------------------------------------------
def test_checkout_model_prices_with_the_platforms_rule(platform: PlatformHandle) -> None:
    model = widgets.CheckoutModel(platform, nights=2)
    assert [row["id"] for row in model.listings()] == ["lst_001", "lst_002", "lst_003"]
    assert model.listing_id == "lst_001"
    assert model.quote() == (29000, 3567)
    assert model.url == platform.url + "/checkout/lst_001?nights=2"
    model.set("lst_003", 3, "pm_card_chargeDeclined")
    assert model.quote() == (78000, 9594)
    assert model.card == "4000000000000002" and model.test_card.token == "pm_card_chargeDeclined"
    with pytest.raises(ValueError, match="cannot be booked"):
        model.set("lst_004")  # Daniel has not connected an account
    with pytest.raises(ValueError, match="nights"):
        model.set(nights=0)
    with pytest.raises(ValueError, match="test_cards"):
        model.set(card="4111111111111111")
    assert model.text().splitlines() == [
        "Checkout",
        "  listing: lst_003 Family house by Laurelhurst Park (Portland), $260.00 a night,"
        " homeowner Maya Chen",
        "  nights:  3: amount $780.00, platform fee $95.94 (12.3 %)",
        "  card:    4000 0000 0000 0002 (pm_card_chargeDeclined): Declined with a generic decline",
        f"  page:    {platform.url}/checkout/lst_003?nights=3",
    ]


def test_checkout_page_of_the_launcher_renders_and_a_payment_is_reported(
        platform: PlatformHandle) -> None:
    model = widgets.CheckoutModel(platform, "lst_002", nights=1)
    with urllib.request.urlopen(model.url, timeout=30) as response:
        page = response.read().decode()
    assert "Garden studio with bike storage" in page and 'data-secret="pi_' in page

    class Driver:  # stands in for CheckoutDriver: what a headless browser would report
        def pay(self, listing: str, card, *, nights: int) -> CheckoutResult:
            assert (listing, card.number, nights) == ("lst_002", "4242424242424242", 1)
            return CheckoutResult(listing, nights, "card", card.last4, None, "success",
                                  "Payment processing", "pi_123")

    launcher = widgets.CheckoutLauncher(model, driver=Driver())
    assert launcher.text() == model.text() and "paid:" not in launcher.text()
    _, nights = launcher.widget.children[0].children
    _, open_page, pay = launcher.widget.children[1].children
    frame = launcher.widget.children[4]
    open_page.click()
    assert f"src='{model.url}'" in frame.value
    pay.click()
    assert launcher.text().splitlines()[-1] == "  paid:    success: Payment processing (pi_123)"
    assert "pi_123" in launcher.widget.children[3].value
    nights.value = 4
    assert model.nights == 4 and model.quote() == (35600, 4379)
    assert launcher._repr_mimebundle_()["text/plain"] == launcher.text()
    launcher.close()


# -- onboarding -----------------------------------------------------------------------------------
def test_onboarding_model_follows_an_account_link_until_enabled(
        lab: Lab, platform: PlatformHandle) -> None:
    model = widgets.OnboardingModel(lab, platform, "ho_002")
    assert model.url == platform.url + "/onboard?homeowner=ho_002"
    assert model.refresh().status == "not connected"
    button = widgets.OnboardingButton(model)
    assert button.text().splitlines() == [
        "Onboarding ho_002 (Daniel Okafor) via Account Link: not connected",
        f"  start here: {platform.url}/onboard?homeowner=ho_002",
    ]
    statuses: list[str] = []
    model.on_change(lambda m: statuses.append(m.state.status))
    # the homeowner, signed in, clicks the button: the platform makes an account and a link
    assert no_redirect_get(model.url)[0] == 401  # nobody signed in: refused
    answer = platform.browser.get(model.url, as_homeowner="ho_002")
    status, location = answer.status, answer.location or ""
    assert status == 303 and location.startswith(lab.api_base)
    state = model.refresh()
    assert state.status == "connected, onboarding not finished"
    assert state.account and state.account.startswith("acct_")
    # they finish Stripe's form; watching notices within a poll or two
    model.watch(interval=0.05)
    lab.complete_onboarding(state.account)
    deadline = time.monotonic() + 10
    while not model.enabled and time.monotonic() < deadline:
        time.sleep(0.02)
    model.stop()
    assert model.enabled
    assert statuses == ["connected, onboarding not finished", "enabled"]
    assert button.text().splitlines()[0].endswith("via Account Link: enabled")
    assert button.text().splitlines()[2] == (
        f"  account {state.account}: details_submitted=True charges_enabled=True "
        "payouts_enabled=True")
    assert "enabled" in button.widget.children[0].children[1].value
    assert button._repr_mimebundle_()["text/plain"] == button.text()
    button.close()


def test_onboarding_model_oauth_starts_at_the_signup_page(
        lab: Lab, platform: PlatformHandle) -> None:
    model = widgets.OnboardingModel(lab, platform, "ho_001", flow="oauth")
    assert model.url == platform.url + "/?homeowner=ho_001"
    assert model.refresh().status == "enabled"  # connected when the platform started
    assert "via Express OAuth: enabled" in model.text()
    with pytest.raises(ValueError, match="flow"):
        widgets.OnboardingModel(lab, platform, "ho_001", flow="email")
    with pytest.raises(KeyError):
        widgets.OnboardingModel(lab, platform, "ho_999").text()


def test_sample_cards_come_from_data() -> None:
    cards = widgets.sample_cards()
    assert cards[0].token == "pm_card_visa" and cards[0].spaced == "4242 4242 4242 4242"
    assert len({c.number for c in cards}) == len(cards)
