"""Grow the emulator's store fast, with realistic data, straight through its own Store API.

Templates ("bundles") are everything one real API flow wrote: the objects, ledger rows,
idempotency records and meta rows that appeared while the benchmark ran, say, one
destination charge through the SDK. The filler copies bundles with fresh IDs (references
inside a bundle stay consistent: a copied PaymentIntent's ``latest_charge`` is the copied
charge) into the measured platform, its connected account, and several other platforms
with their own connected accounts, so the measured platform's tables and everybody
else's grow together. Writes go through ``emulator.store.insert`` (objects),
``emulator.ledger.post`` (balance transactions), ``emulator.app.remember`` (idempotency)
and ``store.set_meta``, inside ``store.transaction()``, on the emulator's own SQLite
connection (in-memory).
"""

from __future__ import annotations

import json
import random
import re
import string
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

ALPHABET = string.ascii_letters + string.digits
ID_TABLE = bytes(ord(ALPHABET[i % len(ALPHABET)]) for i in range(256))  # bytes -> base62-ish
CHUNK = 2000  # bundles per transaction


class Template:
    """A text cut at the IDs it contains, so a copy is a join, not a regex search."""

    __slots__ = ("parts",)

    def __init__(self, pattern: re.Pattern[str], text: str) -> None:
        self.parts = pattern.split(text)  # literal, token, literal, ..., literal

    def render(self, mapping: dict[str, str]) -> str:
        parts = self.parts[:]
        for i in range(1, len(parts), 2):
            parts[i] = mapping[parts[i]]
        return "".join(parts)


@dataclass
class Bundle:
    name: str
    weight: int
    objects: list[tuple[str, Template | None, Template]] = field(default_factory=list)
    ledger: list[tuple[dict[str, Any], dict[str, Template]]] = field(default_factory=list)
    idempotency: list[tuple[dict[str, Any], Template, Template]] = field(default_factory=list)
    meta: list[tuple[Template, Template]] = field(default_factory=list)
    local_ids: list[str] = field(default_factory=list)


@dataclass
class Home:
    """Where a copied bundle lands: a platform, its key, app id, and a connected account."""

    platform: str
    key: str
    app_id: str
    accounts: list[str]
    aliases: dict[str, str] = field(default_factory=dict)  # shared objects: its own copies


def _marker(store: Any) -> tuple[int, int, int, int]:
    one = lambda sql: store.execute(sql).fetchone()[0] or 0  # noqa: E731
    return (
        one("SELECT MAX(seq) FROM objects"),
        one("SELECT MAX(seq) FROM ledger"),
        one("SELECT MAX(rowid) FROM idempotency"),
        one("SELECT MAX(rowid) FROM meta"),
    )


def app_id(store: Any, platform: str) -> str:
    return store.get_meta(f"client_id:{platform}") or f"ca_{platform[5:]}"


