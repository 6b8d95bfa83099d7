"""Glue: run the platform app (``harness.platform``) in a background thread for a Lab.

The platform itself knows only keys and URLs; this module fills them in for the active
backend (the emulator's ``/v3/`` Stripe.js stand-in and OAuth pages, or real Stripe).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask

from .lab import Lab
from .platform import PlatformConfig, create_app
from .platform.db import Database
from .server import BackgroundServer


@dataclass
class PlatformHandle:
    app: Flask
    db: Database
    server: BackgroundServer
    config: PlatformConfig

    @property
    def url(self) -> str:
        return self.server.url

    def url_for(self, path: str) -> str:
        return self.server.url_for(path)

    def stop(self) -> None:
        self.server.stop()

    def __repr__(self) -> str:
        return f"<Platform app on {self.server.url}>"


def client_id_for(lab: Lab) -> str | None:
    """The platform's OAuth client_id: the emulator gives each platform one; in test mode it
    comes from STRIPE_CLIENT_ID."""
    if lab.config.is_emulator:
        return lab.emulator.store.get_meta(f"client_id:{lab.platform_id}")
    return lab.config.client_id


def start_platform(
    lab: Lab,
    *,
    homeowners: Iterable[dict[str, Any]] = (),
    listings: Iterable[dict[str, Any]] = (),
    webhook_secret: str | None = None,
    db_path: str = ":memory:",
    fee_percent: float = 12.3,
) -> PlatformHandle:
    """Start the platform app on 127.0.0.1 and a free port, seeded with the marketplace."""
    server = BackgroundServer(None)  # app set below, once we know our own URL
    config = PlatformConfig(
        secret_key=lab.config.secret_key,
        publishable_key=lab.publishable_key,
        api_base=lab.api_base,
        connect_base=lab.api_base if lab.config.is_emulator else "https://connect.stripe.com",
        stripe_js_url=lab.api_base + "/v3/" if lab.config.is_emulator else
        "https://js.stripe.com/v3/",
        client_id=client_id_for(lab),
        webhook_secret=webhook_secret,
        db_path=db_path,
        fee_percent=fee_percent,
    )
    db = Database(db_path)
    db.seed(homeowners, listings)
    holder: dict[str, Flask] = {}

    def dispatch(environ: dict, start_response: Any) -> Any:
        return holder["app"](environ, start_response)

    server.app = dispatch
    server.start()
    config.public_url = server.url
    holder["app"] = create_app(config, db)
    return PlatformHandle(holder["app"], db, server, config)
