"""Events and webhook endpoints: what Stripe reports, and how it delivers it.

- ``Event.list`` is newest first and filters by ``type`` (with ``*``), ``types[]`` and
  ``created``; each Event names its ``request`` and, on a connected account, the ``account``;
  ``*.updated`` events carry ``data.previous_attributes``.
- WebhookEndpoints: CRUD, the ``whsec_`` secret only on create, ``enabled_events`` (exact,
  ``group.*`` and ``*``), ``connect=true`` endpoints for connected-account events.
- Delivery is signed so ``stripe.Webhook.construct_event`` verifies it, and retried with
  backoff on the emulator's clock (1 h, 2 h, 4 h, then failed) after an error or a timeout.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import stripe
from werkzeug.wrappers import Request, Response

from harness.emulator.resources import webhook_endpoints
from harness.lab.server import BackgroundServer

from ..support import advance, control, onboarded_account, raw


# -- a local receiver -------------------------------------------------------------------------
class Receiver:
    """A webhook endpoint on 127.0.0.1: it keeps every POST and answers what it is told
    (``script[path]``: a list of statuses, or "sleep:<seconds>", used up in order; then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: dict[str, list[str | int]] = {}
        self.changed = threading.Condition()
        self.server = BackgroundServer(self.app)

    def app(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data(as_text=True)
        with self.changed:
            plan = self.script.get(request.path) or []
            action = plan.pop(0) if plan else 200
        if isinstance(action, str) and action.startswith("sleep:"):
            time.sleep(float(action[6:]))
            action = 200
        with self.changed:
            self.requests.append({"path": request.path, "headers": dict(request.headers),
                                  "body": body, "status": action})
            self.changed.notify_all()
        return Response("{}", status=int(action), mimetype="application/json")(
            environ, start_response)

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def got(self, path: str) -> list[dict[str, Any]]:
        with self.changed:
            return [json.loads(r["body"]) for r in self.requests if r["path"] == path]


def wait_until(check: Callable[[], Any], timeout: float = 10, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def deliveries(server: BackgroundServer, key: str, endpoint: str) -> list[dict[str, Any]]:
    resp = raw(server, "GET", f"/_emulator/webhook_endpoints/{endpoint}/deliveries", key=key)
    assert resp.status == 200, resp.body
    return resp.body["data"]


def endpoint(client: stripe.StripeClient, url: str, events: list[str], **extra: Any) -> Any:
    return client.v1.webhook_endpoints.create({"url": url, "enabled_events": events, **extra})


def types(listing: Any) -> list[str]:
    return [e.type for e in listing.data]


def new_customer(client: stripe.StripeClient, **params: Any) -> Any:
    return client.v1.customers.create({"email": "renter@example.com", **params})


# -- Event.list and retrieve ------------------------------------------------------------------
def test_events_are_newest_first_and_retrievable(client: stripe.StripeClient) -> None:
    customer = new_customer(client)
    client.v1.customers.update(customer.id, {"name": "Ana Renter"})
    client.v1.payment_intents.create({"amount": 1000, "currency": "usd", "confirm": True,
                                      "payment_method": "pm_card_visa",
                                      "return_url": "https://example.com/return"})
    events = client.v1.events.list({"limit": 10})
    # automatic_async: the capture's charge.updated follows the request's events
    # (https://docs.stripe.com/payments/payment-intents/asynchronous-capture)
    assert types(events) == ["charge.updated", "payment_intent.succeeded", "charge.succeeded",
                             "payment_intent.created", "customer.updated", "customer.created"]
    created = [e.created for e in events.data]
    assert created == sorted(created, reverse=True)
    first = events.data[-1]
    assert first.id.startswith("evt_") and first.object == "event"
    assert first.data.object.id == customer.id and first.livemode is False
    assert first.api_version == "2026-07-29.dahlia"  # the account's default, not the SDK's
    again = client.v1.events.retrieve(first.id)
    assert again.to_dict() == first.to_dict()
    page = client.v1.events.list({"limit": 2, "starting_after": events.data[1].id})
    assert [e.id for e in page.data] == [e.id for e in events.data[2:4]]
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.events.retrieve("evt_doesnotexist")
    assert missing.value.http_status == 404


def test_filter_by_type_types_and_created(
    client: stripe.StripeClient, emulator_server: BackgroundServer, api_key: str
) -> None:
    customer = new_customer(client)
    client.v1.customers.update(customer.id, {"metadata": {"tier": "gold"}})
    later = advance(emulator_server, api_key, 3600)
    client.v1.customers.delete(customer.id)
    client.v1.payment_intents.create({"amount": 500, "currency": "usd"})

    assert types(client.v1.events.list({"type": "customer.created"})) == ["customer.created"]
    assert types(client.v1.events.list({"type": "customer.*"})) == [
        "customer.deleted", "customer.updated", "customer.created"]
    assert types(client.v1.events.list({"types": ["customer.deleted",
                                                  "payment_intent.created"]})) == [
        "payment_intent.created", "customer.deleted"]
    assert types(client.v1.events.list({"created": {"gte": later}})) == [
        "payment_intent.created", "customer.deleted"]
    assert types(client.v1.events.list({"created": {"lt": later}})) == [
        "customer.updated", "customer.created"]
    assert types(client.v1.events.list({"type": "customer.*", "created": {"gte": later}})) \
        == ["customer.deleted"]
    assert types(client.v1.events.list({"type": "payout.paid"})) == []

    with pytest.raises(stripe.InvalidRequestError) as both:
        client.v1.events.list({"type": "customer.created", "types": ["customer.deleted"]})
    assert both.value.http_status == 400 and both.value.param == "types"


def test_connected_account_events_carry_account(
    client: stripe.StripeClient, emulator_server: BackgroundServer, api_key: str
) -> None:
    account = onboarded_account(emulator_server, client, api_key)
    as_acct = {"stripe_account": account}
    theirs = client.v1.events.list({"limit": 20}, as_acct)
    assert set(types(theirs)) == {"account.updated", "account.external_account.created",
                                  "capability.updated"}
    assert all(e.account == account for e in theirs.data)
    updated = next(e for e in theirs.data if e.type == "account.updated")
    assert updated.data.object.id == account and updated.data.object.charges_enabled

    # The platform's own list holds only its own events.
    client.v1.payment_intents.create({
        "amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        "return_url": "https://example.com/return", "application_fee_amount": 123,
        "transfer_data": {"destination": account}})
    mine = client.v1.events.list({"limit": 20})
    assert "account.updated" not in types(mine)
    assert {"transfer.created", "application_fee.created"} <= set(types(mine))
    assert all(e.account is None for e in mine.data)
    fee = next(e for e in mine.data if e.type == "application_fee.created")
    assert fee.data.object.account == account

    # A connected account's own request: its events are on it, with account set.
    made = client.v1.customers.create({"email": "a@example.com"}, as_acct)
    event = client.v1.events.list({"type": "customer.created"}, as_acct).data[0]
    assert event.account == account and event.data.object.id == made.id
    assert client.v1.events.list({"type": "customer.created"}).data == []


def test_capability_updated_when_status_changes(
    client: stripe.StripeClient, emulator_server: BackgroundServer, api_key: str
) -> None:
    account = client.v1.accounts.create({"type": "express", "capabilities": {
        "card_payments": {"requested": True}, "transfers": {"requested": True}}}).id
    control(emulator_server, api_key, f"/_emulator/accounts/{account}/complete_onboarding")
    events = client.v1.events.list({"type": "capability.updated"}, {"stripe_account": account})
    by_name = {e.data.object.id: e for e in events.data}
    assert sorted(by_name) == ["card_payments", "transfers"]
    for event in by_name.values():
        assert event.account == account
        assert event.data.object.status == "active" and event.data.object.account == account
        assert event.data.previous_attributes.status == "inactive"

    client.v1.accounts.capabilities.update(account, "card_payments", {"requested": False})
    dropped = client.v1.events.list({"type": "capability.updated", "limit": 1},
                                    {"stripe_account": account}).data[0]
    assert dropped.data.object.id == "card_payments"
    assert dropped.data.object.status == "unrequested"
    assert dropped.data.previous_attributes.status == "active"
    assert dropped.data.previous_attributes.requested is True


def test_request_id_and_idempotency_key(
    client: stripe.StripeClient, emulator_server: BackgroundServer, api_key: str
) -> None:
    customer = client.v1.customers.create({"email": "r@example.com"},
                                          {"idempotency_key": "renter-42"})
    event = client.v1.events.list({"type": "customer.created"}).data[0]
    assert event.request.id == customer.last_response.request_id
    assert event.request.idempotency_key == "renter-42"
    # A replay of the same key does nothing new: no second event.
    client.v1.customers.create({"email": "r@example.com"}, {"idempotency_key": "renter-42"})
    assert len(client.v1.events.list({"type": "customer.created"}).data) == 1

    resp = raw(emulator_server, "POST", "/v1/customers", key=api_key, params={"name": "x"})
    event = client.v1.events.list({"type": "customer.created", "limit": 1}).data[0]
    assert event.request.id == resp.headers["Request-Id"]
    assert event.request.idempotency_key is None

    # What time brings about is Stripe's doing: an automatic event has no request.
    client.v1.payment_intents.create({"amount": 1000, "currency": "usd", "confirm": True,
                                      "payment_method": "pm_card_visa",
                                      "return_url": "https://example.com/return"})
    advance(emulator_server, api_key, 8 * 86400)
    available = client.v1.events.list({"type": "balance.available"}).data
    assert available and all(e.request.id is None and e.request.idempotency_key is None
                             for e in available)


def test_previous_attributes_on_updates(
    client: stripe.StripeClient, emulator_server: BackgroundServer, api_key: str
) -> None:
    account = onboarded_account(emulator_server, client, api_key)
    as_acct = {"stripe_account": account}
    client.v1.accounts.update(account, {"metadata": {"listing": "lst_002"},
                                        "business_profile": {"name": "Maya's Studio"}})
    event = client.v1.events.list({"type": "account.updated", "limit": 1}, as_acct).data[0]
    previous = event.data.previous_attributes.to_dict()
    assert sorted(previous) == ["business_profile", "metadata"]  # only what changed
    assert previous["metadata"] == {}
    assert previous["business_profile"]["name"] is None
    assert event.data.object.metadata.listing == "lst_002"

    customer = new_customer(client, name="Ana")
    client.v1.customers.update(customer.id, {"name": "Ana Renter", "email": "renter@example.com"})
    updated = client.v1.events.list({"type": "customer.updated"}).data[0]
    assert updated.data.previous_attributes.to_dict() == {"name": "Ana"}  # email unchanged
    client.v1.customers.update(customer.id, {"name": "Ana Renter"})  # no change, no event
    assert len(client.v1.events.list({"type": "customer.updated"}).data) == 1
    created = client.v1.events.list({"type": "customer.created"}).data[0]
    assert "previous_attributes" not in created.data.to_dict()

    pm = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.id})
    client.v1.payment_methods.update(pm.id, {"metadata": {"label": "work"}})
    client.v1.payment_methods.detach(pm.id)
    pm_events = client.v1.events.list({"type": "payment_method.*"}).data
    assert types(client.v1.events.list({"type": "payment_method.*"})) == [
        "payment_method.detached", "payment_method.updated", "payment_method.attached"]
    detached, changed, attached = pm_events
    assert attached.data.object.customer == customer.id
    assert changed.data.previous_attributes.to_dict() == {"metadata": {}}
    assert detached.data.object.customer is None
    assert detached.data.previous_attributes.to_dict() == {"customer": customer.id}

    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd", "confirm": True,
                                           "payment_method": "pm_card_visa",
                                           "return_url": "https://example.com/return"})
    client.v1.charges.update(pi.latest_charge, {"description": "2 nights"})
    charge_updated = client.v1.events.list({"type": "charge.updated"}).data[0]
    assert charge_updated.data.previous_attributes.to_dict() == {"description": None}
    refund = client.v1.refunds.create({"payment_intent": pi.id, "amount": 400})
    client.v1.refunds.update(refund.id, {"metadata": {"reason": "late check-in"}})
    assert types(client.v1.events.list({"limit": 4})) == [
        "charge.refund.updated", "refund.updated", "charge.refunded", "refund.created"]
    for event in client.v1.events.list({"limit": 2}).data:
        assert event.data.object.id == refund.id
        assert event.data.previous_attributes.to_dict() == {"metadata": {}}


