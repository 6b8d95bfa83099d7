"""What both ways of paying (Elements and Checkout) check before taking money: the stay
asked for, and a listing whose homeowner can receive it. The price is the server's."""

from __future__ import annotations

import re
from typing import Any

from flask import abort, current_app, request

MAX_NIGHTS = 30
_NIGHTS = re.compile(r"[0-9]{1,3}")


def nights_from_request() -> int:
    """``?nights=`` as a whole number from 1 to MAX_NIGHTS (default 1), or a 400."""
    raw = request.args.get("nights", "1").strip()
    if not _NIGHTS.fullmatch(raw) or not 1 <= int(raw) <= MAX_NIGHTS:
        abort(400, description=f"nights must be a whole number from 1 to {MAX_NIGHTS}.")
    return int(raw)


def bookable(listing_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The listing and its homeowner, or a 404 / 403 saying why it cannot be booked."""
    db = current_app.config["DB"]
    listing = db.one("SELECT * FROM listings WHERE id = ?", (listing_id,))
    if listing is None:
        abort(404, description=f"There is no listing {listing_id!r}.")
    owner = db.one("SELECT * FROM homeowners WHERE id = ?", (listing["homeowner_id"],))
    if owner is None or not owner["stripe_account_id"]:
        abort(403, description="This listing cannot take bookings yet: its homeowner has not "
                               "connected a Stripe account.")
    return listing, owner
