"""The coverage map: every method of stripe-python 16's ``StripeClient`` and what the
emulator does with it, and for each implemented method how many of its declared parameters
it honours.

    python -m harness coverage             # the figures, then one line per implemented method
    python -m harness coverage --probe     # also send every parameter through the HTTP API
    python -m harness coverage --markdown  # write docs/coverage.md (the table in the repo)

A method is **implemented** (a route serves it) or **not modelled**: the emulator answers
it with a 400 saying so and linking Stripe's reference, instead of "Unrecognized request
URL". **Absent** is a method that gets neither, which only ``--probe`` can see (it sends
every method and counts the answers). A parameter of an implemented method is **honoured**
(the route's schema reads it), **not modelled** (a 400 saying so), or **wrongly unknown**
(answered "Received unknown parameter" though Stripe declares it: a bug, and the probe's
test asserts there are none). Counts take every declared parameter path, nested ones
included (``payment_method_options[card][request_three_d_secure]``).

Everything is read at run time from the emulator's registered routes and the installed SDK
(``harness.emulator.surface``), so routes added later are counted without touching this file.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import stripe

from ..emulator import Emulator, emulator_only_routes, sdk_surface, surface_totals
from ..lab.wsgi_client import WsgiTransport

ROOT = Path(__file__).resolve().parents[2]
MARKDOWN = ROOT / "docs" / "coverage.md"
NOT_MODELLED_PARAM = "is a Stripe parameter that Connect Lab's emulator does not model yet"
NOT_MODELLED_METHOD = "is a Stripe API method that Connect Lab's emulator does not model yet"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--probe", action="store_true",
                        help="send every parameter and method through the HTTP API and count "
                             "the answers (wrongly unknown must be 0)")
    parser.add_argument("--markdown", action="store_true",
                        help=f"write {MARKDOWN.relative_to(ROOT)}")


# -- the figures -------------------------------------------------------------------------------
def figures(methods: list[Any]) -> dict[str, int]:
    """Methods implemented / not modelled; parameters honoured / not modelled / wrongly
    unknown (unchecked: taken by a route without a schema)."""
    counts = surface_totals(methods)
    return {
        "methods": len(methods),
        "methods implemented": counts.get("methods implemented", 0),
        "methods not modelled": counts.get("methods not modelled", 0),
        "params honoured": counts.get("params honoured", 0),
        "params not modelled": counts.get("params not modelled", 0),
        "params wrongly unknown": counts.get("params unknown", 0),
        "params unchecked": counts.get("params unchecked", 0),
    }


def summary(numbers: dict[str, int]) -> str:
    return (f"stripe-python {stripe.VERSION}: {numbers['methods']} methods: "
            f"{numbers['methods implemented']} implemented, "
            f"{numbers['methods not modelled']} not modelled (clear 400)"
            + (f", {numbers['methods absent']} absent" if "methods absent" in numbers else "")
            + f". Parameters of implemented methods: {numbers['params honoured']} honoured / "
            f"{numbers['params not modelled']} not modelled (clear 400) / "
            f"{numbers['params wrongly unknown']} wrongly unknown"
            + (f" / {numbers['params unchecked']} unchecked" if numbers["params unchecked"]
               else "") + ".")


# -- the probe: every parameter through the HTTP API ---------------------------------------------
def _sample(spec: Any) -> Any:
    """A plausible value of the declared type: the value may still be refused (a bad URL,
    a missing sibling); only the answer about the *name* counts."""
    if spec.is_map:
        return {"probe": "x"}
    if spec.choices:
        value: Any = spec.choices[0]
    elif "bool" in spec.scalars:
        value = True
    elif "int" in spec.scalars:
        value = 1
    elif "float" in spec.scalars:
        value = 1.5
    else:
        value = "x"
    return [value] if spec.is_list else value


def _nest(path: str, value: Any) -> dict[str, Any]:
    """``a[0][b]`` holding ``value`` as the SDK's params: ``{"a": [{"b": value}]}``."""
    head, _, rest = path.partition("[")
    keys = [head] + [k.rstrip("]") for k in rest.split("[")] if rest else [head]
    for key in reversed(keys[1:]):
        value = [value] if key.isdigit() else {key: value}
    return {keys[0]: value}


def _leaves(node: Any) -> list[tuple[str, Any]]:
    """The paths a request can carry a value at (objects are reached through their keys)."""
    return [(path, spec) for path, spec in node.paths()
            if spec.child is None or spec.scalars or spec.choices]


def _service(client: stripe.StripeClient, dotted: str) -> Any:
    target: Any = client
    for part in dotted.split("."):
        target = getattr(target, part)
    return target


def _verdict(call: Any) -> tuple[str, dict[str, Any]]:
    try:
        call()
    except stripe.StripeError as exc:
        error = (exc.json_body or {}).get("error", {}) if isinstance(exc.json_body, dict) else {}
        message = error.get("message", "")
        if error.get("code") == "parameter_unknown":
            return "unknown", error
        if NOT_MODELLED_PARAM in message:
            return "not modelled", error
        if NOT_MODELLED_METHOD in message:
            return "method not modelled", error
        return "other", error
    return "ok", {}