# -- WebhookEndpoint CRUD ---------------------------------------------------------------------
def test_webhook_endpoint_crud_and_secret_only_on_create(client: stripe.StripeClient) -> None:
    made = endpoint(client, "https://example.com/hook", ["payment_intent.succeeded"],
                    description="bookings", metadata={"team": "payments"})
    assert made.id.startswith("we_") and made.object == "webhook_endpoint"
    assert made.secret.startswith("whsec_") and len(made.secret) > 20
    assert (made.status, made.url, made.enabled_events) == (
        "enabled", "https://example.com/hook", ["payment_intent.succeeded"])

    got = client.v1.webhook_endpoints.retrieve(made.id)
    assert got.secret is None  # shown once, on create
    assert got.description == "bookings" and got.metadata.team == "payments"

    changed = client.v1.webhook_endpoints.update(made.id, {
        "url": "https://example.com/v2/hook", "enabled_events": ["charge.*"],
        "disabled": True})
    assert (changed.url, changed.enabled_events, changed.status) == (
        "https://example.com/v2/hook", ["charge.*"], "disabled")
    assert changed.secret is None
    assert client.v1.webhook_endpoints.update(made.id, {"disabled": False}).status == "enabled"

    other = endpoint(client, "https://example.com/other", ["*"])
    listed = client.v1.webhook_endpoints.list()
    assert [e.id for e in listed.data] == [other.id, made.id]
    assert all(e.secret is None for e in listed.data)

    deleted = client.v1.webhook_endpoints.delete(made.id)
    assert deleted.id == made.id and deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as gone:
        client.v1.webhook_endpoints.retrieve(made.id)
    assert gone.value.http_status == 404
    assert [e.id for e in client.v1.webhook_endpoints.list().data] == [other.id]


