"""Getting into a platform's Dashboard (``/dashboard/<platform>/…``) safely.

* The way in is a single-use link (``POST /_emulator/dashboard/login_links``, secret key
  only), like an Express login link (https://docs.stripe.com/api/accounts/login_link): it
  works once, within ``LINK_TTL`` emulator seconds, and only for its own platform.
* Opening it swaps the token for a session cookie (HttpOnly, SameSite=Strict), so no secret
  stays in any URL after login; the cookie names a record that says which platform it is
  for, so one platform's cookie opens no other's. The link is ``…/dashboard/<platform>/login
  ?token=…`` and the cookie carries no ``Path``: a browser then scopes it to the directory of
  that URL, ``…/dashboard/<platform>`` (RFC 6265 §5.1.4, default-path), under whatever prefix
  a proxy (jupyter-server-proxy) puts in front, which the emulator cannot know.
* Every form carries the session's CSRF token, and a POST whose token or ``Origin`` does
  not match is refused (403).

The records live in the store's records table, so a platform's reset forgets them.
"""

from __future__ import annotations

import hmac
import re
import time
import urllib.parse
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ..context import Context
from ..errors import InvalidRequest
from ..pipeline import Page
from ..pipeline import public_base as public_page_base
from ..resources.account_links import load_record, public_base, save_record
from .rendering import message

LINK_TTL = 300  # emulator seconds, as an Account Link's
SESSION_SECONDS = 8 * 3600  # wall-clock: a browser session, not Stripe's time
COOKIE = "connect_lab_dashboard"
# A Dashboard page a link may land on: a relative path inside the Dashboard.
_PAGE = re.compile(r"(?:[A-Za-z0-9_\-]+(?:/[A-Za-z0-9_\-]+)*)?")


def root_path(platform: str) -> str:
    return f"/dashboard/{platform}/"


def new_login_link(ctx: Context, page: str = "") -> dict[str, Any]:
    """A single-use link into ``ctx.platform``'s Dashboard, landing on ``page``."""
    page = page.strip("/")
    if not _PAGE.fullmatch(page):
        raise InvalidRequest("page must be a path inside the Dashboard, such as "
                             "'connect/accounts' or 'payments/pi_123'.", param="page")
    token = ctx.emulator.ids.secret(32, outside_stream=True)
    now = ctx.now()
    save_record(ctx.emulator, "dashboard_link", token, {
        "platform": ctx.platform, "created": now, "expires_at": now + LINK_TTL,
        "page": page, "masked_key": ctx.masked_key, "used": False})
    return {"object": "login_link", "created": now, "expires_at": now + LINK_TTL,
            "url": f"{public_base(ctx)}{root_path(ctx.platform)}login?token={token}"}


def _refuse(page: Page, platform: str | None, title: str, text: str, status: int) -> Response:
    return message(page.emulator, None, title, text, status)


def open_link(page: Page, platform: str, token: str) -> Response:
    """The link's GET: check it, use it up, set the cookie, go to the page it names."""
    emulator = page.emulator
    link = load_record(emulator, "dashboard_link", token)
    if link is None or link["platform"] != platform:
        return _refuse(page, None, "This link is not valid",
                       "Ask for a new Dashboard link (lab.dashboard_url()).", 404)
    if link["used"] or emulator.clock.now(platform) >= link["expires_at"]:
        return _refuse(page, None, "This link has expired",
                       "Dashboard links work once, for five minutes. Ask for a new one.", 410)
    if not emulator.store.use_record("dashboard_link", token):
        return _refuse(page, None, "This link has expired",
                       "Dashboard links work once. Ask for a new one.", 410)
    sid = emulator.ids.secret(32, outside_stream=True)
    save_session(emulator, sid, {
        "platform": platform, "created": emulator.clock.now(platform),
        "expires": time.time() + SESSION_SECONDS,
        "csrf": emulator.ids.secret(32, outside_stream=True),
        "masked_key": link.get("masked_key") or ""})
    # relative to …/dashboard/<platform>/login, so it works under any prefix
    response = Response("", status=303, headers={"Location": "./" + link["page"]})
    response.autocorrect_location_header = False
    response.set_cookie(COOKIE, sid, max_age=SESSION_SECONDS, path=None,
                        httponly=True, samesite="Strict", secure=page.request.is_secure)
    response.headers["Cache-Control"] = "no-store"
    return response


def save_session(emulator: Any, sid: str, record: dict[str, Any]) -> None:
    save_record(emulator, "dashboard_session", sid, record)


def session_of(page: Page, platform: str) -> dict[str, Any]:
    """The logged-in session for ``platform``'s Dashboard, or an answer that refuses."""
    sid = page.request.cookies.get(COOKIE, "")
    record = load_record(page.emulator, "dashboard_session", sid) if sid else None
    if record is None or record["platform"] != platform or record["expires"] < time.time():
        raise HTTPException(response=_refuse(
            page, None, "Log in to the Dashboard",
            "Open a fresh Dashboard link (lab.dashboard_url()) to log in.", 401))
    if page.request.method == "POST":
        sent = page.text("csrf")
        origin = page.request.headers.get("Origin")
        # The pages send Referrer-Policy: no-referrer, under which a browser's form POST
        # says ``Origin: null``; the token is the check, a foreign origin is refused outright.
        # Behind a proxy (Settings.public_url) the browser's origin is the public one.
        public = urllib.parse.urlsplit(public_page_base(page.emulator, page.request))
        same_origin = origin in (None, "null") or origin.rstrip("/") in (
            page.request.host_url.rstrip("/"), f"{public.scheme}://{public.netloc}")
        if not (sent and hmac.compare_digest(sent, record["csrf"]) and same_origin):
            raise HTTPException(response=_refuse(
                page, None, "This form has expired",
                "Reload the page and submit it again.", 403))
    return {**record, "sid": sid}


def log_out(page: Page, platform: str) -> Response:
    sid = page.request.cookies.get(COOKIE, "")
    page.emulator.store.drop_record("dashboard_session", sid)
    response = message(page.emulator, None, "Logged out",
                       "Open a fresh Dashboard link to log in again.", 200)
    response.delete_cookie(COOKIE, path=None, httponly=True, samesite="Strict")
    return response
