"""Event destinations (``client.v2.core.event_destinations``) and what they receive.

- CRUD, enable/disable, list; ``webhook_endpoint.url`` and ``.signing_secret`` are null
  unless included (the secret only on create);
- a thin destination gets the thin notifications of the types it names, signed with its
  own secret, so ``client.parse_event_notification`` verifies them; ``ping`` sends one;
- a snapshot destination gets v1 Events, verified by ``stripe.Webhook.construct_event``;
- ``events_from`` picks the platform's own events (``@self``) or its accounts'
  (``@accounts``);
- bad input and other platforms' IDs answer Stripe-shaped 4xx.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe

from ...conftest import make_client
from ..support import advance, onboarded_account, raw
from .test_events_webhooks import Receiver, wait_until


def thin_destination(client: stripe.StripeClient, url: str, events: list[str],
                     **extra: Any) -> Any:
    return client.v2.core.event_destinations.create({
        "name": "Connect Lab", "type": "webhook_endpoint", "event_payload": "thin",
        "enabled_events": events, "webhook_endpoint": {"url": url},
        "include": ["webhook_endpoint.signing_secret", "webhook_endpoint.url"], **extra})


def posts(receiver: Receiver, path: str, count: int = 1) -> list[dict[str, Any]]:
    def enough() -> list[dict[str, Any]] | None:
        with receiver.changed:
            got = [r for r in receiver.requests if r["path"] == path]
        return got if len(got) >= count else None

    return wait_until(enough, what=f"{count} POST(s) to {path}")


# -- the object ------------------------------------------------------------------------------
def test_create_shows_the_secret_once_and_the_url_only_when_included(
        client: stripe.StripeClient, receiver: Receiver) -> None:
    dest = thin_destination(client, receiver.url("/thin"), ["v2.core.account.created"],
                            description="Maya's onboarding", metadata={"room": "1"})
    assert dest.object == "v2.core.event_destination" and dest.id.startswith("ed_test_")
    assert dest.type == "webhook_endpoint" and dest.event_payload == "thin"
    assert dest.status == "enabled" and dest.status_details is None
    assert dest.events_from == ["@self"] and dest.snapshot_api_version is None
    assert dest.enabled_events == ["v2.core.account.created"]
    assert dest.description == "Maya's onboarding" and dest.metadata.to_dict() == {"room": "1"}
    assert dest.webhook_endpoint.signing_secret.startswith("whsec_")
    assert dest.webhook_endpoint.url == receiver.url("/thin")
    assert dest.created.endswith("Z") and dest.updated == dest.created

    plain = client.v2.core.event_destinations.retrieve(dest.id)
    assert plain.webhook_endpoint.url is None and plain.webhook_endpoint.signing_secret is None
    shown = client.v2.core.event_destinations.retrieve(
        dest.id, {"include": ["webhook_endpoint.url"]})
    assert shown.webhook_endpoint.url == receiver.url("/thin")
    assert shown.webhook_endpoint.signing_secret is None  # never again after create
    bare = client.v2.core.event_destinations.create({
        "name": "bare", "type": "webhook_endpoint", "event_payload": "thin",
        "enabled_events": ["v2.core.account.updated"],
        "webhook_endpoint": {"url": receiver.url("/bare")}})
    assert bare.webhook_endpoint.signing_secret is None and bare.webhook_endpoint.url is None


def test_update_disable_enable_list_delete(client: stripe.StripeClient,
                                           receiver: Receiver) -> None:
    dest = thin_destination(client, receiver.url("/a"), ["v2.core.account.created"])
    updated = client.v2.core.event_destinations.update(dest.id, {
        "name": "renamed", "enabled_events": ["v2.core.account.updated"],
        "metadata": {"k": "v"}, "webhook_endpoint": {"url": receiver.url("/b")},
        "include": ["webhook_endpoint.url"]})
    assert updated.name == "renamed" and updated.enabled_events == ["v2.core.account.updated"]
    assert updated.webhook_endpoint.url == receiver.url("/b")
    assert updated.metadata.to_dict() == {"k": "v"}
    cleared = client.v2.core.event_destinations.update(dest.id, {"metadata": {"k": None}})
    assert cleared.metadata.to_dict() == {}

    off = client.v2.core.event_destinations.disable(dest.id)
    assert off.status == "disabled" and off.status_details.disabled.reason == "user"
    on = client.v2.core.event_destinations.enable(dest.id)
    assert on.status == "enabled" and on.status_details is None

    other = thin_destination(client, receiver.url("/c"), ["v2.core.account.created"])
    listed = client.v2.core.event_destinations.list({"limit": 1})
    assert [d.id for d in listed.data] == [other.id] and listed.next_page_url
    every = [d.id for d in client.v2.core.event_destinations.list().auto_paging_iter()]
    assert every == [other.id, dest.id]
    urls = client.v2.core.event_destinations.list({"include": ["webhook_endpoint.url"]})
    assert [d.webhook_endpoint.url for d in urls.data] == [receiver.url("/c"),
                                                           receiver.url("/b")]

    deleted = client.v2.core.event_destinations.delete(dest.id)
    assert deleted.id == dest.id and deleted.object == "v2.core.event_destination"
    with pytest.raises(stripe.InvalidRequestError) as gone:
        client.v2.core.event_destinations.retrieve(dest.id)
    assert gone.value.http_status == 404


# -- what a thin destination receives -----------------------------------------------------------
def test_ping_is_signed_for_the_destination_and_parsed_by_the_sdk(
        client: stripe.StripeClient, receiver: Receiver) -> None:
    dest = thin_destination(client, receiver.url("/ping"), ["v2.core.account.created"])
    event = client.v2.core.event_destinations.ping(dest.id)
    assert event.type == "v2.core.event_destination.ping" and event.id.startswith("evt_test_")
    assert event.related_object.id == dest.id
    assert event.related_object.url == f"/v2/core/event_destinations/{dest.id}"

    got = posts(receiver, "/ping")[0]
    note = client.parse_event_notification(got["body"], got["headers"]["Stripe-Signature"],
                                           dest.webhook_endpoint.signing_secret)
    assert type(note).__name__ == "V2CoreEventDestinationPingEventNotification"
    assert note.id == event.id and note.context is None
    assert note.fetch_related_object().id == dest.id
    assert set(json.loads(got["body"])) == {"id", "object", "type", "created", "livemode",
                                            "context", "reason", "related_object"}
    # another secret (another destination's) is refused by the SDK
    other = thin_destination(client, receiver.url("/other"), ["v2.core.account.created"])
    with pytest.raises(stripe.SignatureVerificationError):
        client.parse_event_notification(got["body"], got["headers"]["Stripe-Signature"],
                                        other.webhook_endpoint.signing_secret)


def test_only_the_named_types_reach_a_thin_destination_and_not_when_disabled(
        client: stripe.StripeClient, receiver: Receiver) -> None:
    created_only = thin_destination(client, receiver.url("/created"),
                                    ["v2.core.account.created"])
    updates = thin_destination(client, receiver.url("/updates"), ["v2.core.account.updated"])
    client.v2.core.event_destinations.disable(updates.id)
    account = client.v2.core.accounts.create({"display_name": "Maya"})
    client.v2.core.accounts.update(account.id, {"display_name": "Maya R."})
    got = posts(receiver, "/created")
    note = client.parse_event_notification(got[0]["body"],
                                           got[0]["headers"]["Stripe-Signature"],
                                           created_only.webhook_endpoint.signing_secret)
    assert note.type == "v2.core.account.created" and note.related_object.id == account.id
    client.v2.core.event_destinations.ping(created_only.id)  # a marker: delivered after
    posts(receiver, "/created", 2)
    assert not [r for r in receiver.requests if r["path"] == "/updates"]


def test_a_snapshot_destination_gets_v1_events(client: stripe.StripeClient,
                                               receiver: Receiver) -> None:
    dest = client.v2.core.event_destinations.create({
        "name": "v1", "type": "webhook_endpoint", "event_payload": "snapshot",
        "enabled_events": ["customer.*"], "snapshot_api_version": "2026-10-28.endive",
        "webhook_endpoint": {"url": receiver.url("/snap")},
        "include": ["webhook_endpoint.signing_secret"]})
    assert dest.snapshot_api_version == "2026-10-28.endive"
    customer = client.v1.customers.create({"email": "renter@example.com"})
    got = posts(receiver, "/snap")[0]
    event = stripe.Webhook.construct_event(got["body"], got["headers"]["Stripe-Signature"],
                                           dest.webhook_endpoint.signing_secret)
    assert event.type == "customer.created" and event.data.object.id == customer.id
    assert event.api_version == "2026-10-28.endive"
    assert client.v1.events.retrieve(event.id).pending_webhooks >= 0


def test_events_from_accounts_selects_connected_account_events(
        emulator_server, client: stripe.StripeClient, api_key: str,
        receiver: Receiver) -> None:
    mine = client.v2.core.event_destinations.create({
        "name": "self", "type": "webhook_endpoint", "event_payload": "snapshot",
        "enabled_events": ["customer.created"], "webhook_endpoint": {"url": receiver.url("/self")}})
    theirs = client.v2.core.event_destinations.create({
        "name": "accounts", "type": "webhook_endpoint", "event_payload": "snapshot",
        "events_from": ["@accounts"], "enabled_events": ["customer.created"],
        "webhook_endpoint": {"url": receiver.url("/accounts")}})
    assert mine.events_from == ["@self"] and theirs.events_from == ["@accounts"]
    account = onboarded_account(emulator_server, client, api_key)
    client.v1.customers.create({"email": "a@example.com"}, {"stripe_account": account})
    client.v1.customers.create({"email": "p@example.com"})
    on_account = json.loads(posts(receiver, "/accounts")[0]["body"])
    on_platform = json.loads(posts(receiver, "/self")[0]["body"])
    assert on_account["account"] == account and on_platform["account"] is None
    assert len([r for r in receiver.requests if r["path"] == "/accounts"]) == 1


# -- refusals -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("change", "param"), [
    ({"webhook_endpoint": {"url": "javascript:alert(1)"}}, "webhook_endpoint[url]"),
    ({"webhook_endpoint": {"url": "/relative"}}, "webhook_endpoint[url]"),
    ({"enabled_events": ["*"]}, "enabled_events[0]"),
    ({"enabled_events": ["customer.created"]}, "enabled_events[0]"),
    ({"enabled_events": []}, "enabled_events"),
    ({"enabled_events": ["v2.core.account.created", "v2.core.acount.created"]},
     "enabled_events[1]"),
    ({"enabled_events": ["v1.billing.meter.no_meter_found"]}, "enabled_events[0]"),
    ({"snapshot_api_version": "2026-10-28.endive"}, "snapshot_api_version"),
    ({"type": "amazon_eventbridge"}, "type"),
    ({"events_from": ["@organization_members"]}, "events_from[0]"),
    ({"events_from": ["everyone"]}, "events_from[0]"),
    ({"event_payload": "fat"}, "event_payload"),
    ({"include": ["webhook_endpoint.secret"]}, "include[0]"),
])
def test_bad_destinations_are_400s_naming_the_parameter(
        client: stripe.StripeClient, change: dict[str, Any], param: str) -> None:
    params = {"name": "x", "type": "webhook_endpoint", "event_payload": "thin",
              "enabled_events": ["v2.core.account.created"],
              "webhook_endpoint": {"url": "https://example.com/hook"}, **change}
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v2.core.event_destinations.create(params)
    assert caught.value.http_status == 400
    assert caught.value.param == param, caught.value.user_message


def test_a_thin_type_the_emulator_never_sends_says_so(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        thin_destination(client, "https://example.com/hook",
                         ["v2.core.account_person.created"])
    assert "not modelled" in caught.value.user_message
    assert "v2.core.account[requirements].updated" in caught.value.user_message


def test_a_missing_webhook_endpoint_and_a_snapshot_star(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v2.core.event_destinations.create({
            "name": "x", "type": "webhook_endpoint", "event_payload": "thin",
            "enabled_events": ["v2.core.account.created"]})
    assert caught.value.param == "webhook_endpoint"
    star = client.v2.core.event_destinations.create({
        "name": "all", "type": "webhook_endpoint", "event_payload": "snapshot",
        "enabled_events": ["*"], "webhook_endpoint": {"url": "https://example.com/all"}})
    assert star.enabled_events == ["*"]
    with pytest.raises(stripe.InvalidRequestError) as thin_type:
        client.v2.core.event_destinations.update(star.id,
                                                 {"enabled_events": ["v2.core.account.created"]})
    assert thin_type.value.param == "enabled_events[0]"


def test_another_platforms_destination_is_not_found(emulator_server,
                                                    client: stripe.StripeClient,
                                                    receiver: Receiver) -> None:
    dest = thin_destination(client, receiver.url("/mine"), ["v2.core.account.created"])
    other = make_client(emulator_server, "sk_test_platform_other_dest")
    calls = [
        lambda: other.v2.core.event_destinations.retrieve(dest.id),
        lambda: other.v2.core.event_destinations.update(dest.id, {"name": "taken"}),
        lambda: other.v2.core.event_destinations.ping(dest.id),
        lambda: other.v2.core.event_destinations.disable(dest.id),
        lambda: other.v2.core.event_destinations.delete(dest.id),
    ]
    for call in calls:
        with pytest.raises(stripe.InvalidRequestError) as caught:
            call()
        assert caught.value.http_status == 404
    assert other.v2.core.event_destinations.list().data == []
    assert client.v2.core.event_destinations.retrieve(dest.id).name == "Connect Lab"
    log = raw(emulator_server, "GET", f"/_emulator/event_destinations/{dest.id}/deliveries",
              key="sk_test_platform_other_dest")
    assert log.status == 404


def test_a_connected_account_cannot_create_destinations(emulator_server,
                                                        client: stripe.StripeClient,
                                                        api_key: str) -> None:
    account = onboarded_account(emulator_server, client, api_key)
    with pytest.raises(stripe.PermissionError) as caught:
        client.v2.core.event_destinations.create(
            {"name": "x", "type": "webhook_endpoint", "event_payload": "thin",
             "enabled_events": ["v2.core.account.created"],
             "webhook_endpoint": {"url": "https://example.com/hook"}},
            {"stripe_account": account})
    assert "not modelled" in caught.value.user_message
    assert client.v2.core.event_destinations.list({}, {"stripe_account": account}).data == []


def test_a_failed_delivery_is_retried_on_the_emulators_clock(
        emulator_server, client: stripe.StripeClient, api_key: str,
        receiver: Receiver) -> None:
    """The webhook worker's schedule (an hour after the first failure), for a thin
    destination as for a v1 endpoint."""
    dest = thin_destination(client, receiver.url("/flaky"), ["v2.core.account.created"])
    receiver.script["/flaky"] = [500]
    event = client.v2.core.event_destinations.ping(dest.id)
    posts(receiver, "/flaky")

    def log() -> list[dict[str, Any]]:
        got = raw(emulator_server, "GET",
                  f"/_emulator/event_destinations/{dest.id}/deliveries", key=api_key)
        assert got.status == 200, got.body
        return got.body["data"]

    first = wait_until(lambda: [d for d in log() if d["attempts"] == 1], what="a failure")
    assert first[0]["event"] == event.id and first[0]["status"] == "pending"
    assert first[0]["last_status"] == 500
    advance(emulator_server, api_key, 3600)
    retried = posts(receiver, "/flaky", 2)[1]
    assert json.loads(retried["body"])["id"] == event.id
    done = wait_until(lambda: [d for d in log() if d["status"] == "succeeded"],
                      what="the retry")
    assert done[0]["attempts"] == 2 and done[0]["last_status"] == 200
