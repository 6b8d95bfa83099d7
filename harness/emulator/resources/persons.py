"""Person: the people behind a company account (its representative, owners, directors,
executives). https://docs.stripe.com/api/persons

Persons live under their account (``/v1/accounts/{id}/persons``) and answer to whoever may
read that account. Each change recomputes the account's requirements, so a company's
``currently_due`` clears as its representative and owners supply their details; the
Person carries its own ``requirements`` too. Like Stripe, the emulator never returns an
ID number or the last 4 of an SSN, only that they were provided.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ..context import Context
from ..errors import InvalidRequest, NotFound
from ..listing import store_page
from ..params import LIST_PARAMS, Bool, Custom, Enum, Int, ListOf, Metadata, Obj, Str
from ..registry import loader, route
from ..shapes import build, merge_metadata
from . import accounts
from .events import changes
from .products import not_modelled

ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")
ADDRESS = Obj(fields={k: Str() for k in ADDRESS_KEYS})
ROLES = ("authorizer", "director", "executive", "legal_guardian", "owner", "representative")


def _percent(value: Any, name: str) -> float | None:
    """``relationship[percent_ownership]``: a number from 0 to 100, or "" to unset."""
    if value == "":
        return None
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,3}(\.[0-9]{1,6})?", value):
        number = float(value)
        if number <= 100:
            return number
    raise InvalidRequest("Invalid relationship[percent_ownership]: must be a number between "
                         "0 and 100.", param=name)


def _ssn_last_4(value: Any, name: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}", value):
        raise InvalidRequest("The last 4 digits of an SSN must be 4 digits.", param=name)
    return value


def _id_number(value: Any, name: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9A-Za-z-]{1,30}", value):
        raise InvalidRequest("Invalid id_number.", param=name)
    return value


DOCUMENT = Obj(fields={"front": Str(), "back": Str()})
WRITABLE = {
    "address": ADDRESS, "registered_address": ADDRESS,
    "dob": Obj(fields={"day": Int(min=1, max=31, required=True),
                       "month": Int(min=1, max=12, required=True),
                       "year": Int(min=1900, max=9999, required=True)}, nullable=True),
    "email": Str(), "first_name": Str(max_length=100), "last_name": Str(max_length=100),
    "maiden_name": Str(), "phone": Str(), "gender": Str(), "nationality": Str(),
    "full_name_aliases": ListOf(item=Str(), max_items=10, nullable=True),
    "political_exposure": Enum(choices=("existing", "none")),
    "id_number": Custom(fn=_id_number), "id_number_secondary": Custom(fn=_id_number),
    "ssn_last_4": Custom(fn=_ssn_last_4), "metadata": Metadata(),
    "relationship": Obj(fields={**{role: Bool() for role in ROLES},
                                "percent_ownership": Custom(fn=_percent),
                                "title": Str(max_length=100)}),
    "verification": Obj(fields={"document": DOCUMENT, "additional_document": DOCUMENT}),
    # person_token, documents, us_cfpb_data, additional_tos_acceptances, the kana/kanji
    # names: not modelled (the core's 400 for what stripe-python declares and this lacks)
}


def _blank_address() -> dict[str, Any]:
    return dict.fromkeys(ADDRESS_KEYS)


def _document() -> dict[str, Any]:
    return {"back": None, "details": None, "details_code": None, "front": None}


def _apply(person: dict[str, Any], params: dict[str, Any]) -> None:
    for key, value in params.items():
        if key in ("address", "registered_address"):
            person[key] = {**(person.get(key) or _blank_address()), **value}
        elif key == "dob":
            person[key] = value or {"day": None, "month": None, "year": None}
        elif key == "relationship":
            person[key].update(value)
        elif key == "metadata":
            person[key] = merge_metadata(person["metadata"], value)
        elif key in ("ssn_last_4", "id_number", "id_number_secondary"):
            person[f"{key}_provided"] = True
        elif key == "verification":
            for doc, sides in value.items():
                person[key][doc].update(sides)
        elif key == "full_name_aliases":
            person[key] = value or []
        else:
            person[key] = value


def _recompute(person: dict[str, Any]) -> None:
    """The Person's own requirements; test-mode details count as verified once given."""
    due = accounts.person_due(person)
    person["requirements"] = accounts._person_requirements(due)
    person["verification"]["status"] = "unverified" if due else "verified"


def new_person(ctx: Context, account: dict[str, Any], params: dict[str, Any]) -> dict:
    person = build(
        "Person", id=ctx.new_id("person", 24), object="person", account=account["id"],
        address=_blank_address(), created=ctx.now(),
        dob={"day": None, "month": None, "year": None}, email=None, first_name=None,
        full_name_aliases=[], future_requirements=accounts._person_requirements([]),
        id_number_provided=False, id_number_secondary_provided=False, last_name=None,
        metadata={}, phone=None, relationship={
            "authorizer": False, "director": False, "executive": False,
            "legal_guardian": False, "owner": False, "percent_ownership": None,
            "representative": False, "title": None},
        requirements=accounts._person_requirements([]), ssn_last_4_provided=False,
        verification={"additional_document": _document(), "details": None,
                      "details_code": None, "document": _document(),
                      "status": "unverified"},
    )
    _apply(person, params)
    _recompute(person)
    ctx.insert(person, ns=account["id"], parent=account["id"])
    _one_representative(ctx, account, person)
    ctx.emit("person.created", person, account=account["id"])
    return person


