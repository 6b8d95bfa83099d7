"""Account Links v2 (``/v2/core/account_links``): a single-use URL into hosted onboarding.

https://docs.stripe.com/api/v2/core/account-links. The link opens the same hosted onboarding
page as a v1 Account Link (``hosted/onboarding_pages.py``, records of ``account_links.py``):
finishing it supplies the account's requirements, which turns its v1 capabilities active and
with them the v2 capability statuses (``core_accounts``). ``use_case.type`` names the flow;
its options hash (``account_onboarding`` or ``account_update``) must match it and carries
``refresh_url``, ``return_url`` and ``collection_options``.

``configurations`` (which of the account's configurations to collect for): the API
reference's use case hashes have it, stripe-python 16's ``AccountLinkCreateParams`` does not
declare it (its ``use_case`` docstring still speaks of "which Account configurations to
collect information for"). It is accepted, checked against the account, and defaults to all
of the account's configurations; the link object does not show it, as the SDK declares no
such field on ``AccountLink.UseCase.*``.
"""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..errors import InvalidRequest, PermissionDenied, missing_param
from ..params import Enum, ListOf, Obj, Str, Url
from ..registry import route
from ..shapes import build, iso_time
from .account_links import LINK_TTL, public_base, save_record
from .core_accounts import CONFIGURATIONS, find

USE_CASES = ("account_onboarding", "account_update")


def _flow() -> Obj:
    return Obj(fields={
        "configurations": ListOf(item=Enum(choices=CONFIGURATIONS),
                                 max_items=len(CONFIGURATIONS)),
        "refresh_url": Url(required=True),
        "return_url": Url(),
        "collection_options": Obj(fields={
            "fields": Enum(choices=("currently_due", "eventually_due")),
            "future_requirements": Enum(choices=("include", "omit")),
        }),
    })


CREATE = {
    "account": Str(required=True, max_length=100),
    "use_case": Obj(required=True, fields={
        "type": Enum(required=True, choices=USE_CASES),
        "account_onboarding": _flow(),
        "account_update": _flow(),
    }),
}


@route("POST", "/v2/core/account_links", params=CREATE)
def create(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if ctx.is_connected:
        raise PermissionDenied("Only the platform can create Account Links for its accounts; "
                               "remove the Stripe-Account header.")
    account, state = find(ctx, params["account"], param="account")
    if state.get("closed"):
        raise InvalidRequest("This account is closed.", param="account")
    use_case = params["use_case"]
    kind = use_case["type"]
    flow = use_case.get(kind)
    if flow is None:
        raise missing_param(f"use_case[{kind}]")
    other = next((k for k in USE_CASES if k != kind and k in use_case), None)
    if other is not None:
        raise InvalidRequest(f"use_case[{other}] cannot be used with use_case[type]={kind}.",
                             param=f"use_case[{other}]")
    missing = [c for c in flow.get("configurations") or () if c not in state["configuration"]]
    if missing:
        raise InvalidRequest(
            f"The account has no {missing[0]} configuration to collect information for.",
            param=f"use_case[{kind}][configurations]")
    token = ctx.secret(24)
    now = ctx.now()
    save_record(ctx.emulator, "account_link", token, {
        "platform": ctx.platform, "account": account["id"], "type": kind,
        "refresh_url": flow["refresh_url"], "return_url": flow.get("return_url"),
        "created": now, "expires_at": now + LINK_TTL, "used": False})
    options = flow.get("collection_options")
    shown = {"collection_options": ({"fields": options.get("fields"),
                                     "future_requirements": options.get("future_requirements")}
                                    if options is not None else None),
             "refresh_url": flow["refresh_url"], "return_url": flow.get("return_url")}
    return build(
        "v2.core.AccountLink", object="v2.core.account_link", account=account["id"],
        created=iso_time(now), expires_at=iso_time(now + LINK_TTL), livemode=False,
        url=f"{public_base(ctx)}/setup/c/{account['id']}/{token}",
        use_case={"type": kind, "account_onboarding": None, "account_update": None,
                  kind: shown})

