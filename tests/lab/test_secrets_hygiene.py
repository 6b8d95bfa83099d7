"""Secrets hygiene: no secret in a committed notebook (sources and outputs) or in the logs.

What counts as a secret, and what is allowed (the placeholders are exactly these):

* **API keys** ``sk_``/``rk_`` + ``test_``/``live_`` + a body of letters, digits and ``_``.
  Allowed: an empty body, i.e. a masked or elided key (``sk_test_…``, ``sk_test_…form``,
  ``sk_test_********form``, ``sk_live_...``); and exactly ``sk_test_connectlab_platform``,
  the emulator's default key (``harness.lab.config.EMULATOR_SECRET_KEY``). That one is a
  published placeholder, in the source and the README, that only the offline emulator
  accepts: Stripe never issued it, so it grants nothing. Anything else is a leak, whether it
  is a real Stripe key or another emulator key (one learner's key is that learner's
  platform on a shared workshop emulator).
* **Webhook signing secrets** ``whsec_`` + a body. Allowed: an empty body; at most four
  characters then ``…`` or ``...`` (a masked display: ``whsec_bf53…``); or a made-up word of
  at most 16 lower-case letters and no digit (``whsec_attacker`` in a forged-signature
  example). Real secrets (the CLI's 64 hex characters, an endpoint's 32 of base62) all have
  digits and run longer.
* **Client secrets** ``<object id>_secret_<secret>`` (PaymentIntents, SetupIntents, Checkout
  Sessions). Allowed: only with the secret part masked (``pi_123_secret_…``), in an output,
  a source or a URL alike.

Publishable keys (``pk_``) are public by design and not checked.
"""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe
from werkzeug.serving import make_server

from harness.emulator import Emulator
from harness.lab import emulator_keys, logsafe
from harness.lab.config import EMULATOR_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
ALLOWED_KEYS = {EMULATOR_SECRET_KEY}
API_KEY = re.compile(r"(?<![A-Za-z0-9])(?:sk|rk)_(?:test|live)_([A-Za-z0-9_]*)")
WEBHOOK_SECRET = re.compile(r"(?<![A-Za-z0-9])whsec_([A-Za-z0-9+/=]*)(…|\.\.\.)?")
CLIENT_SECRET = re.compile(
    r"(?<![A-Za-z0-9])[a-z]{2,7}_(?:test_|live_)?[a-z]*[A-Z0-9][A-Za-z0-9]*_secret_([A-Za-z0-9]*)")
MADE_UP_WORD = re.compile(r"[a-z]{1,16}")


def leaks(text: str) -> list[str]:
    """Every secret in ``text`` that is not an allowed placeholder (see the docstring)."""
    found = []
    for m in API_KEY.finditer(text):
        if m[1] and m[0] not in ALLOWED_KEYS:
            found.append(m[0])
    for m in WEBHOOK_SECRET.finditer(text):
        body, elided = m[1], m[2]
        if body and not (elided and len(body) <= 4) and not MADE_UP_WORD.fullmatch(body):
            found.append(m[0])
    for m in CLIENT_SECRET.finditer(text):
        if m[1]:
            found.append(m[0])
    return found


