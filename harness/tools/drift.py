"""The drift check: one marketplace scenario on the emulator and on real Stripe, compared
field by field.

    python -m harness drift              # emulator half always; Stripe half when keys are set
    python -m harness drift --json       # the differences as JSON
    python -m harness drift --against build/drift/stripe.json   # compare with a saved run

The scenario is the guide's money path, done the same way on both backends:

1. **onboard** a homeowner (a connected account that can receive transfers);
2. a **destination charge**: 1000 usd, ``application_fee_amount=123``, ``pm_card_visa``;
3. a **partial refund** of 500 with ``reverse_transfer=true``;
4. the **balance transactions** of the platform (those of this scenario, by ``source``) and of
   the homeowner (all of them: the account is new).

Onboarding must not need a person, so on both backends the homeowner is a test-mode
account whose requirements are filled through the API with the values Stripe documents
for tests (https://docs.stripe.com/connect/testing: date of birth 1902-01-01 "successful,
immediate verification", address ``address_full_match``, ID number ``000000000``, bank
token ``btok_us_verified``). The platform may supply those details and accept the terms of
service for the homeowner only when it collects the requirements itself
(``controller.requirement_collection=application``, no Stripe dashboard); an Express
homeowner accepts them in Stripe-hosted onboarding, which needs a person.

Each response is kept as raw JSON, in order, then **normalised**: every Stripe ID becomes an
ordinal placeholder per prefix (``<acct_1>``, ``<ch_1>``, ``<txn_3>``), numbered over the
whole document with objects' own ``id`` first, so cross-references line up on both sides;
a client secret's secret part becomes ``<secret>``; Unix timestamps become ``<ts>``; values
that are random by nature (card fingerprints, receipt URLs) become ``<random>``. The report
then lists every JSON path where the two documents differ:

    missing  <path>  stripe=<value>            Stripe has the field, the emulator does not
    extra    <path>  emulator=<value>          the emulator has a field Stripe does not
    value    <path>  emulator=<v1> stripe=<v2> same type, other value
    type     <path>  emulator=<t1> stripe=<t2> other JSON types (``null`` counts as a type)

or the single line ``no differences``.

:func:`clean_stripe` deletes the test accounts that Connect Lab created on real Stripe (and
only those: tagged ``metadata[connect_lab]=1``).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import stripe

from ..lab import config as config_mod

TAG = {"connect_lab": "1"}  # metadata on every account the tutorial creates
SCENARIO = "onboard, destination charge, partial refund with reverse_transfer, balance txns"
DEFAULT_DIR = Path("build") / "drift"

# -- onboarding without a person (documented test values) -----------------------------------


def test_account_params(now: int | None = None) -> dict[str, Any]:
    """A US individual whose requirements are all supplied with Stripe's documented test
    values (https://docs.stripe.com/connect/testing), so that ``transfers`` and
    ``card_payments`` become active without hosted onboarding. The platform collects the
    requirements (Stripe requires that for API-supplied details), bears fees and losses."""
    return {
        "country": "US",
        "controller": {
            "stripe_dashboard": {"type": "none"},
            "requirement_collection": "application",
            "fees": {"payer": "application"},
            "losses": {"payments": "application"},
        },
        "capabilities": {"card_payments": {"requested": True},
                         "transfers": {"requested": True}},
        "business_type": "individual",
        "business_profile": {"mcc": "6513", "url": "https://accessible.stripe.com",
                             "product_description": "Home rentals (Connect Lab test)"},
        "individual": {
            "first_name": "Test", "last_name": "Homeowner", "email": "homeowner@example.com",
            "phone": "0000000000",
            "dob": {"day": 1, "month": 1, "year": 1902},
            "address": {"line1": "address_full_match", "city": "San Francisco",
                        "state": "CA", "postal_code": "94111", "country": "US"},
            "ssn_last_4": "0000", "id_number": "000000000",
        },
        "external_account": "btok_us_verified",
        "tos_acceptance": {"date": int(now if now is not None else time.time()),
                           "ip": "127.0.0.1"},
        "metadata": dict(TAG),
    }


class NotEnabled(RuntimeError):
    """The test account did not become able to receive transfers in time."""


def wait_until_enabled(
    client: stripe.StripeClient, account_id: str, *, timeout: float = 30.0,
    interval: float = 2.0, sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll the account until ``capabilities.transfers`` is ``active`` (Stripe verifies the
    test values within seconds; the emulator at once). Raises :class:`NotEnabled` naming
    what is still due."""
    deadline = time.monotonic() + timeout
    while True:
        account = _get(client, f"/v1/accounts/{account_id}")
        if (account.get("capabilities") or {}).get("transfers") == "active":
            return account
        if time.monotonic() >= deadline:
            due = (account.get("requirements") or {}).get("currently_due")
            raise NotEnabled(
                f"{account_id}: transfers is {account['capabilities'].get('transfers')!r} "
                f"after {timeout:.0f} s; currently_due={due}"
            )
        sleep(interval)


# -- the scenario -------------------------------------------------------------------------------


def _get(client: stripe.StripeClient, path: str, **params: Any) -> dict[str, Any]:
    return json.loads(client.raw_request("get", path, **params).body)


def _post(client: stripe.StripeClient, path: str, **params: Any) -> dict[str, Any]:
    return json.loads(client.raw_request("post", path, **params).body)


def run_scenario(
    client: stripe.StripeClient, *, wait: Callable[[stripe.StripeClient, str], Any] | None = None
) -> dict[str, Any]:
    """Run the scenario through ``client`` and return its responses as one JSON document
    (step name -> raw response), in the order they happened."""
    wait = wait or wait_until_enabled
    doc: dict[str, Any] = {}
    created = _post(client, "/v1/accounts", **test_account_params())
    doc["account_created"] = created
    acct = created["id"]
    wait(client, acct)
    doc["account"] = _get(client, f"/v1/accounts/{acct}")
    doc["payment_intent"] = pi = _post(
        client, "/v1/payment_intents", amount=1000, currency="usd",
        payment_method="pm_card_visa", confirm=True, return_url="https://example.com/return",
        application_fee_amount=123, transfer_data={"destination": acct},
        metadata={"connect_lab": "drift"},
    )
    doc["charge"] = charge = _get(client, f"/v1/charges/{pi['latest_charge']}")
    doc["transfer"] = transfer = _get(client, f"/v1/transfers/{charge['transfer']}")
    doc["application_fee"] = fee = _get(client,
                                        f"/v1/application_fees/{charge['application_fee']}")
    doc["payment"] = _get(client, f"/v1/charges/{transfer['destination_payment']}",
                          stripe_account=acct)
    doc["refund"] = refund = _post(client, "/v1/refunds", payment_intent=pi["id"], amount=500,
                                   reverse_transfer=True)
    doc["transfer_reversal"] = _get(
        client, f"/v1/transfers/{transfer['id']}/reversals/{refund['transfer_reversal']}")
    platform = []
    for source in (charge["id"], transfer["id"], fee["id"], refund["id"],
                   refund["transfer_reversal"]):
        platform.extend(_get(client, "/v1/balance_transactions", source=source)["data"])
    doc["platform_balance_transactions"] = platform
    doc["homeowner_balance_transactions"] = _get(
        client, "/v1/balance_transactions", limit=10, stripe_account=acct)
    return doc


def run_on_emulator(seed: int | None = 7) -> dict[str, Any]:
    """The emulator half: a fresh in-process emulator on 127.0.0.1, torn down afterwards."""
    from ..emulator import Emulator, Settings
    from ..lab.server import BackgroundServer

    emulator = Emulator(settings=Settings(seed=seed))
    with BackgroundServer(emulator) as server:
        client = stripe.StripeClient(
            config_mod.EMULATOR_SECRET_KEY,
            base_addresses={"api": server.url, "connect": server.url, "files": server.url},
            max_network_retries=0,
        )
        doc = run_scenario(client, wait=lambda c, a: wait_until_enabled(c, a, timeout=0))
    emulator.store.close()
    return doc


def run_on_stripe(cfg: config_mod.Config) -> dict[str, Any]:
    """The Stripe half, in test mode with the configured key (live keys never get here)."""
    client = stripe.StripeClient(cfg.secret_key, max_network_retries=2)
    doc = run_scenario(client)
    try:  # the homeowner is tagged, so `python -m harness clean-stripe` would find it too
        client.v1.accounts.delete(doc["account"]["id"])
    except stripe.StripeError:
        pass
    return doc


# -- normalising ----------------------------------------------------------------------------------

# Stripe's ID prefixes that this scenario meets (and a few neighbours). A further ID-shaped
# token (lower-case prefix, then 10+ letters and digits with a capital or a digit) counts too.
PREFIXES = ("acct", "ba", "btok", "ca", "card", "ch", "cus", "dp", "du", "evt", "fee", "fr",
            "file", "iar", "la", "pi", "pm", "po", "py", "pyr", "re", "req", "seti", "src",
            "tok", "tr", "trr", "txn", "we")
_ID = re.compile(
    r"(?<![A-Za-z0-9_])(?P<prefix>" + "|".join(sorted(PREFIXES, key=len, reverse=True))
    + r"|[a-z]{2,5})_(?P<tail>(?=[A-Za-z0-9]*[A-Z0-9])[A-Za-z0-9]{10,})"
    r"(?P<secret>_secret_[A-Za-z0-9]+)?"
)
TS_MIN, TS_MAX = 946_684_800, 4_102_444_800  # 2000-01-01 .. 2100-01-01
MONEY = {"amount", "amount_captured", "amount_received", "amount_refunded", "amount_reversed",
         "amount_capturable", "net", "fee", "application_fee_amount"}
RANDOM = {"fingerprint", "receipt_url", "receipt_number", "request_log_url"}


class Placeholders:
    """Ordinal placeholders per prefix: the first ``ch_`` met is ``<ch_1>``, and so on."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}
        self.counts: dict[str, int] = {}

    def name(self, prefix: str, token: str) -> str:
        if token not in self.seen:
            self.counts[prefix] = self.counts.get(prefix, 0) + 1
            self.seen[token] = f"<{prefix}_{self.counts[prefix]}>"
        return self.seen[token]

    def claim(self, value: str) -> None:
        match = _ID.fullmatch(value)
        if match:
            self.name(match["prefix"], match["prefix"] + "_" + match["tail"])

    def replace(self, text: str) -> str:
        def sub(match: re.Match[str]) -> str:
            out = self.name(match["prefix"], match["prefix"] + "_" + match["tail"])
            return out + ("_secret_<secret>" if match["secret"] else "")

        return _ID.sub(sub, text)


def _ordered_items(node: dict[str, Any]) -> list[tuple[str, Any]]:
    """``id`` first, then the other keys sorted: both backends are walked in one order."""
    return sorted(node.items(), key=lambda kv: (kv[0] != "id", kv[0]))


def _own_ids(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("id"), str) and "object" in node:
            yield node["id"]
        for _, value in _ordered_items(node):
            yield from _own_ids(value)
    elif isinstance(node, list):
        for value in node:
            yield from _own_ids(value)


def normalise(doc: Any) -> Any:
    """A copy of ``doc`` with IDs, secrets, timestamps and random values replaced by
    placeholders (see the module docstring). Objects' own IDs are numbered first, in
    document order (the steps as they happened, then each object's ``id`` before its other
    keys in sorted order), so a reference elsewhere gets the number of the object it points
    to, and both backends' documents are numbered alike."""
    names = Placeholders()
    steps = list(doc.items()) if isinstance(doc, dict) else [("", doc)]
    for _, step in steps:
        for own in _own_ids(step):
            names.claim(own)

    def walk(node: Any, key: str | None) -> Any:
        if isinstance(node, dict):
            return {k: walk(v, k) for k, v in _ordered_items(node)}
        if isinstance(node, list):
            return [walk(v, key) for v in node]
        if isinstance(node, str):
            if key in RANDOM:
                return "<random>"
            return names.replace(node)
        if isinstance(node, bool) or node is None:
            return node
        if isinstance(node, int) and key not in MONEY and TS_MIN <= node <= TS_MAX:
            return "<ts>"
        return node

    if isinstance(doc, dict):  # the top level keeps the steps' order
        return {name: walk(step, name) for name, step in steps}
    return walk(doc, None)


# -- comparing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    kind: str  # "missing" | "extra" | "value" | "type"
    path: str
    emulator: Any = None
    stripe: Any = None

    def line(self) -> str:
        def show(value: Any) -> str:
            text = json.dumps(value, sort_keys=True)
            return text if len(text) <= 80 else text[:77] + "..."

        if self.kind == "missing":
            return f"missing  {self.path}  stripe={show(self.stripe)}"
        if self.kind == "extra":
            return f"extra    {self.path}  emulator={show(self.emulator)}"
        if self.kind == "type":
            return (f"type     {self.path}  emulator={json_type(self.emulator)} "
                    f"stripe={json_type(self.stripe)}")
        return f"value    {self.path}  emulator={show(self.emulator)} stripe={show(self.stripe)}"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "emulator": self.emulator,
                "stripe": self.stripe}


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def compare(emulator: Any, stripe_doc: Any, path: str = "") -> list[Difference]:
    """Every JSON path where two (normalised) documents differ, in document order.
    Lists are compared item by item; a longer list's surplus items are missing/extra."""
    if isinstance(emulator, dict) and isinstance(stripe_doc, dict):
        out: list[Difference] = []
        keys = list(emulator) + [k for k in stripe_doc if k not in emulator]
        if path:  # below the top level (whose steps keep their order): id first, then sorted
            keys.sort(key=lambda k: (k != "id", k))
        for key in keys:
            here = _join(path, key)
            if key not in emulator:
                out.append(Difference("missing", here, stripe=stripe_doc[key]))
            elif key not in stripe_doc:
                out.append(Difference("extra", here, emulator=emulator[key]))
            else:
                out.extend(compare(emulator[key], stripe_doc[key], here))
        return out
    if isinstance(emulator, list) and isinstance(stripe_doc, list):
        out = []
        for i in range(max(len(emulator), len(stripe_doc))):
            here = f"{path}[{i}]"
            if i >= len(emulator):
                out.append(Difference("missing", here, stripe=stripe_doc[i]))
            elif i >= len(stripe_doc):
                out.append(Difference("extra", here, emulator=emulator[i]))
            else:
                out.extend(compare(emulator[i], stripe_doc[i], here))
        return out
    if json_type(emulator) != json_type(stripe_doc):
        return [Difference("type", path, emulator, stripe_doc)]
    if emulator != stripe_doc:
        return [Difference("value", path, emulator, stripe_doc)]
    return []


