"""SetupIntents and saved cards: set-up, 3D Secure, publishable-key rules, off-session
payments of a saved card (docs.stripe.com/payments/save-and-reuse, /testing), to the cent."""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe

from ...conftest import make_client
from ..support import all_balance_transactions, onboarded_account, publishable, raw

RETURN_URL = "https://example.com/return"


def _pk(server: Any, key: str) -> stripe.StripeClient:
    return make_client(server, publishable(server, key))


def _authenticate(server: Any, key: str, intent: Any, outcome: str = "complete") -> Any:
    """The cardholder answers the 3DS challenge (the stand-in's modal posts this)."""
    return raw(server, "POST", f"/_emulator/3ds/{intent.id}", key=publishable(server, key),
               params={"client_secret": intent.client_secret, "outcome": outcome})


def _saved_card(server: Any, client: stripe.StripeClient, key: str, card: str,
                usage: str | None = None) -> tuple[str, str]:
    """A renter who saved ``card`` with a SetupIntent (3DS completed where asked)."""
    renter = client.v1.customers.create({"email": "renter@example.com"})
    params: dict[str, Any] = {"customer": renter.id, "payment_method": card,
                              "confirm": True, "return_url": RETURN_URL}
    if usage:
        params["usage"] = usage
    si = client.v1.setup_intents.create(params)
    if si.status == "requires_action":
        assert _authenticate(server, key, si).status == 200
        si = client.v1.setup_intents.retrieve(si.id)
    assert si.status == "succeeded", si
    return renter.id, si.payment_method


def _off_session(client: stripe.StripeClient, customer: str, pm: str, **more: Any) -> Any:
    return client.v1.payment_intents.create({
        "amount": 5000, "currency": "usd", "customer": customer, "payment_method": pm,
        "off_session": True, "confirm": True, **more})


def _events(client: stripe.StripeClient, prefix: str) -> list[str]:
    return [e.type for e in client.v1.events.list({"limit": 100}).data
            if e.type.startswith(prefix)]


# -- lifecycle ----------------------------------------------------------------------------------
def test_a_card_is_saved_for_the_customer(client: stripe.StripeClient) -> None:
    renter = client.v1.customers.create({"email": "renter@example.com"})
    si = client.v1.setup_intents.create({"customer": renter.id, "metadata": {"stay": "42"}})
    assert (si.status, si.usage, si.customer) == ("requires_payment_method", "off_session",
                                                  renter.id)
    assert si.client_secret.startswith(si.id + "_secret_") and si.id.startswith("seti_")
    assert si.payment_method_options.card.request_three_d_secure == "automatic"
    si = client.v1.setup_intents.update(si.id, {"payment_method": "pm_card_visa"})
    assert si.status == "requires_confirmation"
    si = client.v1.setup_intents.confirm(si.id, {"return_url": RETURN_URL})
    assert si.status == "succeeded"
    assert (si.mandate, si.single_use_mandate) == (None, None)  # cards need no mandate
    pm = client.v1.payment_methods.retrieve(si.payment_method)
    assert pm.customer == renter.id and pm.card.last4 == "4242"
    saved = client.v1.customers.payment_methods.list(renter.id)
    assert [p.id for p in saved.data] == [pm.id]
    attempts = client.v1.setup_attempts.list({"setup_intent": si.id}).data
    assert [(a.id, a.status, a.payment_method) for a in attempts] == \
        [(si.latest_attempt, "succeeded", pm.id)]
    assert _events(client, "setup_intent.") == ["setup_intent.succeeded",
                                                "setup_intent.created"]
    assert "payment_method.attached" in _events(client, "payment_method.")
    # No money moved.
    assert all_balance_transactions(client) == []


def test_confirm_on_create_and_usage_on_session(client: stripe.StripeClient) -> None:
    si = client.v1.setup_intents.create({"payment_method": "pm_card_mastercard",
                                         "confirm": True, "usage": "on_session",
                                         "return_url": RETURN_URL})
    assert (si.status, si.usage) == ("succeeded", "on_session")
    assert client.v1.payment_methods.retrieve(si.payment_method).customer is None