def strings(node: Any) -> Iterator[str]:
    """Every string in a JSON document: keys, values, list items (sources and outputs)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def committed_notebooks() -> list[Path]:
    try:
        listed = subprocess.run(["git", "ls-files", "notebooks/*.ipynb"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: what is there
        return sorted((ROOT / "notebooks").glob("*.ipynb"))
    return [ROOT / name for name in listed]


# -- the rules themselves ------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "STRIPE_SECRET_KEY=sk_test_…", "STRIPE_API_KEY=sk_test_…form stripe listen",
    "key sk_test_********form is invalid", "sk_live_... is refused", EMULATOR_SECRET_KEY,
    "whsec_", "secret is whsec_bf53… (^C to quit)", "whsec_1a2b...", "sign(x, 'whsec_attacker')",
    "client_secret: pi_TMuHvksdaDkWBPFt3by1HGSd_secret_…", "x.split('_secret_')[0]",
    "pi_123abc_secret_[redacted]", "pk_test_51Hc0ffee0123456789", "risk_score_secret_sauce",
])
def test_placeholders_are_allowed(text: str) -> None:
    assert leaks(text) == []


@pytest.mark.parametrize("text, leak", [
    ("sk_test_51Hc0ffee0123456789abcdef", "sk_test_51Hc0ffee0123456789abcdef"),
    ("export STRIPE_SECRET_KEY=sk_live_abc123", "sk_live_abc123"),
    ("rk_test_9f8e7d6c5b4a", "rk_test_9f8e7d6c5b4a"),
    ("key=sk_test_platform000001&x=1", "sk_test_platform000001"),
    ("whsec_5d1a0b3c4e5f60718293a4b5c6d7e8f9", "whsec_5d1a0b3c4e5f60718293a4b5c6d7e8f9"),
    ("whsec_bf53a1…", "whsec_bf53a1…"),
    ("?payment_intent_client_secret=pi_3Qx9_secret_Ab12Cd", "pi_3Qx9_secret_Ab12Cd"),
    ('"client_secret": "seti_1AbC_secret_zz9"', "seti_1AbC_secret_zz9"),
    ("cs_test_a1B2c3_secret_fidwbEhqYWAnPCd", "cs_test_a1B2c3_secret_fidwbEhqYWAnPCd"),
])
def test_secrets_are_caught(text: str, leak: str) -> None:
    assert leaks(text) == [leak]


def test_logsafe_masks_each_kind_as_the_notebooks_do() -> None:
    text = ("key sk_test_51Hc0ffee0123456789abcd secret whsec_5d1a0b3c4e5f6071 "
            "url /v1/payment_intents/pi_3Qx9?client_secret=pi_3Qx9_secret_Ab12Cd "
            "and pk_test_51Hc0ffee stays")
    assert logsafe.redact(text) == (
        "key sk_test_…abcd secret whsec_5d1a… url /v1/payment_intents/pi_3Qx9?"
        "client_secret=pi_3Qx9_secret_[redacted] and pk_test_51Hc0ffee stays")
    assert leaks(logsafe.redact(text)) == []


# -- the committed notebooks ---------------------------------------------------------------------
NOTEBOOKS = committed_notebooks()


def test_there_are_notebooks_to_scan() -> None:
    assert NOTEBOOKS, "git ls-files found no committed notebooks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_notebook_holds_no_secret(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    found = [(i, leak) for i, cell in enumerate(notebook.get("cells", []))
             for text in strings(cell) for leak in leaks(text)]
    found += [("metadata", leak) for text in strings(notebook.get("metadata", {}))
              for leak in leaks(text)]
    assert found == [], f"{path.name}: secrets in cells {found}"


# -- the logs ------------------------------------------------------------------------------------
@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Everything the SDK, werkzeug and the harness log, at DEBUG, into one buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    names = ("stripe", "werkzeug", "harness")
    before = {n: logging.getLogger(n).level for n in names}
    root = logging.getLogger()
    root.addHandler(handler)
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        for name, level in before.items():
            logging.getLogger(name).setLevel(level)


def _post(base: str, key: str, control: str, **params: str) -> None:
    data = "&".join(f"{k}={v}" for k, v in params.items()).encode()
    request = urllib.request.Request(base + control, data=data, method="POST",
                                     headers={"Authorization": f"Bearer {key}"})
    urllib.request.urlopen(request, timeout=10).read()


def test_debug_logs_of_a_scenario_hold_no_secret(debug_log: io.StringIO) -> None:
    """A small marketplace run with every logger at DEBUG, through werkzeug's *standard*
    request handler (access log on): keys, client secrets and webhook secrets appear in
    requests and responses, and must appear in no log line."""
    key = "sk_test_" + secrets.token_hex(12)  # looks like any real key: it must not show
    emulator = Emulator()
    server = make_server("127.0.0.1", 0, emulator, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    addresses = {"api": base, "connect": base, "files": base}
    try:
        client = stripe.StripeClient(key, base_addresses=addresses, max_network_retries=2)
        account = client.v1.accounts.create(
            {"type": "express", "capabilities": {"transfers": {"requested": True},
                                                 "card_payments": {"requested": True}}})
        _post(base, key, f"/_emulator/accounts/{account.id}/complete_onboarding")
        pi = client.v1.payment_intents.create({
            "amount": 1000, "currency": "usd", "payment_method": "pm_card_visa",
            "confirm": True, "return_url": "https://example.com/return",
            "application_fee_amount": 123, "transfer_data": {"destination": account.id}})
        browser = stripe.StripeClient(emulator_keys(base, key)["publishable_key"],
                                      base_addresses=addresses)
        browser.v1.payment_intents.retrieve(pi.id, {"client_secret": pi.client_secret})
        endpoint = client.v1.webhook_endpoints.create(
            {"url": "https://example.com/webhook", "enabled_events": ["charge.refunded"]})
        _post(base, key, "/_emulator/faults", path="/v1/refunds", mode="drop")
        client.v1.refunds.create({"payment_intent": pi.id, "amount": 500})  # retried
        with pytest.raises(stripe.PermissionError):
            stripe.StripeClient("sk_test_" + secrets.token_hex(12), base_addresses=addresses
                                ).v1.balance.retrieve(options={"stripe_account": account.id})
    finally:
        server.shutdown()
        server.server_close()
    logs = debug_log.getvalue()

    # the scenario did put secrets in play, and the logs did see those messages ...
    assert pi.client_secret and endpoint.secret.startswith("whsec_")
    assert "API response body" in logs and "Request to Stripe api" in logs  # the SDK
    assert f"GET /v1/payment_intents/{pi.id}?client_secret=" in logs  # werkzeug's access log
    assert "dropping the response to POST /v1/refunds" in logs  # the emulator
    assert "Initiating retry" in logs
    assert f"{pi.id}_secret_[redacted]" in logs and "whsec_" in logs
    # ... but no secret made it into a single line
    assert key not in logs and key[8:] not in logs
    assert pi.client_secret not in logs and endpoint.secret not in logs
    assert leaks(logs) == []


# -- .env.example --------------------------------------------------------------------------------
def test_env_example_names_the_variables_with_empty_values() -> None:
    from harness.lab.config import from_env

    text = (ROOT / ".env.example").read_text()
    values = dict(line.split("=", 1) for line in text.splitlines()
                  if line and not line.startswith("#"))
    assert values == {"STRIPE_SECRET_KEY": "", "STRIPE_PUBLISHABLE_KEY": "",
                      "STRIPE_CLIENT_ID": ""}
    assert leaks(text) == []
    assert from_env(values).backend == "emulator"  # as shipped, it selects the emulator


# -- every logger, at DEBUG, through the flows that carry bearer secrets -------------------------
@pytest.mark.parametrize("key", ["sk_test_my-team.key", "sk_test_a.b-c~d", "rk_live_x-y.z9"])
def test_logsafe_masks_a_key_whatever_its_suffix(key: str) -> None:
    body = key[len("sk_test_"):]
    for text in (f"key {key} here", f"Bearer {key}", f"client_secret={key}&x=1"):
        clean = logsafe.redact(text)
        # at most the last four characters show, as Stripe masks keys
        assert [body[i:i + 4] for i in range(len(body) - 4) if body[i:i + 4] in clean] == []


@pytest.mark.parametrize("text, secret", [
    ("url http://127.0.0.1:5/setup/c/acct_1Ab2/Tok3nSecretAbcdef1234 ok", "Tok3nSecretAbcdef1234"),
    ('"url": "https://connect.stripe.com/setup/e/acct_1Nv0FGQ9RKHgCVdK/YWNjdF8xTnYw-Zf"',
     "YWNjdF8xTnYw-Zf"),
    ('"GET /express/acct_1Ab2/Lg1nT0kenAbc HTTP/1.1" 200', "Lg1nT0kenAbc"),
    ("https://connect.stripe.com/express/acct_1032D82eZvKYlo2C/F44eiGHh5sEV", "F44eiGHh5sEV"),
    ("Location: http://p.test/connect/oauth?code=ac_Q2xB9nHd7TyuVwZk1&state=s",
     "Q2xB9nHd7TyuVwZk1"),
    ("post_data=code=ac_Q2xB9nHd7TyuVwZk1&grant_type=authorization_code", "Q2xB9nHd7TyuVwZk1"),
    # OAuth refresh tokens: long-lived, they mint new access tokens (third attack)
    ("post_data=grant_type=refresh_token&refresh_token=rt_Zx81mQpLw3RtYvB2nC4dE6fG",
     "Zx81mQpLw3RtYvB2nC4dE6fG"),
    ('body={"refresh_token": "rt_Zx81mQpLw3RtYvB2nC4dE6fG", "scope": "express"}',
     "Zx81mQpLw3RtYvB2nC4dE6fG"),
])
def test_logsafe_masks_hosted_link_tokens_and_oauth_codes(text: str, secret: str) -> None:
    clean = logsafe.redact(text)
    assert secret not in clean and "[redacted]" in clean
    assert logsafe.redact(clean) == clean


@pytest.fixture
def everything_log() -> Iterator[io.StringIO]:
    """Every record of every logger (urllib3's included), at DEBUG, as the root handler
    sees it once logging.basicConfig(level=DEBUG) is called after ``import harness``."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    quiet = {name: logging.getLogger(name).level for name in ("stripe", "werkzeug", "harness",
                                                              "urllib3")}
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in quiet:
        logging.getLogger(name).setLevel(logging.NOTSET)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        for name, value in quiet.items():
            logging.getLogger(name).setLevel(value)


