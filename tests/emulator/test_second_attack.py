"""What a second attacker's pass found after the first round of fixes, pinned.

Each test is that attacker's reproduction: a publishable key reading the whole
PaymentIntent in an error, a spent PaymentMethod charged again, a hosted form's date of
birth overflowing, unbounded OAuth sessions opened without a key, thousands of ``expand[]``
paths holding the store, a crashed clock advance run twice on retry, keys that slip past
log masking, a deleted account's data surviving a reset, a sibling account read through
``expand``, and a clock pushed past year 9999.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from werkzeug.test import Client

from harness.emulator import Emulator
from harness.emulator.resources import oauth
from harness.lab.logsafe import redact

KEY = "sk_test_second_attacker_victim"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class World:
    def __init__(self) -> None:
        self.emulator = Emulator()
        self.client = Client(self.emulator)
        keys = self.call("GET", "/_emulator/keys")
        self.pk = keys["publishable_key"]

    def call(self, method: str, path: str, data: dict | str | None = None, key: str = KEY,
             headers: dict | None = None, status: int = 200) -> Any:
        body = urlencode(data, doseq=True) if isinstance(data, dict) else data
        if method == "GET" and body:
            path, body = f"{path}?{body}", None
        response = self.client.open(path, method=method, data=body, headers={
            "Authorization": f"Bearer {key}", **FORM, **(headers or {})})
        assert response.status_code == status, (path, response.get_data(as_text=True)[:400])
        text = response.get_data(as_text=True)
        return json.loads(text) if response.mimetype == "application/json" else text

    def account(self) -> str:
        account = self.call("POST", "/v1/accounts", {
            "type": "express", "capabilities[transfers][requested]": "true",
            "capabilities[card_payments][requested]": "true"})
        self.call("POST", f"/_emulator/accounts/{account['id']}/complete_onboarding")
        return account["id"]


@pytest.fixture
def world() -> World:
    return World()


def test_a_publishable_key_sees_only_the_public_payment_intent_in_errors(world) -> None:
    customer = world.call("POST", "/v1/customers", {"email": "c@example.com"})
    pi = world.call("POST", "/v1/payment_intents", {
        "amount": "1000", "currency": "usd", "customer": customer["id"],
        "metadata[internal]": "topsecret"})
    declined = world.call("POST", f"/v1/payment_intents/{pi['id']}/confirm", {
        "client_secret": pi["client_secret"], "payment_method": "pm_card_chargeDeclined"},
        key=world.pk, status=402)
    shown = declined["error"]["payment_intent"]
    assert shown["id"] == pi["id"] and shown["status"] == "requires_payment_method"
    assert not {"metadata", "customer", "transfer_data", "application_fee_amount"} & set(shown)
    world.call("POST", f"/v1/payment_intents/{pi['id']}/confirm", {
        "client_secret": pi["client_secret"], "payment_method": "pm_card_visa"}, key=world.pk)
    again = world.call("POST", f"/v1/payment_intents/{pi['id']}/confirm", {
        "client_secret": pi["client_secret"], "payment_method": "pm_card_visa"},
        key=world.pk, status=400)
    assert "metadata" not in again["error"]["payment_intent"]


def test_a_spent_payment_method_without_a_customer_cannot_pay_again(world) -> None:
    first = world.call("POST", "/v1/payment_intents", {"amount": "1000", "currency": "usd"})
    paid = world.call("POST", f"/v1/payment_intents/{first['id']}/confirm", {
        "client_secret": first["client_secret"], "payment_method_data[type]": "card",
        "payment_method_data[card][number]": "4242424242424242",
        "payment_method_data[card][exp_month]": "12",
        "payment_method_data[card][exp_year]": "2034",
        "payment_method_data[card][cvc]": "123"}, key=world.pk)
    assert paid["status"] == "succeeded"
    spent = paid["payment_method"]
    second = world.call("POST", "/v1/payment_intents", {"amount": "99999", "currency": "usd"})
    for key, extra in ((world.pk, {"client_secret": second["client_secret"]}), (KEY, {})):
        error = world.call("POST", f"/v1/payment_intents/{second['id']}/confirm",
                           {**extra, "payment_method": spent}, key=key, status=400)["error"]
        assert error["param"] == "payment_method" and "may not be used again" in \
            error["message"]
    assert world.call("GET", f"/v1/payment_intents/{second['id']}")["amount_received"] == 0


def _oauth_form(world: World) -> tuple[str, str]:
    platform = world.call("GET", "/v1/account")["id"]
    oauth.set_redirect_uris(world.emulator, platform, ["https://platform.example/oauth"])
    client_id = oauth.client_id_of(world.emulator.store, platform)
    page = world.client.get(f"/express/oauth/authorize?client_id={client_id}&state=s1")
    assert page.status_code == 200
    session = re.search(r'name="session" value="([^"]+)"', page.get_data(as_text=True))
    assert session
    return client_id, session[1]


@pytest.mark.parametrize("field, value", [("dob_year", "9" * 20), ("dob_month", "9" * 20),
                                          ("dob_year", "١٩٩٠")])
def test_a_date_of_birth_stripe_would_not_read_is_a_form_error(world, field, value) -> None:
    _, session = _oauth_form(world)
    form = {"session": session, "email": "maya@example.com", "phone": "5555550100",
            "first_name": "Maya", "last_name": "Lee", "line1": "1 Main St", "city": "Austin",
            "state": "TX", "postal_code": "78701", "dob_day": "1", "dob_month": "1",
            "dob_year": "1990", field: value}
    response = world.client.post("/express/oauth/authorize", data=form)
    assert response.status_code < 500
    assert "Enter a valid date of birth." in response.get_data(as_text=True)


def test_keyless_oauth_pages_keep_bounded_state(world) -> None:
    client_id, _ = _oauth_form(world)
    huge = world.client.get(f"/express/oauth/authorize?client_id={client_id}&state="
                            + "s" * 60_000)
    assert huge.status_code == 400
    for _ in range(1_030):
        assert world.client.get(
            f"/express/oauth/authorize?client_id={client_id}&state=x").status_code == 200
    count = world.emulator.store.execute(
        "SELECT COUNT(*) FROM records WHERE kind='oauth_session'").fetchone()[0]
    assert count <= 1_000


def test_expand_paths_are_bounded_and_deduplicated(world) -> None:
    many = [("expand[]", "data.customer")] * 60
    assert world.call("GET", "/v1/charges", urlencode(many + [("limit", "100")]))["object"] \
        == "list"  # sixty copies of one path are one path
    distinct = [("expand[]", f"data.p{i}") for i in range(51)]
    error = world.call("GET", "/v1/charges", urlencode(distinct), status=400)["error"]
    assert error["param"] == "expand" and "at most 50" in error["message"]


def test_an_idempotent_clock_advance_resumed_after_a_crash_stops_at_its_target(world) -> None:
    start = world.call("GET", "/_emulator/clock")["now"]
    # The first attempt got as far as recording its target, then "crashed" after a day.
    platform = world.call("GET", "/v1/account")["id"]
    world.emulator.store.put_record("clock_advance", f"{platform}|adv-1", {
        "platform": platform, "created": start, "target": start + 10 * 86400})
    world.call("POST", "/_emulator/clock/advance", {"seconds": str(86400)})
    after = world.call("POST", "/_emulator/clock/advance", {"seconds": str(10 * 86400)},
                       headers={"Idempotency-Key": "adv-1"})
    assert after["now"] == start + 10 * 86400  # not 11 days


def test_the_clock_stops_before_python_dates_do(world) -> None:
    platform = world.call("GET", "/v1/account")["id"]
    clock = world.emulator.clock
    last = 253402300799  # 9999-12-31T23:59:59Z
    world.emulator.store.execute("UPDATE platforms SET clock_offset=? WHERE platform=?",
                                 (clock.offset(platform) + last - 1000 - clock.now(platform),
                                  platform))
    clock.forget()
    refused = world.call("POST", "/_emulator/clock/advance", {"seconds": "2000"},
                         status=400)["error"]
    assert refused["param"] == "seconds"
    world.call("GET", "/v1/payment_methods/pm_card_visa")  # still answers, no 500


@pytest.mark.parametrize("key", ["sk_test_ñandu-secret",
                                 "sk_test_abc(def)ghijklmnop", "sk_test_with space key"])
def test_keys_that_could_hide_from_masking_are_refused(world, key) -> None:
    error = world.call("GET", "/v1/balance", key=key, status=401)["error"]
    assert key not in error["message"]


@pytest.mark.parametrize("line", [
    "post_data=client_secret=sk_test_-team-secret-0123456789&grant_type=x",
    "key sk_test_%C3%B1andu-secret-abcdef in a form",
    "Bearer rk_test_my-team.key failed"])
def test_log_masking_takes_the_whole_key_whatever_it_starts_with(line) -> None:
    clean = redact(line)
    for secret in ("team-secret-01234", "andu-secret-ab", "my-team"):
        assert secret not in clean


def test_reset_and_delete_leave_nothing_of_a_deleted_account(world) -> None:
    keep, doomed = world.account(), world.account()
    acting = {"Stripe-Account": doomed}
    customer = world.call("POST", "/v1/customers", {"email": "secret-person@victim.example"},
                          headers=acting)
    world.call("POST", "/v1/payment_intents", {
        "amount": "1000", "currency": "usd", "payment_method": "pm_card_visa",
        "confirm": "true", "customer": customer["id"],
        "return_url": "https://example.com/r"}, headers=acting)
    world.call("DELETE", f"/v1/accounts/{doomed}")
    store = world.emulator.store
    assert store.execute("SELECT COUNT(*) FROM objects WHERE ns=?", (doomed,)).fetchone()[0] \
        == 0
    assert store.execute("SELECT COUNT(*) FROM ledger WHERE ns=?", (doomed,)).fetchone()[0] \
        == 0
    platform = world.call("GET", "/v1/account")
    own = {f"account_details:{platform['id']}"} | {
        f"bank_number:{b['id']}" for b in (platform.get("external_accounts") or {}).get(
            "data", [])}  # the platform keeps its own account through a reset
    world.call("POST", "/_emulator/reset")
    leftovers = [r[0] for r in store.execute("SELECT name FROM meta") if r[0] not in own
                 and r[0].startswith(("bank_number:", "account_details:", "pm_card:"))]
    assert leftovers == [], leftovers
    assert world.call("GET", "/v1/customers")["data"] == []
    assert keep  # made and wiped with the rest


def test_a_connected_scope_cannot_expand_a_sibling_account(world) -> None:
    mine, sibling = world.account(), world.account()
    response = world.client.post("/v1/payment_intents", data={
        "amount": "1000", "currency": "usd", "on_behalf_of": sibling}, headers={
        "Authorization": f"Bearer {KEY}", "Stripe-Account": mine})
    if response.status_code == 200:
        pi = json.loads(response.get_data(as_text=True))
        seen = world.client.get(f"/v1/payment_intents/{pi['id']}?expand[]=on_behalf_of",
                                headers={"Authorization": f"Bearer {KEY}",
                                         "Stripe-Account": mine})
        assert seen.status_code in (200, 400)
        assert '"object": "account"' not in seen.get_data(as_text=True)
    else:
        assert 400 <= response.status_code < 500
    world.call("GET", f"/v1/accounts/{sibling}", headers={"Stripe-Account": mine},
               status=403)
