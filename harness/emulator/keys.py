"""API keys: which platform a key belongs to, kept hashed at rest.

Each distinct secret key (``sk_test_…``/``rk_test_…``) is its own platform, created the
first time the key is used. The platform's publishable key is drawn at random from
``secrets`` when the platform is made (even in seeded runs), so nothing a page shows — a
Checkout page embeds the publishable key — says anything about the secret key.

At rest, a key is only its SHA-256 (a lookup by hash stays O(1); a shared workshop
database holds every learner's key, and a copy of the file must not let anyone act as
them). The publishable key is public by design, so its clear text is kept as well, for
``GET /_emulator/keys``; a secret key's never is.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from .clock import ALPHABET

if TYPE_CHECKING:
    from .store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    hash TEXT PRIMARY KEY,          -- sha256 hex of the whole key
    platform TEXT NOT NULL,
    kind TEXT NOT NULL,             -- secret | publishable
    publishable TEXT                -- the key itself, for publishable keys only (public)
);
CREATE INDEX IF NOT EXISTS api_keys_platform ON api_keys (platform, kind);
"""
SECRET_PREFIXES = ("sk_test_", "rk_test_")
PUBLISHABLE_PREFIX = "pk_test_"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_publishable_key() -> str:
    """``pk_test_`` + 99 random characters (Stripe's test keys are this long)."""
    return PUBLISHABLE_PREFIX + "".join(ALPHABET[b % 62] for b in secrets.token_bytes(99))


def lookup(store: Store, key: str) -> tuple[str, str] | None:
    """(platform, kind) for a key that was issued or used, else None."""
    row = store.execute("SELECT platform, kind FROM api_keys WHERE hash=?",
                        (digest(key),)).fetchone()
    return None if row is None else (row["platform"], row["kind"])


def register(store: Store, platform: str, secret_key: str) -> str:
    """Record a new platform's secret key (hashed) and issue its publishable key."""
    publishable = new_publishable_key()
    store.execute("INSERT INTO api_keys (hash, platform, kind, publishable) VALUES (?,?,?,NULL)",
                  (digest(secret_key), platform, "secret"))
    store.execute("INSERT INTO api_keys (hash, platform, kind, publishable) VALUES (?,?,?,?)",
                  (digest(publishable), platform, "publishable", publishable))
    return publishable


def publishable_key(store: Store, platform: str) -> str:
    """The platform's publishable key ("" for an account that is not a platform)."""
    row = store.execute("SELECT publishable FROM api_keys WHERE platform=? AND kind=?",
                        (platform, "publishable")).fetchone()
    return row["publishable"] if row else ""


# Old scopes began with the key itself: sk_/rk_/pk_ ("`" is the character after "_").
_KEYED_SCOPE = " OR ".join(f"(scope >= '{p}k_' AND scope < '{p}k`')" for p in "prs")


def migrate(store: Store) -> None:
    """Databases written before keys were hashed kept ``meta`` rows ``key:<suffix>`` (the
    secret key in clear) and idempotency scopes that began with the key: hash the first,
    drop the second (a day's replays at most), and scrub the freed pages."""
    # range conditions, so that both look-ups use the primary keys (this runs at every start)
    rows = store.execute("SELECT name, value FROM meta WHERE name >= 'key:' AND name < 'key;'"
                         ).fetchall()
    old_scopes = store.execute(f"SELECT COUNT(*) FROM idempotency WHERE {_KEYED_SCOPE}"
                               ).fetchone()[0]
    if not rows and not old_scopes:
        return
    with store.transaction():
        for row in rows:
            suffix = row["name"][len("key:"):]
            if lookup(store, "sk_test_" + suffix) is None:
                register(store, row["value"], "sk_test_" + suffix)
            store.execute("INSERT OR IGNORE INTO api_keys (hash, platform, kind) VALUES (?,?,?)",
                          (digest("rk_test_" + suffix), row["value"], "secret"))
            store.execute("DELETE FROM meta WHERE name=?", (row["name"],))
        store.execute(f"DELETE FROM idempotency WHERE {_KEYED_SCOPE}")
    if store.path != ":memory:":
        store.execute("VACUUM")  # the deleted rows' bytes must not stay in free pages


# -- OAuth: keys that act as one connected account --------------------------------------------
# An OAuth access token is a secret key of the platform's bound to the account it was
# granted for (kind ``access:<account>``); the account's publishable key is
# ``publishable:<account>``. A revoked token stays known (``revoked:<account>``), so it is
# refused rather than taken for a new platform's key. A token granted ``scope=read_only``
# is kind ``access_read_only:<account>``: "read-only access to the connected account"
# (https://docs.stripe.com/connect/oauth-reference), so it may only read.
ACCESS, READ_ONLY, REVOKED = "access", "access_read_only", "revoked"


def split(kind: str) -> tuple[str, str | None]:
    """(key type, the account a key is bound to): ``("secret", "acct_…")`` for an access
    token, ``("publishable", None)`` for a platform's publishable key, and so on."""
    base, _, account = kind.partition(":")
    return ("secret" if base in (ACCESS, READ_ONLY) else base), (account or None)


def read_only(kind: str) -> bool:
    """Whether a key of this kind may only read (an OAuth ``read_only`` access token)."""
    return kind.partition(":")[0] == READ_ONLY


def issue_for_account(store: Store, platform: str, account: str, *,
                      read_only: bool = False) -> tuple[str, str]:
    """A new access token acting as ``account`` (only reading, if ``read_only``), and the
    account's publishable key (one per account, issued once)."""
    token = SECRET_PREFIXES[0] + "".join(ALPHABET[b % 62] for b in secrets.token_bytes(99))
    kind = READ_ONLY if read_only else ACCESS
    store.execute("INSERT INTO api_keys (hash, platform, kind, publishable) VALUES (?,?,?,NULL)",
                  (digest(token), platform, f"{kind}:{account}"))
    row = store.execute("SELECT publishable FROM api_keys WHERE platform=? AND kind=?",
                        (platform, f"publishable:{account}")).fetchone()
    if row is not None:
        return token, row["publishable"]
    publishable = new_publishable_key()
    store.execute("INSERT INTO api_keys (hash, platform, kind, publishable) VALUES (?,?,?,?)",
                  (digest(publishable), platform, f"publishable:{account}", publishable))
    return token, publishable


def revoke_account(store: Store, platform: str, account: str) -> None:
    """End every key issued for ``account`` (its deauthorization)."""
    store.execute("UPDATE api_keys SET kind=?, publishable=NULL WHERE platform=? AND kind IN "
                  "(?, ?, ?)", (f"{REVOKED}:{account}", platform, f"{ACCESS}:{account}",
                                f"{READ_ONLY}:{account}", f"publishable:{account}"))
