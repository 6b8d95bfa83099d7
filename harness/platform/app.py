"""The platform's Flask app factory. Each guide step is a blueprint of its own module."""

from __future__ import annotations

import os
import secrets
import urllib.parse
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import stripe
from flask import Flask, current_app, jsonify
from werkzeug.exceptions import HTTPException

from .db import Database

STRIPE_JS = "https://js.stripe.com/v3/"
LIVE_PREFIXES = ("sk_live_", "rk_live_", "pk_live_")
MIN_SESSION_SECRET = 32  # characters; Flask signs the session cookie with it
FEE_PERCENT = 12.3  # the platform's cut of each booking, unless configured otherwise


class LiveKeyRefused(ValueError):
    """This reference app is for test mode: it will not start with a live-mode key."""


@dataclass
class PlatformConfig:
    """What the platform knows: its keys, where Stripe is, and its own settings."""

    secret_key: str
    publishable_key: str
    api_base: str = "https://api.stripe.com"
    connect_base: str = "https://connect.stripe.com"
    # Where browsers open Stripe's OAuth page when not at ``connect_base`` (the app's own
    # calls, like the token exchange, go there): the emulator behind a Jupyter proxy.
    authorize_base: str | None = None
    stripe_js_url: str = STRIPE_JS
    client_id: str | None = None
    webhook_secret: str | None = None
    stripe_version: str | None = None
    # Where browsers reach this app (for links and redirects). Behind a reverse proxy that
    # strips a path prefix and says so in X-Forwarded-Prefix (jupyter-server-proxy does, at
    # https://hub.example/user/ada/proxy/4242), the app serves requests that name this
    # URL's path as their prefix under this URL; every other request under its own address.
    public_url: str = "http://127.0.0.1:4242"
    fee_percent: float = FEE_PERCENT  # the platform's cut of each booking
    db_path: str = ":memory:"
    # Signs the Flask session cookie. None: FLASK_SECRET_KEY from the environment, else a
    # random one per process (sessions then end when the app restarts; set FLASK_SECRET_KEY,
    # the same in every worker, when you run more than one).
    session_secret: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # keys never appear in logs or notebook output
        return f"PlatformConfig(api_base={self.api_base!r}, public_url={self.public_url!r})"


def application_fee(amount: int, percent: float = FEE_PERCENT) -> int:
    """The platform's fee rule, the one copy of it (the checkout routes, the sample
    marketplace's quotes, the simulated month and the fee widget all call this):
    ``percent`` of the amount in cents, rounded half up to the cent (1000 -> 123,
    37500 -> 4613 at 12.3 %). Decimal arithmetic on the percent as written, so a float's
    binary error never moves a cent."""
    if amount < 0:
        raise ValueError("amount must not be negative")
    exact = Decimal(int(amount)) * Decimal(str(percent)) / 100
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


class PublicMount:
    """WSGI middleware: a request that came through the proxy in front of ``public_url``
    (its ``X-Forwarded-Prefix`` is that URL's path; with no path, its ``X-Forwarded-Host``
    is that URL's host) is served as a request to ``public_url``, so ``url_for`` builds
    the page's links under its path. Other requests (the platform's own scripts on
    127.0.0.1) keep their own address. The configured URL is the trusted part; the header
    only says which of the two addresses the browser used."""

    def __init__(self, app: Any, config: PlatformConfig) -> None:
        self.app = app
        self.config = config

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        public = urllib.parse.urlsplit(self.config.public_url)
        prefix = public.path.rstrip("/")
        forwarded = environ.get("HTTP_X_FORWARDED_PREFIX", "").rstrip("/")
        host = environ.get("HTTP_X_FORWARDED_HOST", "")
        if (prefix and forwarded == prefix) or (not prefix and host == public.netloc):
            environ = {**environ, "SCRIPT_NAME": prefix, "HTTP_HOST": public.netloc,
                       "wsgi.url_scheme": public.scheme}
        return self.app(environ, start_response)


def external_url(path: str) -> str:
    """``path`` of this app as an absolute URL under ``public_url``: what Stripe gets
    (``success_url``, ``return_url``, ``redirect_uri``...) and where redirects point. A full
    URL also passes a proxy that rewrites Location paths (jupyter-server-proxy prefixes a
    Location that starts with ``/``) unchanged."""
    return current_app.config["PLATFORM"].public_url.rstrip("/") + path


def refuse_live_keys(config: PlatformConfig) -> None:
    """Stop before any request if a key is a live-mode one: a copy of this app that is
    pointed at live money by mistake should fail to start, loudly."""
    for name, key in (("secret_key", config.secret_key),
                      ("publishable_key", config.publishable_key)):
        if (key or "").strip().startswith(LIVE_PREFIXES):
            raise LiveKeyRefused(
                f"PlatformConfig.{name} is a live-mode key ({key.strip()[:8]}…): this app "
                "runs only against Stripe test mode or the emulator. Use sk_test_ / pk_test_.")


def session_secret(config: PlatformConfig) -> str:
    """The key that signs session cookies: given, from FLASK_SECRET_KEY, or random. Never a
    constant in the code: whoever knows it can sign in as anyone."""
    chosen = config.session_secret or os.environ.get("FLASK_SECRET_KEY", "").strip()
    if not chosen:
        return secrets.token_urlsafe(48)
    if len(chosen) < MIN_SESSION_SECRET:
        raise ValueError(f"the session secret (FLASK_SECRET_KEY) must be at least "
                         f"{MIN_SESSION_SECRET} random characters, e.g. "
                         "python -c 'import secrets; print(secrets.token_urlsafe(48))'")
    return chosen


def create_app(config: PlatformConfig, db: Database | None = None) -> Flask:
    refuse_live_keys(config)
    app = Flask(__name__)
    app.config["PLATFORM"] = config
    app.wsgi_app = PublicMount(app.wsgi_app, config)  # type: ignore[method-assign]
    app.config["DB"] = db or Database(config.db_path)
    app.config["STRIPE"] = stripe.StripeClient(
        config.secret_key,
        base_addresses={"api": config.api_base, "connect": config.connect_base},
        stripe_version=config.stripe_version,
        max_network_retries=2,
    )
    app.config.update(
        SECRET_KEY=session_secret(config),
        SESSION_COOKIE_NAME="platform_session",
        SESSION_COOKIE_HTTPONLY=True,
        # Lax: sent on Stripe's top-level redirect back to /connect/oauth, not on cross-site
        # POSTs or subresources.
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=urllib.parse.urlsplit(config.public_url).scheme == "https",
        MAX_CONTENT_LENGTH=1024 * 1024,  # Stripe's events and our forms are far smaller: 413
    )

    from . import blueprints

    for blueprint in blueprints.all_blueprints():
        app.register_blueprint(blueprint)

    @app.errorhandler(HTTPException)
    def client_error(error: HTTPException) -> Any:
        """Every refusal says why, as JSON: ``{"error": "..."}``."""
        return jsonify(error=error.description or error.name), error.code

    @app.get("/healthz")
    def healthz() -> Any:
        return {"ok": True}

    return app
