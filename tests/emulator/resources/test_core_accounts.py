"""Accounts v2 and Account Links v2 on the emulator, through stripe-python's ``client.v2``:
configurations and capability statuses, requirements cleared by the same hosted onboarding
as v1, the same account used by v1 APIs, and money moved exactly as for a v1 Express account.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import stripe

from harness.emulator import Emulator, Settings
from harness.lab.server import BackgroundServer

from ...conftest import make_client
from ..support import control, fresh_secret_key, raw
from .test_oauth import FORM, fetch, session_of

REFRESH = "https://example.com/onboard/refresh"
RETURN = "https://example.com/onboard/return"
ALL = ["configuration.customer", "configuration.merchant", "configuration.recipient",
       "defaults", "future_requirements", "identity", "requirements"]
RECIPIENT = {"recipient": {"capabilities": {"stripe_balance": {
    "stripe_transfers": {"requested": True}}}}}
MERCHANT = {"merchant": {"capabilities": {"card_payments": {"requested": True}}}}
CUSTOMER = {"customer": {"capabilities": {"automatic_indirect_tax": {"requested": True}}}}


def maya(client: stripe.StripeClient, configuration: dict | None = None, **extra: Any) -> Any:
    return client.v2.core.accounts.create({
        "display_name": "Maya Chen", "contact_email": "maya.chen@example.com",
        "dashboard": "express",
        "identity": {"country": "us", "entity_type": "individual"},
        "configuration": configuration or RECIPIENT,
        "defaults": {"currency": "usd", "responsibilities": {
            "fees_collector": "application", "losses_collector": "application"}},
        **extra})


def onboard(client: stripe.StripeClient, account: str, return_url: str | None = RETURN) -> str:
    """Create a v2 Account Link and complete the hosted onboarding form it opens."""
    flow: dict[str, Any] = {"refresh_url": REFRESH}
    if return_url:
        flow["return_url"] = return_url
    link = client.v2.core.account_links.create({"account": account, "use_case": {
        "type": "account_onboarding", "account_onboarding": flow}})
    page = fetch(link.url)
    assert page.status == 200, page.text[:300]
    done = fetch(link.url, {**FORM, "session": session_of(page), "action": "submit"})
    return done.location or done.text


def recipient_status(account: Any) -> str:
    return account.configuration.recipient.capabilities.stripe_balance.stripe_transfers.status


# -- create, include, retrieve ------
def test_create_returns_only_what_include_names(client: stripe.StripeClient) -> None:
    account = maya(client)
    assert account.id.startswith("acct_") and account.object == "v2.core.account"
    assert account.applied_configurations == ["recipient"]
    assert account.dashboard == "express" and account.closed is False
    for section in ("configuration", "defaults", "identity", "requirements",
                    "future_requirements"):
        assert getattr(account, section) is None, section
    full = client.v2.core.accounts.retrieve(account.id, {"include": ALL})
    assert full.configuration.merchant is None and full.configuration.customer is None
    assert recipient_status(full) == "restricted"
    details = full.configuration.recipient.capabilities.stripe_balance.stripe_transfers
    assert [(d.code, d.resolution) for d in details.status_details] == [
        ("requirements_past_due", "provide_info")]
    assert full.identity.country == "US" and full.identity.entity_type == "individual"
    assert full.defaults.currency == "usd"
    assert full.defaults.responsibilities.fees_collector == "application"
    due = {e.description for e in full.requirements.entries}
    assert {"identity.individual.given_name", "defaults.payout_methods"} <= due
    entry = full.requirements.entries[0]
    assert entry.impact.restricts_capabilities[0].capability == \
        "stripe_balance.stripe_transfers"
    only = client.v2.core.accounts.retrieve(account.id, {"include": ["identity"]})
    assert only.identity is not None and only.configuration is None \
        and only.requirements is None


def test_the_v2_account_is_the_v1_account(client: stripe.StripeClient) -> None:
    account = maya(client, metadata={"listing": "loft"})
    seen = client.v1.accounts.retrieve(account.id)
    assert seen.email == "maya.chen@example.com" and seen.type == "express"
    assert seen.controller.stripe_dashboard.type == "express"
    assert seen.capabilities.to_dict() == {"transfers": "inactive"}
    assert seen.metadata.to_dict() == {"listing": "loft"}
    assert seen.settings.dashboard.display_name == "Maya Chen"
    assert account.id in [a.id for a in client.v1.accounts.list().data]


# -- onboarding with a v2 Account Link ------
def test_onboarding_clears_requirements_and_activates_the_capability(
        client: stripe.StripeClient, emulator_server: BackgroundServer) -> None:
    account = maya(client)
    link = client.v2.core.account_links.create({"account": account.id, "use_case": {
        "type": "account_onboarding",
        "account_onboarding": {"refresh_url": REFRESH, "return_url": RETURN,
                               "collection_options": {"fields": "currently_due"}}}})
    assert link.object == "v2.core.account_link" and link.account == account.id
    assert link.use_case.type == "account_onboarding" and link.use_case.account_update is None
    assert link.use_case.account_onboarding.return_url == RETURN
    assert link.use_case.account_onboarding.collection_options.fields == "currently_due"
    assert re.fullmatch(re.escape(emulator_server.url) + rf"/setup/c/{account.id}/\w{{24}}",
                        link.url)
    assert link.expires_at > link.created  # ISO strings of the same format sort by time
    page = fetch(link.url)
    assert page.status == 200
    done = fetch(link.url, {**FORM, "session": session_of(page), "action": "submit"})
    assert done.location == RETURN
    after = client.v2.core.accounts.retrieve(account.id, {"include": ALL})
    assert recipient_status(after) == "active"
    assert after.configuration.recipient.capabilities.stripe_balance.stripe_transfers \
        .status_details == []
    assert after.requirements.entries == [] and after.requirements.summary is None
    assert after.identity.individual.given_name == "Maya"
    assert after.identity.individual.surname == "Chen"
    assert after.identity.attestations.terms_of_service.account.date.endswith("Z")
    v1 = client.v1.accounts.retrieve(account.id)
    assert v1.capabilities.to_dict() == {"transfers": "active"}  # nothing not asked for
    assert v1.details_submitted is True and v1.payouts_enabled is True
    again = fetch(link.url)  # single use: a second visit goes to refresh_url
    assert again.status == 302 and again.location == REFRESH


def test_a_link_without_return_url_ends_on_a_page_of_its_own(
        client: stripe.StripeClient) -> None:
    account = maya(client)
    ending = onboard(client, account.id, return_url=None)
    assert "all set" in ending
    assert recipient_status(client.v2.core.accounts.retrieve(
        account.id, {"include": ["configuration.recipient"]})) == "active"


def test_account_link_rules(client: stripe.StripeClient, api_key: str,
                            emulator_server: BackgroundServer) -> None:
    account = maya(client)
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v2.core.account_links.create({"account": account.id,
                                             "use_case": {"type": "account_onboarding"}})
    assert missing.value.param == "use_case[account_onboarding]"  # type: ignore[attr-defined]
    with pytest.raises(stripe.InvalidRequestError) as bad_url:
        client.v2.core.account_links.create({"account": account.id, "use_case": {
            "type": "account_update",
            "account_update": {"refresh_url": "javascript:alert(1)"}}})
    assert bad_url.value.code == "url_invalid"
    answer = raw(emulator_server, "POST", "/v2/core/account_links", key=api_key,
                 headers={"Content-Type": "application/json"}, body=json.dumps({
                     "account": account.id, "use_case": {
                         "type": "account_onboarding", "account_onboarding": {
                             "refresh_url": REFRESH, "configurations": ["merchant"]}}}))
    assert answer.status == 400
    assert answer.error["param"] == "use_case[account_onboarding][configurations]"
    v1_only = client.v1.accounts.create({"type": "express"})
    with pytest.raises(stripe.InvalidRequestError) as not_v2:
        client.v2.core.account_links.create({"account": v1_only.id, "use_case": {
            "type": "account_onboarding", "account_onboarding": {"refresh_url": REFRESH}}})
    assert not_v2.value.http_status == 404


# -- the same account in v1 APIs ------
def _txns(client: stripe.StripeClient, account: str | None = None) -> list[tuple]:
    options = {"stripe_account": account} if account else {}
    listed = client.v1.balance_transactions.list({"limit": 100}, options)  # type: ignore
    return sorted((t.type, t.amount, t.fee, t.net, t.currency) for t in listed.data)


def _destination_charge(client: stripe.StripeClient, destination: str) -> Any:
    return client.v1.payment_intents.create({
        "amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        "application_fee_amount": 123, "transfer_data": {"destination": destination},
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}})


def test_a_destination_charge_moves_money_exactly_as_to_a_v1_express_account(
        emulator_server: BackgroundServer) -> None:
    """Two fresh platforms side by side: one pays a v1 Express account, the other a v2
    recipient account, both onboarded by hosted onboarding. Same ledgers to the cent."""
    v1_client = make_client(emulator_server, fresh_secret_key())
    express = v1_client.v1.accounts.create({
        "type": "express", "country": "US", "email": "maya.chen@example.com",
        "capabilities": {"card_payments": {"requested": True},
                         "transfers": {"requested": True}}})
    link = v1_client.v1.account_links.create({
        "account": express.id, "type": "account_onboarding", "refresh_url": REFRESH,
        "return_url": RETURN})
    page = fetch(link.url)
    fetch(link.url, {**FORM, "session": session_of(page), "action": "submit"})

    v2_client = make_client(emulator_server, fresh_secret_key())
    recipient = maya(v2_client)
    onboard(v2_client, recipient.id)

    one = _destination_charge(v1_client, express.id)
    two = _destination_charge(v2_client, recipient.id)
    assert one.status == two.status == "succeeded"
    platform = [("application_fee", 123, 0, 123, "usd"), ("charge", 1000, 59, 941, "usd"),
                ("transfer", -1000, 0, -1000, "usd")]
    connected = [("payment", 1000, 123, 877, "usd")]  # the fee is taken from the payment
    assert _txns(v1_client) == _txns(v2_client) == sorted(platform)
    assert _txns(v1_client, express.id) == _txns(v2_client, recipient.id) == connected
    for c, account in ((v1_client, express.id), (v2_client, recipient.id)):
        balance = c.v1.balance.retrieve(options={"stripe_account": account})
        assert [(b.amount, b.currency) for b in balance.pending] == [(877, "usd")]
    platform_balance = v2_client.v1.balance.retrieve()
    assert [(b.amount, b.currency) for b in platform_balance.pending] == [(64, "usd")]
    # and back: a partial refund reversing the transfer and the fee, in proportion
    for c, pi in ((v1_client, one), (v2_client, two)):
        c.v1.refunds.create({"payment_intent": pi.id, "amount": 400,
                             "reverse_transfer": True, "refund_application_fee": True})
    assert _txns(v1_client) == _txns(v2_client)
    assert _txns(v1_client, express.id) == _txns(v2_client, recipient.id)
    assert ("refund", -400, 0, -400, "usd") in _txns(v2_client)
    assert sum(t[3] for t in _txns(v2_client)) == 64 - 400 + 400 - 49  # keeps 15 of its fee
    assert sum(t[3] for t in _txns(v2_client, recipient.id)) == 877 - 400 + 49


def test_a_recipient_before_onboarding_cannot_receive_a_transfer(
        client: stripe.StripeClient) -> None:
    account = maya(client)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        _destination_charge(client, account.id)
    assert caught.value.code == "insufficient_capabilities_for_transfer"


def test_payouts_and_login_links_work_on_a_v2_express_account(
        client: stripe.StripeClient) -> None:
    account = maya(client)
    onboard(client, account.id)
    client.v1.payment_intents.create({
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_bypassPending",
        "confirm": True, "transfer_data": {"destination": account.id},
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}})
    as_maya = {"stripe_account": account.id}
    balance = client.v1.balance.retrieve(options=as_maya)  # type: ignore[arg-type]
    assert [(b.amount, b.currency) for b in balance.available] == [(2000, "usd")]
    payout = client.v1.payouts.create({"amount": 1500, "currency": "usd"},
                                      as_maya)  # type: ignore[arg-type]
    assert payout.amount == 1500 and payout.destination.startswith("ba_")
    login = client.v1.accounts.login_links.create(account.id)
    assert login.url.startswith("http")
    full = maya(client, dashboard="full")
    onboard(client, full.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.accounts.login_links.create(full.id)


def test_on_behalf_of_needs_the_merchant_configuration(client: stripe.StripeClient) -> None:
    recipient = maya(client)
    onboard(client, recipient.id)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create({
            "amount": 1000, "currency": "usd", "on_behalf_of": recipient.id,
            "transfer_data": {"destination": recipient.id}})
    assert caught.value.param == "on_behalf_of"  # type: ignore[attr-defined]
    both = maya(client, {**RECIPIENT, **MERCHANT})
    onboard(client, both.id)
    pi = client.v1.payment_intents.create({
        "amount": 1000, "currency": "usd", "on_behalf_of": both.id,
        "transfer_data": {"destination": both.id}, "payment_method": "pm_card_visa",
        "confirm": True,
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}})
    assert pi.status == "succeeded" and pi.on_behalf_of == both.id
    shown = client.v2.core.accounts.retrieve(both.id, {"include": ["configuration.merchant"]})
    assert shown.configuration.merchant.capabilities.card_payments.status == "active"
    assert shown.applied_configurations == ["merchant", "recipient"]


def test_customer_account_on_a_payment_intent(client: stripe.StripeClient) -> None:
    payer = maya(client, CUSTOMER)
    assert client.v2.core.accounts.retrieve(payer.id, {"include": [
        "configuration.customer"]}).configuration.customer.capabilities \
        .automatic_indirect_tax.status == "active"
    pi = client.v1.payment_intents.create({"amount": 1500, "currency": "usd",
                                           "customer_account": payer.id})
    assert pi.customer_account == payer.id and pi.customer is None
    recipient = maya(client)
    for wrong in (recipient.id, "acct_nosuchaccount00"):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.payment_intents.create({"amount": 1500, "currency": "usd",
                                               "customer_account": wrong})
        assert caught.value.param == "customer_account"  # type: ignore[attr-defined]


# -- update, list, close ------
def test_update_writes_through_to_v1(client: stripe.StripeClient) -> None:
    account = maya(client)
    updated = client.v2.core.accounts.update(account.id, {
        "display_name": "Maya's Lofts", "metadata": {"a": "1"},
        "configuration": MERCHANT, "defaults": {"profile": {
            "business_url": "https://example.com/maya"}},
        "include": ["configuration.merchant", "defaults"]})
    assert updated.display_name == "Maya's Lofts"
    assert updated.applied_configurations == ["merchant", "recipient"]
    assert updated.configuration.merchant.capabilities.card_payments.status == "restricted"
    assert updated.defaults.profile.business_url == "https://example.com/maya"
    v1 = client.v1.accounts.retrieve(account.id)
    assert v1.capabilities.to_dict() == {"card_payments": "inactive", "transfers": "inactive"}
    assert v1.business_profile.url == "https://example.com/maya"
    cleared = client.v2.core.accounts.update(account.id, {"metadata": {"a": None},
                                                          "display_name": None})
    assert cleared.metadata.to_dict() == {} and cleared.display_name is None


def test_list_filters_and_close(client: stripe.StripeClient) -> None:
    recipient = maya(client)
    customer = maya(client, CUSTOMER)
    both = maya(client, {**RECIPIENT, **CUSTOMER})
    client.v1.accounts.create({"type": "express"})  # v1 only: not a v2 list entry
    listed = client.v2.core.accounts.list()
    assert [a.id for a in listed.data] == [both.id, customer.id, recipient.id]
    assert listed.next_page_url is None and listed.previous_page_url is None
    only = client.v2.core.accounts.list({"applied_configurations": ["customer", "recipient"]})
    assert [a.id for a in only.data] == [both.id]
    with pytest.raises(stripe.InvalidRequestError) as wrong:
        client.v2.core.accounts.close(customer.id, {"applied_configurations": ["recipient"]})
    assert wrong.value.param == "applied_configurations"  # type: ignore[attr-defined]
    closed = client.v2.core.accounts.close(customer.id,
                                           {"applied_configurations": ["customer"]})
    assert closed.closed is True and closed.applied_configurations == []
    assert customer.id not in [a.id for a in client.v2.core.accounts.list().data]
    assert [a.id for a in client.v2.core.accounts.list({"closed": True}).data] == [customer.id]
    with pytest.raises(stripe.InvalidRequestError):
        client.v2.core.accounts.update(customer.id, {"display_name": "again"})
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v2.core.accounts.list({"applied_configurations": ["nope"]})  # type: ignore
    assert unknown.value.http_status == 400


# -- walls ------
def test_another_platforms_v2_account_is_unknown(emulator_server: BackgroundServer,
                                                 client: stripe.StripeClient) -> None:
    theirs = maya(make_client(emulator_server, fresh_secret_key()))
    for call in (lambda: client.v2.core.accounts.retrieve(theirs.id),
                 lambda: client.v2.core.accounts.update(theirs.id, {"display_name": "x"}),
                 lambda: client.v2.core.accounts.close(theirs.id),
                 lambda: client.v2.core.account_links.create({
                     "account": theirs.id, "use_case": {
                         "type": "account_onboarding",
                         "account_onboarding": {"refresh_url": REFRESH}}})):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            call()
        assert caught.value.http_status == 404 and caught.value.code == "resource_missing"
    assert theirs.id not in [a.id for a in client.v2.core.accounts.list().data]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.create({"amount": 1000, "currency": "usd",
                                          "customer_account": theirs.id})


def test_a_connected_account_cannot_use_accounts_v2(client: stripe.StripeClient) -> None:
    account = maya(client)
    as_maya = {"stripe_account": account.id}
    with pytest.raises(stripe.PermissionError):
        client.v2.core.accounts.create({"display_name": "x"}, as_maya)  # type: ignore
    with pytest.raises(stripe.PermissionError):
        client.v2.core.accounts.list(options=as_maya)  # type: ignore[arg-type]


def test_unmodelled_capabilities_are_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v2.core.accounts.create({"configuration": {"recipient": {"capabilities": {
            "cards": {"requested": True}}}}})
    assert caught.value.http_status == 400
    assert "configuration[recipient][capabilities][cards]" in str(caught.value)


def test_reset_and_v1_delete_forget_the_v2_state(emulator_server: BackgroundServer,
                                                 client: stripe.StripeClient,
                                                 api_key: str) -> None:
    account = maya(client)
    client.v1.accounts.delete(account.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v2.core.accounts.retrieve(account.id)
    another = maya(client)
    control(emulator_server, api_key, "/_emulator/reset")
    assert client.v2.core.accounts.list().data == []
    with pytest.raises(stripe.InvalidRequestError):
        client.v2.core.accounts.retrieve(another.id)


# -- a new platform (issue 17, item 2) ------
def test_a_new_platform_creates_accounts_with_v2_only() -> None:
    emulator = Emulator(settings=Settings(new_platform=True))
    with BackgroundServer(emulator) as server:
        client = make_client(server, fresh_secret_key())
        with pytest.raises(stripe.InvalidRequestError) as caught:
            client.v1.accounts.create({"type": "express"})
        assert caught.value.http_status == 400
        assert "/v2/core/accounts" in str(caught.value)
        assert "accounts-v2/account-creation" in str(caught.value)
        account = maya(client)
        onboard(client, account.id)
        assert client.v1.accounts.retrieve(account.id).charges_enabled is False  # no merchant
        assert _destination_charge(client, account.id).status == "succeeded"


@pytest.mark.parametrize(("params", "param"), [
    ({"defaults": {"currency": "zzz"}}, "defaults[currency]"),
    ({"identity": {"attestations": {"terms_of_service": {"account": {
        "date": "yesterday", "ip": "127.0.0.1"}}}}},
     "identity[attestations][terms_of_service][account][date]"),
    ({"identity": {"attestations": {"terms_of_service": {"account": {
        "date": "9999-12-31T23:59:59-23:59", "ip": "127.0.0.1"}}}}},
     "identity[attestations][terms_of_service][account][date]"),
    ({"identity": {"individual": {"date_of_birth": {"day": 1, "month": 13, "year": 1990}}}},
     "identity[individual][date_of_birth][month]"),
    ({"defaults": {"responsibilities": {"fees_collector": "stripe"}}},
     "defaults[responsibilities][losses_collector]"),
])
def test_bad_values_name_their_parameter(client: stripe.StripeClient, params: dict,
                                         param: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v2.core.accounts.create(params)  # type: ignore[arg-type]
    assert caught.value.http_status == 400
    assert caught.value.param == param  # type: ignore[attr-defined]


def test_terms_accepted_through_the_api_reach_v1(client: stripe.StripeClient) -> None:
    account = maya(client, identity={"country": "us", "attestations": {"terms_of_service": {
        "account": {"date": "2026-01-02T03:04:05.000Z", "ip": "203.0.113.9"}}}})
    v1 = client.v1.accounts.retrieve(account.id)
    assert (v1.tos_acceptance.date, v1.tos_acceptance.ip) == (1767323045, "203.0.113.9")
    shown = client.v2.core.accounts.retrieve(account.id, {"include": ["identity"]})
    assert shown.identity.attestations.terms_of_service.account.date == \
        "2026-01-02T03:04:05.000Z"


def test_changing_the_dashboard_changes_what_v1_sees(client: stripe.StripeClient) -> None:
    account = maya(client)
    client.v2.core.accounts.update(account.id, {"dashboard": "none"})
    v1 = client.v1.accounts.retrieve(account.id)
    assert (v1.type, v1.controller.stripe_dashboard.type) == ("custom", "none")


def test_a_customer_only_account_has_no_requirements(client: stripe.StripeClient) -> None:
    payer = maya(client, CUSTOMER)
    shown = client.v2.core.accounts.retrieve(payer.id, {"include": ["requirements"]})
    assert shown.requirements.entries == [] and shown.requirements.summary is None


def test_a_configuration_can_be_deactivated_and_reapplied(client: stripe.StripeClient) -> None:
    account = maya(client)
    onboard(client, account.id)
    off = client.v2.core.accounts.update(account.id, {
        "configuration": {"recipient": {"applied": False}},
        "include": ["configuration.recipient"]})
    assert off.applied_configurations == [] and off.configuration.recipient.applied is False
    assert client.v1.accounts.retrieve(account.id).capabilities.to_dict() == {}
    with pytest.raises(stripe.InvalidRequestError):
        _destination_charge(client, account.id)
    on = client.v2.core.accounts.update(account.id, {
        "configuration": {"recipient": {"applied": True}},
        "include": ["configuration.recipient"]})
    assert on.applied_configurations == ["recipient"] and recipient_status(on) == "active"
    assert _destination_charge(client, account.id).status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError) as create_only:
        client.v2.core.accounts.create({"configuration": {"recipient": {
            "applied": True}}})  # type: ignore[typeddict-unknown-key]
    assert create_only.value.param == "configuration[recipient][applied]"  # type: ignore
