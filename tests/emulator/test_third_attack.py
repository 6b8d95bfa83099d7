"""What a third attacker's pass found in the routes that landed after the second round,
pinned: identity numbers, a client secret in a path and 1 MB bodies kept whole in the
request log; an OAuth access token granted ``read_only`` that could still write; a connected
account naming a sibling as merchant of record; forged search page tokens; idempotency keys
and API versions Stripe would refuse; payouts from accounts whose payouts are off; and a
closed v2 account brought back by v1 paths. (Refresh tokens in logs: tests/lab.)

Each test is the attacker's reproduction, driven from outside (HTTP and the SDK).
"""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
import stripe
from werkzeug.test import Client

from harness.emulator import Emulator
from harness.lab.server import BackgroundServer

from ..conftest import make_client
from .resources.test_oauth import Platform, _token_raw, connect, platform  # noqa: F401
from .support import raw, wsgi_client

SSN = "123456789"


def test_the_request_log_keeps_no_identity_number(emulator_server: BackgroundServer,
                                                  api_key: str) -> None:
    """The log masks card data; a person's or company's tax ID (``id_number``,
    ``ssn_last_4``, ``tax_id``) and Accounts v2 ``id_numbers`` values are as secret."""
    client = make_client(emulator_server, api_key)
    account = client.v1.accounts.create({"type": "custom", "country": "US",
                                         "business_type": "company",
                                         "capabilities": {"transfers": {"requested": True}}})
    client.v1.accounts.persons.create(account.id, {
        "first_name": "Ana", "id_number": SSN, "ssn_last_4": "6789",
        "relationship": {"representative": True}})
    client.v1.accounts.update(account.id, {"company": {"tax_id": "000000001"}})
    individual = client.v1.accounts.create({
        "type": "custom", "country": "US", "business_type": "individual",
        "individual": {"id_number": "987654321"},
        "capabilities": {"transfers": {"requested": True}}})
    assert individual.id
    v2 = raw(emulator_server, "POST", "/v2/core/accounts", key=api_key,
             headers={"Content-Type": "application/json"}, body=json.dumps({
                 "contact_email": "v2@example.com", "identity": {
                     "country": "us", "entity_type": "individual", "individual": {
                         "id_numbers": [{"type": "us_ssn_last_4", "value": "4321"}]}}}))
    assert v2.status < 500, v2.body
    log = raw(emulator_server, "GET", "/_emulator/requests", key=api_key)
    text = json.dumps(log.body)
    for secret in (SSN, "6789", "000000001", "987654321", "4321"):
        assert secret not in text, secret
    person = next(e for e in log.body["data"] if e["path"].endswith("/persons"))
    assert person["params"]["id_number"] == "***" and person["params"]["first_name"] == "Ana"


def test_a_read_only_oauth_token_cannot_write(platform: Platform) -> None:  # noqa: F811
    """``scope=read_only`` grants "read-only access to the connected account"
    (https://docs.stripe.com/connect/oauth-reference): its access token may read, and every
    write is refused with a 403 before it runs. The docs do not give the error's wording."""
    granted = _token_raw(platform, {"grant_type": "authorization_code", "code": connect(
        platform, express=False, scope="read_only").query["code"]}).json
    assert granted["scope"] == "read_only"
    reader = make_client(platform.server, granted["access_token"])
    assert reader.v1.accounts.retrieve_current().id == granted["stripe_user_id"]
    assert reader.v1.customers.list().data == []
    with pytest.raises(stripe.PermissionError) as refused:
        reader.v1.customers.create({"email": "intruder@example.com"})
    assert refused.value.http_status == 403
    assert platform.client.v1.customers.list(
        options={"stripe_account": granted["stripe_user_id"]}).data == []
    # a read_write grant of the same account, refreshed down to read_only, is read-only too
    writer = _token_raw(platform, {"grant_type": "authorization_code", "code": connect(
        platform, express=False, scope="read_write").query["code"]}).json
    lesser = platform.client.oauth.token({"grant_type": "refresh_token", "scope": "read_only",
                                          "refresh_token": writer["refresh_token"]})
    with pytest.raises(stripe.PermissionError):
        make_client(platform.server, lesser.access_token).v1.customers.create({})
    made = make_client(platform.server, writer["access_token"]).v1.customers.create({})
    assert made.id.startswith("cus_")


def _onboarded(client: stripe.StripeClient) -> str:
    account = client.v1.accounts.create({"type": "express", "capabilities": {
        "card_payments": {"requested": True}, "transfers": {"requested": True}}})
    client.raw_request("post", f"/_emulator/accounts/{account.id}/complete_onboarding")
    return account.id


