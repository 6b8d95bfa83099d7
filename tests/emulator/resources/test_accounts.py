"""Accounts: what an account's type or controller says about who pays Stripe's fees.

``controller.fees.payer`` takes stripe-python 16's values (account, application,
application_custom, application_express). An account made with ``type`` gets the controller
properties its type maps to (https://docs.stripe.com/connect/migrate-to-controller-properties):
Express and Custom keep their legacy fee billing.
"""

from __future__ import annotations

import typing

import pytest
import stripe

from harness.emulator.resources.accounts import _fee_payer


def _payer_enum() -> set[str]:
    """The values stripe-python 16 declares for ``Account.Controller.Fees.payer``."""
    hint = typing.get_type_hints(stripe.Account.Controller.Fees)["payer"]
    literal = next(a for a in typing.get_args(hint) if typing.get_origin(a) is typing.Literal)
    return set(typing.get_args(literal))


@pytest.mark.parametrize(("params", "payer"), [
    ({"type": "express"}, "application_express"),
    ({"type": "custom"}, "application_custom"),
    ({"type": "standard"}, "account"),
    ({"controller": {"stripe_dashboard": {"type": "full"}}}, "account"),
    ({"controller": {"fees": {"payer": "application"}, "losses": {"payments": "application"},
                     "stripe_dashboard": {"type": "none"}}}, "application"),
])
def test_fee_payer_follows_the_type_or_the_controller(
    client: stripe.StripeClient, params: dict, payer: str
) -> None:
    account = client.v1.accounts.create({"country": "US", **params})
    assert account.controller.fees.payer == payer
    assert payer in _payer_enum() == {"account", "application", "application_custom",
                                      "application_express"}
    assert client.v1.accounts.retrieve(account.id).controller.fees.payer == payer


def test_every_payer_the_emulator_sets_is_in_the_sdk_enum() -> None:
    made = {_fee_payer(kind, typed=typed) for kind in ("express", "custom", "standard")
            for typed in (True, False)}
    assert made <= _payer_enum()
