"""Glue for notebook 05: fulfilment on a signed webhook, with the real Stripe CLI.

The pieces, each a short call from a notebook cell:

* :func:`start_platform`: the platform app with the marketplace and Maya connected;
* :func:`listen`: ``stripe listen --events … --forward-to <platform>/webhook`` in the
  background, its ``whsec_`` given to the platform (:func:`use_secrets`);
  :func:`listen_thin` the same for thin events (``--all-thin``, ``/webhook/thin``);
* :func:`book` and :func:`pay`: a booking made through the platform's ``/checkout`` route,
  then paid the way a browser would, server-side here;
* :func:`cli_log`, :func:`decisions`, :func:`bookings`: what the CLI printed (timestamps
  removed, the secret masked) and what the handler decided;
* :func:`post_webhook` and :func:`redeliver`: a forged request, and a duplicate delivery;
* :func:`deliveries`: a WebhookEndpoint's delivery log (emulator only).

Secrets never appear in output: ``whsec_`` secrets are shown masked, secret keys not at all,
and the checkout page's client secret is read only to learn the PaymentIntent's ID.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Sequence
from typing import Any

import stripe

from ..lab import emulator_controls
from ..lab.platform_server import PlatformHandle
from ..lab.session import Lab
from ..lab.stripe_cli import Listener, StripeCLI
from ..lab.tools import STRIPE_CLI, has_stripe_cli, skip, skip_line
from .elements_checkout import start_marketplace_platform

__all__ = [
    "FULFILMENT_EVENTS", "bare_listen", "book", "bookings", "cli_log", "decisions",
    "deliveries", "event_payload", "listen", "listen_thin", "masked", "pay", "post_webhook",
    "redeliver", "sign", "start_platform", "thin_decisions", "trigger", "use_secrets",
    "wait_for_booking", "wait_for_decision", "wait_for_delivery",
]

# The events the platform's /webhook acts on (harness/platform/webhooks.py).
FULFILMENT_EVENTS = ("payment_intent.succeeded", "checkout.session.completed",
                     "charge.refunded", "charge.dispute.created")
RETURN_URL = "https://example.com/return"
# The Accounts v2 thin event types (docs.stripe.com/api/v2/core/events/event-types): what a
# thin destination names one by one where ``stripe listen --all-thin`` is not available
# (a thin destination has no "*").
ACCOUNT_THIN_EVENTS = (
    "v2.core.account.created", "v2.core.account.updated", "v2.core.account.closed",
    "v2.core.account_link.returned",
    *(f"v2.core.account[{part}].updated" for part in (
        "requirements", "future_requirements", "identity", "defaults",
        "configuration.customer", "configuration.merchant", "configuration.recipient")),
    *(f"v2.core.account[configuration.{c}].capability_status_updated"
      for c in ("customer", "merchant", "recipient")),
)

_WHSEC = re.compile(r"whsec_[A-Za-z0-9]+")
_CLIENT_SECRET = re.compile(r'data-secret="((pi_[A-Za-z0-9]+)_secret_[^"]+)"')
# "2026-11-26 12:18:14   --> payment_intent.succeeded [evt_…]": the CLI's local time
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\s+")
# The CLI's own update check: noise here (and offline it finds nothing).
_NOISE = ("Checking for new versions",)


# -- secrets, shown safely --------------------------------------------------------------------
def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe would send with ``payload``: the SDK's own
    signer (``stripe.WebhookSignature``, HMAC-SHA256 of ``"{t}.{payload}"``,
    https://docs.stripe.com/webhooks#verify-manually), so glue never borrows the emulator's."""
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)


def masked(secret: str | None) -> str:
    """``whsec_bf53…`` : enough to tell two secrets apart, not enough to use one."""
    if not secret:
        return "(none)"
    head = secret[: len("whsec_") + 4] if secret.startswith("whsec_") else secret[:4]
    return head + "…"


def _clean(line: str) -> str:
    return _WHSEC.sub(lambda m: masked(m.group(0)), _TIMESTAMP.sub("", line)).strip()


def use_secrets(platform: PlatformHandle, *secrets: str | None) -> str:
    """Tell the platform's /webhook which signing secrets to accept (its config takes a
    comma-separated list: an endpoint's secret and, while ``stripe listen`` runs, the CLI's).
    Returns the list, masked."""
    kept = [s for s in secrets if s]
    platform.config.webhook_secret = ",".join(kept)
    return ", ".join(masked(s) for s in kept) or "(none)"


