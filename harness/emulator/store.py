"""SQLite storage for every emulated object, keyed by (namespace, id).

The namespace is the Stripe account that owns an object, so platforms and their
connected accounts are isolated for free. One SQLite transaction per API request:
either all of a request's writes land or none do (a route marked ``own_transactions``, a
long job such as a clock advance, commits in steps of its own instead).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    ns TEXT NOT NULL,
    type TEXT NOT NULL,
    parent TEXT,
    created INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_ns_type ON objects (ns, type, seq);
CREATE INDEX IF NOT EXISTS objects_parent ON objects (parent, type, seq);
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,             -- what the token opens (a link, a session, a code...)
    token TEXT NOT NULL,            -- the secret in the URL or form that finds it
    platform TEXT NOT NULL,         -- whose it is (a reset of that platform forgets it)
    data TEXT NOT NULL,             -- JSON object
    created INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,  -- single-use records: set once, by one request
    PRIMARY KEY (kind, token)
);
CREATE INDEX IF NOT EXISTS records_platform ON records (platform, kind);
CREATE TABLE IF NOT EXISTS platforms (
    platform TEXT PRIMARY KEY,
    api_version TEXT,               -- the account's default API version
    clock_offset INTEGER NOT NULL DEFAULT 0  -- seconds its clock was advanced
);
"""
# PRAGMA user_version once records (1) and per-platform settings (2) left the meta table
SCHEMA_VERSION = 2
_PLATFORM_COLUMNS = ("api_version", "clock_offset")


