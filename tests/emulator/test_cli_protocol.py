"""The real Stripe CLI (npm @stripe/cli) against the emulator, offline.

``stripe listen`` connects over the emulator's ``/v1/stripecli/sessions`` and websocket,
prints its whsec_ secret and forwards signed events to a local receiver, which verifies
them with ``stripe.Webhook.construct_event``. ``stripe trigger`` runs the CLI's own
fixtures unchanged.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import stripe
from werkzeug.test import Client
from werkzeug.wrappers import Request, Response

from harness.emulator import Emulator, Settings
from harness.lab.server import BackgroundServer
from harness.lab.stripe_cli import Listener, StripeCLI, find_binary

pytestmark = pytest.mark.skipif(
    find_binary() is None,
    reason="the Stripe CLI is not installed (node_modules/.bin/stripe): run `make system`",
)

# Fixtures whose requests the emulator serves today. Each chain runs on its own platform,
# in order: balance.available (2000 with pm_card_bypassPending) funds the transfers.
SUPPORTED_TRIGGERS = [
    ["payment_intent.succeeded"], ["payment_intent.payment_failed"],
    ["payment_intent.created"], ["payment_intent.canceled"],
    ["payment_intent.requires_action"], ["payment_intent.amount_capturable_updated"],
    ["charge.succeeded"], ["charge.failed"], ["charge.captured"], ["charge.refunded"],
    ["charge.dispute.created"],
    ["balance.available", "transfer.created", "transfer.updated", "transfer.reversed"],
    ["account.updated"], ["account.application.deauthorized"],
    ["customer.created", "customer.updated", "customer.deleted"],
    ["payment_method.attached", "payment_method.detached"],
    ["setup_intent.created", "setup_intent.succeeded"],
    ["setup_intent.canceled", "setup_intent.setup_failed"],
    ["product.created", "product.updated", "product.deleted"],
    ["price.created", "price.updated"],
]


class Receiver:
    """A tiny local webhook endpoint that keeps every POST it gets."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.changed = threading.Condition()
        self.server = BackgroundServer(self.app)

    def app(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        with self.changed:
            self.requests.append({"path": request.path, "headers": dict(request.headers),
                                  "body": request.get_data(as_text=True)})
            self.changed.notify_all()
        return Response('{"received": true}', mimetype="application/json")(
            environ, start_response)

    def wait_for(self, event_type: str, timeout: float = 15) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for got in self.requests:
                    if json.loads(got["body"]).get("type") == event_type:
                        return got
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [json.loads(r["body"]).get("type") for r in self.requests]
                    raise AssertionError(f"no {event_type} forwarded within {timeout} s; "
                                         f"got {seen}")
                self.changed.wait(left)


def _key() -> str:
    return "sk_test_cli_" + secrets.token_hex(8)


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    emulator = Emulator(settings=Settings())
    with BackgroundServer(emulator) as background:
        background.emulator = emulator  # type: ignore[attr-defined]
        yield background
    # Not emulator.close(): its webhook DeliveryWorker keeps an Event in Thread._stop, so
    # joining it raises TypeError (reported); the store goes with the process.


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    recv = Receiver()
    with recv.server:
        yield recv


@pytest.fixture(scope="module")
def cli(server: BackgroundServer) -> StripeCLI:
    return StripeCLI(_key(), api_base=server.url)


@pytest.fixture(scope="module")
def listener(cli: StripeCLI, receiver: Receiver) -> Iterator[Listener]:
    with cli.listen(receiver.server.url_for("/webhook"),
                    events=["payment_intent.succeeded", "account.updated"],
                    forward_connect_to=receiver.server.url_for("/connect")) as running:
        yield running
    assert not running.running


def _verify(got: dict[str, Any], secret: str) -> stripe.Event:
    return stripe.Webhook.construct_event(got["body"], got["headers"]["Stripe-Signature"],
                                          secret)


def test_listen_prints_ready_and_its_secret(listener: Listener) -> None:
    ready = listener.wait_for("Ready!")
    assert listener.secret is not None and listener.secret in ready
    assert len(listener.secret) == len("whsec_") + 64
    assert listener.cli._key not in listener.display  # masked; never on the command line
    assert "--api-base" in listener.display


def test_trigger_payment_intent_succeeded_is_forwarded_signed(
    cli: StripeCLI, listener: Listener, receiver: Receiver
) -> None:
    result = cli.trigger("payment_intent.succeeded")
    assert result.ok, str(result)
    assert "Trigger succeeded!" in str(result)

    got = receiver.wait_for("payment_intent.succeeded")
    event = _verify(got, listener.secret or "")
    assert got["path"] == "/webhook"
    assert got["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert event.type == "payment_intent.succeeded"
    assert event.account is None
    intent = event.data.object
    assert intent.status == "succeeded"
    assert intent.amount == 2000 and intent.currency == "usd"
    assert intent.description == "(created by Stripe CLI)"
    assert intent.shipping.name == "Jenny Rosen"

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(got["body"], got["headers"]["Stripe-Signature"],
                                       "whsec_" + "0" * 64)

    # --events filters in the CLI: payment_intent.created / charge.succeeded stay local.
    forwarded = {json.loads(r["body"])["type"] for r in receiver.requests}
    assert forwarded <= {"payment_intent.succeeded", "account.updated"}
    listener.wait_for(f"[200] POST {receiver.server.url_for('/webhook')} [{event.id}]")
    listener.wait_for_response(event.id)  # the line comes before the websocket message
    responses = {r["event"]: r for r in listener.responses()}
    assert responses[event.id]["status"] == 200
    assert responses[event.id]["event_type"] == "payment_intent.succeeded"
    assert responses[event.id]["forward_url"] == receiver.server.url_for("/webhook")
    assert responses[event.id]["body"] == '{"received": true}'
    assert {"type": "payment_intent.succeeded", "id": event.id, "connect": False} in \
        listener.events()


def test_connect_events_go_to_forward_connect_to(
    cli: StripeCLI, listener: Listener, receiver: Receiver
) -> None:
    assert cli.trigger("account.updated").ok
    got = receiver.wait_for("account.updated")
    event = _verify(got, listener.secret or "")
    assert got["path"] == "/connect"
    assert event.account and event.account.startswith("acct_")
    assert event.data.object.id == event.account
    assert event.data.object.metadata.foo == "bar"
    assert event.data.previous_attributes.to_dict() == {"metadata": {}}
    listener.wait_for(f"connect account.updated [{event.id}]")


# -- thin events: stripe listen --all-thin / --events v2.… ---------------------------------
class ThinHandler:
    """A platform's thin-event endpoint, as the docs write one: verify the notification
    with ``client.parse_event_notification``, then fetch the full event. It answers 200
    when both worked, 400 when the signature did not verify."""

    def __init__(self, client: stripe.StripeClient) -> None:
        self.client = client
        self.secret = ""
        self.handled: list[dict[str, Any]] = []
        self.changed = threading.Condition()
        self.server = BackgroundServer(self.app)

    def app(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        try:
            note = self.client.parse_event_notification(
                body, request.headers.get("Stripe-Signature"), self.secret)
        except stripe.SignatureVerificationError:
            return Response("bad signature", status=400)(environ, start_response)
        event = note.fetch_event()
        with self.changed:
            self.handled.append({"path": request.path, "note": note, "event": event})
            self.changed.notify_all()
        return Response("handled", status=200)(environ, start_response)

    def wait_for(self, event_type: str, timeout: float = 15) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for got in self.handled:
                    if got["note"].type == event_type:
                        return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {event_type} handled within {timeout} s")
                self.changed.wait(left)


def test_listen_all_thin_forwards_signed_thin_events_the_sdk_verifies(
    server: BackgroundServer,
) -> None:
    key = _key()
    cli = StripeCLI(key, api_base=server.url)
    client = stripe.StripeClient(key, base_addresses={"api": server.url},
                                 max_network_retries=0)
    handler = ThinHandler(client)
    with handler.server, cli.listen(handler.server.url_for("/thin"),
                                    events="all-thin") as listening:
        handler.secret = listening.secret or ""
        assert "--all-thin" in listening.display
        account = client.v2.core.accounts.create({"display_name": "Maya"})
        client.v2.core.accounts.update(account.id, {"display_name": "Maya R."})
        created = handler.wait_for("v2.core.account.created")
        updated = handler.wait_for("v2.core.account.updated")
        note, event = created["note"], created["event"]
        assert created["path"] == "/thin"
        assert type(note).__name__ == "V2CoreAccountCreatedEventNotification"
        assert note.related_object.id == account.id and note.context is None
        assert event.id == note.id and event.changes.before is None
        assert updated["event"].changes.after.display_name == "Maya R."
        assert note.fetch_related_object().display_name == "Maya R."
        listening.wait_for(f"[200] POST {handler.server.url_for('/thin')} [{note.id}]")
        responses = {r["event"]: r for r in listening.responses()}
        assert responses[note.id]["status"] == 200
        assert responses[note.id]["event_type"] == "v2.core.account.created"
        assert {"type": "v2.core.account.created", "id": note.id, "connect": False} in \
            listening.events()


def test_listen_events_filters_thin_types_and_a_foreign_secret_fails(
    server: BackgroundServer,
) -> None:
    """``--events v2.core.account.updated`` (CLI 1.52 tells thin from snapshot types by the
    ``v2.`` prefix) forwards only that type; a handler holding another secret refuses it."""
    key = _key()
    cli = StripeCLI(key, api_base=server.url)
    client = stripe.StripeClient(key, base_addresses={"api": server.url},
                                 max_network_retries=0)
    handler = ThinHandler(client)
    handler.secret = "whsec_" + "0" * 64
    with handler.server, cli.listen(handler.server.url_for("/only-updated"),
                                    events=["v2.core.account.updated"]) as listening:
        account = client.v2.core.accounts.create({"display_name": "Maya"})
        client.v2.core.accounts.update(account.id, {"display_name": "Maya R."})
        line = listening.wait_for(re.compile(r"<--\s+\[400\] POST .*only-updated"))
        assert "[evt_test_" in line
        assert [e["type"] for e in listening.events()] == ["v2.core.account.updated"]
        assert handler.handled == []


def test_supported_triggers_exit_zero(server: BackgroundServer) -> None:
    def run(chain: list[str]) -> dict[str, list[str]]:
        cli = StripeCLI(_key(), api_base=server.url)
        failed = {}
        for name in chain:
            result = cli.trigger(name, check=False, timeout=30)
            if not result.ok:
                failed[name] = result.lines[-6:]
        return failed

    with ThreadPoolExecutor(max_workers=4) as pool:
        failed = {k: v for part in pool.map(run, SUPPORTED_TRIGGERS) for k, v in part.items()}
    assert not failed, failed


def test_transfer_created_on_a_fresh_platform_needs_available_funds(
    server: BackgroundServer,
) -> None:
    """Its fixture pays 1000 with pm_card_bypassPending (941 available after Stripe's fee)
    and then transfers 1000: on an empty platform that is honestly balance_insufficient."""
    result = StripeCLI(_key(), api_base=server.url).trigger("transfer.created", check=False)
    assert not result.ok
    assert "balance_insufficient" in str(result)


# -- the session API and the websocket URL, without the CLI --------------------------------
def test_session_api_answers_what_the_cli_reads(server: BackgroundServer) -> None:
    client = Client(server.emulator)  # type: ignore[attr-defined]
    key = _key()
    resp = client.post("/v1/stripecli/sessions", headers={"Authorization": f"Bearer {key}"},
                       data={"device_name": "pytest", "websocket_features[]": "webhooks",
                             "forward_to_url": "http://127.0.0.1:1/webhook"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["websocket_authorized_feature"] == "webhooks"
    assert body["websocket_url"].startswith("ws://localhost/subscribe/acct_")
    assert body["secret"].startswith("whsec_")
    assert body["default_version"] == "2026-07-29.dahlia"
    assert body["reconnect_delay"] > 0 and body["display_connect_filter_warning"] is False
    again = client.post("/v1/stripecli/sessions", headers={"Authorization": f"Bearer {key}"},
                        data={"device_name": "pytest", "websocket_features[]": "webhooks"})
    assert again.get_json()["secret"] == body["secret"]  # stable per key and device
    assert again.get_json()["websocket_id"] != body["websocket_id"]

    thin = client.post("/v1/stripecli/sessions", headers={"Authorization": f"Bearer {key}"},
                       data={"device_name": "pytest", "websocket_features[]": "v2_events"})
    assert thin.status_code == 200
    assert thin.get_json()["websocket_authorized_feature"] == "v2_events"
    both = client.post("/v1/stripecli/sessions", headers={"Authorization": f"Bearer {key}"},
                       data={"device_name": "pytest",
                             "websocket_features[]": ["webhooks", "v2_events"]})
    assert both.get_json()["websocket_authorized_feature"] == "webhooks,v2_events"
    neither = client.post("/v1/stripecli/sessions", headers={"Authorization": f"Bearer {key}"},
                          data={"device_name": "pytest", "websocket_features[]": "request_logs"})
    assert neither.status_code == 400
    assert neither.get_json()["error"]["param"] == "websocket_features"
    unknown = client.post("/v1/stripecli/sessions", headers={"Authorization": f"Bearer {key}"},
                          data={"websocket_features[]": "webhooks", "forward_to": "x"})
    assert unknown.status_code == 400
    assert client.post("/v1/stripecli/sessions",
                       data={"websocket_features[]": "webhooks"}).status_code == 401


def test_websocket_url_refuses_unknown_sessions_and_plain_http(server: BackgroundServer) -> None:
    client = Client(server.emulator)  # type: ignore[attr-defined]
    plain = client.get("/subscribe/acct_123")
    assert plain.status_code == 400
    assert plain.get_json()["error"]["message"] == "Expected a websocket upgrade."
    upgrade = client.get("/subscribe/acct_123?websocket_feature=webhooks",
                         headers={"Upgrade": "websocket", "Connection": "Upgrade",
                                  "Websocket-Id": "cliws_nope",
                                  "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                                  "Sec-WebSocket-Version": "13"})
    assert upgrade.status_code == 400
    # The CLI's cue to open a new session (pkg/websocket: ErrUnknownID).
    assert upgrade.get_json()["error"]["message"] == "Unknown WebSocket ID."


def test_cli_gets_the_default_rendering_and_the_latest_as_an_alternative() -> None:
    """A ``stripe listen`` session stands for an endpoint without api_version: the event at
    the account's default version (``endpoint.api_version`` null), and the same event at the
    latest version as the alternative the CLI keeps only with ``--latest``. The two differ in
    data, not only in their label: before 2026-03-25.dahlia ui_mode says ``hosted``
    (https://docs.stripe.com/changelog/dahlia/2026-03-25/updates-available-checkout-session-ui-modes)."""
    emulator = Emulator(settings=Settings(default_api_version="2026-02-25.clover"))
    client, key = Client(emulator), _key()
    made = client.post("/v1/stripecli/sessions", headers={"Authorization": f"Bearer {key}"},
                       data={"device_name": "pytest", "websocket_features[]": "webhooks"})
    assert made.get_json()["default_version"] == "2026-02-25.clover"
    created = client.post("/v1/checkout/sessions", headers={"Authorization": f"Bearer {key}"},
                          data={"mode": "payment", "success_url": "https://example.com/ok",
                                "line_items[0][quantity]": "1",
                                "line_items[0][price_data][currency]": "usd",
                                "line_items[0][price_data][unit_amount]": "1000",
                                "line_items[0][price_data][product_data][name]": "Cabin"})
    session = created.get_json()
    assert session["ui_mode"] == "hosted"  # no Stripe-Version: the account's clover
    client.post(f"/v1/checkout/sessions/{session['id']}/expire",
                headers={"Authorization": f"Bearer {key}"})
    hub = emulator.workers["stripecli"]
    messages = [json.loads(m) for _, m in next(iter(hub.sessions.values())).outbox]
    expired = [(m["endpoint"]["api_version"], json.loads(m["event_payload"])) for m in messages
               if json.loads(m["event_payload"])["type"] == "checkout.session.expired"]
    assert [(v, e["api_version"], e["data"]["object"]["ui_mode"]) for v, e in expired] == [
        (None, "2026-02-25.clover", "hosted"),
        ("2026-10-28.endive", "2026-10-28.endive", "hosted_page")]
    for message in messages:  # each rendering signed as sent
        stripe.Webhook.construct_event(message["event_payload"],
                                       message["http_headers"]["Stripe-Signature"],
                                       made.get_json()["secret"])