# -- the platform and the CLI -----------------------------------------------------------------
def start_platform(lab: Lab, connect: Iterable[str] = ("ho_001",)) -> PlatformHandle:
    """The platform app on 127.0.0.1 and a free port, seeded with ``data/``, with the
    homeowners in ``connect`` connected and onboarded (Maya by default)."""
    return start_marketplace_platform(lab, connect=connect)


class EndpointListener:
    """Without the Stripe CLI: a webhook endpoint (or, for thin events, an event
    destination) that sends the platform the same events ``stripe listen`` would forward,
    with the same attributes the notebooks read from a :class:`Listener`."""

    def __init__(self, destination: str, url: str, secret: str) -> None:
        self.destination = destination
        self.secret = secret
        self.lines: list[str] = []
        self.display = f"(no Stripe CLI) events go to {url} from {destination}"

    def stop(self) -> None:
        """Nothing runs here to stop (the endpoint stays, as one made in the Dashboard)."""


def _endpoint_listener(lab: Lab, platform: PlatformHandle, path: str,
                       events: Sequence[str] | str) -> EndpointListener:
    url = platform.url_for(path)
    if path.endswith("/thin"):
        chosen = list(ACCOUNT_THIN_EVENTS) if isinstance(events, str) else list(events)
        dest = lab.client.v2.core.event_destinations.create({
            "name": "connect-lab-thin", "type": "webhook_endpoint", "event_payload": "thin",
            "enabled_events": chosen, "events_from": ["@self", "@accounts"],
            "webhook_endpoint": {"url": url}, "include": ["webhook_endpoint.signing_secret"]})
        destination, secret = dest.id, dest.webhook_endpoint.signing_secret
    else:
        endpoint = lab.client.v1.webhook_endpoints.create({
            "url": url, "enabled_events": list(events),
            "description": "instead of stripe listen"})
        destination, secret = endpoint.id, endpoint.secret
    skip(STRIPE_CLI, f"the platform gets the same events from {destination} instead")
    return EndpointListener(destination, url, secret or "")


def bare_listen(lab: Lab, platform: PlatformHandle, timeout: float = 30) -> str:
    """Run the guide's bare ``stripe listen --forward-to …`` and return what it says."""
    if not has_stripe_cli():
        return skip_line(STRIPE_CLI)
    cli = StripeCLI.for_lab(lab)
    command = ("listen", "--skip-update", "--forward-to", platform.url_for("/webhook"))
    try:
        done = subprocess.run(cli.args(*command), env=cli.env(), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:  # pragma: no cover - an older CLI just starts
        return "(it started: this CLI does not need --events)"
    output = "\n".join(_clean(x) for x in (done.stdout + done.stderr).splitlines() if x.strip())
    return f"$ {cli.display(*command)}\nexit status {done.returncode}\n{output}"


def listen(lab: Lab, platform: PlatformHandle,
           events: Sequence[str] = FULFILMENT_EVENTS) -> Listener:
    """``stripe listen --events … --forward-to <platform>/webhook`` in the background; the
    platform is told its signing secret. Stop it with ``listener.stop()``."""
    if not has_stripe_cli() and lab.config.is_emulator:
        stand_in = _endpoint_listener(lab, platform, "/webhook", events)
        use_secrets(platform, stand_in.secret)
        return stand_in  # type: ignore[return-value]
    listener = StripeCLI.for_lab(lab).listen(platform.url_for("/webhook"), events=list(events))
    use_secrets(platform, listener.secret)
    return listener


def listen_thin(lab: Lab, platform: PlatformHandle,
                events: Sequence[str] | str = "all-thin") -> Listener:
    """``stripe listen --all-thin --forward-to <platform>/webhook/thin`` (or ``--events`` with
    thin types such as ``v2.core.account[requirements].updated``) in the background: the
    Accounts v2 notifications, verified by the platform with ``parse_event_notification``.
    CLI 1.52 refuses to send snapshot and thin events to one URL, so this is a listener of
    its own; the platform is told its secret beside the ones it has."""
    chosen = events if isinstance(events, str) else list(events)
    if not has_stripe_cli() and lab.config.is_emulator:
        stand_in = _endpoint_listener(lab, platform, "/webhook/thin", events)
        kept = [s for s in (platform.config.webhook_secret or "").split(",") if s]
        use_secrets(platform, *kept, stand_in.secret)
        return stand_in  # type: ignore[return-value]
    listener = StripeCLI.for_lab(lab).listen(platform.url_for("/webhook/thin"), events=chosen)
    kept = [s for s in (platform.config.webhook_secret or "").split(",") if s]
    use_secrets(platform, *kept, listener.secret)
    return listener


def _settled(lines: list[str]) -> bool:
    """Has every event the CLI received (``-->``) got its answer (``<--`` or ``[ERROR]``)?"""
    received = sum(1 for line in lines if "-->" in line)
    answered = sum(1 for line in lines if "<--" in line or "[ERROR]" in line)
    return answered >= received


def cli_log(listener: Listener, start: int = 0, settle: float = 10) -> list[str]:
    """What ``stripe listen`` printed (from line ``start``), without its timestamps and with
    the signing secret masked, so it reads the same on every run. Waits up to ``settle``
    seconds for the answers to events already received, so no ``<--`` line is cut off."""
    if isinstance(listener, EndpointListener):
        return []  # no CLI printed anything: the endpoint's delivery log is the record
    deadline = time.monotonic() + settle
    while not _settled(listener.lines) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [_clean(line) for line in listener.lines[start:]
            if not line.startswith(_NOISE)]


def trigger(lab: Lab, event: str) -> list[str]:
    """``stripe trigger EVENT``: the CLI's fixture, run against the active backend.
    Without the CLI, ``payment_intent.succeeded`` comes from the same request made through
    the API (a confirmed $20.00 card PaymentIntent); other events are skipped."""
    if not has_stripe_cli():
        if event != "payment_intent.succeeded":
            skip(STRIPE_CLI)
            return []
        skip(STRIPE_CLI, "the same PaymentIntent is confirmed through the API instead")
        intent = lab.client.v1.payment_intents.create({
            "amount": 2000, "currency": "usd", "confirm": True, "payment_method": "pm_card_visa",
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}})
        return [f"{intent.id} {intent.status}"]
    result = StripeCLI.for_lab(lab).trigger(event)
    return [_clean(line) for line in result.lines if not line.startswith(_NOISE)]