def report(differences: list[Difference], *, title: str | None = None) -> str:
    """The plain-text report: a heading, one line per difference, a count line; or
    ``no differences``."""
    lines = [title] if title else []
    if not differences:
        lines.append("no differences")
        return "\n".join(lines)
    lines.extend(d.line() for d in differences)
    kinds = {k: sum(d.kind == k for d in differences) for k in ("missing", "extra", "value",
                                                                  "type")}
    lines.append(f"{len(differences)} differences: " + ", ".join(
        f"{n} {k}" for k, n in kinds.items()))
    return "\n".join(lines)


# -- cleaning up real Stripe ---------------------------------------------------------------------


def tagged(account: Any) -> bool:
    """True for an account Connect Lab created (``metadata[connect_lab]`` is ``"1"``)."""
    if isinstance(account, stripe.StripeObject):
        account = account.to_dict()
    return (account.get("metadata") or {}).get("connect_lab") == "1"


def clean_stripe(
    client: stripe.StripeClient | None = None, *, dry_run: bool = False,
    env: dict[str, str] | None = None, echo: Callable[[str], None] = print,
) -> list[str]:
    """Delete the connected accounts that Connect Lab created (``metadata[connect_lab]=1``)
    and no other. Test mode only: without a key there is nothing to clean (the emulator's
    accounts live in its own memory or file), and live keys are refused. Returns the IDs
    deleted (or, with ``dry_run``, those that would be)."""
    if client is None:
        cfg = config_mod.from_env(env)
        if cfg.is_emulator:
            echo("STRIPE_SECRET_KEY is not set: nothing to clean on Stripe.")
            return []
        client = stripe.StripeClient(cfg.secret_key, max_network_retries=2)
    doomed = [a.id for a in client.v1.accounts.list({"limit": 100}).auto_paging_iter()
              if tagged(a)]
    for account_id in doomed:
        if dry_run:
            echo(f"would delete {account_id}")
            continue
        client.v1.accounts.delete(account_id)
        echo(f"deleted {account_id}")
    if not doomed:
        echo("no Connect Lab test accounts to delete")
    return doomed