@dataclass
class Probe:
    """What the HTTP API answered."""

    params: Counter[str] = field(default_factory=Counter)  # honoured / not modelled / unknown
    methods: Counter[str] = field(default_factory=Counter)  # not modelled / absent
    wrongly_unknown: list[str] = field(default_factory=list)  # "v1.x.create: name"
    absent: list[str] = field(default_factory=list)
    # per method id, per parameter path sent: "honoured", "not modelled" or "wrongly unknown"
    answers: dict[str, dict[str, str]] = field(default_factory=dict)


def probe(methods: list[Any]) -> Probe:
    """Send each declared parameter of each implemented method, alone, through the SDK to a
    fresh in-process emulator, and each not-modelled method once, and sort the answers."""
    emulator = Emulator()
    client = stripe.StripeClient(
        "sk_test_coverageprobe", http_client=WsgiTransport(emulator), max_network_retries=0,
        base_addresses={"api": "http://emulator.invalid", "connect": "http://emulator.invalid",
                        "files": "http://emulator.invalid"})
    found = Probe()
    try:
        for method in methods:
            op = method.op
            fn = getattr(_service(client, op.service), op.name)
            args = [f"{arg}_probe" for arg in op.path_args]  # an ID-like value
            if method.status != "implemented":
                verdict, _ = _verdict(lambda fn=fn, args=args: fn(*args, params={}))
                found.methods["not modelled" if verdict == "method not modelled"
                              else "absent"] += 1
                if verdict != "method not modelled":
                    found.absent.append(op.id)
                continue
            found.methods["implemented"] += 1
            if op.params is None or method.route is None or method.route.params is None:
                continue
            answers = found.answers.setdefault(op.id, {})
            for path, spec in _leaves(op.params):
                sent = _nest(path, _sample(spec))
                verdict, error = _verdict(lambda fn=fn, args=args, sent=sent:
                                          fn(*args, params=sent))
                if verdict == "unknown":
                    found.wrongly_unknown.append(f"{op.id}: {error.get('param') or path}")
                    verdict = "wrongly unknown"
                elif verdict != "not modelled":
                    verdict = "honoured"
                answers[path] = verdict
                found.params[verdict] += 1
    finally:
        emulator.close()
    return found


# -- the table ---------------------------------------------------------------------------------
def markdown(methods: list[Any]) -> str:
    """docs/coverage.md: the figures, each implemented method with its parameter counts, and
    the not-modelled methods grouped by resource."""
    numbers = figures(methods)
    lines = [
        "# Coverage: what the emulator does with each Stripe method",
        "",
        "Generated by `python -m harness coverage --markdown` from the emulator's registered",
        "routes and stripe-python's declarations; `tests/tools/test_coverage.py` checks it is",
        "current. **Implemented**: a route serves the method. **Not modelled**: the emulator",
        "answers a 400 that says so and links Stripe's API reference (never \"Unrecognized",
        "request URL\"). A parameter of an implemented method is **honoured** (read by the",
        "route) or **not modelled** (the same clear 400; never \"unknown parameter\", which is",
        "kept for names Stripe itself does not know on the request's API version). Parameter",
        "counts include nested ones (`transfer_data[amount]`).",
        "",
        summary(numbers),
        "",
        "## Implemented methods",
        "",
        "| Method | HTTP | Parameters honoured | Not modelled |",
        "| --- | --- | ---: | ---: |",
    ]
    rest: dict[str, list[str]] = defaultdict(list)
    for method in methods:
        op = method.op
        if method.status == "implemented":
            lines.append(f"| `{op.id}` | `{op.method} {op.path}` | "
                         f"{method.count('honoured')} | {method.count('not modelled')} |")
        else:
            rest[op.service].append(op.name)
    lines += ["", "## Not modelled (a clear 400)", "", "| Service | Methods |", "| --- | --- |"]
    lines += [f"| `{service}` | {', '.join(names)} |" for service, names in sorted(rest.items())]
    lines += ["", "## Routes only the emulator has", "",
              "Not methods of stripe-python: the emulator's own controls (`/_emulator/`), and "
              "calls Stripe's browser side makes or older API versions had.", ""]
    lines += [f"- `{route.method} {route.path}`" for route in emulator_only_routes()]
    return "\n".join(lines) + "\n"


def main(args: argparse.Namespace) -> int:
    methods = sdk_surface()
    numbers = figures(methods)
    if args.markdown:
        MARKDOWN.parent.mkdir(parents=True, exist_ok=True)
        MARKDOWN.write_text(markdown(methods))
        print(f"wrote {MARKDOWN.relative_to(ROOT)}")
    print(summary(numbers))
    for method in methods:
        if method.status == "implemented":
            print(f"  {method.op.id:48} {method.count('honoured'):4} honoured "
                  f"{method.count('not modelled'):4} not modelled")
    if args.probe:
        found = probe(methods)
        print("Probe over HTTP (each parameter sent alone, nested ones included): methods "
              f"{found.methods['implemented']} implemented, {found.methods['not modelled']} "
              f"not modelled (clear 400), {found.methods['absent']} absent; parameters "
              f"{found.params['honoured']} honoured / {found.params['not modelled']} not "
              f"modelled (clear 400) / {found.params['wrongly unknown']} wrongly unknown.")
        for line in found.wrongly_unknown + [f"absent: {a}" for a in found.absent]:
            print("  " + line)
        return 1 if found.wrongly_unknown or found.absent else 0
    return 0
