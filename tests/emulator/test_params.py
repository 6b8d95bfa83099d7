"""Parameter names: a name stripe-python 16 declares for a method but the emulator does not
model yet gets its own 400 that says so and links the docs; "Received unknown parameter"
is kept for names Stripe itself does not know on the request's API version (issue 15.12).

Stripe's wording for unknown names: https://docs.stripe.com/error-codes#parameter-unknown.
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from harness.emulator.declared import operation_for, operations, shape

from .support import onboarded_account, page

NOT_MODELLED = "is a Stripe parameter that Connect Lab's emulator does not model yet; see "


def _error(fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(stripe.InvalidRequestError) as info:
        fn(*args, **kwargs)
    assert info.value.http_status == 400
    return info.value.json_body["error"]


def test_a_declared_parameter_the_emulator_lacks_is_not_modelled(
        client: stripe.StripeClient) -> None:
    """PaymentIntentCreateParams declares ``payment_details``: Stripe knows it."""
    error = _error(client.v1.payment_intents.create,
                   {"amount": 1000, "currency": "usd",
                    "payment_details": {"order_reference": "R-1"}})
    docs = "https://docs.stripe.com/api/payment_intents/create"
    assert error == {"type": "invalid_request_error", "param": "payment_details",
                     "message": f"payment_details {NOT_MODELLED}{docs}", "doc_url": docs}


def test_a_name_stripe_does_not_know_stays_unknown(client: stripe.StripeClient) -> None:
    error = _error(client.v1.payment_intents.create,
                   {"amount": 1000, "currency": "usd", "colour": "red"})
    assert (error["code"], error["param"], error["message"]) == (
        "parameter_unknown", "colour", "Received unknown parameter: colour")


def test_nested_names_are_judged_by_the_nested_declaration(
        client: stripe.StripeClient) -> None:
    """``transfer_data[foo]`` is nobody's; ``amount_details[tax]`` is Stripe's, one level
    down, and judged before the missing ``currency`` is reported."""
    unknown = _error(client.v1.payment_intents.create,
                     {"amount": 1000, "currency": "usd",
                      "transfer_data": {"destination": "acct_x", "foo": "1"}})
    assert (unknown["code"], unknown["param"]) == ("parameter_unknown", "transfer_data[foo]")
    ours = _error(client.v1.payment_intents.create,
                  {"amount": 1000, "amount_details": {"tax": {"total_tax_amount": 1}}})
    assert ours["param"] == "amount_details" and NOT_MODELLED in ours["message"]
    assert "code" not in ours


def test_a_list_filter_stripe_declares_is_not_modelled(client: stripe.StripeClient) -> None:
    error = _error(client.v1.payment_intents.list, {"customer_account": "acct_x"})
    assert error["param"] == "customer_account" and NOT_MODELLED in error["message"]
    assert error["doc_url"] == "https://docs.stripe.com/api/payment_intents/list"


def test_a_range_filter_keeps_its_own_unknown_operator(client: stripe.StripeClient) -> None:
    error = _error(client.v1.charges.list, {"created": {"gte": 1, "near": 2}})
    assert (error["code"], error["param"]) == ("parameter_unknown", "created[near]")


def test_login_link_redirect_url_is_accepted_before_2022_08_01_only(
        emulator_server: Any, client: stripe.StripeClient, api_key: str) -> None:
    """``redirect_url`` was removed from login links in 2022-08-01 (stripe-node's generated
    changelog: "Remove support for `redirect_url` on `LoginLink#create`"); older pinned
    versions still send it, and the Express Dashboard's "Log out" goes there."""
    account = onboarded_account(emulator_server, client, api_key)
    back = "https://rentals.example/dashboard"
    link = client.v1.accounts.login_links.create(
        account, {"redirect_url": back},  # type: ignore[typeddict-unknown-key]
        {"stripe_version": "2020-08-27"})
    text = page(emulator_server, "/" + link.url.split("/", 3)[3]).text
    assert f'<a id="logout" href="{back}">Log out</a>' in text
    error = _error(client.v1.accounts.login_links.create, account,
                   {"redirect_url": back})  # type: ignore[typeddict-unknown-key]
    assert (error["code"], error["param"]) == ("parameter_unknown", "redirect_url")
    bad = _error(client.v1.accounts.login_links.create, account,
                 {"redirect_url": "javascript:alert(1)"},  # type: ignore[typeddict-unknown-key]
                 {"stripe_version": "2022-07-31"})
    assert (bad["code"], bad["param"]) == ("url_invalid", "redirect_url")


# -- the SDK's declarations, as read -----------------------------------------------------------
def test_the_sdk_walk_finds_nested_services_and_their_params() -> None:
    ops = {op.id: op for op in operations()}
    link = ops["v1.accounts.login_links.create"]
    assert (link.method, link.path) == ("POST", "/v1/accounts/{account}/login_links")
    assert operation_for("POST", "/v1/accounts/<id>/login_links") is link
    create = operation_for("POST", "/v1/payment_intents")
    assert create is not None and create.params is not None
    fields = create.params.fields
    assert fields["amount"].required and fields["amount"].scalars == {"int"}
    assert "api_key" not in fields and "idempotency_key" not in fields  # request options
    assert fields["metadata"].is_map
    assert "destination" in fields["transfer_data"].child  # a nested TypedDict
    assert shape("/v1/accounts/<account>/capabilities/<name>") == \
        shape("/v1/accounts/{account}/capabilities/{capability}")


# -- methods ------------------------------------------------------------------------------------
def test_a_stripe_method_the_emulator_lacks_is_not_modelled(client: stripe.StripeClient) -> None:
    """Not "Unrecognized request URL": Stripe has this URL."""
    error = _error(client.v1.subscriptions.create, {"customer": "cus_x"})
    docs = "https://docs.stripe.com/api/subscriptions/create"
    assert error == {
        "type": "invalid_request_error", "doc_url": docs,
        "message": "POST /v1/subscriptions (v1.subscriptions.create) is a Stripe API method "
                   f"that Connect Lab's emulator does not model yet; see {docs}"}


def test_search_is_not_mistaken_for_a_retrieve(client: stripe.StripeClient) -> None:
    """``GET /v1/payment_intents/search`` is caught by the ``/v1/payment_intents/<id>``
    route's URL pattern; it is Stripe's search, not the PaymentIntent "search"."""
    error = _error(client.v1.payment_intents.search, {"query": "status:'succeeded'"})
    assert "(v1.payment_intents.search) is a Stripe API method" in error["message"]


def test_a_url_stripe_lacks_is_still_unrecognized(emulator_server: Any, api_key: str) -> None:
    from .support import raw

    resp = raw(emulator_server, "GET", "/v1/subscriptionz", key=api_key)
    assert resp.status == 404
    assert resp.error["message"].startswith("Unrecognized request URL (GET: /v1/subscriptionz)")
