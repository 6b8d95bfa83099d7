"""API versions: how they are read and ordered, and what the order decides.

Stripe's versions are ``YYYY-MM-DD.<release>`` (a bare date before 2024-09-30.acacia), a private
beta adds ``; <feature>=v<N>`` (stripe-python's ``add_beta_version``), and a public preview is
``YYYY-MM-DD.preview``, dated like the release it builds on (the beta SDKs pin
``2025-03-31.preview`` beside ``2025-03-31.basil``: https://docs.stripe.com/sdks/versioning).
The endive gate on ``payment_method_types`` reached previews first, in ``2026-08-26.preview``
(https://docs.stripe.com/changelog/dahlia/2026-08-26/removes-payment-method-types-parameter-from-payment-intents-setup-intents),
then releases, in ``2026-09-30.endive``
(https://docs.stripe.com/changelog/endive/2026-09-30/removes-the-payment-method-types-parameter-from-payment-intents-and-setup-intents).
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from harness.emulator import versions
from harness.emulator.errors import InvalidRequest

from .support import raw

PI = {"amount": 1000, "currency": "usd", "payment_method_types": ["card"]}


def test_versions_order_by_date_then_preview_after_its_release() -> None:
    ordered = ["2024-06-20", "2024-09-30.acacia", "2025-03-01.dashboard", "2025-03-31.basil",
               "2025-03-31.preview", "2026-07-29.dahlia", "2026-08-26.dahlia",
               "2026-08-26.preview", "2026-09-30.endive", "2026-10-28.endive",
               "2026-10-28.preview"]
    parsed = [versions.parse(v) for v in ordered]
    assert parsed == sorted(parsed)
    assert versions.parse("2026-10-28.endive; feature_beta=v3") == \
        versions.parse("2026-10-28.endive")
    assert versions.parse("2026-10-28.endive; feature_beta=v3").betas == ("feature_beta=v3",)
    assert versions.at_least("2026-09-30.preview", "2026-09-30.endive")
    assert not versions.at_least("2026-09-29.preview", "2026-09-30.endive")


@pytest.mark.parametrize("bad", ["yesterday", "2026-02-30.endive", "2026-13-01", "2026-9-30",
                                 "2100-01-01.future", "2026-10-28.Endive", "2026-10-28;beta"])
def test_malformed_versions_are_refused(bad: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        versions.parse(bad)
    assert refused.value.status == 400 and refused.value.param == "Stripe-Version"


@pytest.mark.parametrize(("version", "rejected"), [
    ("2026-08-26.dahlia", False),   # the last dahlia release still accepts it
    ("2026-08-25.preview", False),
    ("2026-08-26.preview", True),   # the preview had the change a month before endive
    ("2026-09-30.endive", True),
    ("2026-10-28.endive; feature_beta=v1", True),
    ("2026-10-28.preview", True),
])
def test_the_endive_gate_knows_previews_and_betas(
    client: stripe.StripeClient, version: str, rejected: bool
) -> None:
    if not rejected:
        pi = client.v1.payment_intents.create(PI, {"stripe_version": version})
        assert (pi.status, pi.payment_method_types) == ("requires_payment_method", ["card"])
        return
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.payment_intents.create(PI, {"stripe_version": version})
    assert refused.value.http_status == 400
    assert refused.value.code == "payment_method_types_no_longer_supported"
    assert refused.value.param == "payment_method_types"


def test_a_beta_header_is_answered_and_echoed(emulator_server: Any, api_key: str) -> None:
    header = "2026-10-28.endive; feature_beta=v3"
    resp = raw(emulator_server, "GET", "/v1/balance", key=api_key,
               headers={"Stripe-Version": header})
    assert resp.status == 200, resp.body
    assert resp.headers["Stripe-Version"] == header
    impossible = raw(emulator_server, "GET", "/v1/balance", key=api_key,
                     headers={"Stripe-Version": "2026-02-30.dahlia"})
    assert impossible.status == 400
    assert impossible.error["message"] == "Invalid Stripe API version: 2026-02-30.dahlia"


def test_an_events_previous_attributes_follow_its_objects_rules() -> None:
    """An ``*.updated`` event's ``previous_attributes`` are fields of its object: the same
    rules render them, at the event's version (ui_mode's names before 2026-03-25.dahlia)."""
    import harness.emulator.routes  # noqa: F401  - the resources register their rules

    event = {"object": "event", "api_version": "2026-02-25.clover",
             "data": {"object": {"object": "checkout.session", "ui_mode": "hosted_page"},
                      "previous_attributes": {"ui_mode": "elements"}}}
    shown = versions.render(event, "2026-10-28.endive")
    assert shown["data"] == {"object": {"object": "checkout.session", "ui_mode": "hosted"},
                             "previous_attributes": {"ui_mode": "custom"}}
    assert event["data"]["object"]["ui_mode"] == "hosted_page"  # nothing changed in place
    assert versions.render(event, "2026-10-28.endive") is not event
    current = {**event, "api_version": "2026-10-28.endive"}
    assert versions.render(current, "2026-02-25.clover") is current  # no rule applies


def test_objects_in_an_error_are_rendered_for_the_version_too(
    client: stripe.StripeClient,
) -> None:
    """A decline carries the PaymentIntent; on a version before 2026-07-29.dahlia it has no
    allowed_payment_method_types, as in any other answer on that version
    (https://docs.stripe.com/changelog/dahlia/2026-07-29/allowed-payment-method-types-parameter)."""
    params = {"amount": 1000, "currency": "usd", "confirm": True,
              "payment_method": "pm_card_chargeDeclined", "payment_method_types": ["card"]}
    with pytest.raises(stripe.CardError) as old:
        client.v1.payment_intents.create(params, {"stripe_version": "2026-02-25.clover"})
    declined = old.value.json_body["error"]["payment_intent"]
    assert (declined["status"], declined["last_payment_error"]["code"]) == (
        "requires_payment_method", "card_declined")
    assert "allowed_payment_method_types" not in declined
    endive = {k: v for k, v in params.items() if k != "payment_method_types"}
    with pytest.raises(stripe.CardError) as new:
        client.v1.payment_intents.create({**endive, "return_url": "https://example.com/r"})
    assert new.value.json_body["error"]["payment_intent"]["allowed_payment_method_types"] \
        is None