# -- bookings -----------------------------------------------------------------------------------
def book(platform: PlatformHandle, listing: str, nights: int) -> str:
    """Open ``/checkout/<listing>?nights=N`` as a browser would: the server prices the stay,
    creates the PaymentIntent and a pending booking. Returns the PaymentIntent's ID (the
    page's client secret is read for that and dropped)."""
    query = urllib.parse.urlencode({"nights": nights})
    with urllib.request.urlopen(platform.url_for(f"/checkout/{listing}?{query}"),
                                timeout=30) as response:
        page = response.read().decode()
    found = _CLIENT_SECRET.search(page)
    if found is None:
        raise RuntimeError(f"/checkout/{listing} rendered no payment form")
    return found.group(2)


def pay(lab: Lab, payment_intent: str, payment_method: str = "pm_card_visa") -> Any:
    """Confirm the PaymentIntent with a test card, server-side (the page's Stripe.js would do
    it in the browser). A server-side confirmation with automatic payment methods needs a
    ``return_url`` on real Stripe, for methods that redirect."""
    return lab.client.v1.payment_intents.confirm(payment_intent, {
        "payment_method": payment_method, "return_url": RETURN_URL})


def _wait(check: Any, what: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:g} s for {what}")
        time.sleep(0.05)


def wait_for_booking(platform: PlatformHandle, payment_intent: str, status: str = "paid",
                     timeout: float = 20) -> dict[str, Any]:
    return _wait(lambda: platform.db.one(
        "SELECT * FROM bookings WHERE payment_intent=? AND status=?", (payment_intent, status)),
        f"booking {payment_intent} to be {status}", timeout)


def wait_for_decision(platform: PlatformHandle, event_type: str, object_id: str | None = None,
                      timeout: float = 20) -> dict[str, Any]:
    """The handler's row for the first ``event_type`` event (about ``object_id``)."""
    sql = "SELECT * FROM webhook_events WHERE type=?"
    args: list[Any] = [event_type]
    if object_id:
        sql += " AND object_id=?"
        args.append(object_id)
    return _wait(lambda: platform.db.one(sql + " ORDER BY rowid LIMIT 1", args),
                 f"the handler to decide on {event_type}", timeout)


def capture_events(lab: Lab, payment_intent: str):
    """The events that announced a payment's capture, oldest first: ``charge.updated``
    fills what ``charge.succeeded`` / ``payment_intent.succeeded`` left null under
    ``automatic_async`` (see :func:`harness.books.tables.capture_events`)."""
    from ..books.tables import capture_events as events_of

    return events_of(lab.client, payment_intent)


