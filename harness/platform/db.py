"""The platform's own SQLite database: homeowners, listings, bookings, webhook events.

Stripe holds the money; the platform holds who is who and what was booked. Every handler
opens one connection and commits one transaction.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.security import generate_password_hash

SCHEMA = """
CREATE TABLE IF NOT EXISTS homeowners (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    stripe_account_id TEXT,           -- acct_..., saved once onboarding starts; never replaced
    passcode_hash TEXT                -- how the homeowner signs in (werkzeug hash); NULL: can't
);
CREATE TABLE IF NOT EXISTS listings (
    id TEXT PRIMARY KEY,
    homeowner_id TEXT NOT NULL REFERENCES homeowners(id),
    title TEXT NOT NULL,
    city TEXT NOT NULL,
    nightly_price INTEGER NOT NULL,   -- cents; the server's price is the only price
    currency TEXT NOT NULL DEFAULT 'usd'
);
CREATE TABLE IF NOT EXISTS bookings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    listing_id TEXT NOT NULL REFERENCES listings(id),
    renter_email TEXT,
    nights INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    application_fee INTEGER NOT NULL,
    currency TEXT NOT NULL,
    payment_intent TEXT UNIQUE,
    checkout_session TEXT UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending',   -- pending | paid | refunded | disputed
    paid_at INTEGER,
    connected INTEGER NOT NULL DEFAULT 0      -- renter and homeowner introduced
);
CREATE TABLE IF NOT EXISTS webhook_events (
    id TEXT PRIMARY KEY,             -- evt_...: each event is handled at most once
    type TEXT NOT NULL,
    account TEXT,
    object_id TEXT,
    decision TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_states (
    state TEXT PRIMARY KEY,          -- CSRF token for the OAuth redirect
    homeowner_id TEXT NOT NULL,
    session_hash TEXT,               -- sha256 of the browser session that started the signup
    created INTEGER NOT NULL
);
"""
# Columns added after the first release: a --db file made before them gains them on open.
LATER_COLUMNS = (("homeowners", "passcode_hash", "TEXT"), ("oauth_states", "session_hash", "TEXT"))


class Database:
    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.executescript(SCHEMA)
        for table, column, kind in LATER_COLUMNS:
            have = {r["name"] for r in self._conn.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")

    def query(self, sql: str, args: Iterable[Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._conn.execute(sql, tuple(args)).fetchall()]

    def one(self, sql: str, args: Iterable[Any] = ()) -> dict[str, Any] | None:
        rows = self.query(sql, args)
        return rows[0] if rows else None

    def seed(
        self, homeowners: Iterable[dict[str, Any]], listings: Iterable[dict[str, Any]]
    ) -> None:
        """Load the sample marketplace (idempotent). A homeowner with a ``passcode`` can sign
        in with it; it is stored only as a salted hash."""
        owners = list(homeowners)
        with self.transaction() as conn:
            for h in owners:
                conn.execute(
                    "INSERT OR IGNORE INTO homeowners (id, name, email) VALUES (?,?,?)",
                    (h["id"], h["name"], h["email"]),
                )
            for item in listings:
                conn.execute(
                    "INSERT OR IGNORE INTO listings (id, homeowner_id, title, city,"
                    " nightly_price, currency) VALUES (?,?,?,?,?,?)",
                    (item["id"], item["homeowner_id"], item["title"], item["city"],
                     int(item["nightly_price"]), item.get("currency", "usd")),
                )
        for h in owners:
            if h.get("passcode"):
                self.set_passcode(h["id"], h["passcode"])

    def set_passcode(self, homeowner_id: str, passcode: str) -> None:
        """Let a homeowner sign in with ``passcode`` (kept as a salted scrypt hash only)."""
        hashed = generate_password_hash(passcode)
        with self.transaction() as conn:
            conn.execute("UPDATE homeowners SET passcode_hash=? WHERE id=?",
                         (hashed, homeowner_id))