# -- command line ------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the differences as JSON")
    parser.add_argument("--out", default=str(DEFAULT_DIR),
                        help="where to write the normalised documents (default build/drift)")
    parser.add_argument("--against", default=None, metavar="FILE",
                        help="compare the emulator with a saved Stripe document instead of "
                             "calling Stripe (a stripe.json from an earlier run)")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 when there are differences")


def main(args: argparse.Namespace, env: dict[str, str] | None = None) -> int:
    cfg = None if args.against else config_mod.from_env(env)  # a live key stops us here
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    emulator_doc = normalise(run_on_emulator())
    (out / "emulator.json").write_text(json.dumps(emulator_doc, indent=2, sort_keys=True))
    if args.against:
        stripe_doc = normalise(json.loads(Path(args.against).read_text()))
        source = args.against
    else:
        assert cfg is not None
        if cfg.is_emulator:
            print(f"Ran the emulator half only ({SCENARIO}); its normalised document is "
                  f"{out / 'emulator.json'}.\nSet STRIPE_SECRET_KEY=sk_test_... to compare "
                  "it with real Stripe test mode.")
            return 0
        try:
            stripe_doc = normalise(run_on_stripe(cfg))
        except (stripe.StripeError, NotEnabled) as exc:
            print(f"The Stripe half failed, so there is nothing to compare: {exc}")
            return 2
        (out / "stripe.json").write_text(json.dumps(stripe_doc, indent=2, sort_keys=True))
        source = "Stripe test mode"
    differences = compare(emulator_doc, stripe_doc)
    if args.json:
        print(json.dumps([d.as_dict() for d in differences], indent=2))
    else:
        print(report(differences, title=f"drift: emulator vs {source} ({SCENARIO})"))
    return 1 if (args.strict and differences) else 0
