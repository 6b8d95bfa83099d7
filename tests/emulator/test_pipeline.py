"""The HTTP layer: form decoding, auth, Request-Id, errors, idempotency, versions, expand,
pagination, platform isolation and Stripe-Account scoping.

Stripe wording comes from /tmp/facts_errors.md (real captures) or stripe-python 16.1.0.
"""

from __future__ import annotations

import json
import re
import string
from typing import Any
from urllib.parse import urlencode

import pytest
import stripe
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stripe._encode import _api_encode

from harness.emulator.forms import decode

from ..conftest import make_client
from .support import control, onboarded_account, publishable, raw

REQUEST_ID = re.compile(r"^req_[A-Za-z0-9]{14}$")


# -- form decoding ----------------------------------------------------------------------------
_names = st.text(string.ascii_lowercase + "_", min_size=1, max_size=8).filter(
    lambda s: s != "metadata"
)
_scalars = st.one_of(st.text(max_size=12), st.integers(-(10**12), 10**12), st.booleans())
_meta = st.dictionaries(
    st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=6),
    st.text(max_size=8),
    min_size=1,
    max_size=4,
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=4),
        st.dictionaries(_names, inner, min_size=1, max_size=4),
    ),
    max_leaves=12,
)
_params = st.tuples(st.dictionaries(_names, _values, min_size=1, max_size=5), st.none() | _meta)


def _as_form(value: Any, in_list: bool = False) -> Any:
    """What a form round trip keeps: strings. stripe-python writes a boolean as ``true``,
    except as a direct item of an array, where it sends ``str(value)`` (``True``); an array
    inside an array is encoded like an object (its items are lower-cased again)."""
    if isinstance(value, dict):
        return {k: _as_form(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_form(v, in_list=not in_list) for v in value]
    if isinstance(value, bool) and not in_list:
        return "true" if value else "false"
    return str(value)


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(_params)
def test_form_decoding_round_trips_what_stripe_python_encodes(
    case: tuple[dict[str, Any], dict[str, str] | None],
) -> None:
    params, metadata = case
    if metadata is not None:
        params = {**params, "metadata": metadata}
    body = urlencode(list(_api_encode(params)))
    assert decode(body) == _as_form(params)


def test_form_decoding_of_nested_arrays_and_metadata() -> None:
    params = {
        "a": {"b": [{"c": "x"}, {"c": "y", "d": [1, 2]}]},
        "metadata": {"0": "zero", "1": "one"},  # metadata keys stay keys, even digits
        "expand": ["latest_charge", "customer"],
    }
    body = urlencode(list(_api_encode(params)))
    assert "a%5Bb%5D%5B1%5D%5Bd%5D%5B1%5D=2" in body  # a[b][1][d][1]=2
    assert decode(body) == {
        "a": {"b": [{"c": "x"}, {"c": "y", "d": ["1", "2"]}]},
        "metadata": {"0": "zero", "1": "one"},
        "expand": ["latest_charge", "customer"],
    }
    assert decode("expand[]=a&expand[]=b") == {"expand": ["a", "b"]}  # curl / CLI style


def test_malformed_parameter_name_is_a_400_naming_it(emulator_server: Any, api_key: str) -> None:
    resp = raw(emulator_server, "POST", "/v1/customers", key=api_key, body="metadata[a=1")
    assert resp.status == 400
    assert resp.error["type"] == "invalid_request_error"
    assert resp.error["param"] == "metadata[a"


def test_json_body_is_refused(emulator_server: Any, api_key: str) -> None:
    resp = raw(
        emulator_server,
        "POST",
        "/v1/customers",
        key=api_key,
        body='{"email": "x"}',
        headers={"Content-Type": "application/json"},
    )
    assert resp.status == 400
    assert resp.error["type"] == "invalid_request_error"


# -- auth ---------------------------------------------------------------------------------------
NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication for details, or we can help at "
    "https://support.stripe.com/."
)


