"""Fidelity of API v2 objects (issue 17, item 4): every v2 body the emulator answers carries
every field stripe-python 16 declares on its class and nested classes (null where Optional),
and no field it does not declare. The scenario reaches every section ``include`` can fill,
before and after hosted onboarding, with all three configurations, both Account Link use
cases, list pages and v2 errors."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from .resources.test_core_accounts import (
    ALL,
    CUSTOMER,
    MERCHANT,
    RECIPIENT,
    REFRESH,
    RETURN,
    onboard,
)
from .resources.test_core_accounts import maya as make_maya
from .support import Problems, check_v2_body, recording_client


def run_scenario(server: Any, key: str) -> tuple[list[Any], Problems]:
    client, log = recording_client(server, key)
    v2 = client.v2.core
    everything = {**RECIPIENT, **MERCHANT, **CUSTOMER}
    maya = make_maya(client, everything, include=ALL, metadata={"listing": "loft"},
                     contact_phone="+15555550100")
    v2.accounts.retrieve(maya.id, {"include": ALL})
    v2.accounts.retrieve(maya.id)
    onboard(client, maya.id)
    v2.accounts.retrieve(maya.id, {"include": ALL})
    v2.accounts.update(maya.id, {"display_name": "Maya's Lofts", "include": ALL,
                                 "identity": {"individual": {
                                     "address": {"line1": "1 Main St", "city": "Portland",
                                                 "state": "OR", "postal_code": "97211",
                                                 "country": "US"},
                                     "date_of_birth": {"day": 1, "month": 1, "year": 1990}}}})
    recipient = make_maya(client)
    v2.accounts.update(recipient.id, {"include": ALL, "defaults": {"locales": ["en-US"]}})
    for flow in ("account_onboarding", "account_update"):
        v2.account_links.create({"account": recipient.id, "use_case": {
            "type": flow, flow: {"refresh_url": REFRESH, "return_url": RETURN,
                                 "collection_options": {"fields": "eventually_due",
                                                        "future_requirements": "include"}}}})
    v2.account_links.create({"account": recipient.id, "use_case": {
        "type": "account_onboarding", "account_onboarding": {"refresh_url": REFRESH}}})
    page = v2.accounts.list({"limit": 1})
    assert page.next_page_url
    list(page.auto_paging_iter())
    v2.accounts.list({"closed": True})
    v2.accounts.close(recipient.id, {"applied_configurations": ["recipient"]})
    v2.accounts.list({"closed": True, "applied_configurations": ["recipient"]})
    for bad in (lambda: v2.accounts.retrieve("acct_nosuchaccount00"),
                lambda: v2.accounts.create({"display_name": 5}),  # type: ignore[typeddict-item]
                lambda: v2.account_links.create({"account": maya.id,  # type: ignore[typeddict-item]
                                                 "use_case": {"type": "account_update"}})):
        with pytest.raises(stripe.StripeError):
            bad()
    problems = Problems()
    for exchange in log.log:
        if "/v2/" in exchange.url:
            check_v2_body(exchange.body, problems)
    return log.log, problems


@pytest.fixture(scope="module")
def scenario(emulator_server: Any) -> tuple[list[Any], Problems]:
    return run_scenario(emulator_server, "sk_test_fidelityv2scenario01")


def test_every_declared_field_and_no_other(scenario: tuple[list[Any], Problems]) -> None:
    exchanges, problems = scenario
    assert [e for e in exchanges if e.status >= 500] == []
    assert {"v2.core.account", "v2.core.account_link"} <= problems.types_seen
    assert sorted(problems.items) == []


def test_the_nested_classes_were_reached(scenario: tuple[list[Any], Problems]) -> None:
    _, problems = scenario
    assert {
        "ListObject", "ErrorObject",
        "Account.Configuration.Recipient.Capabilities.StripeBalance.StripeTransfers",
        "Account.Configuration.Recipient.Capabilities.StripeBalance.StripeTransfers"
        ".StatusDetail",
        "Account.Configuration.Merchant.Capabilities.CardPayments",
        "Account.Configuration.Customer.Capabilities.AutomaticIndirectTax",
        "Account.Requirements.Entry.Impact.RestrictsCapability.Deadline",
        "Account.Requirements.Summary.MinimumDeadline",
        "Account.Identity.Individual.Address", "Account.Identity.Individual.DateOfBirth",
        "Account.Identity.Individual.IdNumber",
        "Account.Identity.Attestations.TermsOfService.Account",
        "Account.Defaults.Responsibilities", "Account.Defaults.Profile",
        "Account.FutureRequirements",
        "AccountLink.UseCase.AccountOnboarding.CollectionOptions",
        "AccountLink.UseCase.AccountUpdate",
    } <= problems.classes_checked


def test_the_checker_catches_a_missing_and_an_undeclared_field() -> None:
    problems = Problems()
    check_v2_body({"object": "v2.core.account_link", "url": "x", "bogus": 1}, problems)
    assert "v2.core.account_link.bogus: not declared by AccountLink" in problems.items
    assert "v2.core.account_link.account: declared by AccountLink, missing" in problems.items
