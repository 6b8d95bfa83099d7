"""Stripe API versions: reading them, ordering them, and showing objects as a version shows
them.

A version is ``YYYY-MM-DD.<release>`` (``2026-10-28.endive``; before 2024-09-30.acacia a bare
date such as ``2024-06-20``), and a private beta adds ``; <feature>=v<N>`` to the header
(stripe-python's ``stripe.add_beta_version`` makes ``2024-02-26; feature_beta=v3``). A public
preview names its release ``preview`` and is dated like the release it builds on: the beta
SDKs pin ``2025-03-31.preview`` beside ``2025-03-31.basil``
(https://docs.stripe.com/sdks/versioning, stripe-ruby's 14.1.0-beta.1 changelog). Versions
order by date; a preview carries what its date's release has and more, so it sorts after it.
A change can reach previews first: ``payment_method_types`` left PaymentIntents in
``2026-08-26.preview`` and then in ``2026-09-30.endive``
(https://docs.stripe.com/changelog/dahlia/2026-08-26/removes-payment-method-types-parameter-from-payment-intents-setup-intents).

Objects are kept as the newest version the emulator knows (what stripe-python 16 declares)
and rendered for the version that reads them: each difference between versions is one rule,
registered by the resource module that owns the object (``registry.renders``) and applied
here, to API responses and webhook payloads alike.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .errors import InvalidRequest
from .registry import registry

# ASCII digits only: ``\d`` alone takes "２０２４" or "١٩٩٠" for a year, which Stripe does not
_PATTERN = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:\.([a-z]+))?((?:;\s*[a-z0-9_]+=v\d+)*)$", re.ASCII
)
PREVIEW = "preview"


@dataclass(frozen=True, order=True)
class Version:
    """One parsed version; compares by date, and a preview after its date's release."""

    day: date
    preview: bool
    text: str = field(compare=False)
    release: str | None = field(default=None, compare=False)
    betas: tuple[str, ...] = field(default=(), compare=False)


@functools.lru_cache(maxsize=256)
def parse(text: str) -> Version:
    """Read ``text`` as a Stripe-Version, or answer Stripe's 400."""
    found = _PATTERN.match(text.strip()) if isinstance(text, str) else None
    day = None
    if found:
        try:
            day = date(int(found[1]), int(found[2]), int(found[3]))
        except ValueError:
            day = None
    if found is None or day is None or day.year > 2099:
        raise InvalidRequest(f"Invalid Stripe API version: {text}", param="Stripe-Version")
    betas = tuple(b.strip() for b in found[5].split(";") if b.strip())
    return Version(day, found[4] == PREVIEW, text.strip(), found[4], betas)


@dataclass(frozen=True)
class Change:
    """A difference between API versions: in effect from ``version`` (a release), and for
    previews from ``preview`` when a preview had it before the release did."""

    version: str
    preview: str | None = None
    doc: str = ""

    def in_effect(self, version: str | Version) -> bool:
        v = parse(version) if isinstance(version, str) else version
        if v.preview and self.preview is not None:
            return v.day >= parse(self.preview).day
        return v >= parse(self.version)


def at_least(version: str, other: str) -> bool:
    """``version`` is ``other`` or later (see :class:`Version` for the order)."""
    return parse(version) >= parse(other)


def render(value: Any, version: str) -> Any:
    """``value`` (an answer or a payload: objects, lists, nesting) as ``version`` shows it.
    Nothing is changed in place; what no rule touches is returned as it is."""
    if not isinstance(value, (dict, list)):
        return value
    return _render(value, parse(version))


_plans: dict[tuple[Version, int], dict[str, list]] = {}


def _plan(version: Version) -> dict[str, list]:
    """The rules that apply at ``version``, per object type, newest change first."""
    key = (version, sum(len(r) for r in registry.render_rules.values()))
    plan = _plans.get(key)
    if plan is None:
        plan = {kind: [rule for change, rule in rules if not change.in_effect(version)]
                for kind, rules in registry.render_rules.items()}
        plan = {kind: rules for kind, rules in plan.items() if rules}
        if len(_plans) > 256:
            _plans.clear()
        _plans[key] = plan
    return plan


def _render(value: Any, version: Version) -> Any:
    if isinstance(value, list):
        out_list: list | None = None
        for i, item in enumerate(value):
            if isinstance(item, (dict, list)):
                shown = _render(item, version)
                if shown is not item:
                    out_list = out_list if out_list is not None else list(value)
                    out_list[i] = shown
        return value if out_list is None else out_list
    kind = value.get("object")
    if not isinstance(kind, str):
        kind = None
    inner = version
    pin = registry.version_pins.get(kind) if kind else None
    if pin is not None:  # an object whose contents keep a version of their own (an Event)
        pinned = pin(value)
        inner = parse(pinned) if pinned else version
    out: dict[str, Any] | None = None
    for key, child in value.items():
        if isinstance(child, (dict, list)):
            shown = _render(child, inner)
            if shown is not child:
                out = out if out is not None else dict(value)
                out[key] = shown
    rules = _plan(version).get(kind) if kind else None
    if rules:
        out = out if out is not None else dict(value)
        for rule in rules:
            rule(out)
    if pin is not None:
        for hook in registry.pinned_hooks.get(kind, ()):
            out = hook(out if out is not None else value, inner.text) or out
    return value if out is None else out


def renders(kind: str, change: Change):
    """Register ``rule(obj)``: it turns a ``kind`` object (or a partial one, such as an
    event's ``previous_attributes``: keys may be missing) from how versions with ``change``
    show it into how versions before it do, in place on a copy. Rules run newest first."""

    def wrap(rule):
        rules = registry.render_rules.setdefault(kind, [])
        rules.append((change, rule))
        rules.sort(key=lambda pair: parse(pair[0].version), reverse=True)
        return rule

    return wrap


def render_partial(kind: str, fields: dict[str, Any], version: str) -> dict[str, Any]:
    """Some fields of a ``kind`` object (an event's ``previous_attributes``) as ``version``
    shows them: the same rules, on the keys that are there."""
    v = parse(version)
    rules = [rule for change, rule in registry.render_rules.get(kind, ())
             if not change.in_effect(v)]
    if not rules:
        return fields
    out = dict(fields)
    for rule in rules:
        rule(out)
    return out


def contents_at(kind: str, version_of, *hooks) -> None:
    """Objects of ``kind`` keep a version of their own for their contents: ``version_of(obj)``
    (None: the reader's). ``hooks(obj, version)`` render what else belongs to that version
    and return a new object, or None when nothing changes."""
    registry.version_pins[kind] = version_of
    registry.pinned_hooks[kind] = list(hooks)
