"""Declarative parameter schemas: coerce form strings and reject bad input as Stripe does.

Every rejection is a 400 that names the parameter the way Stripe writes it
(``transfer_data[destination]``), so a learner sees which field was wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .errors import InvalidRequest, missing_param, unknown_param

MAX_INT = 99999999999999  # Stripe caps integer amounts well below 2**63
# True while a JSON body (API v2) is validated: values arrive typed, so a string is only a
# string, an integer only a JSON integer, a boolean only true/false, and null unsets (where a
# form body writes "" for that). Forms and query strings carry only strings, which coerce.
_TYPED: ContextVar[bool] = ContextVar("connect_lab_typed_params", default=False)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {dict: "object", list: "array"}.get(type(value), "string")


_INTEGER = re.compile(r"-?[0-9]{1,20}")


def ascii_int(text: str) -> int | None:
    """``text`` as an integer if it is one written in ASCII digits (at most 20 of them).

    Python's ``int()`` also reads "１０００", "٣" and " 5", and ``str.isdigit()`` is true
    for "²", which ``int()`` then refuses: Stripe reads only ASCII digits, so do we."""
    return int(text) if _INTEGER.fullmatch(text) else None


def _name(prefix: str, key: str) -> str:
    return f"{prefix}[{key}]" if prefix else key


@dataclass
class Param:
    required: bool = False
    nullable: bool = False  # "" unsets the value (Stripe's convention)

    def coerce(self, value: Any, name: str) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _scalar(self, value: Any, name: str) -> str:
        if _TYPED.get() and not isinstance(value, str):
            raise InvalidRequest(
                f"Invalid {name}: expected a string but got a {_json_type(value)}",
                code="parameter_invalid_string", param=name)
        if isinstance(value, (dict, list)):
            kind = "object" if isinstance(value, dict) else "array"
            raise InvalidRequest(
                f"Invalid {name}: expected a string but got an {kind}",
                code="parameter_invalid_string",
                param=name,
            )
        return value


@dataclass
class Str(Param):
    max_length: int = 5000
    blank_ok: bool = False

    def coerce(self, value: Any, name: str) -> Any:
        value = self._scalar(value, name)
        if len(value) > self.max_length:
            raise InvalidRequest(
                f"Invalid {name}: must be at most {self.max_length} characters",
                code="parameter_invalid_string",
                param=name,
            )
        if not self.blank_ok and value.strip() == "" and value != "":
            raise InvalidRequest(
                f"Invalid {name}: must not be blank",
                code="parameter_invalid_string_blank",
                param=name,
            )
        return value


# Schemes that make a browser run code or read local data; never a place to send a customer.
SCRIPT_SCHEMES = frozenset({"javascript", "vbscript", "data", "file", "blob", "filesystem",
                            "about"})
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def _invalid_url(name: str) -> InvalidRequest:
    # Stripe's answer to a success_url/return_url that is not a URL: "Not a valid URL", code
    # url_invalid (one of Stripe's error codes: stripe-python 16 lists it in
    # PaymentIntent.LastPaymentError.code), naming the parameter. The docs list the code,
    # not the message; the message is the one the emulator's Account Links gave already.
    return InvalidRequest("Not a valid URL", code="url_invalid", param=name)


@dataclass
class Url(Str):
    """An absolute http(s) URL a hosted page sends the browser to (``success_url``,
    ``return_url``...). Anything else (``javascript:``, ``data:``, relative paths, leading
    blanks, control characters) is refused, because a hosted page would run it on the
    emulator's origin. ``app_schemes`` also lets a mobile app's own scheme through
    (``myapp://done``), which Stripe documents for PaymentIntent ``return_url``."""

    app_schemes: bool = False

    def coerce(self, value: Any, name: str) -> Any:
        value = super().coerce(value, name)
        if not value or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F
                            for ch in value):
            raise _invalid_url(name)
        scheme, sep, rest = value.partition(":")
        scheme = scheme.lower()
        if not sep or not _SCHEME.fullmatch(scheme) or scheme in SCRIPT_SCHEMES:
            raise _invalid_url(name)
        if scheme in ("http", "https"):
            parts = urlsplit(value)
            try:
                host = parts.hostname
            except ValueError:
                host = None
            if not rest.startswith("//") or not host or "\\" in value:
                raise _invalid_url(name)
        elif not self.app_schemes:
            raise _invalid_url(name)
        return value


