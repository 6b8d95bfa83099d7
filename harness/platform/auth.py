"""Homeowners sign in, and every route that acts for a homeowner acts for the signed-in one.

A minimal login, enough for this reference to be safe to copy; a real platform would use
its own accounts system. ``POST /login`` with form fields ``homeowner`` and ``passcode``
checks the passcode against a salted hash (``Database.set_passcode``) and starts a fresh
Flask session: the signed cookie holds the homeowner's id and a random session id, which
the OAuth ``state`` is bound to. ``POST /logout`` ends it.

The session cookie is signed with the app's ``SECRET_KEY`` (random, or ``FLASK_SECRET_KEY``),
is ``HttpOnly`` and ``SameSite=Lax``; sign-in and sign-out refuse a cross-site ``Origin``.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import urllib.parse
from typing import Any

from flask import Blueprint, abort, current_app, redirect, request, session
from werkzeug.security import check_password_hash, generate_password_hash

from .app import external_url
from .pages import page

blueprint = Blueprint("auth", __name__)

MAX_FIELD = 256  # characters in a homeowner id or passcode

LOGIN = """<form method="post" action="{{ request.script_root }}/login" id="sign-in-form">
<p>Homeowners sign in to connect their payouts.</p>
<label for="homeowner">Homeowner ID</label>
<input id="homeowner" name="homeowner" value="{{ homeowner or '' }}" autocomplete="username">
<label for="passcode">Passcode</label>
<input id="passcode" name="passcode" type="password" autocomplete="current-password">
<p><button id="sign-in" type="submit">Sign in</button></p></form>"""


@functools.cache
def _dummy_hash() -> str:
    """Checked when the homeowner is unknown, so a wrong id costs as long as a wrong passcode."""
    return generate_password_hash(secrets.token_urlsafe(16))


def _same_origin() -> None:
    """A browser names the page that sent a POST; refuse sign-in forms posted from other sites
    (login CSRF). Clients that send no ``Origin`` (scripts) are not browsers being tricked."""
    origin = request.headers.get("Origin")
    if origin is None:
        return
    # This app's public origin, or the address this request came to (a browser on the
    # kernel's machine opens the app on 127.0.0.1).
    allowed = {f"{u.scheme}://{u.netloc}" for u in map(urllib.parse.urlsplit, (
        current_app.config["PLATFORM"].public_url, request.host_url))}
    if origin not in allowed:
        abort(403, description="Cross-site sign-in refused: post the form from this site.")


def login_page(homeowner: str | None = None, status: int = 200) -> Any:
    return page("Sign in", LOGIN, status, homeowner=(homeowner or "")[:MAX_FIELD])


@blueprint.get("/login")
def login_form() -> Any:
    return login_page(request.args.get("homeowner"))


@blueprint.post("/login")
def login() -> Any:
    _same_origin()
    homeowner_id = request.form.get("homeowner", "").strip()
    passcode = request.form.get("passcode", "")
    if not homeowner_id or not passcode:
        abort(400, description="Sign in with form fields homeowner and passcode.")
    if len(homeowner_id) > MAX_FIELD or len(passcode) > MAX_FIELD:
        abort(400, description=f"homeowner and passcode are at most {MAX_FIELD} characters.")
    row = current_app.config["DB"].one("SELECT id, passcode_hash FROM homeowners WHERE id=?",
                                       (homeowner_id,))
    stored = row["passcode_hash"] if row else None
    matches = check_password_hash(stored or _dummy_hash(), passcode)
    if not (stored and matches):
        abort(403, description="Wrong homeowner or passcode.")
    session.clear()  # a fresh session at every sign-in: nothing from before carries over
    session["homeowner"] = row["id"]  # type: ignore[index]
    session["sid"] = secrets.token_urlsafe(32)
    return redirect(external_url("/"), code=303)


@blueprint.post("/logout")
def logout() -> Any:
    _same_origin()
    session.clear()
    return redirect(external_url("/"), code=303)


def signed_in_id() -> str | None:
    value = session.get("homeowner")
    return value if isinstance(value, str) and session.get("sid") else None


def session_key() -> str | None:
    """What the OAuth state is bound to: a hash of this browser session's random id."""
    sid = session.get("sid")
    if not isinstance(sid, str) or not signed_in_id():
        return None
    return hashlib.sha256(sid.encode()).hexdigest()


def acting_homeowner() -> dict[str, Any]:
    """The signed-in homeowner (401 if nobody is). A ``homeowner`` named in the URL must be
    that one: acting for another homeowner is a 403, whoever asks."""
    signed_in = signed_in_id()
    if signed_in is None:
        abort(401, description="Sign in first: POST /login with your homeowner ID and passcode.")
    named = request.args.get("homeowner")
    if named is not None and named != signed_in:
        abort(403, description="You are signed in as another homeowner: you can only act for "
                               "yourself.")
    row = current_app.config["DB"].one("SELECT * FROM homeowners WHERE id=?", (signed_in,))
    if row is None:
        session.clear()
        abort(401, description="Your homeowner record is gone: sign in again.")
    return row
