"""Thin events (``client.v2.core.events``): what v2 Accounts report and how it reads back.

- creating and updating a v2 Account makes ``v2.core.account.created`` / ``.updated``
  events, plus one per changed part (``v2.core.account[identity].updated`` …), each pointing
  at the Account (``related_object``) and naming the request that caused it;
- ``GET /v2/core/events/{id}`` returns the full event (``changes``), ``GET /v2/core/events``
  lists them newest first, filtered by ``object_id``, ``types`` and ``created``;
- they are the platform's own: another platform's event ID is a 404, and v1's
  ``/v1/events`` neither lists nor returns them.
"""

from __future__ import annotations

import pytest
import stripe

from harness.emulator.resources import thin_events

from ...conftest import make_client
from ..support import Problems, check_v2_body, check_v2_fields, recording_client
from .test_core_accounts import maya, onboard


def account_events(client: stripe.StripeClient, account_id: str) -> list[str]:
    return [e.type for e in client.v2.core.events.list({"object_id": account_id}).data]


def test_account_create_and_update_make_thin_events(client: stripe.StripeClient) -> None:
    account = client.v2.core.accounts.create({"display_name": "Maya",
                                              "identity": {"country": "us"}})
    assert account_events(client, account.id) == ["v2.core.account.created"]
    client.v2.core.accounts.update(account.id, {"display_name": "Maya R."})
    assert account_events(client, account.id) == ["v2.core.account.updated",
                                                   "v2.core.account.created"]
    client.v2.core.accounts.update(account.id, {"identity": {"entity_type": "individual"}})
    kinds = account_events(client, account.id)
    assert kinds[0] == "v2.core.account[identity].updated"
    assert kinds.count("v2.core.account.updated") == 2  # one per update request
    client.v2.core.accounts.update(account.id, {"display_name": "Maya R."})  # no change
    assert account_events(client, account.id) == kinds


def test_the_full_event_has_changes_and_the_request(client: stripe.StripeClient) -> None:
    account = client.v2.core.accounts.create({"display_name": "Maya"})
    updated = client.v2.core.accounts.update(account.id, {"display_name": "Maya R."},
                                             {"idempotency_key": "rename-maya"})
    listed = client.v2.core.events.list({"object_id": account.id,
                                         "types": ["v2.core.account.updated"]})
    assert len(listed.data) == 1
    event = client.v2.core.events.retrieve(listed.data[0].id)
    assert type(event).__name__ == "V2CoreAccountUpdatedEvent"
    assert event.object == "v2.core.event" and event.id.startswith("evt_test_")
    assert event.context is None and event.livemode is False
    assert event.related_object.id == account.id
    assert event.related_object.type == "v2.core.account"
    assert event.related_object.url == f"/v2/core/accounts/{account.id}"
    assert event.changes.to_dict() == {"before": {"display_name": "Maya"},
                                       "after": {"display_name": "Maya R."}}
    assert event.reason.type == "request"
    assert event.reason.request.id == updated.last_response.request_id
    assert event.reason.request.idempotency_key == "rename-maya"
    assert event.created.endswith("Z")
    created = client.v2.core.events.list({"object_id": account.id,
                                          "types": ["v2.core.account.created"]}).data[0]
    assert created.changes.before is None and created.changes.after.display_name == "Maya"
    assert event.fetch_related_object().display_name == "Maya R."


def test_events_list_pages_and_filters_by_created(client: stripe.StripeClient) -> None:
    first = client.v2.core.accounts.create({"display_name": "One"})
    client.v2.core.accounts.create({"display_name": "Two"})
    client.v2.core.accounts.create({"display_name": "Three"})
    page = client.v2.core.events.list({"limit": 2})
    assert len(page.data) == 2 and page.next_page_url
    every = list(client.v2.core.events.list({"limit": 2}).auto_paging_iter())
    assert [e.type for e in every] == ["v2.core.account.created"] * 3
    assert every[-1].related_object.id == first.id
    assert len(client.v2.core.events.list({"created": {"gte": every[-1].created}}).data) == 3
    assert client.v2.core.events.list({"created": {"gt": every[0].created}}).data == []
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v2.core.events.list({"created": {"gt": "yesterday"}})
    assert caught.value.http_status == 400 and caught.value.param == "created[gt]"
    with pytest.raises(stripe.InvalidRequestError):
        client.v2.core.events.list({"types": [f"v2.t{i}" for i in range(21)]})


def test_thin_events_belong_to_their_platform_and_not_to_v1(
        emulator_server, client: stripe.StripeClient) -> None:
    account = client.v2.core.accounts.create({"display_name": "Maya"})
    event = client.v2.core.events.list({"object_id": account.id}).data[0]
    other = make_client(emulator_server, "sk_test_platform_other_thin")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        other.v2.core.events.retrieve(event.id)
    assert caught.value.http_status == 404
    assert other.v2.core.events.list({"object_id": account.id}).data == []
    with pytest.raises(stripe.InvalidRequestError) as v1:
        client.v1.events.retrieve(event.id)
    assert v1.value.http_status == 404
    assert not [e for e in client.v1.events.list().data if e.type.startswith("v2.")]


