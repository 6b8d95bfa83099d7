"""``python -m harness drift`` offline: the emulator half, normalisation and the report's
format (the Stripe half needs keys and a network; its absence must be explained, not fail),
and ``clean_stripe`` touching only tagged accounts."""

from __future__ import annotations

import argparse
import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import stripe

from harness.lab.config import LiveKeyRefused
from harness.tools import drift

RAW_ID = re.compile(r"\b(acct|ch|pi|py|tr|trr|txn|fee|re|pyr|pm|ba)_[A-Za-z0-9]{10,}")


@pytest.fixture(scope="module")
def emulator_doc() -> dict[str, Any]:
    return drift.normalise(drift.run_on_emulator(seed=7))


def _args(tmp_path: Path, *extra: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    drift.add_arguments(parser)
    return parser.parse_args(["--out", str(tmp_path), *extra])


# -- the scenario and normalisation --------------------------------------------------------------
def test_the_scenario_covers_the_guides_money_path(emulator_doc: dict[str, Any]) -> None:
    assert list(emulator_doc) == [
        "account_created", "account", "payment_intent", "charge", "transfer",
        "application_fee", "payment", "refund", "transfer_reversal",
        "platform_balance_transactions", "homeowner_balance_transactions"]
    platform = [(t["type"], t["amount"], t["fee"], t["net"], t["source"])
                for t in emulator_doc["platform_balance_transactions"]]
    assert platform == [
        ("charge", 1000, 59, 941, "<ch_1>"), ("transfer", -1000, 0, -1000, "<tr_1>"),
        ("application_fee", 123, 0, 123, "<fee_1>"), ("refund", -500, 0, -500, "<re_1>"),
        ("transfer_refund", 500, 0, 500, "<trr_1>")]
    homeowner = [(t["type"], t["amount"], t["fee"], t["net"], t["source"])
                 for t in emulator_doc["homeowner_balance_transactions"]["data"]]
    assert homeowner == [("payment_refund", -500, 0, -500, "<pyr_1>"),
                         ("payment", 1000, 123, 877, "<py_1>")]
    assert emulator_doc["account"]["metadata"] == {"connect_lab": "1"}


def test_cross_references_line_up(emulator_doc: dict[str, Any]) -> None:
    doc = emulator_doc
    assert doc["account"]["id"] == doc["account_created"]["id"] == "<acct_1>"
    assert doc["payment_intent"]["id"] == "<pi_1>"
    assert doc["payment_intent"]["latest_charge"] == doc["charge"]["id"] == "<ch_1>"
    assert doc["charge"]["transfer"] == doc["transfer"]["id"] == "<tr_1>"
    assert doc["transfer"]["destination"] == "<acct_1>"
    assert doc["transfer"]["destination_payment"] == doc["payment"]["id"] == "<py_1>"
    assert doc["charge"]["balance_transaction"] == \
        doc["platform_balance_transactions"][0]["id"] == "<txn_1>"
    assert doc["refund"]["transfer_reversal"] == doc["transfer_reversal"]["id"] == "<trr_1>"
    assert doc["payment_intent"]["client_secret"] == "<pi_1>_secret_<secret>"
    assert doc["charge"]["created"] == "<ts>" and doc["charge"]["amount"] == 1000
    text = json.dumps(doc)
    assert not RAW_ID.search(text), RAW_ID.search(text)
    assert "_secret_" not in text.replace("_secret_<secret>", "")


def test_normalise_numbers_ids_per_prefix_objects_first() -> None:
    doc = {
        "first": {"id": "pi_3QabcDEF1234567", "object": "payment_intent",
                  "latest_charge": "ch_3QzzzYYY7654321", "created": 1767225600,
                  "amount": 1767225600, "client_secret": "pi_3QabcDEF1234567_secret_XyZ123",
                  "url": "/v1/charges/ch_3QzzzYYY7654321/refunds"},
        "second": {"id": "ch_3QzzzYYY7654321", "object": "charge",
                   "source_transfer": None, "fingerprint": "Xk2PqZ", "status": "requires_action",
                   "outcome": {"type": "authorized"},
                   "tags": ["ch_1NewOneAbcdefg", "card_payments"]},
    }
    assert drift.normalise(doc) == {
        "first": {"id": "<pi_1>", "object": "payment_intent", "latest_charge": "<ch_1>",
                  "created": "<ts>", "amount": 1767225600,
                  "client_secret": "<pi_1>_secret_<secret>",
                  "url": "/v1/charges/<ch_1>/refunds"},
        "second": {"id": "<ch_1>", "object": "charge", "source_transfer": None,
                   "fingerprint": "<random>", "status": "requires_action",
                   "outcome": {"type": "authorized"}, "tags": ["<ch_2>", "card_payments"]},
    }
    again = drift.normalise(drift.normalise(doc))
    assert again == drift.normalise(doc)  # a saved, normalised document stays as it is


# -- comparing and the report ---------------------------------------------------------------------
def test_the_emulator_against_itself_has_no_differences(emulator_doc: dict[str, Any]) -> None:
    other = drift.normalise(drift.run_on_emulator(seed=None))  # other IDs, other clock
    assert drift.compare(emulator_doc, other) == []
    assert drift.report([]) == "no differences"
    assert drift.report([], title="drift: emulator vs x") == "drift: emulator vs x\nno differences"


def doctored(doc: dict[str, Any]) -> dict[str, Any]:
    """A pretend Stripe document: four kinds of change at known paths."""
    fake = copy.deepcopy(doc)
    del fake["charge"]["outcome"]["risk_level"]  # the emulator has it: extra
    fake["refund"]["zz_new_field"] = {"type": "card"}  # Stripe has it: missing
    fake["platform_balance_transactions"][0]["fee"] = 60  # value
    fake["transfer"]["amount"] = "1000"  # type
    fake["homeowner_balance_transactions"]["data"].append({"id": "<txn_99>"})  # missing item
    return fake


def test_a_doctored_copy_lists_the_right_paths(emulator_doc: dict[str, Any]) -> None:
    differences = drift.compare(emulator_doc, doctored(emulator_doc))
    assert [(d.kind, d.path) for d in differences] == [
        ("extra", "charge.outcome.risk_level"),
        ("type", "transfer.amount"),
        ("missing", "refund.zz_new_field"),
        ("value", "platform_balance_transactions[0].fee"),
        ("missing", "homeowner_balance_transactions.data[2]"),
    ]
    assert drift.report(differences).splitlines() == [
        'extra    charge.outcome.risk_level  emulator="normal"',
        "type     transfer.amount  emulator=number stripe=string",
        'missing  refund.zz_new_field  stripe={"type": "card"}',
        "value    platform_balance_transactions[0].fee  emulator=59 stripe=60",
        'missing  homeowner_balance_transactions.data[2]  stripe={"id": "<txn_99>"}',
        "5 differences: 2 missing, 1 extra, 1 value, 1 type",
    ]


def test_null_against_a_value_is_a_type_difference() -> None:
    (diff,) = drift.compare({"a": {"b": None}}, {"a": {"b": "x"}})
    assert diff.line() == "type     a.b  emulator=null stripe=string"


# -- the command ----------------------------------------------------------------------------------
def test_without_keys_only_the_emulator_half_runs(tmp_path: Path, capsys: Any) -> None:
    assert drift.main(_args(tmp_path), env={}) == 0
    out = capsys.readouterr().out
    assert "Ran the emulator half only" in out and "STRIPE_SECRET_KEY" in out
    saved = json.loads((tmp_path / "emulator.json").read_text())
    assert saved["charge"]["id"] == "<ch_1>"
    assert not (tmp_path / "stripe.json").exists()


def test_a_live_key_is_refused_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(LiveKeyRefused):
        drift.main(_args(tmp_path), env={"STRIPE_SECRET_KEY": "sk_live_" + "x" * 24})
    assert not (tmp_path / "emulator.json").exists()


def test_against_a_saved_document(emulator_doc: dict[str, Any], tmp_path: Path,
                                  capsys: Any) -> None:
    saved = tmp_path / "stripe.json"
    saved.write_text(json.dumps(doctored(emulator_doc)))
    assert drift.main(_args(tmp_path, "--against", str(saved)), env={}) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"drift: emulator vs {saved} (")
    assert lines[1] == 'extra    charge.outcome.risk_level  emulator="normal"'
    assert lines[-1] == "5 differences: 2 missing, 1 extra, 1 value, 1 type"

    assert drift.main(_args(tmp_path, "--against", str(saved), "--json", "--strict"),
                      env={}) == 1
    as_json = json.loads(capsys.readouterr().out)
    assert as_json[0] == {"kind": "extra", "path": "charge.outcome.risk_level",
                          "emulator": "normal", "stripe": None}

    saved.write_text(json.dumps(emulator_doc))
    assert drift.main(_args(tmp_path, "--against", str(saved), "--strict"), env={}) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "no differences"


