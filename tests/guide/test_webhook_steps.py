"""``webhook_steps.listen_thin``: the real ``stripe listen --all-thin`` forwards Maya's
Accounts v2 events to the platform's ``/webhook/thin``, which verifies each with
``parse_event_notification`` (what notebook 02b shows)."""

from __future__ import annotations

import time

import pytest

import harness
from harness.guide import webhook_steps as wl
from harness.lab.platform_server import start_platform
from harness.lab.stripe_cli import SHIM

pytestmark = pytest.mark.skipif(
    not SHIM.exists(),
    reason="the Stripe CLI is not installed (node_modules/.bin/stripe): run `make system`",
)


def test_listen_thin_forwards_maya_onboarding_to_the_platform() -> None:
    lab = harness.start(seed=None, env={})
    platform = start_platform(lab)
    try:
        with wl.listen_thin(lab, platform) as listener:
            assert "--all-thin" in listener.display
            maya = lab.client.v2.core.accounts.create({
                "display_name": "Maya Chen", "contact_email": "maya.chen@example.com",
                "dashboard": "express", "identity": {"country": "us"},
                "configuration": {"recipient": {"capabilities": {"stripe_balance": {
                    "stripe_transfers": {"requested": True}}}}}})
            lab.complete_onboarding(maya.id)
            want = (f"{maya.id}: recipient stripe_balance.stripe_transfers is active: it can "
                    "receive transfers")
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                if want in [d["decision"] for d in platform.db.query(
                        "SELECT decision FROM webhook_events")]:
                    break
                time.sleep(0.1)
            rows = platform.db.query("SELECT type, decision FROM webhook_events")
            assert want in [r["decision"] for r in rows], rows
            table = wl.thin_decisions(lab, platform, object_id=maya.id)
            assert list(table["type"])[0] == "v2.core.account.created"
            assert list(table["type"])[-1] == \
                "v2.core.account[configuration.recipient].capability_status_updated"
            assert list(table["decision"])[-1] == want
            log = wl.cli_log(listener)
            assert any("--> v2.core.account.created [evt_test_" in line for line in log)
            assert any("<--  [200] POST" in line and "/webhook/thin" in line for line in log)
    finally:
        platform.stop()
        lab.stop()
