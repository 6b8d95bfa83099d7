"""Injected faults (``POST /_emulator/faults``) and stripe-python's retries.

What is being shown is the SDK's own behaviour (stripe-python 16, ``_http_client.py``
``_should_retry``): with ``max_network_retries`` it resends a POST with the *same*
``Idempotency-Key`` after a connection error, a 409 or any 5xx, and after a 429 only when the
answer says ``Stripe-Should-Retry: true`` (lock timeouts,
https://docs.stripe.com/rate-limits#object-lock-timeouts). The emulator's part is to replay
the first result for that key (https://docs.stripe.com/api/idempotent_requests), so however
the first attempt ended, exactly one charge exists.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest
import stripe

from ..conftest import make_client
from .support import all_balance_transactions, onboarded_account, publishable, raw


# -- a transport that shows every attempt ------------------------------------------------------
@dataclass
class Attempt:
    method: str
    path: str
    idempotency_key: str | None
    status: int | None  # None: no answer (connection error or timeout)
    replayed: bool = False
    should_retry: str | None = None


class AttemptLog(stripe.RequestsClient):
    """stripe-python's default transport, noting each attempt the retry loop makes."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.attempts: list[Attempt] = []

    def request(self, method, url, headers, post_data=None):  # type: ignore[override]
        path = url.split("://", 1)[-1].split("/", 1)[-1].split("?")[0]
        key = (headers or {}).get("Idempotency-Key")
        try:
            content, status, resp_headers = super().request(method, url, headers, post_data)
        except stripe.APIConnectionError:
            self.attempts.append(Attempt(method, "/" + path, key, None))
            raise
        self.attempts.append(Attempt(
            method, "/" + path, key, status,
            replayed=resp_headers.get("Idempotent-Replayed") == "true",
            should_retry=resp_headers.get("Stripe-Should-Retry")))
        return content, status, resp_headers

    def posts(self, path: str) -> list[Attempt]:
        return [a for a in self.attempts if a.method == "post" and a.path == path]


def arm(server: Any, key: str, **params: Any) -> dict[str, Any]:
    resp = raw(server, "POST", "/_emulator/faults", key=key,
               params={k: str(v) for k, v in params.items()})
    assert resp.status == 200, resp.body
    return resp.body


@pytest.fixture
def acct(emulator_server: Any, client: stripe.StripeClient, api_key: str) -> str:
    return onboarded_account(emulator_server, client, api_key)


@pytest.fixture
def retrying(emulator_server: Any, api_key: str) -> tuple[stripe.StripeClient, AttemptLog]:
    log = AttemptLog()
    return make_client(emulator_server, api_key, http_client=log, max_network_retries=2), log


def book(client: stripe.StripeClient, acct: str, **options: Any) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        {"amount": 1000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
         "return_url": "https://example.com/return", "application_fee_amount": 123,
         "transfer_data": {"destination": acct}},
        options or None,
    )


def assert_exactly_one_booking(client: stripe.StripeClient, acct: str) -> None:
    """One PaymentIntent, one charge, and the worked example's ledger once, not twice."""
    assert len(client.v1.payment_intents.list().data) == 1
    assert len(client.v1.charges.list().data) == 1
    platform = sorted((t["type"], t["amount"], t["net"])
                      for t in all_balance_transactions(client))
    assert platform == [("application_fee", 123, 123), ("charge", 1000, 941),
                        ("transfer", -1000, -1000)]
    homeowner = [(t["type"], t["amount"], t["net"])
                 for t in all_balance_transactions(client, acct)]
    assert homeowner == [("payment", 1000, 877)]


# -- 5xx: retried, nothing had happened ----------------------------------------------------------
def test_injected_500_is_retried_with_the_same_key_and_one_charge_results(
    emulator_server: Any, api_key: str, acct: str,
    retrying: tuple[stripe.StripeClient, AttemptLog],
) -> None:
    client, log = retrying
    armed = arm(emulator_server, api_key, path="/v1/payment_intents", status=500)
    assert (armed["status"], armed["mode"], armed["count"]) == (500, "status", 1)
    pi = book(client, acct)
    assert pi.status == "succeeded"
    attempts = log.posts("/v1/payment_intents")
    assert [a.status for a in attempts] == [500, 200]
    assert attempts[0].idempotency_key and len({a.idempotency_key for a in attempts}) == 1
    assert not attempts[1].replayed  # the 500 came before the request ran: nothing to replay
    assert_exactly_one_booking(client, acct)


def test_injected_500_has_stripes_error_shape(emulator_server: Any, api_key: str) -> None:
    arm(emulator_server, api_key, path="/v1/customers", status=503)
    resp = raw(emulator_server, "POST", "/v1/customers", key=api_key)
    assert resp.status == 503
    assert resp.error["type"] == "api_error" and resp.error["message"]
    assert resp.headers["Request-Id"].startswith("req_")
    assert raw(emulator_server, "POST", "/v1/customers", key=api_key).status == 200  # count=1


