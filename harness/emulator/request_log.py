"""What each platform asked of the API, newest last: the emulator's side of Stripe's
Dashboard request logs (Developers → Logs), read by ``GET /_emulator/requests``.

A test of someone's own platform asserts on the calls its code made, not only on the state
they left, as pytest-httpserver's log allows. The log is in memory and bounded per platform
(it is a debugging aid, not a record that must survive a restart), and it keeps no secret:
the values of ``client_secret``, card ``number`` and ``cvc``, bank numbers, and identity
numbers (a person's or company's ``id_number``, ``ssn_last_4``, ``tax_id``, and each
Accounts v2 ``id_numbers`` entry) are masked, as the Dashboard's logs mask card data.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from typing import Any

MAX_PER_PLATFORM = 1000  # ours: Stripe keeps logs for a time window, not a count
# Each entry is bounded too, or a platform's 1000 entries of 1 MB bodies would hold a GB:
# a string is kept up to the longest value any parameter takes (``params.Str``'s 5000), and
# an entry whose parameters still come to more than MAX_ENTRY characters keeps none of them.
MAX_VALUE = 5000
MAX_ENTRY = 64 << 10
_MASKED = frozenset({"client_secret", "number", "cvc", "account_number", "routing_number",
                     "id_number", "id_number_secondary", "ssn_last_4", "personal_id_number",
                     "tax_id", "vat_id", "id_numbers"})


# a client secret sent where an ID goes (``/v1/payment_intents/pi_…_secret_…``): the ID stays
_PATH_SECRET = re.compile(r"_secret_[^/?#]+")


def masked(value: Any) -> Any:
    """``value`` with every secret-bearing field replaced by ``"***"``, and every string cut
    to :data:`MAX_VALUE` characters."""
    if isinstance(value, dict):
        return {k[:MAX_VALUE]: "***" if k in _MASKED and v not in ("", None) else masked(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    if isinstance(value, str) and len(value) > MAX_VALUE:
        return value[:MAX_VALUE] + "…"
    return value


def _bounded(params: dict[str, Any]) -> dict[str, Any]:
    kept = masked(params)
    size = len(json.dumps(kept))
    if size > MAX_ENTRY:
        return {"_emulator_truncated": f"{size} characters of parameters, more than the "
                                       f"request log keeps ({MAX_ENTRY})"}
    return kept


class RequestLog:
    """Per platform, the last :data:`MAX_PER_PLATFORM` API requests and their statuses."""

    def __init__(self) -> None:
        self._entries: dict[str, deque[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def record(self, platform: str, entry: dict[str, Any]) -> None:
        path = _PATH_SECRET.sub("_secret_***", entry.get("path") or "")
        entry = {**entry, "params": _bounded(entry.get("params") or {}),
                 "path": path[:MAX_VALUE] + ("…" if len(path) > MAX_VALUE else "")}
        with self._lock:
            self._entries.setdefault(platform, deque(maxlen=MAX_PER_PLATFORM)).append(entry)

    def entries(self, platform: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries.get(platform, ()))

    def forget(self, platform: str) -> None:
        with self._lock:
            self._entries.pop(platform, None)