def test_dynamic_payment_methods_need_a_return_url_to_confirm(
    client: stripe.StripeClient,
) -> None:
    si = client.v1.setup_intents.create({"payment_method": "pm_card_visa",
                                         "automatic_payment_methods": {"enabled": True}})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.setup_intents.confirm(si.id)
    assert info.value.param == "return_url"
    si = client.v1.setup_intents.create({
        "payment_method": "pm_card_visa", "confirm": True,
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}})
    assert si.status == "succeeded"


def test_cancel_and_wrong_states(client: stripe.StripeClient) -> None:
    si = client.v1.setup_intents.create({})
    si = client.v1.setup_intents.cancel(si.id, {"cancellation_reason": "abandoned"})
    assert (si.status, si.cancellation_reason) == ("canceled", "abandoned")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.setup_intents.confirm(si.id, {"payment_method": "pm_card_visa"})
    assert info.value.code == "setup_intent_unexpected_state"
    done = client.v1.setup_intents.create({"payment_method": "pm_card_visa", "confirm": True,
                                           "return_url": RETURN_URL})
    for call in (lambda: client.v1.setup_intents.cancel(done.id),
                 lambda: client.v1.setup_intents.confirm(done.id),
                 lambda: client.v1.setup_intents.update(done.id,
                                                        {"payment_method": "pm_card_visa"})):
        with pytest.raises(stripe.InvalidRequestError) as info:
            call()
        assert info.value.code == "setup_intent_unexpected_state"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.setup_intents.confirm(client.v1.setup_intents.create({}).id)
    assert "missing a payment method" in str(info.value.user_message)
    assert "setup_intent.canceled" in _events(client, "setup_intent.")


def test_list_by_customer_and_payment_method(client: stripe.StripeClient) -> None:
    renter = client.v1.customers.create({})
    mine = client.v1.setup_intents.create({"customer": renter.id})
    client.v1.setup_intents.create({})
    listed = client.v1.setup_intents.list({"customer": renter.id})
    assert [s.id for s in listed.data] == [mine.id]
    assert len(client.v1.setup_intents.list({"limit": 1}).data) == 1


def test_a_declined_card_fails_its_setup(client: stripe.StripeClient) -> None:
    renter = client.v1.customers.create({})
    with pytest.raises(stripe.CardError) as info:
        client.v1.setup_intents.create({"customer": renter.id, "confirm": True,
                                        "payment_method": "pm_card_chargeDeclined",
                                        "return_url": RETURN_URL})
    assert (info.value.http_status, info.value.code) == (402, "card_declined")
    failed = info.value.error.setup_intent
    assert failed.status == "requires_payment_method" and failed.payment_method is None
    assert failed.last_setup_error.decline_code == "generic_decline"
    si = client.v1.setup_intents.retrieve(failed.id)
    assert si.status == "requires_payment_method"
    assert client.v1.customers.payment_methods.list(renter.id).data == []
    attempt = client.v1.setup_attempts.list({"setup_intent": si.id}).data[0]
    assert (attempt.status, attempt.setup_error.code) == ("failed", "card_declined")
    assert "setup_intent.setup_failed" in _events(client, "setup_intent.")


