"""What is installed: a named path that does not exist hides each tool (how the notebook
tests run without Chromium or the Stripe CLI), and the one skip line says what is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.lab import stripe_cli, tools


def test_a_missing_path_hides_each_tool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONNECT_LAB_CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("CONNECT_LAB_STRIPE_CLI", "/nonexistent/stripe")
    assert tools.has_chromium() is False
    assert tools.has_stripe_cli() is False
    assert stripe_cli.find_binary() is None


def test_a_named_cli_that_exists_is_used(monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    binary = tmp_path / "stripe"
    binary.write_text("#!/bin/sh\n")
    monkeypatch.setenv("CONNECT_LAB_STRIPE_CLI", str(binary))
    assert stripe_cli.find_binary() == binary


def test_the_skip_line(capsys: pytest.CaptureFixture[str]) -> None:
    tools.skip(tools.STRIPE_CLI, "the platform gets the same events from we_1 instead")
    assert capsys.readouterr().out == (
        "skipped: this step runs the Stripe CLI, which is not installed here — `make system` "
        "installs it; the platform gets the same events from we_1 instead\n")