class Store:
    """A thread-safe SQLite store. ``path=':memory:'`` by default, a file when asked."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        if path != ":memory:":
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
        self.lock = threading.RLock()
        self._depth = 0
        self._waiting = 0  # threads queued for ``lock`` (a hint for ``let_others_in``)
        self._waiting_lock = threading.Lock()
        self.rollback_hooks: list[Callable[[], None]] = []  # caches of what was rolled back
        self.conn.executescript(SCHEMA)
        self._migrate()

    # -- transactions ---------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Serialise writers and make the block atomic; nested use joins the outer one."""
        with self._locked():
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException as exc:
                if getattr(exc, "commit", False):
                    self.conn.execute("COMMIT")
                else:
                    self.conn.execute("ROLLBACK")
                    for hook in self.rollback_hooks:  # still under the lock, before anyone takes it
                        hook()
                raise
            else:
                self.conn.execute("COMMIT")
            finally:
                self._depth = 0

    def _acquire(self) -> None:
        """Take ``lock``, counting the threads that had to queue for it."""
        if self.lock.acquire(blocking=False):
            return
        with self._waiting_lock:
            self._waiting += 1
        self.lock.acquire()
        with self._waiting_lock:
            self._waiting -= 1

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self._acquire()
        try:
            yield
        finally:
            self.lock.release()

    def exclusive(self) -> Any:
        """Hold the writers' lock across several transactions (a request and the steps that
        follow its commit), so that no other request sees the state between them."""
        return self._locked()

    def let_others_in(self, at_most: float = 0.05) -> None:
        """Between two transactions of a long job (a clock advance over years): let every
        thread that queued for the lock meanwhile have it first. Python's lock is not fair;
        without this the job's thread takes it back before a woken waiter runs."""
        deadline = time.monotonic() + at_most
        time.sleep(0)
        while self._waiting and time.monotonic() < deadline:
            time.sleep(0.0002)

    def execute(self, sql: str, args: tuple | list = ()) -> sqlite3.Cursor:
        self._acquire()
        try:
            return self.conn.execute(sql, args)
        finally:
            self.lock.release()

    # -- objects ----------------------------------------------------------------------
    def insert(self, ns: str, obj: dict[str, Any], parent: str | None = None) -> dict[str, Any]:
        self.execute(
            "INSERT INTO objects (id, ns, type, parent, created, data) VALUES (?,?,?,?,?,?)",
            (obj["id"], ns, obj["object"], parent, obj.get("created") or 0, json.dumps(obj)),
        )
        return obj

    def save(self, obj: dict[str, Any]) -> dict[str, Any]:
        cur = self.execute("UPDATE objects SET data=? WHERE id=?", (json.dumps(obj), obj["id"]))
        if cur.rowcount != 1:
            raise KeyError(obj["id"])
        return obj

    def delete(self, object_id: str) -> None:
        self.execute("DELETE FROM objects WHERE id=?", (object_id,))

    def get(self, object_id: str) -> tuple[str, dict[str, Any]] | None:
        row = self.execute("SELECT ns, data FROM objects WHERE id=?", (object_id,)).fetchone()
        if row is None:
            return None
        return row["ns"], json.loads(row["data"])

    def seq_of(self, object_id: str, *, type: str | None = None, ns: str | None = None,
               parent: str | None = None) -> int | None:
        """An object's position, for list cursors; None unless it is of ``type`` in ``ns``
        (under ``parent``) when those are given, so a cursor cannot point into another
        namespace or list."""
        row = self.execute("SELECT seq, type, ns, parent FROM objects WHERE id=?",
                           (object_id,)).fetchone()
        if row is None or any(want is not None and row[col] != want
                              for col, want in (("type", type), ("ns", ns),
                                                ("parent", parent))):
            return None
        return row["seq"]

    def query(
        self,
        *,
        type: str,
        ns: str | None = None,
        parent: str | None = None,
        where: dict[str, Any] | None = None,
        created: dict[str, int] | None = None,
        before_seq: int | None = None,
        after_seq: int | None = None,
        limit: int = 10,
        ascending: bool = False,
        top_level: bool = False,
    ) -> list[dict[str, Any]]:
        """Newest first (Stripe's list order) unless ``ascending``; filters on JSON fields
        (a tuple value matches any of its items). ``top_level`` keeps objects that belong to
        no parent only."""
        sql = ["SELECT data FROM objects WHERE type=?"]
        args: list[Any] = [type]
        if ns is not None:
            sql.append("AND ns=?")
            args.append(ns)
        if parent is not None:
            sql.append("AND parent=?")
            args.append(parent)
        if top_level:
            sql.append("AND parent IS NULL")
        for field, value in (where or {}).items():
            if isinstance(value, tuple):
                marks = ",".join("?" * len(value)) or "NULL"
                sql.append(f"AND json_extract(data, '$.{field}') IN ({marks})")
                args.extend(value)
                continue
            sql.append(f"AND json_extract(data, '$.{field}') IS ?")
            args.append(value)
        ops = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "="}
        for op, value in (created or {}).items():
            sql.append(f"AND created {ops[op]} ?")
            args.append(value)
        if before_seq is not None:
            sql.append("AND seq < ?")
            args.append(before_seq)
        if after_seq is not None:
            sql.append("AND seq > ?")
            args.append(after_seq)
        sql.append("ORDER BY seq " + ("ASC" if ascending else "DESC") + " LIMIT ?")
        args.append(limit)
        rows = self.execute(" ".join(sql), args).fetchall()
        return [json.loads(r["data"]) for r in rows]

    def count(self) -> int:
        return self.execute("SELECT COUNT(*) FROM objects").fetchone()[0]

    # -- meta ---------------------------------------------------------------------------
    def get_meta(self, name: str, default: str | None = None) -> str | None:
        row = self.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
        return default if row is None else row["value"]

    def set_meta(self, name: str, value: str) -> None:
        self.execute(
            "INSERT INTO meta (name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value=excluded.value",
            (name, value),
        )

    # -- records: private state found by a secret token --------------------------------------
    def put_record(self, kind: str, token: str, record: dict[str, Any]) -> None:
        """Save a record; it must name its ``platform`` and ``created`` time, and may carry
        ``used`` (kept in its own column, see :meth:`use_record`)."""
        data = dict(record)
        used = bool(data.pop("used", False))
        self.execute(
            "INSERT OR REPLACE INTO records (kind, token, platform, data, created, used)"
            " VALUES (?,?,?,?,?,?)",
            (kind, token, data["platform"], json.dumps(data), data["created"], int(used)))

    def get_record(self, kind: str, token: str) -> dict[str, Any] | None:
        row = self.execute("SELECT data, used FROM records WHERE kind=? AND token=?",
                           (kind, token)).fetchone()
        return None if row is None else {**json.loads(row["data"]), "used": bool(row["used"])}

    def use_record(self, kind: str, token: str) -> bool:
        """Mark a single-use record used; True for exactly one caller however many race.

        Checking and setting the flag is one SQL statement in the caller's transaction, so
        two parallel requests cannot both see it unset (reading first and saving after can)."""
        cur = self.execute("UPDATE records SET used=1 WHERE kind=? AND token=? AND used=0",
                           (kind, token))
        return cur.rowcount == 1

    def take_record(self, kind: str, token: str) -> dict[str, Any] | None:
        """Delete a record and return it, or None if another request took it first."""
        row = self.execute("DELETE FROM records WHERE kind=? AND token=? RETURNING data, used",
                           (kind, token)).fetchone()
        return None if row is None else {**json.loads(row[0]), "used": bool(row[1])}

    def records_of(self, kind: str, platform: str | None = None,
                   due_by: int | None = None) -> list[tuple[str, str]]:
        """(token, platform) of every record of ``kind`` (of ``platform`` when given, and
        ``created`` no later than ``due_by`` when given), oldest first: work left to finish
        after a crash, or falling due as the clock moves."""
        sql, args = "SELECT token, platform FROM records WHERE kind=?", [kind]
        if platform is not None:
            sql, args = sql + " AND platform=?", [*args, platform]
        if due_by is not None:
            sql, args = sql + " AND created<=?", [*args, due_by]
        return [(r[0], r[1]) for r in self.execute(sql + " ORDER BY created, rowid", args)]

    def drop_record(self, kind: str, token: str) -> None:
        self.execute("DELETE FROM records WHERE kind=? AND token=?", (kind, token))

    def prune_records(self, kind: str, platform: str, *, older_than: int, keep: int) -> None:
        """Forget ``platform``'s records of ``kind`` created before ``older_than``, and all
        but its newest ``keep``: what anyone may open without a key stays bounded."""
        self.execute("DELETE FROM records WHERE kind=? AND platform=? AND (created < ? OR "
                     "token NOT IN (SELECT token FROM records WHERE kind=? AND platform=? "
                     "ORDER BY created DESC, rowid DESC LIMIT ?))",
                     (kind, platform, older_than, kind, platform, keep))

    def drop_records(self, platform: str) -> None:
        """Forget every record of ``platform`` (its reset)."""
        self.execute("DELETE FROM records WHERE platform=?", (platform,))

    # -- per-platform settings ------------------------------------------------------------------
    def platform_value(self, platform: str, column: str) -> Any:
        """A platform's ``api_version`` or ``clock_offset`` (None when never set)."""
        if column not in _PLATFORM_COLUMNS:
            raise KeyError(column)
        row = self.execute(f"SELECT {column} FROM platforms WHERE platform=?",
                           (platform,)).fetchone()
        return None if row is None else row[0]

    def set_platform_value(self, platform: str, column: str, value: Any) -> None:
        if column not in _PLATFORM_COLUMNS:
            raise KeyError(column)
        self.execute(f"INSERT INTO platforms (platform, {column}) VALUES (?, ?) "
                     f"ON CONFLICT(platform) DO UPDATE SET {column}=excluded.{column}",
                     (platform, value))

    def _migrate(self) -> None:
        """Databases written before these tables kept their rows in ``meta``: each record as
        ``<kind>:<token>`` with a JSON object naming its platform and creation time, and a
        ``visited``/``used`` flag; a platform's ``version:<id>`` and ``clock_offset:<id>``.
        Move them once (``PRAGMA user_version`` says it is done)."""
        if self.conn.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
            return
        with self.transaction():
            for prefix, column, cast in (("version:", "api_version", str),
                                         ("clock_offset:", "clock_offset", int)):
                rows = self.conn.execute("SELECT name, value FROM meta WHERE name >= ? AND "
                                         "name < ?", (prefix, prefix[:-1] + ";")).fetchall()
                for row in rows:
                    self.set_platform_value(row["name"][len(prefix):], column,
                                            cast(row["value"]))
                    self.conn.execute("DELETE FROM meta WHERE name=?", (row["name"],))
            rows = self.conn.execute(
                "SELECT name, value FROM meta WHERE instr(name, ':') > 0 AND json_valid(value)"
                " AND json_type(value) = 'object' AND json_type(value, '$.platform') = 'text'"
                " AND json_type(value, '$.created') = 'integer'").fetchall()
            for row in rows:
                kind, token = row["name"].split(":", 1)
                data = json.loads(row["value"])
                data["used"] = bool(data.pop("used", False) or data.pop("visited", False))
                self.put_record(kind, token, data)
                self.conn.execute("DELETE FROM meta WHERE name=?", (row["name"],))
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def reset(self) -> None:
        """Forget everything, in every table (the ledger's too)."""
        with self.lock:
            names = [
                r[0]
                for r in self.conn.execute(
                    "SELECT name FROM sqlite_master WHERE type='table'"
                    " AND name NOT LIKE 'sqlite_%'"
                )
            ]
            for name in names:
                self.conn.execute(f"DELETE FROM {name}")

    def close(self) -> None:
        with self.lock:
            self.conn.close()
