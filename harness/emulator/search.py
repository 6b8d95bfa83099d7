"""Stripe's search query language, the subset the emulator understands, and the
``search_result`` page every ``/v1/<resource>/search`` route answers with.

https://docs.stripe.com/search#search-query-language: a query is clauses ``field``
``operator`` ``value``, joined by spaces or ``AND``, or by ``OR`` (case insensitive; the
two may not be mixed), each negatable with a leading ``-``. ``:`` is an exact match,
``~`` a substring match (at least 3 characters), and numeric fields take ``>``, ``<``,
``=``, ``>=``, ``<=``. ``metadata["key"]`` reaches a metadata value, and the bare value
``null`` matches a field that has none. String values are quoted with ``'`` or ``"``.

What this module refuses with a 400 naming ``query``: parentheses, fields the resource does
not list, an operator a field's type does not take, and more than 10 clauses. A resource
names its query fields and their types; the core never names a resource.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import InvalidRequest
from .params import LIST_PARAMS, Str

if TYPE_CHECKING:
    from .context import Context

# The field types of the docs' query-field tables: ``string`` takes ``:`` and ``~``,
# ``token`` and ``boolean`` only ``:``, ``numeric`` also the comparators.
STRING, TOKEN, BOOLEAN, NUMERIC = "string", "token", "boolean", "numeric"
MAX_CLAUSES = 10
SCAN_LIMIT = 10000  # objects one search looks at (the emulator's bound, not Stripe's)

SEARCH_PARAMS = {"query": Str(required=True), "limit": LIST_PARAMS["limit"], "page": Str()}

_FIELD = re.compile(r"metadata\[(?P<mq>['\"])(?P<key>(?:\\.|(?!(?P=mq)).)*)(?P=mq)\]"
                    r"|(?P<name>[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)")
_OPERATOR = re.compile(r">=|<=|:|~|>|<|=")
_QUOTED = re.compile(r"(?P<q>['\"])(?P<text>(?:\\.|(?!(?P=q)).)*)(?P=q)")
_BARE = re.compile(r"[^\s'\"()]+")


@dataclass
class Clause:
    negated: bool
    field: str  # "name", "metadata" with ``key`` set, or a dotted path
    key: str | None
    operator: str
    value: str | None  # None: the bare value ``null``
    quoted: bool


def _bad(message: str) -> InvalidRequest:
    return InvalidRequest(message, code="parameter_invalid", param="query")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def parse(query: str, fields: dict[str, str]) -> tuple[list[Clause], str]:
    """The clauses of ``query`` and how they combine (``"and"`` or ``"or"``)."""
    clauses: list[Clause] = []
    joins: set[str] = set()
    pos, n = 0, len(query)
    while True:
        while pos < n and query[pos].isspace():
            pos += 1
        if pos >= n:
            break
        if clauses:
            word = re.match(r"(?i)(and|or)(?=\s)", query[pos:])
            if word:
                joins.add(word.group(1).lower())
                pos += len(word.group(1))
                while pos < n and query[pos].isspace():
                    pos += 1
            else:
                joins.add("and")  # a space alone joins with AND
        if query.startswith("(", pos) or query.startswith(")", pos):
            raise _bad("The emulator's search does not support parentheses (Stripe's search "
                       "query language has no grouping either).")
        negated = query.startswith("-", pos)
        if negated:
            pos += 1
        field = _FIELD.match(query, pos)
        if field is None:
            raise _bad(f"Invalid search query: expected a field at position {pos}: "
                       f"{query[pos:pos + 40]!r}.")
        pos = field.end()
        name = "metadata" if field.group("key") is not None else field.group("name")
        key = _unescape(field.group("key")) if field.group("key") is not None else None
        operator = _OPERATOR.match(query, pos)
        if operator is None:
            raise _bad(f"Invalid search query: expected an operator (:, ~, >, <, =, >=, <=) "
                       f"after `{query[field.start():pos]}`.")
        pos = operator.end()
        quoted = _QUOTED.match(query, pos)
        if quoted is not None:
            value: str | None = _unescape(quoted.group("text"))
            pos = quoted.end()
        else:
            bare = _BARE.match(query, pos)
            if bare is None:
                raise _bad(f"Invalid search query: expected a value after "
                           f"`{query[field.start():pos]}`.")
            value = None if bare.group(0) == "null" else bare.group(0)
            pos = bare.end()
        clause = Clause(negated, name, key, operator.group(0), value, quoted is not None)
        _check(clause, fields)
        clauses.append(clause)
    if not clauses:
        raise _bad("Invalid search query: the query is empty.")
    if len(joins) > 1:
        raise _bad("Invalid search query: AND and OR cannot be combined in one query.")
    if len(clauses) > MAX_CLAUSES:
        raise _bad(f"Invalid search query: at most {MAX_CLAUSES} clauses are allowed.")
    return clauses, joins.pop() if joins else "and"


def _check(clause: Clause, fields: dict[str, str]) -> None:
    label = f'metadata["{clause.key}"]' if clause.key is not None else clause.field
    kind = STRING if clause.key is not None else fields.get(clause.field)
    if clause.key is not None and "metadata" not in fields:
        kind = None
    if kind is None:
        supported = ", ".join(sorted(f for f in fields if f != "metadata"))
        raise _bad(f"Field `{label}` is not supported by the emulator's search for this "
                   f"resource. Supported fields: {supported}, metadata[\"key\"].")
    if clause.operator == "~":
        if kind != STRING:
            raise _bad(f"Field `{label}` does not support substring matching (~).")
        if clause.value is None or len(clause.value) < 3:
            raise _bad("Substring matching (~) needs a value of at least 3 characters.")
    elif clause.operator != ":" and kind != NUMERIC:
        raise _bad(f"Field `{label}` supports only exact matching (:)"
                   + (" and substring matching (~)." if kind == STRING else "."))
    if kind == NUMERIC and clause.value is not None and not re.fullmatch(r"-?[0-9]{1,15}",
                                                                         clause.value):
        raise _bad(f"Field `{label}` takes a number, not {clause.value!r}.")
    if kind == BOOLEAN and clause.value not in ("true", "false"):
        raise _bad(f"Field `{label}` takes 'true' or 'false'.")
    if kind in (STRING, TOKEN) and clause.value is not None and not clause.quoted:
        raise _bad(f"The value for `{label}` must be in quotes, e.g. {label}:\"value\".")


def _lookup(obj: dict[str, Any], clause: Clause) -> Any:
    if clause.key is not None:
        return (obj.get("metadata") or {}).get(clause.key)
    node: Any = obj
    for part in clause.field.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict) and "id" in node:  # an expanded reference matches by its ID
        node = node["id"]
    return node


def _holds(obj: dict[str, Any], clause: Clause, fields: dict[str, str]) -> bool:
    actual = _lookup(obj, clause)
    kind = STRING if clause.key is not None else fields[clause.field]
    if clause.value is None:
        result = actual is None
    elif actual is None:
        result = False
    elif kind == NUMERIC:
        number, want = int(actual), int(clause.value)
        result = {":": number == want, "=": number == want, ">": number > want,
                  "<": number < want, ">=": number >= want, "<=": number <= want
                  }[clause.operator]
    elif kind == BOOLEAN:
        result = bool(actual) == (clause.value == "true")
    elif clause.operator == "~":
        result = clause.value.casefold() in str(actual).casefold()
    elif kind == STRING:
        # The docs do not say whether ``:`` on text is case sensitive; the emulator
        # matches text fields case-insensitively and tokens (IDs, enums) exactly.
        result = str(actual).casefold() == clause.value.casefold()
    else:
        result = str(actual) == clause.value
    return result != clause.negated


def _token(offset: int, query: str) -> str:
    digest = hashlib.sha256(query.encode()).hexdigest()[:8]
    return base64.urlsafe_b64encode(f"{offset}:{digest}".encode()).decode().rstrip("=")


def _offset(page: str, query: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(page + "=" * (-len(page) % 4)).decode()
        offset, digest = raw.split(":", 1)
        # a negative offset was never handed out (it would read from the end)
        if int(offset) >= 0 and _token(int(offset), query) == page:
            return int(offset)
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidRequest("Invalid page: it must be the next_page of an earlier search with "
                         "the same query.", code="parameter_invalid", param="page")


def search_page(
    ctx: Context,
    params: dict[str, Any],
    url: str,
    *,
    type: str,
    fields: dict[str, str],
    top_level: bool = False,
) -> dict[str, Any]:
    """A ``search_result`` over the acting account's objects of ``type`` (``top_level``:
    only those that belong to no parent object), newest first.

    ``next_page`` is null on the last page, as in the API reference's example answers; the
    SDK reads ``url`` from the page to ask for the next one."""
    clauses, join = parse(params["query"], fields)
    offset = _offset(params["page"], params["query"]) if params.get("page") else 0
    limit = params.get("limit", 10)
    combine = all if join == "and" else any
    found = [o for o in ctx.store.query(type=type, ns=ctx.account, limit=SCAN_LIMIT,
                                        top_level=top_level)
             if combine(_holds(o, c, fields) for c in clauses)]
    data = found[offset:offset + limit]
    has_more = len(found) > offset + limit
    return {"object": "search_result", "data": data, "has_more": has_more,
            "next_page": _token(offset + limit, params["query"]) if has_more else None,
            "url": url}
