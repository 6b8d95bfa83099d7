"""The money ledger: every movement is one balance-transaction row on one account.

Balances are never stored; they are sums over these rows, split into ``available`` and
``pending`` by comparing ``available_on`` with the emulator's clock. The ledger knows
amounts, accounts and time, not which resource caused a movement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    ns TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount INTEGER NOT NULL,
    fee INTEGER NOT NULL,
    net INTEGER NOT NULL,
    fee_details TEXT NOT NULL,
    type TEXT NOT NULL,
    reporting_category TEXT NOT NULL,
    source TEXT,
    source_type TEXT NOT NULL,
    description TEXT,
    created INTEGER NOT NULL,
    available_on INTEGER NOT NULL,
    exchange_rate TEXT
);
CREATE INDEX IF NOT EXISTS ledger_ns ON ledger (ns, seq);
CREATE INDEX IF NOT EXISTS ledger_source ON ledger (source);
"""


@dataclass(frozen=True)
class Entry:
    id: str
    ns: str
    currency: str
    amount: int
    fee: int
    net: int
    fee_details: list[dict[str, Any]]
    type: str
    reporting_category: str
    source: str | None
    source_type: str
    description: str | None
    created: int
    available_on: int
    # Set when the money was converted into ``currency`` (a decimal string, see fx.py).
    exchange_rate: str | None = None


class Ledger:
    def __init__(self, store: Store) -> None:
        self.store = store
        store.conn.executescript(SCHEMA)
        columns = {r[1] for r in store.conn.execute("PRAGMA table_info(ledger)").fetchall()}
        if "exchange_rate" not in columns:  # a database written before conversions existed
            store.conn.execute("ALTER TABLE ledger ADD COLUMN exchange_rate TEXT")

    def post(
        self,
        *,
        id: str,
        ns: str,
        currency: str,
        amount: int,
        type: str,
        reporting_category: str,
        created: int,
        available_on: int,
        source: str | None = None,
        fee_details: list[dict[str, Any]] | None = None,
        source_type: str = "card",
        description: str | None = None,
        exchange_rate: str | None = None,
    ) -> Entry:
        """Write one movement. ``net`` is always ``amount - fee``: it is not a choice."""
        details = list(fee_details or [])
        fee = sum(int(d["amount"]) for d in details)
        entry = Entry(
            id=id,
            ns=ns,
            currency=currency,
            amount=amount,
            fee=fee,
            net=amount - fee,
            fee_details=details,
            type=type,
            reporting_category=reporting_category,
            source=source,
            source_type=source_type,
            description=description,
            created=created,
            available_on=available_on,
            exchange_rate=exchange_rate,
        )
        self.store.execute(
            "INSERT INTO ledger (id, ns, currency, amount, fee, net, fee_details, type,"
            " reporting_category, source, source_type, description, created, available_on,"
            " exchange_rate) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                entry.id, ns, currency, amount, fee, entry.net, json.dumps(details), type,
                reporting_category, source, source_type, description, created, available_on,
                exchange_rate,
            ),
        )
        return entry

    @staticmethod
    def _entry(row: Any) -> Entry:
        data = dict(row)
        data.pop("seq", None)
        data["fee_details"] = json.loads(data["fee_details"])
        return Entry(**data)

    def get(self, entry_id: str) -> Entry | None:
        row = self.store.execute("SELECT * FROM ledger WHERE id=?", (entry_id,)).fetchone()
        return None if row is None else self._entry(row)

    def seq_of(self, entry_id: str) -> int | None:
        row = self.store.execute("SELECT seq FROM ledger WHERE id=?", (entry_id,)).fetchone()
        return None if row is None else row["seq"]

    def entries(
        self,
        ns: str,
        *,
        limit: int = 10,
        before_seq: int | None = None,
        after_seq: int | None = None,
        filters: dict[str, Any] | None = None,
        created: dict[str, int] | None = None,
    ) -> list[Entry]:
        """Newest first, like every Stripe list; ``after_seq`` pages backwards."""
        sql = ["SELECT * FROM ledger WHERE ns=?"]
        args: list[Any] = [ns]
        for column, value in (filters or {}).items():
            if column not in {"type", "source", "currency", "reporting_category"}:
                raise ValueError(column)
            sql.append(f"AND {column}=?")
            args.append(value)
        ops = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "="}
        for op, value in (created or {}).items():
            sql.append(f"AND created {ops[op]} ?")
            args.append(value)
        if before_seq is not None:
            sql.append("AND seq < ?")
            args.append(before_seq)
        if after_seq is not None:
            sql.append("AND seq > ? ORDER BY seq ASC LIMIT ?")
            args.append(after_seq)
            args.append(limit)
            rows = self.store.execute(" ".join(sql), args).fetchall()
            return [self._entry(r) for r in reversed(rows)]
        sql.append("ORDER BY seq DESC LIMIT ?")
        args.append(limit)
        return [self._entry(r) for r in self.store.execute(" ".join(sql), args).fetchall()]

    def for_source(self, source: str) -> list[Entry]:
        rows = self.store.execute(
            "SELECT * FROM ledger WHERE source=? ORDER BY seq", (source,)
        ).fetchall()
        return [self._entry(r) for r in rows]

    def balances(self, ns: str, now: int) -> dict[str, dict[str, dict[str, int]]]:
        """``{"available"|"pending": {currency: {source_type: net}}}`` derived at ``now``."""
        rows = self.store.execute(
            "SELECT currency, source_type, available_on <= ? AS ready, SUM(net) AS total"
            " FROM ledger WHERE ns=? GROUP BY currency, source_type, ready",
            (now, ns),
        ).fetchall()
        out: dict[str, dict[str, dict[str, int]]] = {"available": {}, "pending": {}}
        for row in rows:
            bucket = out["available" if row["ready"] else "pending"]
            bucket.setdefault(row["currency"], {})[row["source_type"]] = row["total"]
        return out

    def available(self, ns: str, currency: str, now: int) -> int:
        row = self.store.execute(
            "SELECT COALESCE(SUM(net), 0) FROM ledger WHERE ns=? AND currency=?"
            " AND available_on <= ?",
            (ns, currency, now),
        ).fetchone()
        return int(row[0])

    def totals(self, namespaces: list[str] | None = None) -> dict[str, int]:
        """Sums of amount, fee and net per (type) over some or all accounts: for audits."""
        sql = "SELECT type, SUM(amount) a, SUM(fee) f, SUM(net) n FROM ledger"
        args: list[Any] = []
        if namespaces is not None:
            sql += f" WHERE ns IN ({','.join('?' * len(namespaces))})"
            args = list(namespaces)
        sql += " GROUP BY type"
        out: dict[str, int] = {}
        for row in self.store.execute(sql, args).fetchall():
            out[row["type"]] = {"amount": row["a"], "fee": row["f"], "net": row["n"]}
        return out
