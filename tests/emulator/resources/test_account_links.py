"""Account Links, hosted onboarding, login links and the Express Dashboard on the emulator."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import stripe

from harness.emulator.hosted.rendering import money
from harness.lab.server import BackgroundServer

from ...conftest import make_client
from ..support import Problems, check_body, control, onboarded_account
from .test_oauth import FORM, Answer, fetch, session_of

REFRESH = "http://127.0.0.1:9/onboard/refresh"
RETURN = "http://127.0.0.1:9/onboard/return"


def express(client: stripe.StripeClient) -> str:
    return client.v1.accounts.create({
        "type": "express", "country": "US", "email": "daniel.okafor@example.com",
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
    }).id


def link(client: stripe.StripeClient, account: str, **extra: Any) -> Any:
    return client.v1.account_links.create({"account": account, "type": "account_onboarding",
                                           "refresh_url": REFRESH, "return_url": RETURN,
                                           **extra})


def submit(page: Answer, url: str, action: str = "submit", **changes: str) -> Answer:
    path = re.sub(r"^https?://[^/]+", "", url)
    base = url[: len(url) - len(path)]
    return fetch(base + path, {**FORM, **changes, "session": session_of(page),
                               "action": action})


# -- creating links 
def test_create_returns_a_short_lived_link_on_the_emulator(
    emulator_server: BackgroundServer, client: stripe.StripeClient
) -> None:
    account = express(client)
    created = link(client, account)
    assert created.object == "account_link"
    assert created.expires_at - created.created == 300
    assert re.fullmatch(re.escape(emulator_server.url) + rf"/setup/c/{account}/[A-Za-z0-9]{{24}}",
                        created.url)
    problems = Problems()
    check_body(json.loads(str(created)), problems)
    assert problems.items == set()


def test_create_validates_its_parameters(client: stripe.StripeClient, api_key: str,
                                         emulator_server: BackgroundServer) -> None:
    account = express(client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        link(client, account, return_url="javascript:alert(1)")
    assert (caught.value.code, caught.value.param) == ("url_invalid", "return_url")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.account_links.create({"account": account, "type": "account_update",
                                        "refresh_url": REFRESH, "return_url": RETURN})
    assert caught.value.param == "type"  # Express accounts have a Stripe-hosted Dashboard
    with pytest.raises(stripe.InvalidRequestError) as caught:
        link(client, account, type="account_onboardingx")
    assert caught.value.param == "type"
    with pytest.raises(stripe.PermissionError):
        link(client, "acct_nobodyhere")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        link(client, client.v1.accounts.retrieve_current().id)
    assert caught.value.param == "account"
    with pytest.raises(stripe.PermissionError):
        client.v1.account_links.create(
            {"account": account, "type": "account_onboarding", "refresh_url": REFRESH,
             "return_url": RETURN}, {"stripe_account": account})
    other = make_client(emulator_server, api_key + "other")
    with pytest.raises(stripe.PermissionError):
        link(other, account)


def test_account_update_links_work_for_custom_accounts(client: stripe.StripeClient) -> None:
    custom = client.v1.accounts.create({"type": "custom", "country": "US", "capabilities": {
        "transfers": {"requested": True}}})
    created = client.v1.account_links.create({"account": custom.id, "type": "account_update",
                                              "refresh_url": REFRESH, "return_url": RETURN})
    assert created.object == "account_link" and f"/setup/c/{custom.id}/" in created.url
    assert fetch(created.url).status == 200


def test_refresh_url_and_return_url_are_optional(client: stripe.StripeClient) -> None:
    """stripe-python 16 declares both NotRequired (AccountLinkCreateParams). The docs do not
    say where Stripe's page sends the browser without them; the emulator's page says it in
    words instead of redirecting."""
    account = express(client)
    bare = client.v1.account_links.create({"account": account, "type": "account_onboarding"})
    assert bare.object == "account_link" and f"/setup/c/{account}/" in bare.url
    page = fetch(bare.url)
    assert page.status == 200
    done = submit(page, bare.url)
    assert (done.status, done.location) == (200, None) and "You can close this page" in done.text
    assert client.v1.accounts.retrieve(account).charges_enabled is True
    again = fetch(bare.url)  # used: no refresh_url to go to
    assert (again.status, again.location) == (410, None)
    assert "This link has expired" in again.text
    only_return = client.v1.account_links.create(
        {"account": account, "type": "account_onboarding", "return_url": RETURN})
    left = submit(fetch(only_return.url), only_return.url, action="leave")
    assert (left.status, left.location) == (303, RETURN)


# -- the hosted onboarding page -------------------------------------------------------------------
def test_completing_the_form_turns_everything_on(client: stripe.StripeClient) -> None:
    account = express(client)
    before = client.v1.accounts.retrieve(account)
    assert before.requirements.currently_due and not before.charges_enabled
    url = link(client, account).url
    page = fetch(url)
    assert page.status == 200 and "daniel.okafor@example.com" in page.text
    assert f">{len(before.requirements.currently_due)}<" in page.text  # items still needed
    answer = submit(page, url)
    assert (answer.status, answer.location) == (303, RETURN)
    after = client.v1.accounts.retrieve(account)
    assert after.requirements.currently_due == [] and after.requirements.disabled_reason is None
    assert after.capabilities.to_dict() == {"card_payments": "active", "transfers": "active"}
    assert after.charges_enabled and after.payouts_enabled and after.details_submitted
    assert after.external_accounts.data[0].last4 == "6789"
    events = client.v1.events.list({"type": "account.updated"}, {"stripe_account": account})
    assert events.data and events.data[0].data.object.charges_enabled is True


def test_leaving_early_returns_without_onboarding(client: stripe.StripeClient) -> None:
    account = express(client)
    url = link(client, account).url
    answer = submit(fetch(url), url, action="leave")
    assert (answer.status, answer.location) == (303, RETURN)
    assert client.v1.accounts.retrieve(account).details_submitted is False


def test_invalid_details_keep_the_form_open(client: stripe.StripeClient) -> None:
    account = express(client)
    url = link(client, account).url
    page = fetch(url)
    answer = submit(page, url, routing_number="12", email="not-an-email")
    assert answer.status == 200 and answer.location is None
    assert "9-digit routing number" in answer.text and "valid email" in answer.text
    assert client.v1.accounts.retrieve(account).details_submitted is False
    fixed = submit(answer, url)  # the same session, corrected
    assert fixed.location == RETURN
    assert client.v1.accounts.retrieve(account).charges_enabled is True


def test_a_link_is_single_use(client: stripe.StripeClient) -> None:
    account = express(client)
    url = link(client, account).url
    first = fetch(url)
    assert first.status == 200
    again = fetch(url)
    assert (again.status, again.location) == (302, REFRESH)
    submit(first, url)  # the opened form still works once
    replay = submit(first, url)
    assert (replay.status, replay.location) == (303, REFRESH)


def test_an_expired_link_goes_to_refresh_url(client: stripe.StripeClient, api_key: str,
                                             emulator_server: BackgroundServer) -> None:
    account = express(client)
    created = link(client, account)
    control(emulator_server, api_key, "/_emulator/clock/advance", seconds=300)
    answer = fetch(created.url)
    assert (answer.status, answer.location) == (302, REFRESH)
    fresh = link(client, account)
    assert fetch(fresh.url).status == 200


def test_unknown_links_are_not_found(emulator_server: BackgroundServer,
                                     client: stripe.StripeClient) -> None:
    account = express(client)
    url = link(client, account).url
    assert fetch(url.rsplit("/", 1)[0] + "/nope").status == 404
    assert fetch(url.replace(account, "acct_someoneelse")).status == 404


# -- login links and the Express Dashboard ---------------------------------------------------------
def test_login_link_needs_a_finished_express_account(client: stripe.StripeClient,
                                                     emulator_server: BackgroundServer,
                                                     api_key: str) -> None:
    fresh = express(client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.accounts.login_links.create(fresh)
    assert caught.value.user_message == ("Cannot create a login link for an account that has "
                                         "not completed onboarding.")
    custom = client.v1.accounts.create({"type": "custom", "country": "US"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.accounts.login_links.create(custom.id)
    assert "Express Dashboard" in caught.value.user_message
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.accounts.login_links.create(client.v1.accounts.retrieve_current().id)
    with pytest.raises(stripe.PermissionError):
        client.v1.accounts.login_links.create("acct_nobodyhere")


def test_dashboard_shows_balance_and_payments_from_the_ledger(
    client: stripe.StripeClient, emulator_server: BackgroundServer, api_key: str
) -> None:
    account = onboarded_account(emulator_server, client, api_key)
    client.v1.payment_intents.create({
        "amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        "application_fee_amount": 123, "transfer_data": {"destination": account},
        "return_url": "https://example.com/bookings/complete"})
    login = client.v1.accounts.login_links.create(account)
    assert login.object == "login_link" and f"/express/{account}/" in login.url
    problems = Problems()
    check_body(json.loads(str(login)), problems)
    assert problems.items == set()

    page = fetch(login.url)
    assert page.status == 200
    balance = client.v1.balance.retrieve(options={"stripe_account": account})
    assert money(balance.pending[0].amount, "usd") in page.text
    payment = client.v1.charges.list(options={"stripe_account": account}).data[0]
    txn = client.v1.balance_transactions.retrieve(payment.balance_transaction,
                                                  options={"stripe_account": account})
    row = re.search(rf"<code>{payment.id}</code>.*?</tr>", page.text, re.S)
    assert row is not None
    cells = re.findall(r'class="num">([^<]*)<', row.group(0))
    assert cells == [money(txn.amount, "usd"), money(txn.fee, "usd"), money(txn.net, "usd")]
    assert "No payouts yet." in page.text
    again = fetch(login.url)  # login links are single-use
    assert again.status == 410


def test_dashboard_of_an_unknown_link(emulator_server: BackgroundServer) -> None:
    assert fetch(emulator_server.url + "/express/acct_x/nothing").status == 404
