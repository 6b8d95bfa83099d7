"""The platform's ``/webhook/thin`` against the emulator: an event destination delivers
Maya's onboarding as thin events; the handler verifies each with
``client.parse_event_notification``, fetches what it needs, and records it once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from harness.lab.server import BackgroundServer
from harness.platform import PlatformConfig, create_app
from harness.platform.db import Database

from ..conftest import make_client
from ..emulator.resources.test_core_accounts import maya, onboard
from ..emulator.support import raw


@pytest.fixture
def platform(emulator_server: BackgroundServer, api_key: str) -> Iterator[dict[str, Any]]:
    config = PlatformConfig(api_key, "pk_test_unused_here", api_base=emulator_server.url)
    db = Database()
    with BackgroundServer(create_app(config, db)) as server:
        yield {"config": config, "db": db, "url": server.url_for("/webhook/thin")}


def decisions(db: Database, count: int, timeout: float = 10) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        rows = db.query("SELECT type, object_id, decision FROM webhook_events ORDER BY type")
        if len(rows) >= count or time.monotonic() > deadline:
            return [dict(r) for r in rows]
        time.sleep(0.05)


def test_a_destination_delivers_maya_onboarding_to_the_platform(
        client: stripe.StripeClient, platform: dict[str, Any]) -> None:
    dest = client.v2.core.event_destinations.create({
        "name": "platform", "type": "webhook_endpoint", "event_payload": "thin",
        "enabled_events": [
            "v2.core.account.created",
            "v2.core.account[requirements].updated",
            "v2.core.account[configuration.recipient].capability_status_updated",
            "v2.core.account_link.returned"],
        "webhook_endpoint": {"url": platform["url"]},
        "include": ["webhook_endpoint.signing_secret"]})
    platform["config"].webhook_secret = dest.webhook_endpoint.signing_secret
    account = maya(client)
    onboard(client, account.id)
    got = {row["type"]: row for row in decisions(platform["db"], 4)}
    assert got["v2.core.account.created"]["decision"] == f"{account.id}: account created"
    assert got["v2.core.account[configuration.recipient].capability_status_updated"][
        "decision"] == (f"{account.id}: recipient stripe_balance.stripe_transfers is active: "
                        "it can receive transfers")
    assert got["v2.core.account_link.returned"]["decision"] == \
        f"{account.id} came back from account_onboarding"
    assert got["v2.core.account[requirements].updated"]["object_id"] == account.id


def test_a_forged_or_foreign_notification_is_refused(
        emulator_server: BackgroundServer, client: stripe.StripeClient,
        platform: dict[str, Any]) -> None:
    """The platform holds its own destination's secret; another platform's destination
    (its own secret) pointed at this URL gets 400s, and nothing is recorded."""
    mine = client.v2.core.event_destinations.create({
        "name": "mine", "type": "webhook_endpoint", "event_payload": "thin",
        "enabled_events": ["v2.core.account.created"],
        "webhook_endpoint": {"url": "https://example.com/elsewhere"},
        "include": ["webhook_endpoint.signing_secret"]})
    platform["config"].webhook_secret = mine.webhook_endpoint.signing_secret
    other = make_client(emulator_server, "sk_test_platform_thin_intruder")
    theirs = other.v2.core.event_destinations.create({
        "name": "theirs", "type": "webhook_endpoint", "event_payload": "thin",
        "enabled_events": ["v2.core.account.created"],
        "webhook_endpoint": {"url": platform["url"]}})
    other.v2.core.event_destinations.ping(theirs.id)  # a ping is not enabled_events-bound
    other.v2.core.accounts.create({"display_name": "Mallory"})
    deadline = time.monotonic() + 10
    while True:
        log = raw(emulator_server, "GET",
                  f"/_emulator/event_destinations/{theirs.id}/deliveries",
                  key="sk_test_platform_thin_intruder").body["data"]
        if len([d for d in log if d["attempts"]]) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert sorted(d["event_type"] for d in log) == ["v2.core.account.created",
                                                    "v2.core.event_destination.ping"]
    assert {d["last_status"] for d in log} == {400}
    assert platform["db"].query("SELECT * FROM webhook_events") == []


def test_a_signed_snapshot_event_is_not_a_thin_notification(platform: dict[str, Any]) -> None:
    """parse_event_notification refuses a v1 Event (``object: "event"``): a 400 that says so,
    not a 500, and nothing recorded."""
    import json
    import urllib.error
    import urllib.request

    platform["config"].webhook_secret = "whsec_thin_test_secret"
    body = json.dumps({"id": "evt_1", "object": "event", "type": "customer.created",
                       "data": {"object": {"id": "cus_1"}}})
    signature = stripe.WebhookSignature.generate_signature_header(
        body, "whsec_thin_test_secret")
    request = urllib.request.Request(platform["url"], data=body.encode(), method="POST",
                                     headers={"Stripe-Signature": signature,
                                              "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 400
    assert b"not a thin event notification" in caught.value.read()
    assert platform["db"].query("SELECT * FROM webhook_events") == []