def test_a_connected_account_cannot_name_a_sibling_as_merchant_of_record() -> None:
    """Acting as one connected account (Stripe-Account, or its OAuth token), the only account
    there is is itself: ``on_behalf_of`` naming a sibling would make the sibling the settlement
    merchant of a charge it never agreed to, and print the sibling's statement descriptor
    (read from the sibling's settings) on it."""
    client = wsgi_client(Emulator(), "sk_test_third_attack_obo")
    mine, sibling = _onboarded(client), _onboarded(client)
    client.v1.accounts.update(sibling, {"settings": {"payments": {
        "statement_descriptor": "SIBLING SECRET"}}})
    as_mine = {"stripe_account": mine}
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.create({
            "amount": 1000, "currency": "usd", "on_behalf_of": sibling,
            "payment_method": "pm_card_visa", "confirm": True,
            "return_url": "https://example.com/r"}, options=as_mine)
    assert refused.value.param == "on_behalf_of" and refused.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.setup_intents.create({"on_behalf_of": sibling}, options=as_mine)
    assert refused.value.param == "on_behalf_of"
    assert client.v1.payment_intents.list(options=as_mine).data == []
    # naming itself is no one else: still allowed
    own = client.v1.payment_intents.create({"amount": 1000, "currency": "usd",
                                            "on_behalf_of": mine}, options=as_mine)
    assert own.on_behalf_of == mine


def _forged_page(offset: int, query: str) -> str:
    """A search ``page`` token as the emulator writes one (an offset and the query's hash),
    for an offset no search ever handed out."""
    digest = hashlib.sha256(query.encode()).hexdigest()[:8]
    return base64.urlsafe_b64encode(f"{offset}:{digest}".encode()).decode().rstrip("=")


@pytest.mark.parametrize("offset", [-5, -100])
def test_a_search_page_token_no_search_handed_out_is_refused(offset: int) -> None:
    """``page`` must be the ``next_page`` of an earlier search
    (https://docs.stripe.com/search#pagination): a negative offset never is one, and read
    from the end of the results it pointed back into them."""
    client = wsgi_client(Emulator(), "sk_test_third_attack_search")
    for i in range(3):
        client.v1.products.create({"name": f"Villa {i}"})
    query = 'name~"Villa"'
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.products.search({"query": query, "page": _forged_page(offset, query)})
    assert refused.value.param == "page" and refused.value.http_status == 400
    first = client.v1.products.search({"query": query, "limit": 2})
    assert first.next_page and len(client.v1.products.search({
        "query": query, "limit": 2, "page": first.next_page}).data) == 1


def test_the_request_log_keeps_no_client_secret_from_a_path(
        emulator_server: BackgroundServer, api_key: str) -> None:
    """A browser that puts the client secret where the ID goes (``GET /v1/payment_intents/
    pi_…_secret_…``) is answered 404, and its path must not carry the secret into the log."""
    client = make_client(emulator_server, api_key)
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    pk = raw(emulator_server, "GET", "/_emulator/keys", key=api_key).body["publishable_key"]
    missing = raw(emulator_server, "GET", f"/v1/payment_intents/{pi.client_secret}", key=pk)
    assert missing.status == 404
    log = raw(emulator_server, "GET", "/_emulator/requests", key=api_key).body["data"]
    assert pi.client_secret not in json.dumps(log)
    assert log[-1]["path"] == f"/v1/payment_intents/{pi.id}_secret_***"


def test_the_request_log_holds_a_bounded_entry_per_request() -> None:
    """The log keeps a platform's last 1000 requests in memory; a 1 MB body must not be kept
    whole in each (a GB per platform), while a value as long as any parameter takes is."""
    emulator = Emulator()
    client = wsgi_client(emulator, "sk_test_third_attack_log_size")
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.create({"description": "x" * 1_000_000})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.create({"metadata": {f"k{i}": "y" * 500 for i in range(400)}})
    kept = client.v1.customers.create({"description": "d" * 5000})
    platform_id = client.v1.accounts.retrieve_current().id
    entries = emulator.requests.entries(platform_id)
    huge, many, whole = (e for e in entries if e["path"] == "/v1/customers")
    assert huge["status"] == many["status"] == 400 and whole["status"] == 200
    assert len(json.dumps(huge)) < 6000 and huge["params"]["description"].startswith("xxx")
    assert len(json.dumps(many)) < 70_000
    assert whole["params"]["description"] == kept.description


@pytest.mark.parametrize("version", ["２０２４-06-20", "١٩٩٠-01-01", "2024-０6-20"])
def test_a_version_written_in_other_digits_is_refused(version: str) -> None:
    """A webhook endpoint's ``api_version`` (a form value, read as UTF-8) and the
    ``Stripe-Version`` header are dates in ASCII digits; others are no version Stripe has."""
    emulator = Emulator()
    client = wsgi_client(emulator, "sk_test_third_attack_versions")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.webhook_endpoints.create({"url": "https://example.com/hook",
                                            "enabled_events": ["*"], "api_version": version})
    assert refused.value.param == "api_version"
    assert client.v1.webhook_endpoints.list().data == []
    answer = Client(emulator).get("/v1/customers", headers={
        "Authorization": "Bearer sk_test_third_attack_versions", "Stripe-Version": version})
    assert answer.status_code == 400
    assert json.loads(answer.get_data(as_text=True))["error"]["param"] == "Stripe-Version"


