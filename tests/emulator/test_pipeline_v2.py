"""The API v2 half of the HTTP core: JSON bodies, typed values, v2 idempotency, v2 lists and
v2 errors, driven through stripe-python's ``client.v2`` (and raw HTTP for what it cannot send).
"""

from __future__ import annotations

import json

import pytest
import stripe

from .support import raw


def test_sdk_sends_json_and_gets_a_v2_object(client: stripe.StripeClient) -> None:
    account = client.v2.core.accounts.create({"display_name": "Maya", "dashboard": "express",
                                              "metadata": {"listing": "loft"}})
    assert account.object == "v2.core.account" and account.id.startswith("acct_")
    assert account.display_name == "Maya" and account.metadata.to_dict() == {"listing": "loft"}
    assert account.created.endswith("Z") and "T" in account.created  # ISO 8601, not epoch
    again = client.v2.core.accounts.retrieve(account.id)
    assert again.display_name == "Maya"


def test_a_v2_post_takes_only_json(emulator_server, api_key: str) -> None:
    form = raw(emulator_server, "POST", "/v2/core/accounts", key=api_key,
               params={"display_name": "Maya"})
    assert form.status == 400 and "application/json" in form.error["message"]
    broken = raw(emulator_server, "POST", "/v2/core/accounts", key=api_key,
                 body='{"display_name": "Maya"', headers={"Content-Type": "application/json"})
    assert broken.status == 400 and broken.error["type"] == "invalid_request_error"
    for body in ("[1, 2]", '"x"', "NaN", '{"display_name": NaN}'):
        answer = raw(emulator_server, "POST", "/v2/core/accounts", key=api_key, body=body,
                     headers={"Content-Type": "application/json"})
        assert answer.status == 400, body
    deep = '{"metadata": ' + "[" * 5000 + "]" * 5000 + "}"
    answer = raw(emulator_server, "POST", "/v2/core/accounts", key=api_key, body=deep,
                 headers={"Content-Type": "application/json"})
    assert answer.status == 400


@pytest.mark.parametrize(("body", "param"), [
    ({"display_name": 5}, "display_name"),
    ({"display_name": ["Maya"]}, "display_name"),
    ({"dashboard": True}, "dashboard"),
    ({"metadata": "x"}, "metadata"),
    ({"metadata": {"a": 1}}, "metadata[a]"),
    ({"identity": {"country": {"a": "b"}}}, "identity[country]"),
    ({"include": "identity"}, "include"),
    ({"nope": 1}, "nope"),
])
def test_json_values_must_have_the_declared_type(emulator_server, api_key: str, body: dict,
                                                 param: str) -> None:
    answer = raw(emulator_server, "POST", "/v2/core/accounts", key=api_key,
                 body=json.dumps(body), headers={"Content-Type": "application/json"})
    assert answer.status == 400 and answer.error["param"] == param