def check_url(value: Any, name: str, *, app_schemes: bool = False) -> str:
    """The :class:`Url` rule for a value that did not come through a schema."""
    return Url(app_schemes=app_schemes).coerce(value, name)


@dataclass
class HexColor(Str):
    """A CSS hex colour, ``#rrggbb`` (Stripe: "A CSS hex color value",
    https://docs.stripe.com/api/accounts/update#update_account-settings-branding-primary_color).
    The docs do not give the error's wording for anything else; this one names the param."""

    def coerce(self, value: Any, name: str) -> Any:
        value = super().coerce(value, name)
        if not _HEX_COLOR.fullmatch(value):
            raise InvalidRequest(f"Invalid hex color: {name} must be a CSS hex color such as "
                                 "#635bff.", code="parameter_invalid", param=name)
        return value


@dataclass
class Int(Param):
    min: int | None = None
    max: int = MAX_INT

    def coerce(self, value: Any, name: str) -> Any:
        if _TYPED.get():
            if not isinstance(value, int) or isinstance(value, bool):
                raise InvalidRequest(f"Invalid integer: expected an integer but got a "
                                     f"{_json_type(value)}",
                                     code="parameter_invalid_integer", param=name)
            value = str(value)
        value = self._scalar(value, name) if not _TYPED.get() else value
        number = ascii_int(str(value).strip())
        if number is None:
            raise InvalidRequest(
                f"Invalid integer: {str(value)[:50]}", code="parameter_invalid_integer",
                param=name,
            )
        if number > self.max:
            raise InvalidRequest(
                f"This value must be less than or equal to {self.max}.",
                code="parameter_invalid_integer",
                param=name,
            )
        if self.min is not None and number < self.min:
            raise InvalidRequest(
                f"This value must be greater than or equal to {self.min}.",
                code="parameter_invalid_integer",
                param=name,
            )
        return number


@dataclass
class Bool(Param):
    def coerce(self, value: Any, name: str) -> Any:
        if _TYPED.get():
            if not isinstance(value, bool):
                raise InvalidRequest(f"Invalid boolean: expected true or false but got a "
                                     f"{_json_type(value)}", param=name)
            return value
        value = self._scalar(value, name)
        if value in ("true", "True", True):
            return True
        if value in ("false", "False", False):
            return False
        raise InvalidRequest(f"Invalid boolean: {value}", param=name)


@dataclass
class Enum(Param):
    choices: tuple[str, ...] = ()

    def coerce(self, value: Any, name: str) -> Any:
        value = self._scalar(value, name)
        if value not in self.choices:
            options = ", ".join(self.choices[:-1]) + f", or {self.choices[-1]}"
            if len(self.choices) == 1:
                options = self.choices[0]
            raise InvalidRequest(f"Invalid {name}: must be one of {options}", param=name)
        return value


@dataclass
class Obj(Param):
    fields: dict[str, Param] = field(default_factory=dict)

    def coerce(self, value: Any, name: str) -> Any:
        if not isinstance(value, dict):
            if value == "" and self.nullable:
                return None
            raise InvalidRequest("Invalid object", code="parameter_invalid", param=name)
        return validate_fields(self.fields, value, name)


@dataclass
class Metadata(Param):
    nullable: bool = True

    def coerce(self, value: Any, name: str) -> Any:
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise InvalidRequest("Invalid object", code="parameter_invalid", param=name)
        if len(value) > 50:
            raise InvalidRequest(
                "Invalid metadata: metadata can have at most 50 keys.", param=name
            )
        if _TYPED.get():  # API v2: a key set to null is removed, as "" is in a form
            value = {k: "" if v is None else v for k, v in value.items()}
        for key, val in value.items():
            sub = _name(name, key)
            if len(key) > 40:
                raise InvalidRequest(
                    "Invalid metadata: keys can be at most 40 characters", param=sub
                )
            if not isinstance(val, str):
                raise InvalidRequest("Invalid metadata value: must be a string", param=sub)
            if len(val) > 500:
                raise InvalidRequest(
                    "Invalid metadata: values can be at most 500 characters", param=sub
                )
        return dict(value)