def test_an_idempotency_key_longer_than_stripe_takes_is_refused_and_kept_nowhere() -> None:
    """"Idempotency keys are up to 255 characters long"
    (https://docs.stripe.com/api/idempotent_requests): a 100 000-character key was kept in
    the idempotency table and the request log, once per request, on v1 and v2 alike."""
    emulator = Emulator()
    client = wsgi_client(emulator, "sk_test_third_attack_idem")
    huge = "k" * 100_000
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.customers.create({"email": "a@example.com"},
                                   options={"idempotency_key": huge})
    assert refused.value.param == "Idempotency-Key" and huge not in str(refused.value)
    with pytest.raises(stripe.InvalidRequestError):
        client.v2.core.accounts.create({"display_name": "Host"},
                                       options={"idempotency_key": "v" * 256})
    assert client.v1.customers.list().data == []
    assert list(client.v2.core.accounts.list().data) == []
    longest = "z" * 255
    first = client.v1.customers.create({"email": "b@example.com"},
                                       options={"idempotency_key": longest})
    again = client.v1.customers.create({"email": "b@example.com"},
                                       options={"idempotency_key": longest})
    assert first.id == again.id
    stored = emulator.store.execute("SELECT MAX(LENGTH(key)) FROM idempotency").fetchone()[0]
    assert stored == 255


def test_an_account_whose_payouts_are_off_pays_nothing_out() -> None:
    """A closed Accounts v2 account ("Closed Accounts can no longer be operated on",
    https://docs.stripe.com/api/v2/core/accounts/close) has ``payouts_enabled`` false, yet a
    manual payout took its balance to the bank; so did any account with requirements due."""
    client = wsgi_client(Emulator(), "sk_test_third_attack_payouts")
    account = client.v2.core.accounts.create({
        "contact_email": "host@example.com", "identity": {"country": "us"},
        "configuration": {"recipient": {"capabilities": {"stripe_balance": {
            "stripe_transfers": {"requested": True}}}}}})
    client.raw_request("post", f"/_emulator/accounts/{account.id}/complete_onboarding")
    client.v1.payment_intents.create({
        "amount": 1000, "currency": "usd", "payment_method": "pm_card_bypassPending",
        "confirm": True, "transfer_data": {"destination": account.id},
        "return_url": "https://example.com/r"})
    as_host = {"stripe_account": account.id}
    client.v2.core.accounts.close(account.id, {"applied_configurations": ["recipient"]})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payouts.create({"amount": 100, "currency": "usd"}, options=as_host)
    assert refused.value.code == "payouts_not_allowed"
    assert client.v1.payouts.list(options=as_host).data == []
    assert client.v1.balance.retrieve(options=as_host).available[0].amount == 1000
    unverified = client.v1.accounts.create({
        "type": "custom", "country": "US", "external_account": "btok_us_verified",
        "capabilities": {"transfers": {"requested": True}}})
    assert not unverified.payouts_enabled
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payouts.create({"amount": 1, "currency": "usd"},
                                 options={"stripe_account": unverified.id})
    assert refused.value.code == "payouts_not_allowed"


def test_a_closed_v2_account_stays_closed_whatever_v1_path_touches_it() -> None:
    """"Closed Accounts can no longer be operated on"
    (https://docs.stripe.com/api/v2/core/accounts/close): the onboarding control and a v1
    update turned a closed account's capabilities back on, so it took destination charges
    and paid out again while v2 still said ``closed``."""
    client = wsgi_client(Emulator(), "sk_test_third_attack_closed")
    account = client.v2.core.accounts.create({
        "contact_email": "host@example.com", "identity": {"country": "us"},
        "configuration": {"recipient": {"capabilities": {"stripe_balance": {
            "stripe_transfers": {"requested": True}}}}}})
    client.raw_request("post", f"/_emulator/accounts/{account.id}/complete_onboarding")
    client.v2.core.accounts.close(account.id, {})
    client.raw_request("post", f"/_emulator/accounts/{account.id}/complete_onboarding")
    client.v1.accounts.update(account.id, {"capabilities": {"transfers": {"requested": True}}})
    v1 = client.v1.accounts.retrieve(account.id)
    assert v1.capabilities.transfers == "inactive"
    assert (v1.charges_enabled, v1.payouts_enabled) == (False, False)
    assert client.v2.core.accounts.retrieve(account.id).closed is True
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.create({
            "amount": 1000, "currency": "usd", "payment_method": "pm_card_visa",
            "confirm": True, "transfer_data": {"destination": account.id},
            "return_url": "https://example.com/r"})
    assert refused.value.param == "transfer_data[destination]"
