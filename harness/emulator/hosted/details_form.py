"""The personal-details form shared by hosted onboarding and Express OAuth: its test-mode
values, how a submitted form is read, and how it is checked (as the hosted form checks it).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from ..params import ascii_int

# Stripe's test-mode values that pass verification (https://docs.stripe.com/connect/testing).
TEST_VALUES = {
    "phone": "0000000000", "dob_day": "1", "dob_month": "1", "dob_year": "1901",
    "line1": "address_full_match", "city": "San Francisco", "state": "CA",
    "postal_code": "94111", "ssn_last_4": "0000", "url": "https://connect-lab.test/homeowner",
    "routing_number": "110000000", "account_number": "000123456789",
    "email": "", "first_name": "", "last_name": "",
}
FIELDS = tuple(TEST_VALUES)


def form_values(prefill: dict[str, str] | None = None) -> dict[str, Any]:
    values: dict[str, Any] = dict(TEST_VALUES)
    values.update({k: v for k, v in (prefill or {}).items() if k in TEST_VALUES and v})
    values["tos"] = False
    return values


def read_form(params: dict[str, Any]) -> dict[str, Any]:
    """The form's fields from the decoded body (a field that is not a string is empty)."""
    values = {k: (v if isinstance(v := params.get(k), str) else "").strip() for k in FIELDS}
    values["tos"] = params.get("tos") == "accepted"
    return values


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def validate(values: dict[str, Any], remote_ip: str, user_agent: str) -> tuple[dict, list[str]]:
    """What the person typed, checked the way the hosted form checks it."""
    errors = []
    if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", values["email"]):
        errors.append("Enter a valid email address.")
    if len(_digits(values["phone"])) != 10:
        errors.append("Enter a 10-digit US mobile number.")
    for key, label in (("first_name", "first name"), ("last_name", "last name"),
                       ("line1", "address"), ("city", "city"), ("state", "state")):
        if not values[key]:
            errors.append(f"Enter your {label}.")
    try:
        dob = {k: ascii_int(values[f"dob_{k}"].strip()) for k in ("day", "month", "year")}
        if None in dob.values():  # "١٩٩٠" or 20 digits are no date a person types
            raise ValueError
        datetime.date(dob["year"], dob["month"], dob["day"])
        if dob["year"] < 1900:
            raise ValueError
    except (ValueError, OverflowError):
        dob = {}
        errors.append("Enter a valid date of birth.")
    if not re.fullmatch(r"\d{5}", values["postal_code"]):
        errors.append("Enter a 5-digit ZIP code.")
    if not re.fullmatch(r"\d{4}", values["ssn_last_4"]):
        errors.append("Enter the last 4 digits of your SSN.")
    if not re.match(r"^https?://\S+\.\S+", values["url"]):
        errors.append("Enter a website or profile URL starting with http:// or https://.")
    if not re.fullmatch(r"\d{9}", values["routing_number"]):
        errors.append("Enter a 9-digit routing number.")
    if not re.fullmatch(r"\d{4,17}", values["account_number"]):
        errors.append("Enter a bank account number (4 to 17 digits).")
    if not values["tos"]:
        errors.append("Accept the Stripe Connected Account Agreement to continue.")
    supplied = {
        "individual": {
            "email": values["email"], "phone": _digits(values["phone"]),
            "first_name": values["first_name"], "last_name": values["last_name"], "dob": dob,
            "address": {"line1": values["line1"], "city": values["city"],
                        "state": values["state"].upper(), "postal_code": values["postal_code"]},
            "ssn_last_4": values["ssn_last_4"]},
        "business_profile": {"url": values["url"]},
        "bank": {"routing_number": values["routing_number"],
                 "account_number": values["account_number"]},
        "tos_acceptance": {"ip": remote_ip, "user_agent": user_agent[:500] or None},
    }
    return supplied, errors