def _one_representative(ctx: Context, account: dict[str, Any], person: dict[str, Any]) -> None:
    """"There can only be one representative at any given time"
    (https://docs.stripe.com/api/persons/object#person_object-relationship-representative):
    naming a new one takes the role from the old one."""
    if not person["relationship"]["representative"]:
        return
    for other in accounts.persons_of(ctx, account["id"]):
        if other["id"] != person["id"] and other["relationship"]["representative"]:
            before = copy.deepcopy(other)
            other["relationship"]["representative"] = False
            ctx.save(other)
            ctx.emit("person.updated", other, changes(before, other), account=account["id"])


def _account(ctx: Context, account_id: str) -> dict[str, Any]:
    account = accounts._connected(ctx, account_id)
    if account["id"] == ctx.platform:
        raise not_modelled("account", "persons of the platform's own account")
    return account


def _person(ctx: Context, account: dict[str, Any], person_id: str) -> dict[str, Any]:
    found = ctx.find(person_id, "person")
    if found is None or found[1]["account"] != account["id"]:
        raise NotFound("person", person_id, param="person")
    return found[1]


def _announce_account(ctx: Context, account: dict[str, Any], before: dict[str, Any]) -> None:
    accounts.save_and_announce(ctx, before, accounts.refresh(ctx, account))


@route("POST", "/v1/accounts/<account>/persons", params=WRITABLE)
def create(ctx: Context, params: dict[str, Any], account: str) -> dict[str, Any]:
    acct = _account(ctx, account)
    before = copy.deepcopy(acct)
    person = new_person(ctx, acct, params)
    _announce_account(ctx, acct, before)
    return _person(ctx, acct, person["id"])


@route("GET", "/v1/accounts/<account>/persons/<person>", params={})
def retrieve(ctx: Context, params: dict[str, Any], account: str, person: str) -> dict:
    return _person(ctx, _account(ctx, account), person)


@route("POST", "/v1/accounts/<account>/persons/<person>", params=WRITABLE)
def update(ctx: Context, params: dict[str, Any], account: str, person: str) -> dict:
    acct = _account(ctx, account)
    found = _person(ctx, acct, person)
    before, account_before = copy.deepcopy(found), copy.deepcopy(acct)
    _apply(found, params)
    _recompute(found)
    ctx.save(found)
    _one_representative(ctx, acct, found)
    _announce_account(ctx, acct, account_before)
    found = _person(ctx, acct, person)  # with the requirements the account just computed
    previous = changes(before, found)
    if previous:
        ctx.emit("person.updated", found, previous, account=acct["id"])
    return found


@route("DELETE", "/v1/accounts/<account>/persons/<person>", params={})
def delete(ctx: Context, params: dict[str, Any], account: str, person: str) -> dict:
    acct = _account(ctx, account)
    found = _person(ctx, acct, person)
    before = copy.deepcopy(acct)
    ctx.store.delete(found["id"])
    ctx.emit("person.deleted", found, account=acct["id"])
    _announce_account(ctx, acct, before)
    return {"id": found["id"], "object": "person", "deleted": True}


@route("GET", "/v1/accounts/<account>/persons", params={
    **LIST_PARAMS, "relationship": Obj(fields={role: Bool() for role in ROLES})})
def list_(ctx: Context, params: dict[str, Any], account: str) -> dict[str, Any]:
    acct = _account(ctx, account)
    where = {f"relationship.{k}": v for k, v in (params.get("relationship") or {}).items()}
    return store_page(ctx, params, f"/v1/accounts/{account}/persons", type="person",
                      parent=acct["id"], where=where or None)


@loader("person")
def load(ctx: Context, object_id: str) -> dict[str, Any] | None:
    found = ctx.find(object_id, "person")
    return found[1] if found and ctx.visible(found[0]) else None


# -- the onboarding completion control and hosted onboarding -----------------------------
TEST_PERSON = {"phone": "0000000000", "ssn_last_4": "0000"}


def complete_for_company(ctx: Context, account: dict[str, Any],
                         representative: dict[str, Any]) -> None:
    """A company finishing onboarding: a representative if it has none (``representative``:
    the hosted form's or the test values), and each person's missing fields filled with
    Stripe's test values (address ``address_full_match``, date of birth 1901-01-01)."""
    persons = accounts.persons_of(ctx, account["id"])
    values = {k: v for k, v in representative.items() if k != "ssn_last_4"}
    if not any(p["relationship"]["representative"] for p in persons):
        new_person(ctx, account, {**values, "ssn_last_4": representative.get("ssn_last_4",
                                                                          "0000"),
                                  "relationship": {"representative": True, "executive": True,
                                                   "title": "Owner"}})
    for person in accounts.persons_of(ctx, account["id"]):
        missing = accounts.person_due(person)
        if not missing:
            continue
        before = copy.deepcopy(person)
        fill: dict[str, Any] = {}
        for path in missing:
            if path == "ssn_last_4":
                fill["ssn_last_4"] = "0000"
            elif path == "relationship.title":
                fill.setdefault("relationship", {})["title"] = "Owner"
            elif path.startswith(("address.", "dob.")):
                group, key = path.split(".")
                fill.setdefault(group, {})[key] = values[group][key]
            elif path == "email":
                fill["email"] = f"{person['id']}@example.com"
            else:
                fill[path] = values.get(path) or TEST_PERSON.get(path) or "Test"
        _apply(person, fill)
        _recompute(person)
        ctx.save(person)
        ctx.emit("person.updated", person, changes(before, person), account=account["id"])
