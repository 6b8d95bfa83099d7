"""The one HTTP helper for the emulator's own controls (``/_emulator/*``).

Stripe has no API to finish a homeowner's onboarding, move time, inject a fault or read a
delivery log: the emulator adds these as controls under ``/_emulator/``, authenticated with
the platform's secret key like any API call. Every piece of glue reaches them through
:func:`call`, so each notebook step works against a standalone emulator
(``python -m harness emulator``) as well as an in-process one.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

__all__ = ["call", "connect_settings", "dashboard_login_link", "emulator_keys",
           "oauth_client_id", "platform_info", "set_branding", "set_express_oauth",
           "set_redirect_uris"]


def call(api_base: str, secret_key: str, path: str, params: dict[str, Any] | None = None,
         *, method: str | None = None, timeout: float = 30) -> Any:
    """GET (no ``params``) or POST (form-encoded ``params``) ``path`` with the platform's key,
    and return the decoded JSON. A Stripe-shaped error answer becomes a RuntimeError that
    names the control and Stripe's message (never the key)."""
    method = method or ("GET" if params is None else "POST")
    data = None
    url = api_base + path
    if params is not None and method == "POST":
        data = urllib.parse.urlencode(params).encode()
    elif params:
        url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Authorization": f"Bearer {secret_key}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read() or b"{}")
        message = body.get("error", {}).get("message", str(exc))
        raise RuntimeError(f"{path}: {message}") from None


def emulator_keys(api_base: str, secret_key: str) -> dict[str, Any]:
    """``GET /_emulator/keys``: the platform's publishable key, which the emulator issued
    at random with the platform (never derived from the secret key)."""
    return call(api_base, secret_key, "/_emulator/keys")


# -- Dashboard settings -----------------------------------------------------------------------
# On Stripe a platform's OAuth client_id and redirect URIs are Dashboard settings (Connect →
# Settings → OAuth), not API resources; the emulator offers them as controls.
def connect_settings(api_base: str, secret_key: str) -> dict[str, Any]:
    """``GET /_emulator/connect/settings``: the OAuth ``client_id`` and redirect URIs."""
    return call(api_base, secret_key, "/_emulator/connect/settings")


def set_redirect_uris(api_base: str, secret_key: str, uris: list[str]) -> list[str]:
    """Register the platform's allowed OAuth redirect URIs (the first is the default)."""
    params = {"redirect_uris": ""} if not uris else {
        f"redirect_uris[{i}]": uri for i, uri in enumerate(uris)}
    return call(api_base, secret_key, "/_emulator/connect/settings", params)["redirect_uris"]


def set_branding(api_base: str, secret_key: str, *, name: str | None = None,
                 primary_color: str | None = None, secondary_color: str | None = None,
                 icon: str | None = None) -> dict[str, Any]:
    """Settings → Branding: the name, ``#rrggbb`` colours and icon URL that the hosted
    onboarding and OAuth pages show. Returns the branding as saved."""
    given = {"name": name, "primary_color": primary_color,
             "secondary_color": secondary_color, "icon": icon}
    params = {f"branding[{k}]": v for k, v in given.items() if v is not None}
    return call(api_base, secret_key, "/_emulator/connect/settings", params)["branding"]


def set_express_oauth(api_base: str, secret_key: str, enabled: bool) -> bool:
    """Connect settings → OAuth: "Enable onboarding Express accounts with OAuth"."""
    return call(api_base, secret_key, "/_emulator/connect/settings",
                {"express_oauth": "true" if enabled else "false"})["express_oauth"]


def dashboard_login_link(api_base: str, secret_key: str, page: str = "") -> str:
    """``POST /_emulator/dashboard/login_links``: a single-use link into the platform's
    Dashboard (it works once, for five minutes), landing on ``page``."""
    params = {"page": page} if page else {}
    return call(api_base, secret_key, "/_emulator/dashboard/login_links", params)["url"]


def oauth_client_id(api_base: str, secret_key: str) -> str | None:
    """The platform's OAuth ``client_id`` (``ca_…``), which the emulator gives each platform."""
    return connect_settings(api_base, secret_key)["client_id"]


def platform_info(api_base: str, secret_key: str) -> dict[str, Any]:
    """``GET /_emulator/platform``: the platform's default API version and the emulator's
    pricing (what the Dashboard and the pricing page would tell)."""
    return call(api_base, secret_key, "/_emulator/platform")