def test_hosted_onboarding_reports_requirements_capability_and_the_return(
        client: stripe.StripeClient) -> None:
    """Maya's recipient account, onboarded with a v2 Account Link through the hosted page:
    her requirements clear, ``stripe_balance.stripe_transfers`` turns active, and she comes
    back to the platform."""
    account = maya(client)
    onboard(client, account.id)
    kinds = [e.type for e in client.v2.core.events.list().data]
    assert kinds == [
        "v2.core.account_link.returned",
        "v2.core.account[configuration.recipient].capability_status_updated",
        "v2.core.account[configuration.recipient].updated",
        "v2.core.account[requirements].updated",
        "v2.core.account[defaults].updated",
        "v2.core.account[identity].updated",
        "v2.core.account.updated",  # one for the request, with every part that changed
        "v2.core.account.created",
    ]
    events = {e.type: e for e in client.v2.core.events.list().data}
    status = client.v2.core.events.retrieve(
        events["v2.core.account[configuration.recipient].capability_status_updated"].id)
    assert status.data.updated_capability == "stripe_balance.stripe_transfers"
    assert status.related_object.id == account.id
    returned = client.v2.core.events.retrieve(events["v2.core.account_link.returned"].id)
    assert returned.data.to_dict() == {"account_id": account.id,
                                       "configurations": ["recipient"],
                                       "use_case": "account_onboarding"}
    assert returned.reason is None  # a browser came back: no API request caused it
    requirements = client.v2.core.events.retrieve(
        events["v2.core.account[requirements].updated"].id)
    assert requirements.changes.before.requirements.entries
    assert requirements.changes.after.requirements.entries == []


def test_unapplying_the_recipient_configuration_reports_its_capability(
        client: stripe.StripeClient) -> None:
    account = maya(client)
    onboard(client, account.id)
    seen = {e.id for e in client.v2.core.events.list({"limit": 100}).data}
    client.v2.core.accounts.update(account.id,
                                   {"configuration": {"recipient": {"applied": False}}})
    new = [e for e in client.v2.core.events.list({"limit": 100}).data if e.id not in seen]
    assert [e.type for e in new] == [
        "v2.core.account[configuration.recipient].capability_status_updated",
        "v2.core.account[configuration.recipient].updated",
        "v2.core.account.updated"]
    event = client.v2.core.events.retrieve(new[0].id)
    assert event.data.updated_capability == "stripe_balance.stripe_transfers"


def test_closing_an_account_reports_closed(client: stripe.StripeClient) -> None:
    account = maya(client)
    client.v2.core.accounts.close(account.id)
    kinds = [e.type for e in client.v2.core.events.list({"object_id": account.id}).data]
    assert kinds[0] == "v2.core.account.closed"
    assert "v2.core.account.updated" in kinds[1:4]
    assert kinds.count("v2.core.account.updated") == 1


def test_every_thin_event_and_destination_has_exactly_the_sdks_fields(
        emulator_server, api_key: str) -> None:
    """Fidelity (issue 17, item 4): every v2 body of the event routes carries every field
    stripe-python 16 declares on its class, for an event the class of its type
    (``V2CoreAccountCreatedEvent`` …), and no other."""
    client, log = recording_client(emulator_server, api_key)
    account = maya(client)
    onboard(client, account.id)
    client.v2.core.accounts.close(account.id)
    dest = client.v2.core.event_destinations.create({
        "name": "d", "type": "webhook_endpoint", "event_payload": "thin",
        "enabled_events": ["v2.core.account.created"],
        "webhook_endpoint": {"url": "https://example.com/hook"},
        "include": ["webhook_endpoint.signing_secret", "webhook_endpoint.url"]})
    client.v2.core.event_destinations.ping(dest.id)
    client.v2.core.event_destinations.disable(dest.id)
    client.v2.core.event_destinations.list({"limit": 1})
    client.v2.core.event_destinations.delete(dest.id)
    for event in client.v2.core.events.list({"limit": 100}).data:
        client.v2.core.events.retrieve(event.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v2.core.events.retrieve("evt_test_nosuchevent")
    problems = Problems()
    for exchange in log.log:
        if "/v2/core/event" not in exchange.url:
            continue
        if exchange.method == "delete":  # the SDK reads it as a v2 DeletedObject
            check_v2_fields(exchange.body, stripe.v2.DeletedObject, "deleted", problems)
        else:
            check_v2_body(exchange.body, problems)
    assert sorted(problems.items) == []
    assert {"v2.core.event", "v2.core.event_destination"} <= problems.types_seen
    kinds = {e.type for e in client.v2.core.events.list({"limit": 100}).data}
    assert len(kinds) >= 9, kinds


def test_part_events_follow_what_changed_in_an_account() -> None:
    """The derivation of part events from one ``v2.core.account.updated`` signal, for the
    parts no v2 route changes yet (configurations and requirements)."""
    before = {"object": "v2.core.account", "id": "acct_1", "display_name": "Maya",
              "requirements": {"entries": [{"description": "ssn_last_4"}]},
              "configuration": {"recipient": {"capabilities": {"stripe_balance": {
                  "stripe_transfers": {"status": "restricted", "requested": True}}}}}}
    after = {**before, "requirements": {"entries": []},
             "configuration": {"recipient": {"capabilities": {"stripe_balance": {
                 "stripe_transfers": {"status": "active", "requested": True}}}}}}
    previous = {"requirements": before["requirements"],
                "configuration": before["configuration"]}
    got = thin_events._expand("v2.core.account.updated", after, previous)
    assert [kind for kind, _ in got] == [
        "v2.core.account.updated",
        "v2.core.account[requirements].updated",
        "v2.core.account[configuration.recipient].updated",
        "v2.core.account[configuration.recipient].capability_status_updated",
    ]
    assert got[3][1]["data"] == {"updated_capability": "stripe_balance.stripe_transfers"}
    assert got[2][1]["changes"]["before"] == {"configuration": before["configuration"]}


def test_every_type_the_emulator_sends_is_one_stripe_sends() -> None:
    assert sorted(t for t in thin_events.SENT if not thin_events.known(t)) == []
