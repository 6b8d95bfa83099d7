"""harness.guide.widgets: the fee model's logic and the plain-text form of its view (the
widget notebook 08 shows)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import harness
from harness.emulator import Settings
from harness.guide import widgets
from harness.lab.session import Lab

from ..conftest import seeded_lab

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"



@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with seeded_lab() as lab:
        yield lab


# -- fee calculator --------------------------------------------------------------------------------
def test_fee_model_gives_the_guides_numbers() -> None:
    b = widgets.FeeModel().breakdown()
    assert (b.amount, b.stripe_fee, b.application_fee) == (1000, 59, 123)
    assert (b.platform_net, b.homeowner_net) == (64, 877)
    assert b.stripe_fee + b.platform_net + b.homeowner_net == b.amount


def test_fee_model_follows_the_sliders_and_the_emulators_settings() -> None:
    model = widgets.FeeModel()
    seen: list[int] = []
    model.on_change(lambda m: seen.append(m.amount))
    b = model.set(amount=37500)
    assert (b.application_fee, b.stripe_fee) == (4613, 1118)  # 12.3 % and 2.9 % + 30, half up
    b = model.set(fee_percent=10)
    assert (b.application_fee, b.platform_net, b.homeowner_net) == (3750, 2632, 33750)
    assert seen == [37500, 37500]
    cheap = widgets.FeeModel(amount=1000, settings=Settings(fee_percent=1.5, fee_fixed=0))
    assert cheap.breakdown().stripe_fee == 15
    assert widgets.FeeModel(amount=100).breakdown().platform_net == 12 - 33  # a loss
    with pytest.raises(ValueError):
        model.set(amount=-1)
    with pytest.raises(ValueError):
        model.set(fee_percent=101)


def test_fee_model_for_a_lab_uses_its_emulators_fees(lab: Lab) -> None:
    model = widgets.FeeModel.for_lab(lab, amount=1000)
    assert model.breakdown().stripe_fee == 59


def test_fee_model_reads_the_fees_of_an_emulator_elsewhere() -> None:
    """A workshop's emulator runs in another process: its pricing comes over HTTP."""
    from harness.emulator import Emulator
    from harness.lab.server import BackgroundServer

    with BackgroundServer(Emulator(settings=Settings(fee_percent=1.5, fee_fixed=10))) as room:
        lab = harness.start(env={"CONNECT_LAB_API_BASE": room.url,
                                 "STRIPE_SECRET_KEY": "sk_test_learner_ada"})
        assert lab.emulator is None
        assert widgets.FeeModel.for_lab(lab, amount=1000).breakdown().stripe_fee == 25


def test_fee_calculator_text_and_widget() -> None:
    calc = widgets.FeeCalculator()
    text = calc.text()
    assert text == repr(calc) == str(calc) == calc.model.text()
    assert text.splitlines() == [
        "Fee calculator: Stripe 2.9 % + 30 cents, platform 12.3 %, rounded half up",
        "  renter pays                   1000       $10.00",
        "  Stripe's fee                    59        $0.59",
        "  platform fee (12.3 %)          123        $1.23",
        "  platform net                    64        $0.64",
        "  homeowner net                  877        $8.77",
    ]
    bundle = calc._repr_mimebundle_()
    assert bundle["text/plain"] == text
    assert WIDGET_VIEW in bundle
    amount, percent, table = calc.widget.children
    amount.value = 2000  # what dragging the slider does
    assert calc.model.amount == 2000
    for cells in ("2000 ¢  $20.00", "88 ¢  $0.88", "246 ¢  $2.46", "158 ¢  $1.58",
                  "1754 ¢  $17.54"):
        assert cells in table.value
    percent.value = 0.0
    assert calc.model.breakdown().platform_net == -88
    assert "platform loses money" in calc.text()
    calc.close()
