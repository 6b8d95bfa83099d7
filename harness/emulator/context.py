"""The per-request context a resource handler receives: who is asking, as whom, and when."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import versions
from .errors import NotFound

if TYPE_CHECKING:
    from . import Emulator


def connected_account(store: Any, platform: str, account_id: Any) -> dict[str, Any] | None:
    """The account ``account_id`` if it is one of ``platform``'s connected accounts, else
    None: the one check of Connect's tenancy (an account object kept in the platform's
    namespace; the platform itself is not its own connected account)."""
    if not isinstance(account_id, str) or account_id == platform:
        return None
    found = store.get(account_id)
    if found is None or found[0] != platform or found[1].get("object") != "account":
        return None
    return found[1]


@dataclass
class Context:
    emulator: Emulator
    platform: str  # the platform account's ID (one per secret key)
    account: str  # the account the request acts as (the platform, or Stripe-Account)
    api_version: str
    key_type: str = "secret"  # or "publishable"
    livemode: bool = False
    request_id: str | None = None
    base_url: str = ""  # how the client reached the emulator (for hosted-page URLs)
    idempotency_key: str | None = None
    masked_key: str = ""  # the caller's API key as Stripe masks it (never the key itself)
    # (type, object as it was, previous attributes, account, when) per state change
    signals: list[tuple[str, dict[str, Any], dict[str, Any] | None, str, int]] = field(
        default_factory=list
    )
    # Work Stripe finishes "shortly after" the request, each step its own transaction once the
    # request's has committed (``Emulator.follow_up``). A step must be idempotent and findable
    # again from the store, so that a crash between the two commits loses nothing.
    followups: list[Callable[[Context], None]] = field(default_factory=list)

    # -- shortcuts into the emulator -----------------------------------------------------
    @property
    def store(self):
        return self.emulator.store

    @property
    def ledger(self):
        return self.emulator.ledger

    @property
    def settings(self):
        return self.emulator.settings

    @property
    def is_connected(self) -> bool:
        """True when the request acts as a connected account (Stripe-Account header)."""
        return self.account != self.platform

    def now(self) -> int:
        return self.emulator.clock.now(self.platform)

    def new_id(self, prefix: str, length: int = 24) -> str:
        return self.emulator.ids.new(prefix, length)

    def token(self, length: int = 24) -> str:
        return self.emulator.ids.token(length)

    def secret(self, length: int = 24) -> str:
        """A bearer secret: random even in a seeded run (see ``IdFactory.secret``)."""
        return self.emulator.ids.secret(length)

    def version_at_least(self, version: str) -> bool:
        """This request's API version is ``version`` or later, previews included (see
        ``versions.Version`` for the order)."""
        return versions.at_least(self.api_version, version)

    def has(self, change: versions.Change) -> bool:
        """Is ``change`` in effect on this request's API version?"""
        return change.in_effect(self.api_version)

    # -- objects --------------------------------------------------------------------------
    def insert(self, obj: dict[str, Any], ns: str | None = None, parent: str | None = None):
        return self.store.insert(ns or self.account, obj, parent=parent)

    def save(self, obj: dict[str, Any]) -> dict[str, Any]:
        return self.store.save(obj)

    def find(self, object_id: str, object_type: str) -> tuple[str, dict[str, Any]] | None:
        found = self.store.get(object_id)
        if found is None or found[1].get("object") != object_type:
            return None
        return found

    def get(self, object_id: str, object_type: str, *, param: str = "id", ns: str | None = None):
        """Load an object owned by the acting account, or answer Stripe's 404."""
        found = self.find(object_id, object_type)
        if found is None or found[0] != (ns or self.account):
            raise NotFound(object_type, object_id, param=param)
        return found[1]

    def connected(self, account_id: str) -> dict[str, Any] | None:
        """One of this platform's connected accounts (see :func:`connected_account`)."""
        return connected_account(self.store, self.platform, account_id)

    def visible(self, ns: str) -> bool:
        """May this request see objects in ``ns``? Its own, and for a platform its accounts'."""
        if ns == self.account:
            return True
        if self.is_connected:
            return False
        return self.connected(ns) is not None

    def emit(
        self,
        event_type: str,
        obj: dict[str, Any],
        previous: dict[str, Any] | None = None,
        account: str | None = None,
    ) -> None:
        """Record that something happened, as it is now and when; the events module turns
        signals into Events at the end of the request."""
        snapshot = json.loads(json.dumps(obj))  # objects are JSON: this is a fast deep copy
        self.signals.append((event_type, snapshot, previous, account or self.account,
                             self.now()))