def test_more_failures_than_retries_surface_and_charge_nothing(
    emulator_server: Any, api_key: str, acct: str,
    retrying: tuple[stripe.StripeClient, AttemptLog],
) -> None:
    client, log = retrying
    arm(emulator_server, api_key, path="/v1/payment_intents", status=503, count=3)
    with pytest.raises(stripe.APIError) as info:
        book(client, acct)
    assert info.value.http_status == 503
    assert [a.status for a in log.posts("/v1/payment_intents")] == [503, 503, 503]
    assert client.v1.charges.list().data == []
    assert all_balance_transactions(client) == []
    book(client, acct)  # the faults are used up
    assert_exactly_one_booking(client, acct)


# -- a lost response: the request ran, the answer never came ------------------------------------
@pytest.mark.parametrize("drops", [1, 2])
def test_dropped_response_is_retried_and_replayed_exactly_one_charge(
    emulator_server: Any, api_key: str, acct: str,
    retrying: tuple[stripe.StripeClient, AttemptLog], drops: int,
) -> None:
    client, log = retrying
    armed = arm(emulator_server, api_key, path="/v1/payment_intents", mode="drop", count=drops)
    assert (armed["mode"], armed["status"]) == ("drop", None)
    pi = book(client, acct)
    attempts = log.posts("/v1/payment_intents")
    assert [a.status for a in attempts] == [None] * drops + [200]
    assert len({a.idempotency_key for a in attempts}) == 1
    assert attempts[-1].replayed  # the first attempt had committed; this is its saved answer
    assert pi.status == "succeeded"
    assert client.v1.payment_intents.list().data[0].id == pi.id
    assert_exactly_one_booking(client, acct)


def test_without_retries_a_lost_response_is_not_a_failed_payment(
    emulator_server: Any, api_key: str, acct: str, client: stripe.StripeClient,
) -> None:
    """The lesson of a lost response: the charge may well exist. Retry by hand with *your
    own* Idempotency-Key (here the booking's ID) and you get it back instead of a second."""
    arm(emulator_server, api_key, path="/v1/payment_intents", mode="drop")
    with pytest.raises(stripe.APIConnectionError) as info:
        book(client, acct, idempotency_key="booking-42")
    assert info.value.should_retry
    assert len(client.v1.charges.list().data) == 1  # it happened all the same
    again = book(client, acct, idempotency_key="booking-42")
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert again.id == client.v1.payment_intents.list().data[0].id
    assert_exactly_one_booking(client, acct)


def test_dropped_decline_replays_the_decline(
    emulator_server: Any, api_key: str, retrying: tuple[stripe.StripeClient, AttemptLog],
) -> None:
    client, log = retrying
    arm(emulator_server, api_key, path="/v1/payment_intents", mode="drop")
    with pytest.raises(stripe.CardError) as info:
        client.v1.payment_intents.create(
            {"amount": 1000, "currency": "usd", "payment_method": "pm_card_chargeDeclined",
             "confirm": True, "return_url": "https://example.com/return"})
    assert info.value.code == "card_declined"
    assert [a.status for a in log.posts("/v1/payment_intents")] == [None, 402]
    assert log.posts("/v1/payment_intents")[-1].replayed
    assert len(client.v1.charges.list().data) == 1  # one failed charge, not two


# -- 429 ----------------------------------------------------------------------------------------
def test_rate_limit_429_is_not_retried_by_stripe_python(
    emulator_server: Any, api_key: str, acct: str,
    retrying: tuple[stripe.StripeClient, AttemptLog],
) -> None:
    client, log = retrying
    armed = arm(emulator_server, api_key, path="/v1/payment_intents", status=429)
    assert armed["code"] == "rate_limit"  # the default 429
    with pytest.raises(stripe.RateLimitError) as info:
        book(client, acct)
    assert (info.value.http_status, info.value.error.code) == (429, "rate_limit")
    assert [a.status for a in log.posts("/v1/payment_intents")] == [429]
    assert client.v1.charges.list().data == []


def test_lock_timeout_429_is_retried_and_one_charge_results(
    emulator_server: Any, api_key: str, acct: str,
    retrying: tuple[stripe.StripeClient, AttemptLog],
) -> None:
    client, log = retrying
    arm(emulator_server, api_key, path="/v1/payment_intents", status=429, code="lock_timeout")
    book(client, acct)
    attempts = log.posts("/v1/payment_intents")
    assert [(a.status, a.should_retry) for a in attempts] == [(429, "true"), (200, None)]
    assert len({a.idempotency_key for a in attempts}) == 1
    assert_exactly_one_booking(client, acct)


