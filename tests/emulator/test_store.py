"""The store's records and platforms tables: single-use records found by a token, each
platform's API version and clock offset, and the migration of a database file from before
they existed (all were ``meta`` rows)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from harness.emulator import Emulator
from harness.emulator.store import Store


def test_a_record_is_used_once_and_taken_once() -> None:
    store = Store()
    store.put_record("link", "tok", {"platform": "acct_1", "created": 5, "x": 1})
    assert store.get_record("link", "tok") == {"platform": "acct_1", "created": 5, "x": 1,
                                               "used": False}
    assert store.use_record("link", "tok") is True
    assert store.use_record("link", "tok") is False
    assert store.get_record("link", "tok")["used"] is True
    assert store.take_record("link", "tok") is not None
    assert store.take_record("link", "tok") is None
    store.close()


def test_reset_of_a_platform_forgets_only_its_records() -> None:
    store = Store()
    store.put_record("link", "a", {"platform": "acct_1", "created": 1})
    store.put_record("link", "b", {"platform": "acct_2", "created": 1})
    store.drop_records("acct_1")
    assert store.get_record("link", "a") is None
    assert store.get_record("link", "b") is not None
    store.close()


def test_an_old_db_file_with_records_in_meta_still_opens(tmp_path: Path) -> None:
    """Rows ``<kind>:<token>`` holding a JSON record move to the records table on open,
    their ``visited``/``used`` flag with them; other meta rows stay."""
    db = tmp_path / "old.db"
    Emulator(db=str(db)).close()
    conn = sqlite3.connect(db)
    with conn:  # what an older emulator wrote
        conn.execute("PRAGMA user_version = 0")
        rows = [("account_link:t1", {"platform": "acct_p", "account": "acct_c", "created": 10,
                                     "expires_at": 310, "visited": True}),
                ("oauth_code:ac_1", {"platform": "acct_p", "account": "acct_c", "created": 10,
                                     "used": False, "scope": "express"}),
                ("account_details:acct_c", {"individual": {"first_name": "Ada"}})]
        for name, value in rows:
            conn.execute("INSERT INTO meta (name, value) VALUES (?, ?)",
                         (name, json.dumps(value)))
        conn.execute("DELETE FROM platforms")
        conn.executemany("INSERT INTO meta (name, value) VALUES (?, ?)",
                         [("version:acct_p", "2024-06-20"), ("clock_offset:acct_p", "86400")])
    conn.close()
    emulator = Emulator(db=str(db))
    store = emulator.store
    assert store.get_record("account_link", "t1")["used"] is True
    code = store.get_record("oauth_code", "ac_1")
    assert code["used"] is False and code["scope"] == "express"
    assert store.get_meta("account_link:t1") is None
    assert store.get_meta("account_details:acct_c") is not None
    assert emulator.platform_version("acct_p") == "2024-06-20"
    assert emulator.clock.offset("acct_p") == 86400
    assert store.get_meta("version:acct_p") is None
    emulator.close()
