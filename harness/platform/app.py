"""The platform's Flask app factory. Each guide step is a blueprint of its own module."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import stripe
from flask import Flask, jsonify

from .db import Database

STRIPE_JS = "https://js.stripe.com/v3/"


@dataclass
class PlatformConfig:
    """What the platform knows: its keys, where Stripe is, and its own settings."""

    secret_key: str
    publishable_key: str
    api_base: str = "https://api.stripe.com"
    connect_base: str = "https://connect.stripe.com"
    stripe_js_url: str = STRIPE_JS
    client_id: str | None = None
    webhook_secret: str | None = None
    stripe_version: str | None = None
    public_url: str = "http://127.0.0.1:4242"  # where this app is reachable (for redirects)
    fee_percent: float = 12.3  # the platform's cut of each booking
    db_path: str = ":memory:"
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # keys never appear in logs or notebook output
        return f"PlatformConfig(api_base={self.api_base!r}, public_url={self.public_url!r})"


def application_fee(amount: int, percent: float) -> int:
    """The platform's fee rule, in one place: ``percent`` of the amount, rounded half up."""
    return int(amount * percent / 100 + 0.5)


def create_app(config: PlatformConfig, db: Database | None = None) -> Flask:
    app = Flask(__name__)
    app.config["PLATFORM"] = config
    app.config["DB"] = db or Database(config.db_path)
    app.config["STRIPE"] = stripe.StripeClient(
        config.secret_key,
        base_addresses={"api": config.api_base, "connect": config.connect_base},
        stripe_version=config.stripe_version,
        max_network_retries=2,
    )
    app.config["SECRET_KEY"] = config.extra.get("session_secret", "connect-lab-dev-session")

    from . import blueprints

    for blueprint in blueprints.all_blueprints():
        app.register_blueprint(blueprint)

    @app.errorhandler(400)
    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(405)
    def client_error(error: Any) -> Any:
        return jsonify(error=getattr(error, "description", str(error))), error.code

    @app.get("/healthz")
    def healthz() -> Any:
        return {"ok": True}

    return app
