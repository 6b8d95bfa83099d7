"""``POST /_emulator/reset`` forgets everything of the platform that asks, and nothing else.

Each platform makes one of everything the emulator keeps besides objects and money: a
saved idempotent result, an Account Link, a login link, an open onboarding session, an
unexchanged OAuth code, a webhook endpoint's secret with a pending delivery, a Stripe CLI
session and an armed fault. Then one platform resets. Its leftovers are gone (its links and
codes no longer work, its rows are out of the tables); the other platform's all still work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import stripe

from harness.emulator.resources import oauth
from harness.lab.server import BackgroundServer

from ..conftest import make_client
from .resources.test_oauth import REDIRECT, Platform, connect, fetch
from .support import control, raw

HOOK = "http://127.0.0.1:9/hook"  # nothing listens: deliveries stay pending (retried later)


@dataclass
class Leftovers:
    key: str
    platform: str
    client: stripe.StripeClient
    account_link: str
    login_link: str
    session_link: str  # an Account Link whose form is open (an onboarding session)
    session: str
    code: str
    endpoint: str


def _make_everything(server: BackgroundServer, key: str) -> Leftovers:
    emulator = server.emulator  # type: ignore[attr-defined]
    client = make_client(server, key)
    platform = client.v1.accounts.retrieve_current().id
    client.v1.customers.create({"email": "first@example.com"}, {"idempotency_key": "same-key"})
    done = client.v1.accounts.create({"type": "express"})
    control(server, key, f"/_emulator/accounts/{done.id}/complete_onboarding")
    pending = client.v1.accounts.create({"type": "express"})
    links = [client.v1.account_links.create({
        "account": pending.id, "type": "account_onboarding",
        "refresh_url": "https://example.com/refresh", "return_url": "https://example.com/ok"}
    ).url for _ in range(2)]
    opened = fetch(links[1])
    assert opened.status == 200
    session = re.search(r'name="session" value="([^"]+)"', opened.text)
    assert session
    login = client.v1.accounts.login_links.create(done.id).url
    oauth.set_redirect_uris(emulator, platform, [REDIRECT])
    code = connect(Platform(platform, oauth.client_id_of(emulator.store, platform), key,
                            client, server)).query["code"]
    endpoint = client.v1.webhook_endpoints.create({"url": HOOK, "enabled_events": ["*"]})
    client.v1.customers.create({"email": "second@example.com"})  # an event to deliver
    cli = raw(server, "POST", "/v1/stripecli/sessions", key=key,
              params={"device_name": "laptop", "websocket_features[]": "webhooks"})
    assert cli.status == 200, cli.body
    armed = raw(server, "POST", "/_emulator/faults", key=key,
                params={"path": "/v1/payouts", "count": "5"})
    assert armed.status == 200, armed.body
    return Leftovers(key, platform, client, links[0], login, links[1], session.group(1), code,
                     endpoint.id)


def _rows(server: BackgroundServer, platform: str) -> dict[str, int]:
    """What the store keeps for ``platform`` outside its objects, table by table."""
    emulator = server.emulator  # type: ignore[attr-defined]
    store = emulator.store

    def count(sql: str, *args: Any) -> int:
        return store.execute(sql, args).fetchone()[0]

    return {
        "idempotency": count("SELECT COUNT(*) FROM idempotency WHERE substr(scope, 1, ?) = ?",
                             len(platform) + 1, platform + "|"),
        "token records": count("SELECT COUNT(*) FROM records WHERE platform=?", platform),
        "deliveries": count("SELECT COUNT(*) FROM webhook_deliveries WHERE platform=?",
                            platform),
        "cli sessions": len(emulator.workers["stripecli"].for_platform(platform)),
        "faults": len(emulator.faults.pending(platform)),
    }


def _still_works(server: BackgroundServer, p: Leftovers) -> dict[str, bool]:
    """Try each leftover the way its holder would."""
    replay = raw(server, "POST", "/v1/customers", key=p.key,
                 params={"email": "other@example.com"}, headers={"Idempotency-Key": "same-key"})
    submitted = fetch(p.session_link, {"session": p.session, "action": "leave"})
    token = raw(server, "POST", "/oauth/token", key=p.key,
                params={"grant_type": "authorization_code", "code": p.code})
    return {
        # a saved result answers a reuse with other parameters with Stripe's 400
        "idempotency": replay.status == 400,
        "account link": fetch(p.account_link).status == 200,
        "login link": fetch(p.login_link).status == 200,
        "onboarding session": submitted.status == 303 and
        submitted.location == "https://example.com/ok",
        "oauth code": token.status == 200,
        "webhook secret": bool(server.emulator.store.get_meta(  # type: ignore[attr-defined]
            f"whsec:{p.endpoint}")),
    }


def test_reset_forgets_every_leftover_of_that_platform_only(
    emulator_server: BackgroundServer, api_key: str
) -> None:
    mine = _make_everything(emulator_server, api_key)
    theirs = _make_everything(emulator_server, api_key + "_neighbour")
    before = _rows(emulator_server, theirs.platform)
    assert all(before.values()), before  # each kind of leftover exists

    control(emulator_server, mine.key, "/_emulator/reset")

    assert _rows(emulator_server, mine.platform) == {k: 0 for k in before}
    assert _rows(emulator_server, theirs.platform) == before
    assert _still_works(emulator_server, mine) == {
        "idempotency": False, "account link": False, "login link": False,
        "onboarding session": False, "oauth code": False, "webhook secret": False}
    assert all(_still_works(emulator_server, theirs).values())
    # the platform itself and its keys remain
    assert mine.client.v1.accounts.retrieve_current().id == mine.platform
    assert raw(emulator_server, "GET", "/_emulator/keys", key=mine.key).status == 200
