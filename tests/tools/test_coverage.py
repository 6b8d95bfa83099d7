"""The coverage map (issue 16.6) and the parameter figures (issue 15.12): every method and
parameter stripe-python 16 declares, classified from the routes registered at run time,
and checked by sending each one through the HTTP API."""

from __future__ import annotations

from typing import Any

import pytest

from harness.emulator import sdk_surface
from harness.emulator.params import Int
from harness.emulator.registry import Route
from harness.tools import coverage


@pytest.fixture(scope="module")
def methods() -> list[Any]:
    return sdk_surface()


@pytest.fixture(scope="module")
def probed(methods: list[Any]) -> coverage.Probe:
    return coverage.probe(methods)


def test_no_declared_parameter_is_answered_unknown(probed: coverage.Probe) -> None:
    """Each declared parameter of each implemented method, sent alone with a plausible value,
    is honoured or gets the "not modelled" 400, never "Received unknown parameter"."""
    assert probed.wrongly_unknown == []
    assert probed.params["honoured"] > 500 and probed.params["not modelled"] > 1000


def test_every_method_is_implemented_or_answers_not_modelled(
        methods: list[Any], probed: coverage.Probe) -> None:
    assert probed.absent == []
    implemented = sum(1 for m in methods if m.status == "implemented")
    assert probed.methods == {"implemented": implemented,
                              "not modelled": len(methods) - implemented}


def test_the_static_map_agrees_with_what_the_api_answers(
        methods: list[Any], probed: coverage.Probe) -> None:
    """The figures (read from the schemas) say of each parameter what the HTTP API does."""
    wrong = []
    for method in methods:
        for path, answer in probed.answers.get(method.op.id, {}).items():
            if answer != method.params[path]:
                wrong.append((method.op.id, path, method.params[path], answer))
    assert wrong == []
    assert sum(len(a) for a in probed.answers.values()) == sum(probed.params.values())


def test_the_walk_lists_every_parameter_of_each_class(methods: list[Any]) -> None:
    create = next(m for m in methods if m.op.id == "v1.payment_intents.create")
    from stripe._request_options import RequestOptions
    from stripe.params import PaymentIntentCreateParams

    top = set(PaymentIntentCreateParams.__annotations__) - set(RequestOptions.__annotations__)
    assert {p for p in create.params if "[" not in p} == top
    assert create.params["amount"] == create.params["transfer_data[destination]"] == "honoured"
    assert create.params["payment_details"] == "not modelled"
    assert create.params["payment_method_options[card][request_three_d_secure]"] in (
        "honoured", "not modelled")
    assert create.params["expand"] == "honoured"  # the pipeline reads expand[] everywhere


def test_a_parameter_removed_before_the_sdk_version_counts_as_wrongly_unknown() -> None:
    """A schema that calls a name the SDK declares 'removed' would answer it "unknown
    parameter": the map says so, as a bug."""
    route = Route("POST", "/v1/refunds", lambda *a: None,
                  params={"amount": Int(until="2020-01-01")})
    (refunds,) = [m for m in sdk_surface([route]) if m.status == "implemented"]
    assert refunds.op.id == "v1.refunds.create"
    assert refunds.params["amount"] == "unknown"
    assert refunds.params["charge"] == "not modelled"
    assert coverage.figures([refunds])["params wrongly unknown"] == 1


def test_a_route_without_a_schema_is_counted_unchecked() -> None:
    route = Route("POST", "/v1/refunds", lambda *a: None, params=None)
    (refunds,) = [m for m in sdk_surface([route]) if m.status == "implemented"]
    assert set(refunds.params.values()) == {"unchecked"}


def test_the_committed_table_is_current(methods: list[Any]) -> None:
    """docs/coverage.md is generated: after adding routes or parameters, run
    ``python -m harness coverage --markdown``."""
    assert coverage.MARKDOWN.read_text() == coverage.markdown(methods)
