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

__all__ = ["call", "connect_settings", "emulator_keys", "oauth_client_id", "platform_info",
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


def oauth_client_id(api_base: str, secret_key: str) -> str | None:
    """The platform's OAuth ``client_id`` (``ca_…``), which the emulator gives each platform."""
    return connect_settings(api_base, secret_key)["client_id"]


def platform_info(api_base: str, secret_key: str) -> dict[str, Any]:
    """``GET /_emulator/platform``: the platform's default API version and the emulator's
    pricing (what the Dashboard and the pricing page would tell)."""
    return call(api_base, secret_key, "/_emulator/platform")
