"""Every blueprint the platform app serves: one module per guide step registers here."""

from __future__ import annotations

import importlib
import pkgutil

from flask import Blueprint

STEP_MODULES = ("auth", "onboarding", "checkout", "webhooks", "thin_webhooks",
                "hosted_checkout")


def all_blueprints() -> list[Blueprint]:
    """The blueprints of the step modules that exist (steps land one issue at a time)."""
    package = __name__.rsplit(".", 1)[0]
    present = {m.name for m in pkgutil.iter_modules(importlib.import_module(package).__path__)}
    out = []
    for name in STEP_MODULES:
        if name in present:
            out.append(importlib.import_module(f"{package}.{name}").blueprint)
    return out