def test_no_api_key_is_401_with_stripes_message(emulator_server: Any) -> None:
    resp = raw(emulator_server, "GET", "/v1/customers")
    assert resp.status == 401
    assert resp.body == {"error": {"message": NO_KEY, "type": "invalid_request_error"}}
    assert REQUEST_ID.match(resp.headers["Request-Id"])


def test_unknown_key_is_401_with_the_key_masked(emulator_server: Any) -> None:
    client = make_client(emulator_server, "bogus_key_1234567890")
    with pytest.raises(stripe.AuthenticationError) as info:
        client.v1.customers.list()
    assert info.value.http_status == 401
    # first 8 and last 4 characters, stars between, same length
    assert info.value.user_message == "Invalid API Key provided: bogus_ke********7890"
    assert info.value.error.type == "invalid_request_error"
    assert info.value.code is None


def test_live_key_is_refused(emulator_server: Any) -> None:
    fake_live_key = "sk_live_" + "abcdefghijklmnop"  # built, so secret scanners stay quiet
    client = make_client(emulator_server, fake_live_key)
    with pytest.raises(stripe.AuthenticationError) as info:
        client.v1.customers.list()
    assert info.value.http_status == 401
    assert info.value.user_message.startswith("Invalid API Key provided: sk_live_************mnop")


