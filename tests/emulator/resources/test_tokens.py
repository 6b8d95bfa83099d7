"""Tokens (``tok_``): the test tokens and ``POST /v1/tokens``, single use, per platform."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from ...conftest import make_client
from ..support import publishable

CARD = {"number": "4242424242424242", "exp_month": "12", "exp_year": "2034", "cvc": "123"}


def _pk(server: Any, key: str) -> stripe.StripeClient:
    return make_client(server, publishable(server, key))


def test_the_publishable_key_tokenizes_a_card_as_stripe_js_does(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    tok = _pk(emulator_server, api_key).v1.tokens.create(
        {"card": {**CARD, "name": "R. Renter", "address_zip": "94111"}})
    assert tok.id.startswith("tok_") and (tok.type, tok.used, tok.livemode) == \
        ("card", False, False)
    card = tok.card
    assert (card.object, card.brand, card.last4, card.exp_month, card.exp_year) == \
        ("card", "Visa", "4242", 12, 2034)
    assert (card.funding, card.name, card.address_zip) == ("credit", "R. Renter", "94111")
    assert client.v1.tokens.retrieve(tok.id).card.id == card.id


def test_the_secret_key_may_not_send_raw_card_numbers(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.tokens.create({"card": CARD})
    assert info.value.param == "card[number]"
    assert "generally unsafe" in str(info.value.user_message)


@pytest.mark.parametrize("card, code, param", [
    ({**CARD, "number": "4242424242424241"}, "incorrect_number", "card[number]"),
    ({**CARD, "exp_month": "13"}, "invalid_expiry_month", "card[exp_month]"),
    ({**CARD, "cvc": "12"}, "invalid_cvc", "card[cvc]"),
])
def test_bad_card_details(emulator_server: Any, api_key: str, card: dict, code: str,
                          param: str) -> None:
    with pytest.raises(stripe.CardError) as info:
        _pk(emulator_server, api_key).v1.tokens.create({"card": card})
    assert (info.value.code, info.value.param) == (code, param)


def test_a_token_pays_once(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    tok = _pk(emulator_server, api_key).v1.tokens.create({"card": CARD})
    client.v1.charges.create({"amount": 1000, "currency": "usd", "source": tok.id})
    assert client.v1.tokens.retrieve(tok.id).used is True
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.charges.create({"amount": 1000, "currency": "usd", "source": tok.id})
    assert (info.value.code, info.value.param) == ("token_already_used", "source")


def test_test_tokens_are_fresh_cards_every_time(client: stripe.StripeClient) -> None:
    first = client.v1.charges.create({"amount": 1000, "currency": "usd", "source": "tok_visa"})
    second = client.v1.charges.create({"amount": 1000, "currency": "usd", "source": "tok_visa"})
    assert first.source.id != second.source.id
    assert first.source.fingerprint == second.source.fingerprint
    read = client.v1.tokens.retrieve("tok_amex")
    assert (read.card.brand, read.card.last4) == ("American Express", "0005")


def test_another_platforms_token_is_unknown(
    emulator_server: Any, client: stripe.StripeClient
) -> None:
    other_key = "sk_test_tokensotherplatform1"
    theirs = _pk(emulator_server, other_key).v1.tokens.create({"card": CARD})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.tokens.retrieve(theirs.id)
    assert (info.value.http_status, info.value.code) == (404, "resource_missing")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.charges.create({"amount": 1000, "currency": "usd", "source": theirs.id})
    assert (info.value.code, info.value.param) == ("resource_missing", "source")
    # ...and it is still unused for its owner.
    owner = make_client(emulator_server, other_key)
    assert owner.v1.tokens.retrieve(theirs.id).used is False


def test_token_kinds_the_emulator_does_not_model(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.tokens.create({"account": {"tos_shown_and_accepted": True}})
    assert info.value.code is None and info.value.param.startswith("account")
    assert "does not model yet" in info.value.user_message


def test_a_charge_checks_what_the_token_carried(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    tok = _pk(emulator_server, api_key).v1.tokens.create(
        {"card": {**CARD, "address_line1": "1 Main St"}})
    assert (tok.card.cvc_check, tok.card.address_line1_check, tok.card.address_zip_check) == \
        ("unchecked", "unchecked", None)
    charge = client.v1.charges.create({"amount": 1000, "currency": "usd", "source": tok.id})
    checks = charge.payment_method_details.card.checks
    assert (checks.cvc_check, checks.address_line1_check, checks.address_postal_code_check) \
        == ("pass", "pass", None)