# -- 3D Secure on set-up ----------------------------------------------------------------------
def test_three_d_secure_on_setup_completed(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    renter = client.v1.customers.create({})
    si = client.v1.setup_intents.create({
        "customer": renter.id, "payment_method": "pm_card_authenticationRequiredOnSetup",
        "confirm": True, "return_url": RETURN_URL})
    assert si.status == "requires_action"
    assert si.next_action.type == "redirect_to_url"
    assert si.next_action.redirect_to_url.url.endswith(f"/_emulator/3ds/{si.id}")
    assert client.v1.payment_methods.retrieve(si.payment_method).customer is None
    done = _authenticate(emulator_server, api_key, si)
    assert done.status == 200 and done.body["status"] == "succeeded"
    assert "customer" not in done.body  # the publishable view
    si = client.v1.setup_intents.retrieve(si.id)
    assert client.v1.payment_methods.retrieve(si.payment_method).customer == renter.id
    attempt = client.v1.setup_attempts.list({"setup_intent": si.id}).data
    assert len(attempt) == 1 and attempt[0].status == "succeeded"
    assert attempt[0].payment_method_details.card.three_d_secure.result == "authenticated"
    assert _events(client, "setup_intent.") == [
        "setup_intent.succeeded", "setup_intent.requires_action", "setup_intent.created"]


def test_three_d_secure_on_setup_failed(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    si = client.v1.setup_intents.create({
        "payment_method": "pm_card_authenticationRequired", "confirm": True,
        "return_url": RETURN_URL})
    failed = _authenticate(emulator_server, api_key, si, "fail")
    assert failed.body["status"] == "requires_payment_method"
    assert failed.body["last_setup_error"]["code"] == "setup_intent_authentication_failure"
    again = _authenticate(emulator_server, api_key, si)
    assert again.status == 400 and again.error["code"] == "setup_intent_unexpected_state"
    assert "setup_intent.setup_failed" in _events(client, "setup_intent.")


# -- the publishable key (Stripe.js confirmSetup / retrieveSetupIntent) -------------------------
def test_publishable_key_confirms_with_the_client_secret(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    renter = client.v1.customers.create({"email": "renter@example.com"})
    si = client.v1.setup_intents.create({"customer": renter.id, "metadata": {"k": "v"}})
    pk = _pk(emulator_server, api_key)
    for secret, code in ((None, "parameter_missing"),
                         (_wrong(si.client_secret), "setup_intent_invalid_parameter")):
        params = {"client_secret": secret} if secret else {}
        with pytest.raises(stripe.InvalidRequestError) as info:
            pk.v1.setup_intents.retrieve(si.id, params)
        assert info.value.code == code
    seen = pk.v1.setup_intents.retrieve(si.id, {"client_secret": si.client_secret})
    assert seen.status == "requires_payment_method"
    assert not {"customer", "metadata", "on_behalf_of", "payment_method_options",
                "latest_attempt"} & set(seen.to_dict())
    done = pk.v1.setup_intents.confirm(si.id, {
        "client_secret": si.client_secret, "return_url": RETURN_URL,
        "payment_method_data": {"type": "card", "card": {
            "number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}}})
    assert done.status == "succeeded" and "customer" not in done.to_dict()
    assert client.v1.payment_methods.retrieve(done.payment_method).customer == renter.id


@pytest.mark.parametrize("name, value", [
    ("customer", "cus_x"), ("usage", "on_session"), ("metadata[k]", "v"),
    ("payment_method_options[card][request_three_d_secure]", "any"),
    ("description", "free")])
def test_publishable_key_sends_only_what_stripe_js_sends(
    emulator_server: Any, client: stripe.StripeClient, api_key: str, name: str, value: str
) -> None:
    si = client.v1.setup_intents.create({})
    resp = raw(emulator_server, "POST", f"/v1/setup_intents/{si.id}/confirm",
               key=publishable(emulator_server, api_key),
               params={"client_secret": si.client_secret, "payment_method": "pm_card_visa",
                       name: value})
    assert resp.status == 400 and resp.error["code"] == "parameter_unknown"
    assert resp.error["param"] == name.split("[")[0]
    assert client.v1.setup_intents.retrieve(si.id).status == "requires_payment_method"


def test_publishable_key_cannot_set_up_someone_elses_saved_card(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    owner = client.v1.customers.create({})
    saved = client.v1.payment_methods.attach("pm_card_visa", {"customer": owner.id})
    someone = client.v1.customers.create({})
    pk_key = publishable(emulator_server, api_key)
    for si in (client.v1.setup_intents.create({}),
               client.v1.setup_intents.create({"customer": someone.id})):
        resp = raw(emulator_server, "POST", f"/v1/setup_intents/{si.id}/confirm", key=pk_key,
                   params={"client_secret": si.client_secret, "payment_method": saved.id})
        assert resp.status == 400 and resp.error["param"] == "payment_method"
        assert owner.id not in json.dumps(resp.body)
    assert client.v1.payment_methods.retrieve(saved.id).customer == owner.id


def test_a_declined_setup_shows_a_publishable_key_only_the_public_view(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    renter = client.v1.customers.create({})
    si = client.v1.setup_intents.create({"customer": renter.id, "metadata": {"k": "v"}})
    resp = raw(emulator_server, "POST", f"/v1/setup_intents/{si.id}/confirm",
               key=publishable(emulator_server, api_key),
               params={"client_secret": si.client_secret,
                       "payment_method": "pm_card_chargeDeclined"})
    assert resp.status == 402 and resp.error["code"] == "card_declined"
    assert not {"customer", "metadata"} & set(resp.error["setup_intent"])


# -- isolation and versions ---------------------------------------------------------------------
def test_another_platforms_customer_card_and_setup_intent_are_unknown(
    emulator_server: Any, client: stripe.StripeClient
) -> None:
    other = make_client(emulator_server, "sk_test_setupintentsother01")
    theirs = other.v1.customers.create({})
    card = other.v1.payment_methods.attach("pm_card_visa", {"customer": theirs.id})
    their_si = other.v1.setup_intents.create({"customer": theirs.id})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.setup_intents.create({"customer": theirs.id})
    assert (info.value.http_status, info.value.code, info.value.param) == \
        (404, "resource_missing", "customer")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.setup_intents.create({"payment_method": card.id})
    assert (info.value.code, info.value.param) == ("resource_missing", "payment_method")
    for call in (lambda: client.v1.setup_intents.retrieve(their_si.id),
                 lambda: client.v1.setup_intents.confirm(their_si.id),
                 lambda: client.v1.setup_intents.cancel(their_si.id),
                 lambda: client.v1.setup_attempts.list({"setup_intent": their_si.id})):
        with pytest.raises(stripe.InvalidRequestError) as info:
            call()
        assert info.value.http_status == 404
    assert client.v1.setup_intents.list().data == []


def test_endive_rejects_payment_method_types(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.setup_intents.create({"payment_method_types": ["card"]})
    assert info.value.code == "payment_method_types_no_longer_supported"
    old = make_client(emulator_server, api_key, stripe_version="2026-07-29.dahlia")
    si = old.v1.setup_intents.create({"payment_method_types": ["card"]})
    assert si.payment_method_types == ["card"] and si.automatic_payment_methods is None


def test_parameters_stripe_declares_but_the_emulator_does_not_model(
    client: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.setup_intents.create({"flow_directions": ["inbound"]})
    assert (info.value.code, info.value.param) == (None,
                                                   "flow_directions")


# -- saved cards charged later ---------------------------------------------------------------------
def test_off_session_damage_fee_is_a_destination_charge_to_the_cent(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    """The home-rental story: the renter saves a card; after the stay the platform charges
    a 250.00 damage fee off-session, sends it to the homeowner and keeps 25.00."""
    host = onboarded_account(emulator_server, client, api_key)
    renter, pm = _saved_card(emulator_server, client, api_key,
                             "pm_card_authenticationRequiredOnSetup")
    pi = _off_session(client, renter, pm, amount=25000, application_fee_amount=2500,
                      transfer_data={"destination": host}, description="Damage: lamp")
    assert (pi.status, pi.amount_received) == ("succeeded", 25000)
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.payment_method == pm and charge.customer == renter
    platform = {(t["type"], t["amount"], t["fee"], t["net"])
                for t in all_balance_transactions(client)}
    # Stripe's fee: 2.9% of 250.00 = 7.25, + 0.30 = 7.55.
    assert platform == {("charge", 25000, 755, 24245), ("transfer", -25000, 0, -25000),
                        ("application_fee", 2500, 0, 2500)}
    connected = [(t["type"], t["amount"], t["fee"], t["net"])
                 for t in all_balance_transactions(client, host)]
    assert connected == [("payment", 25000, 2500, 22500)]


def test_authenticate_unless_set_up_pays_off_session_once_set_up(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    renter = client.v1.customers.create({})
    attached = client.v1.payment_methods.attach("pm_card_authenticationRequiredOnSetup",
                                                {"customer": renter.id})
    with pytest.raises(stripe.CardError) as info:  # attached, never set up
        _off_session(client, renter.id, attached.id)
    assert (info.value.http_status, info.value.code) == (402, "authentication_required")
    assert info.value.error.decline_code == "authentication_required"
    failed = info.value.error.payment_intent
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error.payment_method.id == attached.id
    renter2, pm = _saved_card(emulator_server, client, api_key,
                              "pm_card_authenticationRequiredOnSetup")
    assert _off_session(client, renter2, pm).status == "succeeded"


def test_bringing_the_customer_back_on_session_after_authentication_required(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    """https://docs.stripe.com/payments/save-and-reuse: on authentication_required, ask the
    customer back and confirm with the card in ``last_payment_error.payment_method``."""
    renter, pm = _saved_card(emulator_server, client, api_key,
                             "pm_card_authenticationRequired")
    with pytest.raises(stripe.CardError) as info:
        _off_session(client, renter, pm)
    failed = info.value.error.payment_intent
    pk = _pk(emulator_server, api_key)
    waiting = pk.v1.payment_intents.confirm(failed.id, {
        "client_secret": failed.client_secret,
        "payment_method": failed.last_payment_error.payment_method.id})
    assert waiting.status == "requires_action"
    done = _authenticate(emulator_server, api_key, waiting)
    assert done.body["status"] == "succeeded"
    assert client.v1.payment_intents.retrieve(failed.id).amount_received == 5000


@pytest.mark.parametrize("card, usage, outcome", [
    ("pm_card_authenticationRequired", None, "authentication_required"),  # always asks
    ("pm_card_authenticationRequiredOnSetup", "on_session", "authentication_required"),
    ("pm_card_authenticationRequiredSetupForOffSession", None, "succeeded"),
    ("pm_card_authenticationRequiredChargeDeclinedInsufficientFunds", None,
     "insufficient_funds"),
    ("pm_card_chargeCustomerFail", None, "card_declined"),
    ("pm_card_visa", None, "succeeded"),
])
def test_off_session_outcomes_of_the_testing_page_cards(
    emulator_server: Any, client: stripe.StripeClient, api_key: str, card: str,
    usage: str | None, outcome: str,
) -> None:
    renter, pm = _saved_card(emulator_server, client, api_key, card, usage)
    if outcome == "succeeded":
        assert _off_session(client, renter, pm).status == "succeeded"
        return
    with pytest.raises(stripe.CardError) as info:
        _off_session(client, renter, pm)
    assert outcome in (info.value.code, info.value.error.decline_code)
    assert all_balance_transactions(client) == []


def test_setup_future_usage_saves_the_card_after_payment(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    renter = client.v1.customers.create({})
    pi = client.v1.payment_intents.create({
        "amount": 17800, "currency": "usd", "customer": renter.id,
        "setup_future_usage": "off_session", "confirm": True, "return_url": RETURN_URL,
        "payment_method": "pm_card_authenticationRequiredOnSetup"})
    assert pi.status == "requires_action"
    assert client.v1.payment_methods.retrieve(pi.payment_method).customer is None
    assert _authenticate(emulator_server, api_key, pi).body["status"] == "succeeded"
    pm = client.v1.payment_methods.retrieve(pi.payment_method)
    assert pm.customer == renter.id
    # Authenticated with setup_future_usage=off_session: later off-session payments pass.
    later = _off_session(client, renter.id, pm.id, amount=3000)
    assert (later.status, later.amount_received) == ("succeeded", 3000)


def test_off_session_needs_confirm(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create({"amount": 1000, "currency": "usd",
                                          "off_session": True})
    assert info.value.param == "off_session"


def test_expand_latest_attempt_and_payment_method(client: stripe.StripeClient) -> None:
    si = client.v1.setup_intents.create({"payment_method": "pm_card_visa", "confirm": True,
                                         "return_url": RETURN_URL,
                                         "expand": ["latest_attempt", "payment_method"]})
    body = json.loads(json.dumps(si.to_dict()))
    assert body["latest_attempt"]["object"] == "setup_attempt"
    assert body["payment_method"]["card"]["last4"] == "4242"


def test_a_publishable_key_expands_nothing_private(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    renter = client.v1.customers.create({})
    si = client.v1.setup_intents.create({"customer": renter.id, "payment_method": "pm_card_visa",
                                         "confirm": True, "return_url": RETURN_URL})
    for path in ("customer", "payment_method.customer", "latest_attempt"):
        resp = raw(emulator_server, "GET", f"/v1/setup_intents/{si.id}",
                   key=publishable(emulator_server, api_key),
                   params={"client_secret": si.client_secret, "expand[]": path})
        assert resp.status == 400, (path, resp.body)
        assert renter.id not in json.dumps(resp.body)


def test_a_spent_payment_method_cannot_be_set_up(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    """A card that paid once without a customer is spent (as for PaymentIntents)."""
    paid = client.v1.payment_intents.create({"amount": 1000, "currency": "usd",
                                             "payment_method": "pm_card_visa",
                                             "confirm": True, "return_url": RETURN_URL})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.setup_intents.create({"payment_method": paid.payment_method,
                                        "confirm": True, "return_url": RETURN_URL})
    assert info.value.param == "payment_method"
    assert "may not be used again" in str(info.value.user_message)


def test_a_connected_account_saves_its_own_customers_card(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    host = onboarded_account(emulator_server, client, api_key)
    as_host = {"stripe_account": host}
    renter = client.v1.customers.create({}, options=as_host)
    si = client.v1.setup_intents.create({"customer": renter.id, "payment_method": "pm_card_visa",
                                         "confirm": True, "return_url": RETURN_URL},
                                        options=as_host)
    assert si.status == "succeeded"
    assert client.v1.setup_intents.list(options=as_host).data[0].id == si.id
    assert client.v1.setup_intents.list().data == []  # not the platform's
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.setup_intents.retrieve(si.id)
    assert info.value.http_status == 404


def _wrong(secret: str) -> str:
    """The secret with its last character changed (never to itself)."""
    return secret[:-1] + ("y" if secret.endswith("x") else "x")


def test_the_3ds_control_checks_the_setup_intents_secret(
    emulator_server: Any, client: stripe.StripeClient, api_key: str
) -> None:
    si = client.v1.setup_intents.create({
        "payment_method": "pm_card_authenticationRequiredOnSetup", "confirm": True,
        "return_url": RETURN_URL})
    for secret in (_wrong(si.client_secret), client.v1.setup_intents.create({}).client_secret):
        resp = raw(emulator_server, "POST", f"/_emulator/3ds/{si.id}",
                   key=publishable(emulator_server, api_key),
                   params={"client_secret": secret, "outcome": "complete"})
        assert resp.status == 400 and resp.error["param"] == "client_secret"
    assert client.v1.setup_intents.retrieve(si.id).status == "requires_action"


def test_a_customer_created_with_a_payment_method_holds_it(
    client: stripe.StripeClient,
) -> None:
    pm = client.v1.payment_methods.retrieve("pm_card_visa")
    renter = client.v1.customers.create({"email": "r@example.com", "payment_method": pm.id})
    assert client.v1.payment_methods.retrieve(pm.id).customer == renter.id
    assert "payment_method.attached" in _events(client, "payment_method.")
    assert _off_session(client, renter.id, pm.id).status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.create({"source": "tok_visa"})
    assert (info.value.code, info.value.param) == (None, "source")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.customers.create({"payment_method": "pm_nobody"})
    assert info.value.param == "payment_method"
    assert [c.id for c in client.v1.customers.list().data] == [renter.id]