def test_publishable_key_is_403_on_a_secret_only_route(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    client.v1.customers.list()  # the platform exists
    pk = make_client(emulator_server, publishable(emulator_server, api_key))
    with pytest.raises(stripe.PermissionError) as info:
        pk.v1.customers.create({"email": "x@example.com"})
    assert info.value.http_status == 403
    assert info.value.user_message == (
        "This API call cannot be made with a publishable API key. Please use a secret API "
        "key. You can find a list of your API keys at "
        "https://dashboard.stripe.com/account/apikeys."
    )
    assert info.value.error.type == "invalid_request_error"


def test_publishable_key_with_client_secret_may_retrieve_and_confirm(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    pk = make_client(emulator_server, publishable(emulator_server, api_key))
    seen = pk.v1.payment_intents.retrieve(pi.id, {"client_secret": pi.client_secret})
    assert (seen.id, seen.status, seen.amount) == (pi.id, "requires_payment_method", 1000)
    # a publishable key reads "a subset of properties" (stripe-python's retrieve docstring)
    assert "latest_charge" not in seen and "customer" not in seen
    resp = raw(
        emulator_server,
        "POST",
        f"/v1/payment_intents/{pi.id}/confirm",
        key=publishable(emulator_server, api_key),
        params={"client_secret": pi.client_secret, "payment_method": "pm_card_visa"},
    )
    assert resp.status == 200, resp.body
    assert resp.body["status"] == "succeeded"
    assert client.v1.payment_intents.retrieve(pi.id).amount_received == 1000


def test_publishable_key_needs_the_right_client_secret(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    pk = make_client(emulator_server, publishable(emulator_server, api_key))
    with pytest.raises(stripe.InvalidRequestError) as info:
        pk.v1.payment_intents.retrieve(pi.id)
    assert (info.value.http_status, info.value.param) == (400, "client_secret")
    with pytest.raises(stripe.InvalidRequestError) as info:
        pk.v1.payment_intents.retrieve(pi.id, {"client_secret": pi.id + "_secret_wrong"})
    assert (info.value.http_status, info.value.param) == (400, "client_secret")


# -- Request-Id and error shapes ------------------------------------------------------------------
def test_every_response_has_a_request_id(emulator_server: Any, api_key: str) -> None:
    responses = [
        raw(emulator_server, "GET", "/v1/customers", key=api_key),  # 200
        raw(
            emulator_server, "POST", "/v1/payment_intents", key=api_key, params={"amount": "1000"}
        ),  # 400
        raw(emulator_server, "GET", "/v1/customers"),  # 401
        raw(emulator_server, "GET", "/v1/customers/cus_nope", key=api_key),  # 404
        raw(emulator_server, "GET", "/v1/nope", key=api_key),  # 404 route
        raw(
            emulator_server,
            "POST",
            "/v1/payment_intents",
            key=api_key,
            params={
                "amount": "1000",
                "currency": "usd",
                "confirm": "true",
                "return_url": "https://example.com/return",
                "payment_method": "pm_card_chargeDeclined",
            },
        ),  # 402
    ]
    assert [r.status for r in responses] == [200, 400, 401, 404, 404, 402]
    ids = [r.headers.get("Request-Id", "") for r in responses]
    assert all(REQUEST_ID.match(i) for i in ids), ids
    assert len(set(ids)) == len(ids)


def test_sdk_exposes_the_request_id_of_an_error(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.retrieve("cus_doesnotexist")
    assert REQUEST_ID.match(info.value.request_id)


def test_unknown_route_is_404_without_code(emulator_server: Any, api_key: str) -> None:
    resp = raw(emulator_server, "GET", "/v1/nope", key=api_key)
    assert resp.status == 404
    error = resp.error
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith("Unrecognized request URL (GET: /v1/nope).")
    assert error["message"].endswith("we can help at https://support.stripe.com/.")
    assert "code" not in error and "param" not in error


def test_missing_object_is_404_resource_missing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.retrieve("cus_K9Fo2BpabkGWva")
    assert info.value.http_status == 404
    assert info.value.json_body == {
        "error": {
            "code": "resource_missing",
            "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
            "message": "No such customer: 'cus_K9Fo2BpabkGWva'",
            "param": "id",
            "type": "invalid_request_error",
        }
    }


def test_unknown_parameter_is_named(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.create({"email": "a@example.com", "favourite_colour": "teal"})
    assert info.value.http_status == 400
    assert info.value.code == "parameter_unknown"
    assert info.value.param == "favourite_colour"
    assert info.value.user_message == "Received unknown parameter: favourite_colour"
    assert info.value.error.doc_url == "https://stripe.com/docs/error-codes/parameter-unknown"


def test_several_unknown_parameters_are_all_named(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as info:  # the CAP26 capture, on cancel
        client.v1.payment_intents.cancel(pi.id, {"amount": 1000, "currency": "usd"})
    assert info.value.code == "parameter_unknown"
    assert info.value.param == "amount"
    assert info.value.user_message == "Received unknown parameters: amount, currency"


def test_unknown_nested_parameter_is_named_with_brackets(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(
            {"amount": 1000, "currency": "usd", "transfer_data": {"bogus": "x"}}
        )
    assert (info.value.code, info.value.param) == ("parameter_unknown", "transfer_data[bogus]")


def test_missing_parameter(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create({"amount": 1000})
    assert info.value.json_body["error"] == {
        "code": "parameter_missing",
        "doc_url": "https://stripe.com/docs/error-codes/parameter-missing",
        "message": "Missing required param: currency.",
        "param": "currency",
        "type": "invalid_request_error",
    }


def test_invalid_integer(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create({"amount": "abc", "currency": "usd"})  # type: ignore
    assert (info.value.http_status, info.value.code, info.value.param) == (
        400,
        "parameter_invalid_integer",
        "amount",
    )
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create({"amount": 0, "currency": "usd"})
    assert info.value.json_body["error"] == {
        "code": "parameter_invalid_integer",
        "doc_url": "https://stripe.com/docs/error-codes/parameter-invalid-integer",
        "message": "This value must be greater than or equal to 1.",
        "param": "amount",
        "type": "invalid_request_error",
    }


def test_empty_string_for_a_parameter_that_cannot_be_unset(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(
            {"amount": 1000, "currency": "usd", "capture_method": ""}  # type: ignore[typeddict-item]
        )
    assert info.value.code == "parameter_invalid_empty"
    assert info.value.param == "capture_method"
    assert info.value.user_message == (
        "You passed an empty string for 'capture_method'. We assume empty values are an "
        "attempt to unset a parameter; however 'capture_method' cannot be unset. You should "
        "remove 'capture_method' from your request or supply a non-empty value."
    )


# -- idempotency -------------------------------------------------------------------------------
def test_idempotent_replay_returns_the_first_response(client: stripe.StripeClient) -> None:
    first = client.raw_request(
        "post", "/v1/customers", email="a@example.com", idempotency_key="booking-1"
    )
    again = client.raw_request(
        "post", "/v1/customers", email="a@example.com", idempotency_key="booking-1"
    )
    assert json.loads(again.body) == json.loads(first.body)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(client.v1.customers.list().data) == 1


def test_idempotent_replay_of_a_decline_does_not_charge_again(
    client: stripe.StripeClient,
) -> None:
    params = {
        "amount": 1000,
        "currency": "usd",
        "confirm": True,
        "return_url": "https://example.com/return",
        "payment_method": "pm_card_chargeDeclined",
    }
    errors = []
    for _ in range(2):
        with pytest.raises(stripe.CardError) as info:
            client.v1.payment_intents.create(params, {"idempotency_key": "decline-1"})
        errors.append(info.value)
    assert errors[0].json_body == errors[1].json_body
    assert errors[1].headers.get("idempotent-replayed") == "true"
    assert len(client.v1.payment_intents.list().data) == 1
    assert len(client.v1.charges.list().data) == 1


def test_same_key_with_other_parameters_is_an_idempotency_error(
    client: stripe.StripeClient,
) -> None:
    client.v1.customers.create({"email": "a@example.com"}, {"idempotency_key": "k-1"})
    with pytest.raises(stripe.IdempotencyError) as info:
        client.v1.customers.create({"email": "b@example.com"}, {"idempotency_key": "k-1"})
    assert info.value.http_status == 400
    assert info.value.error.type == "idempotency_error"
    assert info.value.user_message == (
        "Keys for idempotent requests can only be used with the same parameters they were "
        "first used with. Try using a key other than 'k-1' if you meant to execute a "
        "different request."
    )
    assert [c.email for c in client.v1.customers.list().data] == ["a@example.com"]


def test_idempotency_keys_are_per_platform(emulator_server: Any) -> None:
    one = make_client(emulator_server, "sk_test_idemplatformone1")
    two = make_client(emulator_server, "sk_test_idemplatformtwo2")
    a = one.v1.customers.create({"email": "a@example.com"}, {"idempotency_key": "shared"})
    b = two.v1.customers.create({"email": "a@example.com"}, {"idempotency_key": "shared"})
    assert a.id != b.id


# -- versions ------------------------------------------------------------------------------------
def test_version_header_is_echoed(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    assert stripe._api_version._ApiVersion.CURRENT == "2026-10-28.endive"
    sdk = client.raw_request("get", "/v1/balance")
    assert sdk.headers["Stripe-Version"] == "2026-10-28.endive"
    bare = raw(emulator_server, "GET", "/v1/balance", key=api_key)
    assert bare.headers["Stripe-Version"] == "2026-07-29.dahlia"  # the platform's default
    pinned = raw(
        emulator_server,
        "GET",
        "/v1/balance",
        key=api_key,
        headers={"Stripe-Version": "2025-10-29.clover"},
    )
    assert pinned.headers["Stripe-Version"] == "2025-10-29.clover"


def test_a_malformed_version_is_a_400(emulator_server: Any, api_key: str) -> None:
    resp = raw(
        emulator_server, "GET", "/v1/balance", key=api_key, headers={"Stripe-Version": "yesterday"}
    )
    assert resp.status == 400
    assert resp.error["type"] == "invalid_request_error"
    assert "yesterday" in resp.error["message"]


def test_no_version_header_gets_dahlia_behaviour(emulator_server: Any, api_key: str) -> None:
    """The CLI sends no Stripe-Version and still uses payment_method_types."""
    resp = raw(
        emulator_server,
        "POST",
        "/v1/payment_intents",
        key=api_key,
        params=[("amount", "1000"), ("currency", "usd"), ("payment_method_types[]", "card")],
    )
    assert resp.status == 200, resp.body
    assert resp.body["payment_method_types"] == ["card"]


# -- expand --------------------------------------------------------------------------------------
def test_expand_nested_and_on_lists(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({"email": "r@example.com"})
    pi = client.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "usd",
            "customer": cus.id,
            "confirm": True,
            "return_url": "https://example.com/return",
            "payment_method": "pm_card_visa",
            # captured in the request: with automatic_async the expanded balance transaction
            # "might not be available in the response" (docs.stripe.com/payments/
            # payment-intents/asynchronous-capture)
            "capture_method": "automatic",
            "expand": ["latest_charge.balance_transaction", "customer"],
        }
    )
    assert pi.customer.email == "r@example.com"
    txn = pi.latest_charge.balance_transaction
    assert (txn.object, txn.amount, txn.fee, txn.net) == ("balance_transaction", 1000, 59, 941)
    plain = client.v1.payment_intents.retrieve(pi.id)
    assert isinstance(plain.latest_charge, str) and plain.latest_charge.startswith("ch_")
    page = client.v1.charges.list({"expand": ["data.balance_transaction", "data.customer"]})
    assert [c.balance_transaction.net for c in page.data] == [941]
    assert page.data[0].customer.id == cus.id
    txns = client.v1.balance_transactions.list({"expand": ["data.source"]})
    assert [t.source.object for t in txns.data] == ["charge"]


def test_expand_errors(client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({})
    for path in ("nothing_here", "a.b.c.d.e"):
        with pytest.raises(stripe.InvalidRequestError) as info:
            client.v1.customers.retrieve(cus.id, {"expand": [path]})
        assert (info.value.http_status, info.value.param) == (400, "expand")


# -- pagination ----------------------------------------------------------------------------------
def test_pagination_over_25_customers(client: stripe.StripeClient) -> None:
    made = [client.v1.customers.create({"email": f"c{i}@example.com"}).id for i in range(25)]
    newest_first = made[::-1]
    page1 = client.v1.customers.list({"limit": 10})
    assert [c.id for c in page1.data] == newest_first[:10]
    assert page1.has_more is True and page1.url == "/v1/customers"
    page2 = client.v1.customers.list({"limit": 10, "starting_after": page1.data[-1].id})
    assert [c.id for c in page2.data] == newest_first[10:20] and page2.has_more is True
    page3 = client.v1.customers.list({"limit": 10, "starting_after": page2.data[-1].id})
    assert [c.id for c in page3.data] == newest_first[20:] and page3.has_more is False
    back = client.v1.customers.list({"limit": 10, "ending_before": page2.data[0].id})
    assert [c.id for c in back.data] == newest_first[:10]
    assert back.has_more is False
    back2 = client.v1.customers.list({"limit": 3, "ending_before": page3.data[0].id})
    assert [c.id for c in back2.data] == newest_first[17:20] and back2.has_more is True
    assert len(client.v1.customers.list().data) == 10  # default limit
    every = [c.id for c in client.v1.customers.list({"limit": 7}).auto_paging_iter()]
    assert every == newest_first


def test_limit_out_of_range(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.list({"limit": 0})
    assert (info.value.code, info.value.param) == ("parameter_invalid_integer", "limit")
    assert info.value.user_message == "This value must be greater than or equal to 1."
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.list({"limit": 101})
    assert (info.value.code, info.value.param) == ("parameter_invalid_integer", "limit")


def test_balance_transactions_paginate(client: stripe.StripeClient) -> None:
    for _ in range(3):
        client.v1.payment_intents.create(
            {
                "amount": 1000,
                "currency": "usd",
                "confirm": True,
                "return_url": "https://example.com/return",
                "payment_method": "pm_card_visa",
            }
        )
    every = client.v1.balance_transactions.list({"limit": 10}).data
    first = client.v1.balance_transactions.list({"limit": 2})
    rest = client.v1.balance_transactions.list({"limit": 2, "starting_after": first.data[-1].id})
    assert first.has_more is True and rest.has_more is False
    assert [t.id for t in first.data + rest.data] == [t.id for t in every]
    assert first.url == "/v1/balance_transactions"


# -- isolation and Stripe-Account ----------------------------------------------------------------
def test_platforms_are_isolated(emulator_server: Any, client: stripe.StripeClient) -> None:
    cus = client.v1.customers.create({"email": "mine@example.com"})
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd"})
    other = make_client(emulator_server, "sk_test_someoneelse00001")
    for call in (
        lambda: other.v1.customers.retrieve(cus.id),
        lambda: other.v1.payment_intents.retrieve(pi.id),
    ):
        with pytest.raises(stripe.InvalidRequestError) as info:
            call()
        assert (info.value.http_status, info.value.code) == (404, "resource_missing")
    assert other.v1.customers.list().data == []


def test_stripe_account_unknown_or_foreign_is_403_account_invalid(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    other_key = "sk_test_foreignplatform01"
    other = make_client(emulator_server, other_key)
    theirs = onboarded_account(emulator_server, other, other_key)
    for account in ("acct_1NoSuchAccount", theirs):
        with pytest.raises(stripe.PermissionError) as info:
            client.v1.balance.retrieve(options={"stripe_account": account})
        assert info.value.http_status == 403
        assert info.value.error.type == "invalid_request_error"
        assert info.value.error.code == "account_invalid"
        assert info.value.error.doc_url == "https://stripe.com/docs/error-codes/account-invalid"
        assert info.value.user_message.endswith(
            f"does not have access to account '{account}' (or that account does not exist). "
            "Application access may have been revoked."
        )
        assert api_key not in info.value.user_message  # the key is masked


def test_stripe_account_scopes_requests(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    acct = onboarded_account(emulator_server, client, api_key)
    as_acct = {"stripe_account": acct}
    theirs = client.v1.customers.create({"email": "theirs@example.com"}, as_acct)
    client.v1.customers.create({"email": "platform@example.com"})
    assert [c.email for c in client.v1.customers.list(options=as_acct).data] == [
        "theirs@example.com"
    ]
    assert [c.email for c in client.v1.customers.list().data] == ["platform@example.com"]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.retrieve(theirs.id)
    resp = client.raw_request("get", "/v1/balance", stripe_account=acct)
    assert resp.headers["Stripe-Account"] == acct


def test_emulator_controls_need_the_platform_secret_key(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    acct = onboarded_account(emulator_server, client, api_key)
    resp = raw(
        emulator_server,
        "POST",
        "/_emulator/clock/advance",
        key=api_key,
        params={"seconds": "60"},
        headers={"Stripe-Account": acct},
    )
    assert resp.status == 403
    assert (
        raw(emulator_server, "POST", "/_emulator/clock/advance", params={"seconds": "60"}).status
        == 401
    )
    before = raw(emulator_server, "GET", "/_emulator/clock", key=api_key).body["now"]
    assert (
        control(emulator_server, api_key, "/_emulator/clock/advance", seconds=60).body["now"]
        == before + 60
    )


def test_metadata_updates_merge_unset_and_clear(client: stripe.StripeClient) -> None:
    """Keys merge, a key set to "" is removed, and metadata="" clears them all (Stripe's rule)."""
    pi = client.v1.payment_intents.create(
        {"amount": 1000, "currency": "usd", "metadata": {"a": "1", "b": "2"}}
    )
    pi = client.v1.payment_intents.update(pi.id, {"metadata": {"b": "", "c": "3"}})
    assert pi.metadata.to_dict() == {"a": "1", "c": "3"}
    customer = client.v1.customers.create({"metadata": {"a": "1"}})
    customer = client.v1.customers.update(customer.id, {"metadata": ""})
    assert customer.metadata.to_dict() == {}