def test_cli_entry_point(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    from harness.__main__ import main

    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    assert main(["drift", "--out", str(tmp_path)]) == 0
    assert "emulator half only" in capsys.readouterr().out
    assert main(["clean-stripe", "--dry-run"]) == 0
    assert "nothing to clean" in capsys.readouterr().out


# -- onboarding without a person, and cleaning up -------------------------------------------------
def test_test_account_params_enable_transfers_on_the_emulator(client: stripe.StripeClient) -> None:
    account = client.v1.accounts.create(drift.test_account_params(now=1767225600))
    enabled = drift.wait_until_enabled(client, account.id, timeout=0)
    assert enabled["capabilities"] == {"card_payments": "active", "transfers": "active"}
    assert enabled["metadata"] == {"connect_lab": "1"}


def test_wait_until_enabled_names_what_is_due(client: stripe.StripeClient) -> None:
    express = client.v1.accounts.create(
        {"type": "express", "capabilities": {"transfers": {"requested": True}}})
    with pytest.raises(drift.NotEnabled, match="currently_due=.*external_account"):
        drift.wait_until_enabled(client, express.id, timeout=0)


def test_clean_stripe_deletes_only_tagged_accounts(client: stripe.StripeClient) -> None:
    tagged = [client.v1.accounts.create({"type": "express", "metadata": {"connect_lab": "1"}}).id
              for _ in range(2)]
    mine = client.v1.accounts.create({"type": "express", "metadata": {"owner": "me"}}).id
    bare = client.v1.accounts.create({"type": "express"}).id
    said: list[str] = []
    assert sorted(drift.clean_stripe(client, dry_run=True, echo=said.append)) == sorted(tagged)
    assert len(client.v1.accounts.list().data) == 4
    assert sorted(drift.clean_stripe(client, echo=said.append)) == sorted(tagged)
    assert {a.id for a in client.v1.accounts.list().data} == {mine, bare}
    assert sorted(said[:2]) == sorted(f"would delete {i}" for i in tagged)
    assert sorted(said[2:4]) == sorted(f"deleted {i}" for i in tagged)
    assert drift.clean_stripe(client, echo=said.append) == []
    assert said[-1] == "no Connect Lab test accounts to delete"


def test_clean_stripe_without_a_key_does_nothing() -> None:
    said: list[str] = []
    assert drift.clean_stripe(env={}, echo=said.append) == []
    assert said == ["STRIPE_SECRET_KEY is not set: nothing to clean on Stripe."]
    with pytest.raises(LiveKeyRefused):
        drift.clean_stripe(env={"STRIPE_SECRET_KEY": "sk_live_" + "y" * 24})