def bookings(platform: PlatformHandle):
    """The platform's bookings (pandas), oldest first."""
    import pandas as pd

    return pd.DataFrame(platform.db.query(
        "SELECT id, listing_id, nights, amount, payment_intent, status, connected"
        " FROM bookings ORDER BY id")).set_index("id")


def decisions(platform: PlatformHandle):
    """What the /webhook handler decided, one row per event it handled (pandas)."""
    import pandas as pd

    rows = platform.db.query(
        "SELECT id AS event, type, object_id, decision FROM webhook_events ORDER BY rowid")
    return pd.DataFrame(rows, columns=["event", "type", "object_id", "decision"])


def thin_decisions(lab: Lab, platform: PlatformHandle, object_id: str | None = None,
                   timeout: float = 15):
    """What ``/webhook/thin`` decided, one row per thin event of the platform (about
    ``object_id`` when given), in the order Stripe created them: the CLI forwards events
    in parallel, so arrival order varies from run to run and this order does not (pandas).
    Waits until the handler has seen every listed event."""
    import pandas as pd

    params: dict[str, Any] = {"limit": 100}
    if object_id:
        params["object_id"] = object_id
    events = list(reversed(lab.client.v2.core.events.list(params).data))

    def decided() -> dict[str, str] | None:
        rows = {r["id"]: r["decision"] for r in platform.db.query(
            "SELECT id, decision FROM webhook_events")}
        return rows if all(e.id in rows for e in events) else None

    found = _wait(decided, "the thin handler to decide on every event", timeout)
    return pd.DataFrame([{"type": e.type, "decision": found[e.id]} for e in events],
                        columns=["type", "decision"])


# -- forged and repeated deliveries ------------------------------------------------------------
def post_webhook(platform: PlatformHandle, payload: str,
                 signature: str | None) -> tuple[int, dict[str, Any]]:
    """POST ``payload`` to the platform's /webhook as Stripe would; (status, JSON answer)."""
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    request = urllib.request.Request(platform.url_for("/webhook"), data=payload.encode(),
                                     headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def event_payload(lab: Lab, event_id: str) -> str:
    """The Event exactly as the API serves it (what a delivery carries)."""
    return lab.client.raw_request("get", f"/v1/events/{event_id}").body


def redeliver(lab: Lab, platform: PlatformHandle, event_id: str,
              secret: str) -> tuple[int, dict[str, Any]]:
    """Deliver ``event_id`` again, correctly signed: what Stripe does when it retries, or when
    two endpoints (or an endpoint and ``stripe listen``) both forward the same event."""
    payload = event_payload(lab, event_id)
    return post_webhook(platform, payload, sign(payload, secret))


# -- a WebhookEndpoint's delivery log (emulator) -----------------------------------------------
def deliveries(lab: Lab, endpoint_id: str):
    """The endpoint's delivery log, oldest first (pandas); Stripe's Dashboard shows the same
    under Developers → Webhooks. Times are the emulator's clock."""
    import pandas as pd

    from ..books.formatting import when

    if not lab.config.is_emulator:
        raise RuntimeError("In test mode, read the delivery log in the Dashboard: "
                           "Developers → Webhooks → your endpoint.")
    rows = _deliveries(lab, endpoint_id)
    table = [{"event": r["event"], "type": r["event_type"], "status": r["status"],
              "attempts": r["attempts"], "last_status": r["last_status"],
              "next_attempt": when(r["next_attempt_at"]) if r["status"] == "pending" else ""}
             for r in reversed(rows)]
    return pd.DataFrame(table, columns=["event", "type", "status", "attempts", "last_status",
                                        "next_attempt"])


def _deliveries(lab: Lab, endpoint_id: str) -> list[dict[str, Any]]:
    return emulator_controls.call(
        lab.api_base, lab.config.secret_key,
        f"/_emulator/webhook_endpoints/{endpoint_id}/deliveries")["data"]


def wait_for_delivery(lab: Lab, endpoint_id: str, event_id: str, *, attempts: int = 1,
                      timeout: float = 20) -> dict[str, Any]:
    """Wait until the endpoint has tried ``event_id`` ``attempts`` times (emulator)."""
    return _wait(lambda: next((r for r in _deliveries(lab, endpoint_id)
                               if r["event"] == event_id and r["attempts"] >= attempts), None),
                 f"attempt {attempts} of {event_id} to {endpoint_id}", timeout)