class Filler:
    def __init__(self, target: Any, measured_account: str, shared: tuple[str, ...] = (),
                 seed: int = 20261126) -> None:
        """``shared``: IDs of objects that bundles refer to but did not create (a saved
        customer and its PaymentMethod); each other platform gets its own copies."""
        self.target = target
        self.emulator = target.emulator
        self.store = self.emulator.store
        self.rng = random.Random(seed)
        platform = target.platform()
        self.measured = Home(platform, target.secret_key, app_id(self.store, platform),
                             [measured_account])
        self.bundles: list[Bundle] = []
        self.others: list[Home] = []
        self.shared = [i for i in shared if i]
        self.template_tokens = [platform, measured_account, self.measured.app_id,
                                target.secret_key, *self.shared]

    # -- templates ----------------------------------------------------------------------
    def capture(self, name: str, weight: int, flow: Any) -> Bundle:
        """Run ``flow()`` once through the SDK and keep everything it wrote as a template."""
        store = self.store
        objects, ledger, idem, meta = _marker(store)
        flow()
        object_rows = store.execute(
            "SELECT id, ns, parent, data FROM objects WHERE seq > ? ORDER BY seq", (objects,)
        ).fetchall()
        ledger_rows = [dict(r) for r in store.execute(
            "SELECT * FROM ledger WHERE seq > ? ORDER BY seq", (ledger,)).fetchall()]
        idem_rows = [dict(r) for r in store.execute(
            "SELECT scope, status, body, created FROM idempotency WHERE rowid > ?"
            " ORDER BY rowid", (idem,)).fetchall()]
        meta_rows = store.execute(
            "SELECT name, value FROM meta WHERE rowid > ? ORDER BY rowid", (meta,)
        ).fetchall()
        bundle = Bundle(name, weight)
        bundle.local_ids = [r["id"] for r in object_rows] + [r["id"] for r in ledger_rows]
        local = set(bundle.local_ids)
        tokens = sorted(local | set(self.template_tokens), key=len, reverse=True)
        pattern = re.compile("(" + "|".join(re.escape(t) for t in tokens) + ")")

        def cut(text: str) -> Template:
            return Template(pattern, text)

        for r in object_rows:
            bundle.objects.append((r["ns"], cut(r["parent"]) if r["parent"] else None,
                                   cut(r["data"])))
        for r in ledger_rows:
            texts = {k: cut(r[k]) for k in ("id", "ns", "source", "fee_details", "description")
                     if r[k] is not None}
            bundle.ledger.append((r, texts))
        for r in idem_rows:
            bundle.idempotency.append((r, cut(r["scope"]), cut(r["body"])))
        for r in meta_rows:
            if any(token in r["name"] for token in local):
                bundle.meta.append((cut(r["name"]), cut(r["value"])))
        self.bundles.append(bundle)
        return bundle

    # -- homes ------------------------------------------------------------------------------
    def _new_id(self, old: str) -> str:
        """Same prefix and length as ``old``, fresh random characters."""
        prefix, _, rest = old.partition("_")
        return f"{prefix}_{self.rng.randbytes(len(rest)).translate(ID_TABLE).decode()}"

    def _clone(self, object_id: str, replace: dict[str, str], ns: str) -> str:
        """Insert a copy of a stored object (new ID, references replaced) into ``ns``."""
        store = self.store
        found = store.get(object_id)
        assert found is not None, object_id
        new_id = self._new_id(object_id)
        text = json.dumps(found[1])
        for old, new in {**replace, object_id: new_id}.items():
            text = text.replace(old, new)
        store.insert(ns, json.loads(text))
        for prefix in ("account_details:", "pm_card:"):
            value = store.get_meta(prefix + object_id)
            if value is not None:
                store.set_meta(prefix + new_id, value)
        return new_id

    def add_other_platforms(self, count: int, accounts_each: int) -> int:
        """Real platforms (each its own sk_test_ key) with their own connected accounts (copies
        of the measured one) and their own copies of the shared objects."""
        store = self.store
        written = 0
        for i in range(count):
            suffix = f"connectlab_bench_other_{i:02d}"
            before = store.count()
            platform = self.emulator.create_platform(f"sk_test_{suffix}")
            home = Home(platform, f"sk_test_{suffix}", app_id(store, platform), [])
            replace = {self.measured.platform: platform, self.measured.app_id: home.app_id}
            with store.transaction():
                for _ in range(accounts_each):
                    # a connected account is stored in its platform's namespace
                    home.accounts.append(self._clone(self.measured.accounts[0], replace,
                                                     platform))
                for object_id in self.shared:
                    home.aliases[object_id] = self._clone(
                        object_id, {**replace, **home.aliases}, platform)
            written += store.count() - before
            self.others.append(home)
        return written

    # -- copying -------------------------------------------------------------------------------
    def _copy(self, bundle: Bundle, home: Home) -> int:
        store, ledger, app = self.store, self.emulator.ledger, self.emulator.app
        mapping = {old: self._new_id(old) for old in bundle.local_ids}
        mapping[self.measured.platform] = home.platform
        mapping[self.measured.accounts[0]] = self.rng.choice(home.accounts)
        mapping[self.measured.app_id] = home.app_id
        mapping[self.target.secret_key] = home.key
        for object_id in self.shared:
            mapping[object_id] = home.aliases.get(object_id, object_id)
        for ns, parent, data in bundle.objects:
            store.insert(mapping.get(ns, ns), json.loads(data.render(mapping)),
                         parent=parent.render(mapping) if parent else None)
        for row, texts in bundle.ledger:
            ledger.post(
                id=texts["id"].render(mapping), ns=texts["ns"].render(mapping),
                currency=row["currency"], amount=row["amount"], type=row["type"],
                reporting_category=row["reporting_category"], created=row["created"],
                available_on=row["available_on"],
                source=texts["source"].render(mapping) if "source" in texts else None,
                fee_details=json.loads(texts["fee_details"].render(mapping)),
                source_type=row["source_type"],
                description=(texts["description"].render(mapping)
                             if "description" in texts else None),
            )
        for row, scope, body in bundle.idempotency:
            app.remember(scope.render(mapping), str(uuid.UUID(int=self.rng.getrandbits(128))),
                         f"{self.rng.getrandbits(256):064x}", row["status"],
                         json.loads(body.render(mapping)), row["created"])
        for name, value in bundle.meta:
            store.set_meta(name.render(mapping), value.render(mapping))
        return len(bundle.objects)

    def fill_to(self, total_objects: int, measured_share: float = 0.4) -> dict[str, Any]:
        """Copy bundles until the objects table holds ``total_objects`` rows (the last copy
        may overshoot by one: a bundle is never split)."""
        store = self.store
        started = time.perf_counter()
        count = store.count()
        first = count
        counts = {t: self._table_count(t) for t in ("ledger", "idempotency", "meta")}
        smallest = min(self.bundles, key=lambda b: len(b.objects))
        weights = [b.weight for b in self.bundles]
        homes = {"measured platform": 0, "other platforms": 0}
        while count < total_objects:
            with store.transaction():
                for _ in range(CHUNK):
                    if count >= total_objects:
                        break
                    bundle = self.rng.choices(self.bundles, weights)[0]
                    if count + len(bundle.objects) > total_objects:
                        bundle = smallest
                    if self.others and self.rng.random() >= measured_share:
                        home, label = self.rng.choice(self.others), "other platforms"
                    else:
                        home, label = self.measured, "measured platform"
                    written = self._copy(bundle, home)
                    count += written
                    homes[label] += written
        elapsed = time.perf_counter() - started
        return {
            "objects_total": store.count(),
            "objects_inserted": count - first,
            "objects_by_home": homes,
            "ledger_rows_inserted": self._table_count("ledger") - counts["ledger"],
            "idempotency_rows_inserted": self._table_count("idempotency")
            - counts["idempotency"],
            "meta_rows_inserted": self._table_count("meta") - counts["meta"],
            "seconds": elapsed,
            "objects_per_second": (count - first) / elapsed if elapsed else None,
            "measured_platform_payment_intents": store.execute(
                "SELECT COUNT(*) FROM objects WHERE ns=? AND type='payment_intent'",
                (self.measured.platform,),
            ).fetchone()[0],
        }

    def _table_count(self, table: str) -> int:
        return self.store.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
