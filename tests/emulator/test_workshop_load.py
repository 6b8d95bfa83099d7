"""A reduced workshop: learners on one standalone emulator, no errors, nothing leaks."""

from bench.workshop import run


def test_learners_are_isolated_and_nothing_fails() -> None:
    report = run(learners=6, bookings=3, max_seconds=60)
    assert report.errors == []
    assert report.leaks == []
    assert report.calls >= 6 * 7
    assert report.webhooks_received == report.webhooks_expected == 6 * 3