@dataclass
class ListOf(Param):
    item: Param = field(default_factory=Str)
    max_items: int = 100

    def coerce(self, value: Any, name: str) -> Any:
        if value == "" and self.nullable:
            return []
        if isinstance(value, str) and not _TYPED.get():
            value = [value]
        if not isinstance(value, list):
            raise InvalidRequest("Invalid array", code="parameter_invalid", param=name)
        if len(value) > self.max_items:
            raise InvalidRequest(
                f"Invalid array: {name} can have at most {self.max_items} items", param=name
            )
        return [self.item.coerce(v, f"{name}[{i}]") for i, v in enumerate(value)]


@dataclass
class Custom(Param):
    """A parameter with its own coercion rule (e.g. a ``created`` range filter)."""

    fn: Callable[[Any, str], Any] = lambda v, n: v

    def coerce(self, value: Any, name: str) -> Any:
        return self.fn(value, name)


def validate_fields(fields: dict[str, Param], raw: dict[str, Any], prefix: str = "", *,
                    typed: bool | None = None) -> dict:
    """``raw`` checked against ``fields``; ``typed`` says the values came from a JSON body
    (API v2), so their JSON types must match (see :data:`_TYPED`)."""
    if typed is not None:
        token = _TYPED.set(typed)
        try:
            return validate_fields(fields, raw, prefix)
        finally:
            _TYPED.reset(token)
    out: dict[str, Any] = {}
    unknown = [_name(prefix, key) for key in raw if key not in fields]
    if unknown:
        raise unknown_param(*unknown)
    for key, spec in fields.items():
        name = _name(prefix, key)
        if key not in raw:
            if spec.required:
                raise missing_param(name)
            continue
        value = raw[key]
        if value is None and _TYPED.get():
            value = ""  # JSON null unsets, as "" does in a form body
        if value == "" and not isinstance(spec, (Metadata, Obj, ListOf)):
            if spec.nullable:
                out[key] = None
                continue
            if spec.required:
                raise missing_param(name)
            raise InvalidRequest(
                f"You passed an empty string for '{name}'. We assume empty values are an "
                f"attempt to unset a parameter; however '{name}' cannot be unset. You should "
                f"remove '{name}' from your request or supply a non-empty value.",
                code="parameter_invalid_empty",
                param=name,
            )
        out[key] = spec.coerce(value, name)
    return out


def exclusive(params: dict[str, Any], names: Iterable[str]) -> None:
    """Stripe's ``parameters_exclusive`` rule for mutually exclusive parameters."""
    given = [n for n in names if params.get(n) not in (None, [], {})]
    if len(given) > 1:
        raise InvalidRequest(
            f"You may only specify one of these parameters: {', '.join(given)}.",
            code="parameters_exclusive",
            param=given[1],
        )


LIST_PARAMS: dict[str, Param] = {
    "limit": Int(min=1, max=100),
    "starting_after": Str(),
    "ending_before": Str(),
}


def _range(value: Any, name: str) -> Any:
    if isinstance(value, dict):
        allowed = {"gt", "gte", "lt", "lte"}
        out = {}
        for op, v in value.items():
            if op not in allowed:
                raise unknown_param(f"{name}[{op}]")
            out[op] = Int().coerce(v, f"{name}[{op}]")
        return out
    return {"eq": Int().coerce(value, name)}


def Range() -> Custom:  # noqa: N802 - reads like the other schema types
    return Custom(fn=_range)


# API v2 lists (harness.emulator.listing.v2_page): ``page`` is the token of a page URL.
V2_LIST_PARAMS: dict[str, Param] = {
    "limit": Int(min=1, max=100),
    "page": Str(max_length=64),
}