@pytest.mark.parametrize(("params", "param"), [
    ({"url": "ftp://example.com/hook", "enabled_events": ["*"]}, "url"),
    ({"url": "https://example.com/hook", "enabled_events": ["not an event"]},
     "enabled_events[0]"),
    ({"url": "https://example.com/hook"}, "enabled_events"),
    ({"enabled_events": ["*"]}, "url"),
])
def test_webhook_endpoint_bad_input_names_the_parameter(
    client: stripe.StripeClient, params: dict[str, Any], param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as bad:
        client.v1.webhook_endpoints.create(params)
    assert bad.value.http_status == 400 and bad.value.param == param


# -- delivery ---------------------------------------------------------------------------------
def test_delivery_is_signed_and_verifies(
    client: stripe.StripeClient, emulator_server: BackgroundServer, api_key: str,
    receiver: Receiver,
) -> None:
    hook = endpoint(client, receiver.url("/hook"), ["customer.created"])
    customer = new_customer(client)
    event = client.v1.events.list({"type": "customer.created"}).data[0]

    wait_until(lambda: receiver.got("/hook"), what="the delivery")
    assert receiver.got("/hook")[0]["pending_webhooks"] == 1  # this endpoint, still waiting
    got = receiver.requests[0]
    assert got["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert got["headers"]["User-Agent"].startswith("Stripe/1.0")
    verified = stripe.Webhook.construct_event(got["body"], got["headers"]["Stripe-Signature"],
                                              hook.secret)
    assert verified.id == event.id and verified.type == "customer.created"
    assert verified.data.object.id == customer.id
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(got["body"], got["headers"]["Stripe-Signature"],
                                       "whsec_not_the_right_one")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(got["body"].replace(customer.id, "cus_forged"),
                                       got["headers"]["Stripe-Signature"], hook.secret)

    log = wait_until(lambda: [d for d in deliveries(emulator_server, api_key, hook.id)
                              if d["status"] == "succeeded"], what="a succeeded delivery")
    assert log[0]["event"] == event.id and log[0]["attempts"] == 1
    assert log[0]["last_status"] == 200
    assert client.v1.events.retrieve(event.id).pending_webhooks == 0


def test_enabled_events_exact_wildcard_and_star(
    client: stripe.StripeClient, emulator_server: BackgroundServer, api_key: str,
    receiver: Receiver,
) -> None:
    exact = endpoint(client, receiver.url("/exact"), ["customer.created"])
    group = endpoint(client, receiver.url("/group"), ["customer.*"])
    star = endpoint(client, receiver.url("/star"), ["*"])
    other = endpoint(client, receiver.url("/other"), ["payment_intent.succeeded"])
    customer = new_customer(client)
    client.v1.customers.update(customer.id, {"name": "Ana"})

    def logged(hook: Any) -> list[str]:
        return sorted(d["event_type"] for d in deliveries(emulator_server, api_key, hook.id))

    wait_until(lambda: len(receiver.requests) == 5, what="five deliveries")
    assert logged(exact) == ["customer.created"]
    assert logged(group) == ["customer.created", "customer.updated"]
    assert logged(star) == ["customer.created", "customer.updated"]
    assert logged(other) == [] and receiver.got("/other") == []
    assert sorted((e["type"], e["pending_webhooks"]) for e in receiver.got("/group")) == [
        ("customer.created", 3), ("customer.updated", 2)]
    wait_until(lambda: [e.pending_webhooks for e in client.v1.events.list().data] == [0, 0],
               what="every delivery acknowledged")


def test_disabled_endpoints_get_nothing(
    client: stripe.StripeClient, emulator_server: BackgroundServer, api_key: str,
    receiver: Receiver,
) -> None:
    hook = endpoint(client, receiver.url("/off"), ["*"])
    client.v1.webhook_endpoints.update(hook.id, {"disabled": True})
    new_customer(client)
    assert client.v1.events.list().data[0].pending_webhooks == 0
    assert deliveries(emulator_server, api_key, hook.id) == []


def test_connect_endpoints_get_connected_account_events_only(
    client: stripe.StripeClient, emulator_server: BackgroundServer, api_key: str,
    receiver: Receiver,
) -> None:
    platform_hook = endpoint(client, receiver.url("/platform"), ["*"])
    connect_hook = endpoint(client, receiver.url("/connect"), ["account.updated",
                                                                "customer.created"],
                            connect=True)
    account = onboarded_account(emulator_server, client, api_key)
    new_customer(client)  # a platform event
    client.v1.customers.create({"email": "guest@example.com"}, {"stripe_account": account})

    wait_until(lambda: receiver.got("/connect") and receiver.got("/platform"),
               what="both endpoints")
    time.sleep(0.3)  # anything misrouted would have arrived by now
    to_connect = receiver.got("/connect")
    assert sorted(e["type"] for e in to_connect) == ["account.updated", "customer.created"]
    assert all(e["account"] == account for e in to_connect)
    to_platform = receiver.got("/platform")
    assert [e["type"] for e in to_platform] == ["customer.created"]
    assert to_platform[0]["account"] is None
    assert [d["event_type"] for d in deliveries(emulator_server, api_key, platform_hook.id)] \
        == ["customer.created"]
    assert len(deliveries(emulator_server, api_key, connect_hook.id)) == 2


def test_failed_delivery_is_retried_on_the_emulator_clock(
    client: stripe.StripeClient, emulator_server: BackgroundServer, api_key: str,
    receiver: Receiver,
) -> None:
    receiver.script["/flaky"] = [500]
    hook = endpoint(client, receiver.url("/flaky"), ["customer.created"])
    new_customer(client)
    first = wait_until(lambda: [d for d in deliveries(emulator_server, api_key, hook.id)
                                if d["attempts"] == 1], what="the first attempt")[0]
    assert (first["status"], first["last_status"], first["last_error"]) == (
        "pending", 500, "HTTP 500")
    now = raw(emulator_server, "GET", "/_emulator/clock", key=api_key).body["now"]
    assert 3590 <= first["next_attempt_at"] - now <= 3600  # the first retry: an hour later

    advance(emulator_server, api_key, 1800)  # not due yet
    time.sleep(0.7)
    assert deliveries(emulator_server, api_key, hook.id)[0]["attempts"] == 1
    advance(emulator_server, api_key, 1800)
    done = wait_until(lambda: [d for d in deliveries(emulator_server, api_key, hook.id)
                               if d["status"] == "succeeded"], what="the retry")[0]
    assert (done["attempts"], done["last_status"], done["last_error"]) == (2, 200, None)
    assert [r["status"] for r in receiver.requests] == [500, 200]
    bodies = {r["body"] for r in receiver.requests}
    assert len(bodies) == 1  # the same event, byte for byte
    event = client.v1.events.list().data[0]
    assert event.pending_webhooks == 0


def test_four_failures_mark_the_delivery_failed(
    client: stripe.StripeClient, emulator_server: BackgroundServer, api_key: str,
    receiver: Receiver,
) -> None:
    receiver.script["/down"] = [500, 502, 503, 500, 200]
    hook = endpoint(client, receiver.url("/down"), ["customer.created"])
    new_customer(client)

    def attempts(n: int) -> dict[str, Any]:
        return wait_until(lambda: [d for d in deliveries(emulator_server, api_key, hook.id)
                                   if d["attempts"] == n], what=f"attempt {n}")[0]

    attempts(1)
    for n, delay in ((2, 3600), (3, 2 * 3600), (4, 4 * 3600)):
        advance(emulator_server, api_key, delay)
        row = attempts(n)
    assert (row["status"], row["last_status"]) == ("failed", 500)
    advance(emulator_server, api_key, 24 * 3600)
    time.sleep(0.7)
    assert len(receiver.requests) == 4  # given up: never a fifth try
    assert client.v1.events.list().data[0].pending_webhooks == 1  # never delivered


def test_a_timeout_counts_as_a_failure(
    client: stripe.StripeClient, emulator_server: BackgroundServer, api_key: str,
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(webhook_endpoints, "TIMEOUT_SECONDS", 0.3)
    receiver.script["/slow"] = ["sleep:1.0"]
    hook = endpoint(client, receiver.url("/slow"), ["customer.created"])
    new_customer(client)
    first = wait_until(lambda: [d for d in deliveries(emulator_server, api_key, hook.id)
                                if d["attempts"] == 1], what="the timed-out attempt")[0]
    assert first["status"] == "pending" and first["last_status"] is None
    assert "timed out" in first["last_error"]
    advance(emulator_server, api_key, 3600)
    done = wait_until(lambda: [d for d in deliveries(emulator_server, api_key, hook.id)
                               if d["status"] == "succeeded"], what="the retry")[0]
    assert done["attempts"] == 2


# -- rendering per endpoint version -------------------------------------------------------------
# An endpoint's api_version decides how its events are rendered; one without it gets the
# account's default (https://docs.stripe.com/webhooks/versioning). The differences used here:
# ui_mode's names before 2026-03-25.dahlia
# (https://docs.stripe.com/changelog/dahlia/2026-03-25/updates-available-checkout-session-ui-modes)
# and allowed_payment_method_types, which PaymentIntents have from 2026-07-29.dahlia
# (https://docs.stripe.com/changelog/dahlia/2026-07-29/allowed-payment-method-types-parameter).
CLOVER, ENDIVE = "2026-02-25.clover", "2026-10-28.endive"
SESSION = {"mode": "payment", "success_url": "https://example.com/ok",
           "line_items": [{"quantity": 1, "price_data": {
               "currency": "usd", "unit_amount": 1000, "product_data": {"name": "Cabin"}}}]}


def test_each_endpoint_gets_events_at_its_own_api_version(
    client: stripe.StripeClient, emulator_server: BackgroundServer, api_key: str,
    receiver: Receiver,
) -> None:
    wanted = ["payment_intent.created", "checkout.session.expired"]
    hooks = {path: endpoint(client, receiver.url(path), wanted, **extra) for path, extra in (
        ("/v-clover", {"api_version": CLOVER}), ("/v-endive", {"api_version": ENDIVE}),
        ("/v-default", {}))}
    assert hooks["/v-clover"].api_version == CLOVER and hooks["/v-default"].api_version is None
    pi = client.v1.payment_intents.create({"amount": 1000, "currency": "usd",
                                           "allowed_payment_method_types": ["card"]})
    session = client.v1.checkout.sessions.create(SESSION)
    advance(emulator_server, api_key, 25 * 3600)  # past expires_at: checkout.session.expired

    def payloads(path: str) -> dict[str, dict[str, Any]]:
        got = wait_until(lambda: len(receiver.got(path)) >= 2 and receiver.got(path),
                         what=f"two deliveries to {path}")
        return {event["type"]: event for event in got}

    clover, endive, default = (payloads(p) for p in ("/v-clover", "/v-endive", "/v-default"))
    for event in clover.values():
        assert event["api_version"] == CLOVER
    assert "allowed_payment_method_types" not in clover["payment_intent.created"]["data"]["object"]
    assert clover["checkout.session.expired"]["data"]["object"]["ui_mode"] == "hosted"
    for rendered, version in ((endive, ENDIVE), (default, "2026-07-29.dahlia")):
        assert {e["api_version"] for e in rendered.values()} == {version}
        pi_data = rendered["payment_intent.created"]["data"]["object"]
        assert (pi_data["id"], pi_data["allowed_payment_method_types"]) == (pi.id, ["card"])
        expired = rendered["checkout.session.expired"]["data"]["object"]
        assert (expired["id"], expired["status"], expired["ui_mode"]) == (
            session.id, "expired", "hosted_page")
    # Each payload is signed as it was sent: the endpoint's own rendering verifies.
    sent = next(r for r in receiver.requests if r["path"] == "/v-clover")
    verified = stripe.Webhook.construct_event(sent["body"], sent["headers"]["Stripe-Signature"],
                                              hooks["/v-clover"].secret)
    assert verified.api_version == CLOVER


def test_an_event_keeps_the_version_it_was_created_at(
    client: stripe.StripeClient, emulator_server: BackgroundServer, api_key: str
) -> None:
    """"The contents of data never change" (stripe-python 16, Event.api_version): reading an
    event with another Stripe-Version shows its data as the account's default had it."""
    from harness.emulator import Emulator, Settings

    from ..support import wsgi_client

    old = Emulator(settings=Settings(default_api_version=CLOVER))
    try:
        sdk = wsgi_client(old, "sk_test_clover_default_account")
        session = sdk.v1.checkout.sessions.create(SESSION)  # stripe-python sends endive
        assert session.ui_mode == "hosted_page"
        sdk.v1.checkout.sessions.expire(session.id)
        event = sdk.v1.events.list({"type": "checkout.session.expired"}).data[0]
        assert event.api_version == CLOVER
        assert event.data.object.ui_mode == "hosted"
        assert sdk.v1.checkout.sessions.retrieve(session.id).ui_mode == "hosted_page"
    finally:
        old.close()


def test_an_endpoint_api_version_must_be_a_version(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as bad:
        endpoint(client, "https://example.com/hook", ["*"], api_version="last-tuesday")
    assert (bad.value.http_status, bad.value.param) == (400, "api_version")