def test_debug_logs_of_every_logger_hold_no_bearer_secret(everything_log: io.StringIO) -> None:
    """A PaymentIntent retrieved with its client secret as Stripe.js does, an Account Link,
    a login link and an OAuth code exchange, with every logger at DEBUG and werkzeug's
    access log on: none of the bearer secrets may reach a log line."""
    from types import SimpleNamespace

    from harness.emulator.resources import oauth

    from ..emulator.resources.test_oauth import REDIRECT, Platform, connect, fetch

    key = "sk_test_" + secrets.token_hex(8) + "-team.key"  # suffix characters a regex trips on
    emulator = Emulator()
    server = make_server("127.0.0.1", 0, emulator, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    addresses = {"api": base, "connect": base, "files": base}
    try:
        client = stripe.StripeClient(key, base_addresses=addresses)
        account = client.v1.accounts.create({"type": "express", "capabilities": {
            "transfers": {"requested": True}, "card_payments": {"requested": True}}})
        _post(base, key, f"/_emulator/accounts/{account.id}/complete_onboarding")
        pi = client.v1.payment_intents.create({
            "amount": 1000, "currency": "usd", "payment_method": "pm_card_visa",
            "confirm": True, "return_url": "https://example.com/return"})
        browser = stripe.StripeClient(emulator_keys(base, key)["publishable_key"],
                                      base_addresses=addresses)
        browser.v1.payment_intents.retrieve(pi.id, {"client_secret": pi.client_secret})
        onboarding = client.v1.accounts.create({"type": "express"})
        link = client.v1.account_links.create({
            "account": onboarding.id, "type": "account_onboarding",
            "refresh_url": "https://example.com/r", "return_url": "https://example.com/ok"})
        assert fetch(link.url).status == 200  # the homeowner opens it (werkzeug logs it)
        login = client.v1.accounts.login_links.create(account.id)
        assert fetch(login.url).status == 200
        platform_id = client.v1.accounts.retrieve_current().id
        oauth.set_redirect_uris(emulator, platform_id, [REDIRECT])
        platform = Platform(platform_id, oauth.client_id_of(emulator.store, platform_id), key,
                            client, SimpleNamespace(url=base))  # type: ignore[arg-type]
        code = connect(platform).query["code"]
        token = client.oauth.token({"grant_type": "authorization_code", "code": code})
        assert token.stripe_user_id.startswith("acct_")
    finally:
        server.shutdown()
        server.server_close()
    logs = everything_log.getvalue()

    # the flows did reach the loggers that see request lines ...
    assert "urllib3.connectionpool DEBUG" in logs and f"/v1/payment_intents/{pi.id}?" in logs
    assert "werkzeug INFO" in logs and "/setup/c/" in logs and "/express/acct_" in logs
    assert "code=ac_[redacted]" in logs
    # ... and no secret made it into a single line
    link_token, login_token = link.url.rsplit("/", 1)[1], login.url.rsplit("/", 1)[1]
    for secret in (key, key[len("sk_test_"):-4], pi.client_secret, link_token, login_token,
                   code, token.access_token[8:], token.refresh_token):
        assert secret not in logs, secret
    assert leaks(logs) == []


def test_seeded_emulators_draw_their_bearer_secrets_at_random() -> None:
    """Two runs with the same seed make the same object IDs, never the same secrets."""
    from harness.emulator import Settings
    from harness.emulator.resources import oauth
    from harness.lab.server import BackgroundServer

    from ..conftest import make_client
    from ..emulator.resources.test_oauth import REDIRECT, Platform, connect

    key = "sk_test_seeded_secrets"
    runs = []
    for _ in range(2):
        emulator = Emulator(settings=Settings(seed=42))
        with BackgroundServer(emulator) as server:
            client = make_client(server, key)
            account = client.v1.accounts.create({"type": "express"})
            _post(server.url, key, f"/_emulator/accounts/{account.id}/complete_onboarding")
            pi = client.v1.payment_intents.create({"amount": 500, "currency": "usd"})
            hook = client.v1.webhook_endpoints.create({"url": "https://example.com/h",
                                                       "enabled_events": ["*"]})
            other = client.v1.accounts.create({"type": "express"})
            link = client.v1.account_links.create({
                "account": other.id, "type": "account_onboarding",
                "refresh_url": "https://example.com/r", "return_url": "https://example.com/ok"})
            login = client.v1.accounts.login_links.create(account.id)
            platform_id = client.v1.accounts.retrieve_current().id
            oauth.set_redirect_uris(emulator, platform_id, [REDIRECT])
            code = connect(Platform(platform_id, oauth.client_id_of(emulator.store, platform_id),
                                    key, client, server)).query["code"]
            runs.append({"ids": (account.id, pi.id, hook.id, other.id),
                         "secrets": (pi.client_secret.split("_secret_")[1], hook.secret,
                                     link.url.rsplit("/", 1)[1], login.url.rsplit("/", 1)[1],
                                     code, emulator_keys(server.url, key)["publishable_key"])})
        emulator.close()
    assert runs[0]["ids"] == runs[1]["ids"]
    shared = [a for a, b in zip(runs[0]["secrets"], runs[1]["secrets"], strict=True) if a == b]
    assert shared == []
