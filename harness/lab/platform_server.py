"""Glue: run the platform app (``harness.platform``) in a background thread for a Lab.

The platform itself knows only keys and URLs; this module fills them in for the active
backend (the emulator's ``/v3/`` Stripe.js stand-in and OAuth pages, or real Stripe).

The app's homeowner pages need a signed-in homeowner. Each homeowner gets a random passcode
here (kept in the handle, never printed), and :class:`HomeownerBrowser` plays a homeowner's
browser: one cookie jar, signed in through ``POST /login`` like a person would be.
"""

from __future__ import annotations

import http.cookiejar
import json
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from ..platform import PlatformConfig, create_app
from ..platform.app import FEE_PERCENT
from ..platform.db import Database
from . import emulator_controls
from .public import PublicBase
from .server import BackgroundServer
from .session import Lab


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Answer:
    """One HTTP answer, redirects not followed."""

    status: int
    headers: Any
    text: str

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")

    def body(self) -> Any:
        if (self.headers.get("Content-Type") or "").startswith("application/json"):
            return json.loads(self.text or "null")
        return self.text


class HomeownerBrowser:
    """A browser on the platform app: one cookie jar, at most one homeowner signed in."""

    def __init__(self, handle: PlatformHandle) -> None:
        self._handle = handle
        self._jar = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            _NoRedirect, urllib.request.HTTPCookieProcessor(self._jar))
        self.homeowner: str | None = None
        self._lock = threading.Lock()

    def _open(self, request: urllib.request.Request | str) -> Answer:
        try:
            with self._opener.open(request, timeout=30) as resp:
                return Answer(resp.status, resp.headers, resp.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as exc:
            return Answer(exc.code, exc.headers, exc.read().decode("utf-8", "replace"))

    def sign_in(self, homeowner_id: str) -> None:
        """Sign in as ``homeowner_id`` (a no-op if already signed in as them)."""
        with self._lock:
            if self.homeowner == homeowner_id:
                return
            form = urllib.parse.urlencode({"homeowner": homeowner_id,
                                           "passcode": self._handle.passcode(homeowner_id)})
            answer = self._open(urllib.request.Request(
                self._handle.url_for("/login"), data=form.encode(), method="POST",
                headers={"Content-Type": "application/x-www-form-urlencoded"}))
            if answer.status != 303:
                raise RuntimeError(f"signing in as {homeowner_id} failed: HTTP {answer.status}")
            self.homeowner = homeowner_id

    def get(self, url: str, as_homeowner: str | None = None) -> Answer:
        """GET ``url`` once, signed in as ``as_homeowner`` (or whoever already is)."""
        if as_homeowner:
            self.sign_in(as_homeowner)
        mapped = self._handle.public.local_url(url)  # a printed (public) link: same app
        return self._open(mapped[0] if mapped else url)


@dataclass
class PlatformHandle:
    app: Flask
    db: Database
    server: BackgroundServer
    config: PlatformConfig
    public: PublicBase = field(default_factory=PublicBase)
    _passcodes: dict[str, str] = field(default_factory=dict, repr=False)
    _browser: HomeownerBrowser | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return self.server.url

    def url_for(self, path: str) -> str:
        """``path`` on 127.0.0.1: for this kernel's own requests (and its headless browser)."""
        return self.server.url_for(path)

    @property
    def public_url(self) -> str:
        """Where the learner's browser opens this app (the Jupyter server's proxy path when
        the kernel is remote; the same as :attr:`url` locally)."""
        return self.config.public_url

    def public_url_for(self, path: str) -> str:
        """``path`` for the learner's browser: links to print, iframes to show."""
        return self.public_url + ("" if path.startswith("/") else "/") + path

    def passcode(self, homeowner_id: str) -> str:
        """The homeowner's sign-in passcode (random, made on first use; don't print it)."""
        if homeowner_id not in self._passcodes:
            if self.db.one("SELECT id FROM homeowners WHERE id=?", (homeowner_id,)) is None:
                raise KeyError(f"the platform has no homeowner {homeowner_id!r}")
            code = secrets.token_urlsafe(24)
            self.db.set_passcode(homeowner_id, code)
            self._passcodes[homeowner_id] = code
        return self._passcodes[homeowner_id]

    @property
    def browser(self) -> HomeownerBrowser:
        """The glue's own browser on this app (the notebooks' ``get`` and redirects use it)."""
        if self._browser is None:
            self._browser = HomeownerBrowser(self)
        return self._browser

    def stop(self) -> None:
        _RUNNING.pop(self.url, None)
        self.server.stop()

    def __repr__(self) -> str:
        if self.public_url != self.server.url:
            return f"<Platform app on {self.server.url}, for your browser {self.public_url}>"
        return f"<Platform app on {self.server.url}>"


_RUNNING: dict[str, PlatformHandle] = {}


def running_at(url: str) -> PlatformHandle | None:
    """The platform app started here that serves ``url``, if any."""
    parts = urllib.parse.urlsplit(url)
    found = _RUNNING.get(f"{parts.scheme}://{parts.netloc}")
    if found is None:  # a public (proxied) URL of one of them
        for handle in list(_RUNNING.values()):
            mapped = handle.public.local_url(url)
            if mapped and mapped[0].startswith(handle.url + "/"):
                return handle
    return found


def client_id_for(lab: Lab) -> str | None:
    """The platform's OAuth client_id: the emulator gives each platform one; in test mode it
    comes from STRIPE_CLIENT_ID."""
    if lab.config.is_emulator:
        return emulator_controls.oauth_client_id(lab.api_base, lab.config.secret_key)
    return lab.config.client_id


def start_platform(
    lab: Lab,
    *,
    homeowners: Iterable[dict[str, Any]] = (),
    listings: Iterable[dict[str, Any]] = (),
    webhook_secret: str | None = None,
    db_path: str = ":memory:",
    fee_percent: float = FEE_PERCENT,
    port: int = 0,
) -> PlatformHandle:
    """Start the platform app on 127.0.0.1 and a free port (or ``port``), seeded with the
    marketplace."""
    server = BackgroundServer(None, port=port)  # app set below, once we know our own URL
    config = PlatformConfig(
        secret_key=lab.config.secret_key,
        publishable_key=lab.publishable_key,
        api_base=lab.api_base,
        connect_base=lab.api_base if lab.config.is_emulator else "https://connect.stripe.com",
        authorize_base=lab.public_api_base if lab.config.is_emulator else None,
        stripe_js_url=lab.public_api_base + "/v3/" if lab.config.is_emulator else
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
    config.public_url = lab.public.url(server.port)
    try:
        holder["app"] = create_app(config, db)
    except Exception:
        server.stop()
        raise
    handle = PlatformHandle(holder["app"], db, server, config, lab.public)
    _RUNNING[handle.url] = handle
    return handle
