"""Persons and company accounts through stripe-python: a Custom company onboarded through
the API, a company Express account through the onboarding control, the requirements that
clear on the way, the events, and who may see whose persons."""

from __future__ import annotations

import pytest
import stripe

from ...conftest import make_client
from ..support import control, fresh_secret_key, onboarded_account

CAPS = {"card_payments": {"requested": True}, "transfers": {"requested": True}}
ADDRESS = {"line1": "address_full_match", "city": "San Francisco", "state": "CA",
           "postal_code": "94111"}
REPRESENTATIVE = {"first_name": "Jane", "last_name": "Lakeside", "email": "jane@example.com",
                  "phone": "0000000000", "dob": {"day": 1, "month": 1, "year": 1901},
                  "address": ADDRESS, "ssn_last_4": "0000"}


def _company(client: stripe.StripeClient, kind: str = "custom") -> stripe.Account:
    return client.v1.accounts.create({
        "type": kind, "country": "US", "business_type": "company", "capabilities": CAPS,
        "company": {"name": "Lakeside Rentals LLC", "tax_id": "000000000"}})


def test_a_new_company_is_asked_for_its_company_and_representative_fields(
        client: stripe.StripeClient) -> None:
    account = _company(client)
    assert (account.business_type, account.company.name) == ("company", "Lakeside Rentals LLC")
    assert account.company.tax_id_provided is True and "tax_id" not in account.company
    due = account.requirements.currently_due
    for field in ("company.address.line1", "company.phone", "company.owners_provided",
                  "representative.first_name", "representative.dob.day",
                  "representative.ssn_last_4", "representative.relationship.title",
                  "external_account", "tos_acceptance.date"):
        assert field in due, field
    assert "company.name" not in due and "company.tax_id" not in due
    assert not any(f.startswith("individual.") for f in due)
    assert (account.charges_enabled, account.capabilities.transfers) == (False, "inactive")


def test_a_custom_company_onboards_through_the_api(client: stripe.StripeClient) -> None:
    account = _company(client)
    rep = client.v1.accounts.persons.create(account.id, {
        "first_name": "Jane", "last_name": "Lakeside",
        "relationship": {"representative": True, "owner": True, "percent_ownership": 100,
                         "title": "CEO"}})
    assert rep.id.startswith("person_") and rep.account == account.id
    assert "dob.day" in rep.requirements.currently_due
    due = client.v1.accounts.retrieve(account.id).requirements.currently_due
    assert f"{rep.id}.dob.day" in due and "representative.first_name" not in due
    rep = client.v1.accounts.persons.update(account.id, rep.id, {
        k: v for k, v in REPRESENTATIVE.items() if k not in ("first_name", "last_name")})
    assert rep.requirements.currently_due == [] and rep.verification.status == "verified"
    assert rep.ssn_last_4_provided is True and "ssn_last_4" not in rep
    done = client.v1.accounts.update(account.id, {
        "company": {"owners_provided": True, "phone": "0000000000", "address": ADDRESS},
        "business_profile": {"mcc": "6513", "url": "https://example.com/lakeside"},
        "tos_acceptance": {"date": 1767225600, "ip": "127.0.0.1"},
        "external_account": "btok_us_verified"})
    assert done.requirements.currently_due == []
    assert (done.charges_enabled, done.payouts_enabled, done.capabilities.transfers) == (
        True, True, "active")
    events = [e.type for e in client.v1.events.list(
        {"limit": 50}, options={"stripe_account": account.id}).data]
    assert events.count("person.created") == 1 and "person.updated" in events
    assert "account.updated" in events


def test_an_owner_who_has_not_given_their_details_keeps_the_account_waiting(
        client: stripe.StripeClient, emulator_server, api_key) -> None:
    account = _company(client)
    owner = client.v1.accounts.persons.create(account.id, {
        "first_name": "Olaf", "relationship": {"owner": True, "percent_ownership": 40}})
    control(emulator_server, api_key, f"/_emulator/accounts/{account.id}/complete_onboarding")
    # The control fills every missing field with Stripe's test values, the owner's too.
    after = client.v1.accounts.retrieve(account.id)
    assert after.requirements.currently_due == [] and after.charges_enabled is True
    owner = client.v1.accounts.persons.retrieve(account.id, owner.id)
    assert (owner.first_name, owner.dob.year, owner.requirements.currently_due) == (
        "Olaf", 1901, [])
    another = client.v1.accounts.persons.create(account.id, {
        "first_name": "Ada", "relationship": {"owner": True}})
    waiting = client.v1.accounts.retrieve(account.id)
    assert f"{another.id}.last_name" in waiting.requirements.currently_due
    assert waiting.charges_enabled is False


