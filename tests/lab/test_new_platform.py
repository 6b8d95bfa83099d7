"""The "new platform" switch (issue 17, item 2) as a learner reaches it: ``harness.start(
new_platform=True)`` and ``python -m harness emulator --new-platform``."""

from __future__ import annotations

import argparse

import pytest
import stripe

from harness.__main__ import add_emulator_arguments


def test_start_with_new_platform_refuses_v1_account_creation() -> None:
    import harness

    names = ("api_key", "api_base", "connect_api_base", "max_network_retries")
    saved = {name: getattr(stripe, name) for name in names}
    lab = harness.start(seed=42, env={}, new_platform=True)
    try:
        with pytest.raises(stripe.InvalidRequestError) as caught:
            lab.client.v1.accounts.create({"type": "express"})
        assert "POST /v2/core/accounts" in str(caught.value)
        account = lab.client.v2.core.accounts.create({"display_name": "Maya"})
        assert account.id.startswith("acct_")
    finally:
        lab.stop()
        for name, value in saved.items():
            setattr(stripe, name, value)


def test_the_command_line_has_the_switch() -> None:
    parser = argparse.ArgumentParser()
    add_emulator_arguments(parser)
    assert parser.parse_args(["--new-platform"]).new_platform is True
    assert parser.parse_args([]).new_platform is False
