"""Controls only the emulator has, under ``/_emulator/`` and authenticated with the
platform's secret key. Each has a harness wrapper that does the honest equivalent in
Stripe test mode."""

from __future__ import annotations

from typing import Any

from . import faults as faults_mod
from .context import Context
from .errors import InvalidRequest, PermissionDenied
from .hosted import dashboard_session
from .params import Bool, Enum, Int, ListOf, Obj, Str, Url
from .registry import registry, route
from .resources import accounts, oauth, payment_intents, setup_intents

LAST_SECOND = 253402300799  # 9999-12-31T23:59:59Z


def _platform_only(ctx: Context) -> None:
    if ctx.key_type != "secret" or ctx.is_connected:
        raise PermissionDenied("Emulator controls need the platform's secret key and no "
                               "Stripe-Account header.")


@route("POST", "/_emulator/accounts/<id>/complete_onboarding", params={})
def complete_onboarding(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    _platform_only(ctx)
    account = accounts._connected(ctx, id)
    import copy

    before = copy.deepcopy(account)
    return accounts.save_and_announce(ctx, before, accounts.complete_onboarding(ctx, account))


@route("POST", "/_emulator/clock/advance", params={"seconds": Int(required=True, min=0,
                                                                  max=10 * 366 * 86400)},
       own_transactions=True)
def advance_clock(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """Move time forward, stopping at each 00:00 UTC on the way so that whatever fell due
    that day (available funds, automatic payouts, deadlines) happens at its own time.

    Each day is its own transaction, with its events: years of days on a platform with many
    accounts take a while, and between two days every other request (other platforms', and
    this platform's own) gets the store. A crash or an error leaves whole days settled, the
    clock at the end of the last one, never half a day."""
    _platform_only(ctx)
    store, clock = ctx.store, ctx.emulator.clock
    target = ctx.now() + params["seconds"]
    if ctx.idempotency_key:  # a retry after a crash goes on to the first request's target
        token = f"{ctx.platform}|{ctx.idempotency_key}"
        with store.transaction():
            kept = store.get_record("clock_advance", token)
            if kept is None:
                store.put_record("clock_advance", token, {
                    "platform": ctx.platform, "created": ctx.now(), "target": target})
            else:
                target = kept["target"]
    if target > LAST_SECOND:
        raise InvalidRequest("The emulator's clock stops at 9999-12-31 (Python's dates do).",
                             param="seconds")
    # What falls due is Stripe's own doing, not this request's: its events are automatic,
    # with request.id null (https://docs.stripe.com/api/events/object#event_object-request).
    ctx.request_id = ctx.idempotency_key = None
    remaining = max(0, target - ctx.now())
    while remaining > 0:
        with store.transaction():
            before = ctx.now()
            step = min(remaining, 86400 - before % 86400)
            clock.advance(ctx.platform, step)
            for hook in registry.tick_hooks:
                hook(ctx, before)
            ctx.emulator.after_request(ctx)  # the day's events commit with the day
        remaining -= step
        store.let_others_in()
    return {"object": "emulator.clock", "now": ctx.now()}


@route("GET", "/_emulator/requests", params={})
def requests(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """The platform's API requests, oldest first (its connected accounts' included), with
    their statuses: what Stripe's Dashboard shows under Developers → Logs. Controls are not
    listed."""
    _platform_only(ctx)
    data = ctx.emulator.requests.entries(ctx.platform)
    return {"object": "list", "url": "/_emulator/requests", "has_more": False, "data": data}


@route("GET", "/_emulator/platform", params={})
def platform(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """What the platform's Dashboard shows about its account and this emulator's pricing:
    the default API version (Workbench) and the fees the emulator charges, so glue on another
    machine (a workshop) reads them over HTTP."""
    _platform_only(ctx)
    settings = ctx.settings
    return {"object": "emulator.platform", "id": ctx.platform,
            "api_version": ctx.emulator.platform_version(ctx.platform),
            "pricing": {"fee_percent": settings.fee_percent, "fee_fixed": settings.fee_fixed,
                        "conversion_fee_percent": settings.conversion_fee_percent,
                        "dispute_fee": settings.dispute_fee}}


def _connect_settings(ctx: Context) -> dict[str, Any]:
    uris = oauth.redirect_uris(ctx.store, ctx.platform)
    own = ctx.find(ctx.platform, "account")
    account = own[1] if own else {}
    look = (account.get("settings") or {}).get("branding") or {}
    return {"object": "emulator.connect_settings",
            "client_id": oauth.client_id_of(ctx.store, ctx.platform),
            "redirect_uris": uris, "default_redirect_uri": uris[0] if uris else None,
            "express_oauth": oauth.express_oauth_enabled(ctx.store, ctx.platform),
            "branding": {"name": accounts.display_name(account), "icon": look.get("icon"),
                         "primary_color": look.get("primary_color"),
                         "secondary_color": look.get("secondary_color")}}


@route("GET", "/_emulator/connect/settings", params={})
def connect_settings(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """Connect → Settings in the Dashboard: the OAuth ``client_id`` and the redirect URIs."""
    _platform_only(ctx)
    return _connect_settings(ctx)


@route("POST", "/_emulator/connect/settings",
       params={"redirect_uris": ListOf(item=Url(), max_items=20, nullable=True),
               "express_oauth": Bool(),
               "branding": Obj(fields={"name": Str(max_length=100), "icon": Str(max_length=2000),
                                       "primary_color": Str(), "secondary_color": Str()})})
def update_connect_settings(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """What the Dashboard's Connect settings change: the OAuth redirect URIs (replaced; the
    first is the default; each a valid URL), onboarding Express accounts with OAuth on or
    off, and the branding the hosted pages show (name, icon URL, ``#rrggbb`` colours)."""
    _platform_only(ctx)
    if "redirect_uris" in params:
        oauth.set_redirect_uris(ctx.emulator, ctx.platform, params["redirect_uris"] or [])
    if "express_oauth" in params:
        oauth.set_express_oauth(ctx.emulator, ctx.platform, params["express_oauth"])
    if params.get("branding"):
        oauth.set_branding(ctx, params["branding"])
    return _connect_settings(ctx)


@route("POST", "/_emulator/dashboard/login_links", params={"page": Str(max_length=300)})
def dashboard_login_link(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """A single-use link into this platform's Dashboard (``hosted/dashboard_session.py``),
    landing on ``page`` (a path inside the Dashboard, such as ``connect/accounts``)."""
    _platform_only(ctx)
    return dashboard_session.new_login_link(ctx, params.get("page") or "")


@route("GET", "/_emulator/clock", params={})
def clock(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return {"object": "emulator.clock", "now": ctx.now()}


@route("POST", "/_emulator/faults",
       params={"path": Str(required=True), "status": Enum(choices=("429", "500", "503")),
               "mode": Enum(choices=faults_mod.MODES),
               "code": Enum(choices=("rate_limit", "lock_timeout")),
               "latency_ms": Int(min=0, max=60_000), "count": Int(min=0, max=100)})
def faults(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """Arm a fault for the next ``count`` requests under ``path`` (see ``emulator/faults.py``):
    ``status`` 500/503/429 (``code`` rate_limit or lock_timeout), ``mode=drop`` (run the
    request, then close the connection without answering), and/or ``latency_ms``.
    ``count=0`` disarms every fault of this platform."""
    _platform_only(ctx)
    if not params["path"].startswith("/v1/"):
        raise InvalidRequest("path must start with /v1/", param="path")
    count = params.get("count", 1)
    drop = params.get("mode") == "drop"
    if drop and "status" in params:
        raise InvalidRequest("mode=drop answers nothing, so it cannot have a status.",
                             param="status")
    if "code" in params and params.get("status") != "429":
        raise InvalidRequest("code applies to status=429 only.", param="code")
    latency = params.get("latency_ms", 0)
    if "status" in params:
        status: int | None = int(params["status"])
    elif drop or (latency and "mode" not in params):
        status = None  # a lost response, or only a slow one
    else:
        status = 500  # the default fault: Stripe's api_error
    body: dict[str, Any] = {"object": "emulator.faults", "path": params["path"], "count": count,
                            "status": status,
                            "mode": "drop" if drop else ("status" if status else "latency"),
                            "code": params.get("code", "rate_limit") if status == 429 else None,
                            "latency_ms": latency}
    if count == 0:
        ctx.emulator.faults.clear(ctx.platform)
        return body
    ctx.emulator.faults.add(ctx.platform, params["path"], status, count, drop=drop,
                            latency_ms=latency, code=params.get("code"))
    return body


@route("GET", "/_emulator/keys", params={})
def keys(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """The platform's API keys, as its Dashboard shows them: the publishable key in full (it
    is public), the secret key masked (the emulator keeps only its hash)."""
    _platform_only(ctx)
    return {"object": "emulator.keys", "platform": ctx.platform,
            "publishable_key": ctx.emulator.publishable_key(ctx.platform),
            "secret_key": ctx.masked_key}


# Namespaces that hold a platform's objects besides its own and its accounts' (OAuth accounts
# before the code exchange, and after deauthorization).
_SIDE_NAMESPACES = ("oauth_pending:", "deauthorized:")


@route("POST", "/_emulator/reset", params={})
def reset(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """Forget this platform's objects and money, and every secret or record tied to them:
    replays, hosted links and their sessions, OAuth codes, webhook secrets and pending
    deliveries, Stripe CLI sessions, armed faults (other platforms keep theirs; the
    platform keeps its account, settings and API keys)."""
    _platform_only(ctx)
    store, platform = ctx.store, ctx.platform
    side = [prefix + platform for prefix in _SIDE_NAMESPACES]
    marks = ",".join("?" * (1 + len(side)))
    accounts_ns = [row[0] for row in store.execute(
        f"SELECT id FROM objects WHERE ns IN ({marks}) AND type='account' AND id != ?",
        (platform, *side, platform))]
    for account_id in accounts_ns:  # bank numbers are kept by bank account, not object
        found = store.get(account_id)
        if found:
            for bank in (found[1].get("external_accounts") or {}).get("data", []):
                store.execute("DELETE FROM meta WHERE name=?", (f"bank_number:{bank['id']}",))
    namespaces = [platform, *side, *accounts_ns]
    marks = ",".join("?" * len(namespaces))
    doomed = f"SELECT id FROM objects WHERE ns IN ({marks}) AND id != ?"
    # Records kept beside an object, named "<kind>:<object id>" (webhook secrets, saved card
    # numbers, account details...), go with the object.
    store.execute(f"DELETE FROM meta WHERE substr(name, instr(name, ':') + 1) IN ({doomed})",
                  (*namespaces, platform))
    # Records found by their token (account/login links, onboarding and OAuth sessions,
    # OAuth codes) say which platform they belong to.
    store.drop_records(platform)
    store.execute(f"DELETE FROM objects WHERE ns IN ({marks}) AND id != ?",
                  (*namespaces, platform))
    store.execute(f"DELETE FROM ledger WHERE ns IN ({marks})", namespaces)
    store.execute("DELETE FROM idempotency WHERE substr(scope, 1, ?) = ?",
                  (len(platform) + 1, platform + "|"))
    store.execute("UPDATE platforms SET clock_offset=0 WHERE platform=?", (platform,))
    ctx.emulator.clock.forget()
    ctx.emulator.faults.clear(platform)
    ctx.emulator.requests.forget(platform)
    for hook in registry.reset_hooks:
        hook(ctx.emulator, platform)
    return {"object": "emulator.reset", "platform": platform}


@route("POST", "/_emulator/3ds/<id>", params={"client_secret": Str(required=True),
                                              "outcome": Enum(choices=("complete", "fail"))},
       publishable=True)
def three_d_secure(ctx: Context, params: dict[str, Any], id: str) -> dict[str, Any]:
    """The cardholder's answer to the 3DS challenge (the stand-in's modal posts here), for
    a PaymentIntent or a SetupIntent (``seti_``)."""
    success = params.get("outcome", "complete") == "complete"
    if id.startswith("seti_"):
        si = setup_intents.own(ctx, id, dict(params))
        with setup_intents.publicly(ctx):
            si = setup_intents.authenticate(ctx, si, success)
        return setup_intents.public_view(ctx, si)
    pi = payment_intents._own(ctx, id, dict(params))
    with payment_intents.publicly(ctx):
        pi = payment_intents.authenticate(ctx, pi, success)
    return payment_intents.public_view(ctx, pi)