def test_a_company_express_account_completes_onboarding(
        client: stripe.StripeClient, emulator_server, api_key) -> None:
    account = _company(client, "express")
    control(emulator_server, api_key, f"/_emulator/accounts/{account.id}/complete_onboarding")
    done = client.v1.accounts.retrieve(account.id)
    assert done.requirements.currently_due == [] and done.company.owners_provided is True
    persons = client.v1.accounts.persons.list(account.id).data
    assert [(p.relationship.representative, p.verification.status) for p in persons] == [
        (True, "verified")]
    reps = client.v1.accounts.persons.list(account.id, {"relationship": {"representative":
                                                                         True}}).data
    assert [p.id for p in reps] == [persons[0].id]
    assert client.v1.accounts.persons.list(account.id, {"relationship": {"owner": True}}) \
        .data == []


def test_one_representative_at_a_time_and_deleting_a_person(
        client: stripe.StripeClient) -> None:
    account = _company(client)
    first = client.v1.accounts.persons.create(account.id, {
        **REPRESENTATIVE, "relationship": {"representative": True, "title": "CEO"}})
    second = client.v1.accounts.persons.create(account.id, {
        "first_name": "Sam", "relationship": {"representative": True}})
    assert client.v1.accounts.persons.retrieve(account.id, first.id) \
        .relationship.representative is False
    gone = client.v1.accounts.persons.delete(account.id, second.id)
    assert gone.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.accounts.persons.retrieve(account.id, second.id)
    assert (err.value.http_status, err.value.code) == (404, "resource_missing")
    due = client.v1.accounts.retrieve(account.id).requirements.currently_due
    assert "representative.first_name" in due  # no representative left
    assert client.v1.events.list({"limit": 3}, options={"stripe_account": account.id}) \
        .data[1].type == "person.deleted"


@pytest.mark.parametrize(("params", "param"), [
    ({"ssn_last_4": "12"}, "ssn_last_4"),
    ({"dob": {"day": 40, "month": 1, "year": 1990}}, "dob[day]"),
    ({"relationship": {"percent_ownership": "101"}}, "relationship[percent_ownership]"),
    ({"person_token": "cpt_123"}, "person_token"),
])
def test_bad_person_details_name_the_parameter(client: stripe.StripeClient, params: dict,
                                               param: str) -> None:
    account = _company(client)
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.accounts.persons.create(account.id, params)
    assert (err.value.http_status, err.value.param) == (400, param)


def test_persons_answer_only_to_whoever_may_read_their_account(
        emulator_server, client, api_key) -> None:
    account = _company(client)
    person = client.v1.accounts.persons.create(account.id, {"first_name": "Jane"})
    other = _company(client)
    with pytest.raises(stripe.InvalidRequestError) as err:  # under the wrong account
        client.v1.accounts.persons.retrieve(other.id, person.id)
    assert (err.value.http_status, err.value.code) == (404, "resource_missing")
    stranger = make_client(emulator_server, fresh_secret_key())
    with pytest.raises(stripe.PermissionError):
        stranger.v1.accounts.persons.retrieve(account.id, person.id)
    with pytest.raises(stripe.PermissionError):
        stranger.v1.accounts.persons.create(account.id, {"first_name": "Mallory"})
    sibling = onboarded_account(emulator_server, client, api_key)
    with pytest.raises(stripe.PermissionError):  # a connected account reading a sibling's
        client.v1.accounts.persons.list(account.id, options={"stripe_account": sibling})
    as_itself = client.v1.accounts.persons.list(account.id,
                                                options={"stripe_account": account.id})
    assert [p.id for p in as_itself.data] == [person.id]