def test_v2_errors_reach_the_sdk_as_typed_errors(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v2.core.accounts.create({"display_name": 5})  # type: ignore[typeddict-item]
    assert caught.value.http_status == 400
    assert caught.value.code == "parameter_invalid_string"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v2.core.accounts.retrieve("acct_nosuchaccount0")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"


def test_v2_idempotency_replays_a_success_only(emulator_server, api_key: str) -> None:
    headers = {"Content-Type": "application/json", "Idempotency-Key": "v2-key-1"}
    first = raw(emulator_server, "POST", "/v2/core/accounts", key=api_key,
                body='{"display_name": "Maya"}', headers=headers)
    second = raw(emulator_server, "POST", "/v2/core/accounts", key=api_key,
                 body='{"display_name": "Maya"}', headers=headers)
    assert first.status == second.status == 200 and first.body["id"] == second.body["id"]
    assert second.headers.get("Idempotent-Replayed") == "true"
    other = raw(emulator_server, "POST", "/v2/core/accounts", key=api_key,
                body='{"display_name": "Someone else"}', headers=headers)
    assert other.status == 400 and other.error["type"] == "idempotency_error"

    # A failure is not the key's answer on v2: the retry runs again, and may succeed.
    retry = {"Content-Type": "application/json", "Idempotency-Key": "v2-key-2"}
    failed = raw(emulator_server, "POST", "/v2/core/accounts", key=api_key,
                 body='{"display_name": 5}', headers=retry)
    assert failed.status == 400
    fixed = raw(emulator_server, "POST", "/v2/core/accounts", key=api_key,
                body='{"display_name": "Maya"}', headers=retry)
    assert fixed.status == 200 and fixed.body["display_name"] == "Maya"
    assert "Idempotent-Replayed" not in fixed.headers


def test_v1_idempotency_still_replays_an_error(emulator_server, api_key: str) -> None:
    headers = {"Idempotency-Key": "v1-key"}
    first = raw(emulator_server, "POST", "/v1/customers", key=api_key,
                params={"email": "x@example.com", "nope": "1"}, headers=headers)
    second = raw(emulator_server, "POST", "/v1/customers", key=api_key,
                 params={"email": "x@example.com", "nope": "1"}, headers=headers)
    assert first.status == second.status == 400


def test_v2_list_pages_by_url(client: stripe.StripeClient) -> None:
    made = [client.v2.core.accounts.create({"display_name": f"Host {i}"}).id for i in range(5)]
    first = client.v2.core.accounts.list({"limit": 2})
    assert [a.id for a in first.data] == made[::-1][:2]
    assert first.next_page_url and "page=" in first.next_page_url
    assert first.previous_page_url is None
    assert [a.id for a in first.auto_paging_iter()] == made[::-1]
    second = client.v2.core.accounts.list({"limit": 2, "page": first.next_page_url.split(
        "page=")[1]})  # type: ignore[typeddict-unknown-key]
    assert [a.id for a in second.data] == made[::-1][2:4]
    back = second.previous_page_url
    assert back is not None
    token = back.split("page=")[1]
    previous = client.v2.core.accounts.list({"limit": 2, "page": token})  # type: ignore
    assert [a.id for a in previous.data] == made[::-1][:2]
    assert previous.previous_page_url is None


def test_a_forged_page_token_is_a_400(emulator_server, api_key: str) -> None:
    answer = raw(emulator_server, "GET", "/v2/core/accounts", key=api_key,
                 params={"page": "not-a-token"})
    assert answer.status == 400 and answer.error["param"] == "page"


def test_v2_delete_with_a_key_is_idempotent_too(emulator_server, api_key: str) -> None:
    """stripe-python sends an Idempotency-Key on v2 DELETEs; the core accepts it (no v2
    DELETE route exists yet in this module, so the route answers 404 as unknown)."""
    answer = raw(emulator_server, "DELETE", "/v2/core/accounts/acct_x", key=api_key,
                 headers={"Idempotency-Key": "k"})
    assert answer.status == 404


def test_an_oversized_json_body_is_refused_before_it_is_read(emulator_server,
                                                             api_key: str) -> None:
    from harness.emulator.pipeline import MAX_BODY

    body = json.dumps({"display_name": "x" * (MAX_BODY + 1)})
    answer = raw(emulator_server, "POST", "/v2/core/accounts", key=api_key, body=body,
                 headers={"Content-Type": "application/json"})
    assert answer.status == 413


def test_a_v2_failure_that_committed_its_writes_is_the_keys_answer() -> None:
    """A test-only v2 route that writes, then fails keeping its writes (as a v1 decline
    does): the retry with the same key must not write again; one that wrote nothing runs
    again."""
    from werkzeug.test import Client

    from harness.emulator import Emulator
    from harness.emulator.errors import CardDeclined, InvalidRequest
    from harness.emulator.pipeline import HttpLayer
    from harness.emulator.registry import Route

    runs: list[str] = []

    def commits(ctx, params):
        runs.append("commits")
        ctx.store.set_meta("v2-test-write", str(len(runs)))
        exc = CardDeclined("declined", code="card_declined")
        exc.commit = True  # type: ignore[attr-defined]
        raise exc

    def fails(ctx, params):
        runs.append("fails")
        raise InvalidRequest("no")

    emulator = Emulator()
    app = HttpLayer(emulator, [Route("POST", "/v2/test/commits", commits, params={}),
                               Route("POST", "/v2/test/fails", fails, params={})])
    client = Client(app)
    headers = {"Authorization": "Bearer sk_test_v2_commit_rule", "Idempotency-Key": "k1",
               "Content-Type": "application/json"}
    first = client.post("/v2/test/commits", data="{}", headers=headers)
    second = client.post("/v2/test/commits", data="{}", headers=headers)
    assert first.status_code == second.status_code == 402
    assert second.headers.get("Idempotent-Replayed") == "true" and runs == ["commits"]
    headers["Idempotency-Key"] = "k2"
    for _ in range(2):
        assert client.post("/v2/test/fails", data="{}", headers=headers).status_code == 400
    assert runs == ["commits", "fails", "fails"]