# -- latency ------------------------------------------------------------------------------------
def test_latency_delays_the_answer_and_changes_nothing_else(
    emulator_server: Any, api_key: str, client: stripe.StripeClient,
) -> None:
    armed = arm(emulator_server, api_key, path="/v1/balance", latency_ms=300, count=2)
    assert (armed["mode"], armed["status"], armed["latency_ms"]) == ("latency", None, 300)
    for _ in range(2):
        started = time.monotonic()
        balance = client.v1.balance.retrieve()
        assert time.monotonic() - started >= 0.3
        assert balance.object == "balance"
    started = time.monotonic()
    client.v1.balance.retrieve()
    assert time.monotonic() - started < 0.3  # only the next two were slow


def test_timeout_then_retry_makes_one_charge(
    emulator_server: Any, api_key: str, acct: str,
) -> None:
    """The client gives up after 0.5 s while the emulator is still busy with the first
    attempt; the retry either runs it (and the late first attempt then replays it) or is
    told 409 ``idempotency_key_in_use`` and retries again. Either way: one charge."""
    log = AttemptLog(timeout=0.5)
    client = make_client(emulator_server, api_key, http_client=log, max_network_retries=3)
    arm(emulator_server, api_key, path="/v1/payment_intents", latency_ms=2000)
    pi = book(client, acct)
    attempts = log.posts("/v1/payment_intents")
    assert attempts[0].status is None and attempts[-1].status == 200
    assert len({a.idempotency_key for a in attempts}) == 1
    assert pi.status == "succeeded"
    time.sleep(2.0)  # let the slow first attempt finish: it must replay, not charge again
    assert_exactly_one_booking(client, acct)


def test_concurrent_use_of_a_key_is_409_idempotency_key_in_use(
    emulator_server: Any, api_key: str,
) -> None:
    emulator = emulator_server.emulator
    platform, _ = emulator.platform_for_key(api_key)
    # Hold the key as if a first request were still running, then send a second one.
    scope = f"{platform}|{platform}"  # idempotency keys belong to the acting account
    emulator.app.claim(scope, "in-flight-1")
    try:
        resp = raw(emulator_server, "POST", "/v1/customers", key=api_key,
                   headers={"Idempotency-Key": "in-flight-1"})
    finally:
        emulator.app.release(scope, "in-flight-1")
    assert resp.status == 409
    assert (resp.error["type"], resp.error["code"]) == ("idempotency_error",
                                                        "idempotency_key_in_use")
    assert "in-flight-1" in resp.error["message"]
    done = raw(emulator_server, "POST", "/v1/customers", key=api_key,
               headers={"Idempotency-Key": "in-flight-1"})
    assert done.status == 200  # once released, the key works (and nothing was saved before)


# -- scope and validation ------------------------------------------------------------------------
def test_faults_are_per_platform_and_per_path(emulator_server: Any, api_key: str) -> None:
    arm(emulator_server, api_key, path="/v1/customers", status=500)
    other = "sk_test_faults_bystander"
    assert raw(emulator_server, "POST", "/v1/customers", key=other).status == 200
    assert raw(emulator_server, "GET", "/v1/balance", key=api_key).status == 200
    assert raw(emulator_server, "POST", "/v1/customers", key=api_key).status == 500
    assert raw(emulator_server, "POST", "/v1/customers", key=api_key).status == 200


def test_count_zero_disarms(emulator_server: Any, api_key: str) -> None:
    arm(emulator_server, api_key, path="/v1/customers", status=500, count=5)
    arm(emulator_server, api_key, path="/v1/", count=0)
    assert raw(emulator_server, "POST", "/v1/customers", key=api_key).status == 200


@pytest.mark.parametrize("params, param", [
    ({"path": "/v1/customers", "mode": "drop", "status": "500"}, "status"),
    ({"path": "/v1/customers", "status": "500", "code": "lock_timeout"}, "code"),
    ({"path": "/customers"}, "path"),
    ({"path": "/v1/customers", "status": "404"}, "status"),
    ({"path": "/v1/customers", "latency_ms": "-1"}, "latency_ms"),
    ({"path": "/v1/customers", "mode": "explode"}, "mode"),
])
def test_bad_fault_requests_name_the_parameter(
    emulator_server: Any, api_key: str, params: dict[str, str], param: str,
) -> None:
    resp = raw(emulator_server, "POST", "/_emulator/faults", key=api_key, params=params)
    assert resp.status == 400 and resp.error["param"] == param


def test_faults_need_the_platforms_secret_key(emulator_server: Any, api_key: str) -> None:
    raw(emulator_server, "GET", "/v1/balance", key=api_key)  # the platform exists
    resp = raw(emulator_server, "POST", "/_emulator/faults",
               key=publishable(emulator_server, api_key),
               params={"path": "/v1/customers"})
    assert resp.status in (401, 403)
