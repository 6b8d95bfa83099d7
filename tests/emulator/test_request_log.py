"""The request log behind ``GET /_emulator/requests``: per platform, bounded, secrets masked,
forgotten on reset, and never showing one platform another's calls."""

from __future__ import annotations

import stripe

from harness.emulator.request_log import MAX_PER_PLATFORM, RequestLog, masked
from harness.lab.emulator_controls import call


def test_masked_hides_card_data_and_client_secrets_at_any_depth() -> None:
    assert masked({"card": {"number": "4242", "cvc": "1", "exp_month": "2"},
                   "client_secret": "pi_1_secret_2", "items": [{"number": "5"}],
                   "number": ""}) == {
        "card": {"number": "***", "cvc": "***", "exp_month": "2"},
        "client_secret": "***", "items": [{"number": "***"}], "number": ""}


def test_the_log_keeps_the_newest_entries_per_platform() -> None:
    log = RequestLog()
    for n in range(MAX_PER_PLATFORM + 5):
        log.record("acct_a", {"path": f"/v1/x/{n}"})
    log.record("acct_b", {"path": "/v1/b"})
    entries = log.entries("acct_a")
    assert len(entries) == MAX_PER_PLATFORM and entries[0]["path"] == "/v1/x/5"
    log.forget("acct_a")
    assert log.entries("acct_a") == [] and len(log.entries("acct_b")) == 1


def test_each_platform_sees_only_its_own_calls_and_reset_forgets_them(emulator_server) -> None:
    server = emulator_server
    mine, theirs = "sk_test_requestlog_mine", "sk_test_requestlog_theirs"
    for key, name in ((mine, "mine"), (theirs, "theirs")):
        client = stripe.StripeClient(key, base_addresses={"api": server.url})
        client.v1.customers.create({"name": name})
    logged = call(server.url, mine, "/_emulator/requests")["data"]
    assert [(e["method"], e["path"], e["params"], e["status"]) for e in logged] == [
        ("POST", "/v1/customers", {"name": "mine"}, 200)]
    call(server.url, mine, "/_emulator/reset", {})
    assert call(server.url, mine, "/_emulator/requests")["data"] == []
    assert len(call(server.url, theirs, "/_emulator/requests")["data"]) == 1
