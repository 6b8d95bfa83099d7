"""Notebook widgets: onboarding, checkout, the webhook event log and a fee calculator.

Each widget comes in two parts, as in jupyter-widgets/tutorial:

* a **model**: plain Python that holds the state and does the work (reads Stripe and the
  platform's database, computes fees). It imports no ipywidgets, so tests and a terminal
  use it directly, and its :meth:`text` is a plain-text view of it;
* a **view**: the ipywidgets controls around a model. Displayed in Jupyter it is live;
  its ``text/plain`` form (what nbval stores and compares, and what ``repr`` prints in a
  terminal) is the model's :meth:`text`.

The fee calculator computes with the very functions the money goes through: the platform's
``application_fee(amount, percent)`` (``harness.platform.app``) and the emulator's
``Settings.stripe_fee`` rule (2.9 % + 30 cents, rounded half up). This glue module is the one
place that may import both.
"""

from __future__ import annotations

import csv
import html
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .emulator.settings import Settings
from .lab import Lab
from .marketplace import DATA_DIR
from .platform.app import application_fee
from .platform_server import PlatformHandle

__all__ = [
    "CheckoutLauncher", "CheckoutModel", "EventLog", "EventLogModel", "FeeBreakdown",
    "FeeCalculator", "FeeModel", "OnboardingButton", "OnboardingModel", "SampleCard",
    "sample_cards",
]


def _usd(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}"


class _Watchers:
    """Callbacks a model calls when its state changes (the view subscribes here)."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[Any], None]] = []

    def on_change(self, callback: Callable[[Any], None]) -> None:
        self._callbacks.append(callback)

    def _changed(self) -> None:
        for callback in list(self._callbacks):
            callback(self)


class _Poller:
    """Calls ``fn`` every ``interval`` seconds on a daemon thread until stopped or until it
    returns True."""

    def __init__(self, fn: Callable[[], bool], interval: float, name: str) -> None:
        self._fn = fn
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                if self._fn():
                    return
            except Exception:  # a transient error (server restarting): try again later
                continue

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)


# == fee calculator ============================================================================
@dataclass(frozen=True)
class FeeBreakdown:
    """Who gets what from one destination charge, in cents."""

    amount: int
    fee_percent: float
    stripe_fee: int
    application_fee: int

    @property
    def platform_net(self) -> int:
        """The application fee less Stripe's fee (which comes out of the platform's share)."""
        return self.application_fee - self.stripe_fee

    @property
    def homeowner_net(self) -> int:
        return self.amount - self.application_fee

    def rows(self) -> list[tuple[str, int]]:
        return [("renter pays", self.amount),
                ("Stripe's fee", self.stripe_fee),
                (f"platform fee ({self.fee_percent:g} %)", self.application_fee),
                ("platform net", self.platform_net),
                ("homeowner net", self.homeowner_net)]


class FeeModel(_Watchers):
    """The fee rule and one amount. ``settings`` is the emulator's fee settings (Stripe's
    percent and fixed part); by default Stripe's standard US card pricing."""

    def __init__(self, amount: int = 1000, fee_percent: float = 12.3,
                 settings: Settings | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.amount = amount
        self.fee_percent = fee_percent

    @classmethod
    def for_lab(cls, lab: Lab, **kwargs: Any) -> FeeModel:
        """Stripe's fee as this lab's emulator charges it (test mode: the standard pricing)."""
        settings = lab.emulator.settings if lab.config.is_emulator else None
        return cls(settings=settings, **kwargs)

    def set(self, amount: int | None = None, fee_percent: float | None = None) -> FeeBreakdown:
        if amount is not None:
            if amount < 0:
                raise ValueError("amount must not be negative")
            self.amount = int(amount)
        if fee_percent is not None:
            if not 0 <= fee_percent <= 100:
                raise ValueError("fee_percent must be between 0 and 100")
            self.fee_percent = float(fee_percent)
        self._changed()
        return self.breakdown()

    def breakdown(self, amount: int | None = None) -> FeeBreakdown:
        amount = self.amount if amount is None else amount
        return FeeBreakdown(amount=amount, fee_percent=self.fee_percent,
                            stripe_fee=self.settings.stripe_fee(amount),
                            application_fee=application_fee(amount, self.fee_percent))

    @property
    def rule(self) -> str:
        return (f"Stripe {self.settings.fee_percent:g} % + {self.settings.fee_fixed} cents, "
                f"platform {self.fee_percent:g} %, rounded half up")

    def text(self) -> str:
        b = self.breakdown()
        lines = [f"Fee calculator: {self.rule}"]
        lines += [f"  {name:24} {cents:>9}  {_usd(cents):>11}" for name, cents in b.rows()]
        if b.platform_net < 0:
            lines.append("  (the platform loses money: its fee is smaller than Stripe's)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()


# == onboarding ===================================================================================
FLOWS = {"account_link": "/onboard?homeowner={id}", "oauth": "/?homeowner={id}"}


@dataclass(frozen=True)
class AccountState:
    account: str | None
    details_submitted: bool = False
    charges_enabled: bool = False
    payouts_enabled: bool = False

    @property
    def status(self) -> str:
        if not self.account:
            return "not connected"
        if self.charges_enabled and self.payouts_enabled:
            return "enabled"
        if self.details_submitted:
            return "details submitted, waiting for Stripe"
        return "connected, onboarding not finished"


class OnboardingModel(_Watchers):
    """One homeowner's way to a connected account, through the platform's own pages.

    ``flow="account_link"`` starts at ``/onboard`` (the platform creates an Express account
    and redirects to a fresh Account Link); ``flow="oauth"`` starts at the signup page, whose
    "Connect with Stripe" button is the Express OAuth link (with a fresh ``state``). The
    model reads the platform's database for the saved ``acct_`` and Stripe for its status.
    """

    def __init__(self, lab: Lab, platform: PlatformHandle, homeowner_id: str,
                 flow: str = "account_link") -> None:
        super().__init__()
        if flow not in FLOWS:
            raise ValueError(f"flow must be one of {sorted(FLOWS)}")
        self.lab = lab
        self.platform = platform
        self.homeowner_id = homeowner_id
        self.flow = flow
        self.state = AccountState(None)
        self._poller: _Poller | None = None

    @property
    def homeowner(self) -> dict[str, Any]:
        row = self.platform.db.one("SELECT * FROM homeowners WHERE id=?", (self.homeowner_id,))
        if row is None:
            raise KeyError(f"the platform has no homeowner {self.homeowner_id!r}")
        return row

    @property
    def url(self) -> str:
        """Where the homeowner starts (a platform page; it sends them on to Stripe)."""
        return self.platform.url_for(FLOWS[self.flow].format(id=self.homeowner_id))

    def refresh(self) -> AccountState:
        """Read the saved account and, if there is one, its status from Stripe."""
        account = self.homeowner.get("stripe_account_id")
        state = AccountState(account)
        if account:
            acct = self.lab.client.v1.accounts.retrieve(account)
            state = AccountState(account, bool(acct.details_submitted),
                                 bool(acct.charges_enabled), bool(acct.payouts_enabled))
        if state != self.state:
            self.state = state
            self._changed()
        return state

    @property
    def enabled(self) -> bool:
        return self.state.status == "enabled"

    def complete(self) -> AccountState:
        """Go through the flow. Emulator: a headless browser plays the homeowner on Stripe's
        hosted pages. Test mode: the link is printed and this waits for a person."""
        from . import onboarding

        if self.flow == "oauth":
            onboarding.complete_oauth(self.lab, self.platform, self.homeowner_id)
        else:
            onboarding.complete_account_link(self.lab, self.platform, self.homeowner_id)
        return self.refresh()

    def watch(self, interval: float = 2.0) -> None:
        """Poll Stripe in the background until the account is enabled (or :meth:`stop`)."""
        if self._poller is not None and self._poller.running:
            return
        self._poller = _Poller(lambda: self.refresh().status == "enabled", interval,
                               f"onboarding-{self.homeowner_id}")

    def stop(self) -> None:
        if self._poller is not None:
            self._poller.stop()
            self._poller = None

    def text(self) -> str:
        owner = self.homeowner
        s = self.state
        flow = "Account Link" if self.flow == "account_link" else "Express OAuth"
        lines = [f"Onboarding {owner['id']} ({owner['name']}) via {flow}: {s.status}",
                 f"  start here: {self.url}"]
        if s.account:
            lines.append(f"  account {s.account}: details_submitted={s.details_submitted} "
                         f"charges_enabled={s.charges_enabled} "
                         f"payouts_enabled={s.payouts_enabled}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()


# == checkout =====================================================================================
@dataclass(frozen=True)
class SampleCard:
    number: str
    token: str
    behaviour: str
    description: str

    @property
    def spaced(self) -> str:
        return " ".join(self.number[i:i + 4] for i in range(0, len(self.number), 4))


def sample_cards() -> list[SampleCard]:
    """``data/test_cards.csv``: the cards a renter can type into the checkout page."""
    with open(DATA_DIR / "test_cards.csv", newline="", encoding="utf-8") as handle:
        return [SampleCard(r["number"], r["token"], r["behaviour"], r["description"])
                for r in csv.DictReader(handle)]


class CheckoutModel(_Watchers):
    """A booking about to be paid: listing, nights and the test card to type.

    The price shown is the platform's own rule (nightly price x nights, the platform's fee
    percent); the checkout page computes it again on the server, which is the one that
    counts. Only listings whose homeowner has a connected account can be booked.
    """

    def __init__(self, platform: PlatformHandle, listing_id: str | None = None,
                 nights: int = 2, card: str = "4242424242424242") -> None:
        super().__init__()
        self.platform = platform
        bookable = self.listings()
        if not bookable:
            raise ValueError("no listing can be booked yet: connect a homeowner first")
        self.listing_id = listing_id or bookable[0]["id"]
        self.nights = nights
        self.card = card
        self.result: Any = None
        self.set()

    def listings(self) -> list[dict[str, Any]]:
        return self.platform.db.query(
            "SELECT l.*, h.name AS homeowner FROM listings l JOIN homeowners h"
            " ON h.id = l.homeowner_id WHERE h.stripe_account_id IS NOT NULL ORDER BY l.id")

    def cards(self) -> list[SampleCard]:
        return sample_cards()

    def set(self, listing_id: str | None = None, nights: int | None = None,
            card: str | None = None) -> None:
        listing_id = listing_id or self.listing_id
        if not any(row["id"] == listing_id for row in self.listings()):
            raise ValueError(f"{listing_id} cannot be booked (unknown, or not connected)")
        nights = self.nights if nights is None else int(nights)
        if not 1 <= nights <= 30:
            raise ValueError("nights must be from 1 to 30")
        card = card or self.card
        if not any(c.number == card or c.token == card for c in self.cards()):
            raise ValueError(f"{card} is not one of data/test_cards.csv")
        self.listing_id, self.nights = listing_id, nights
        self.card = next(c.number for c in self.cards() if card in (c.number, c.token))
        self._changed()

    @property
    def listing(self) -> dict[str, Any]:
        return next(row for row in self.listings() if row["id"] == self.listing_id)

    @property
    def test_card(self) -> SampleCard:
        return next(c for c in self.cards() if c.number == self.card)

    def quote(self) -> tuple[int, int]:
        """(amount, application fee) in cents, by the platform's rule."""
        amount = self.listing["nightly_price"] * self.nights
        return amount, application_fee(amount, self.platform.config.fee_percent)

    @property
    def url(self) -> str:
        return self.platform.url_for(f"/checkout/{self.listing_id}?nights={self.nights}")

    def pay(self, driver: Any) -> Any:
        """Pay in a headless browser (a :class:`harness.checkout_driver.CheckoutDriver`)."""
        from .checkout_driver import Card

        self.result = driver.pay(self.listing_id, Card(self.card), nights=self.nights)
        self._changed()
        return self.result

    def text(self) -> str:
        listing, card = self.listing, self.test_card
        amount, fee = self.quote()
        lines = [
            "Checkout",
            f"  listing: {listing['id']} {listing['title']} ({listing['city']}), "
            f"{_usd(listing['nightly_price'])} a night, homeowner {listing['homeowner']}",
            f"  nights:  {self.nights}: amount {_usd(amount)}, platform fee {_usd(fee)} "
            f"({self.platform.config.fee_percent:g} %)",
            f"  card:    {card.spaced} ({card.token}): {card.description}",
            f"  page:    {self.url}",
        ]
        if self.result is not None:
            r = self.result
            lines.append(f"  paid:    {r.outcome}: {r.message} ({r.payment_intent})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()


# == webhook event log ============================================================================
class EventLogModel(_Watchers):
    """What the platform's ``/webhook`` handler decided, read from its ``webhook_events``
    table: event type, account (``platform`` for the platform's own), object, decision."""

    COLUMNS = ("event", "type", "account", "object", "decision")

    def __init__(self, platform: PlatformHandle) -> None:
        super().__init__()
        self.platform = platform
        self.rows: list[dict[str, Any]] = []
        self._seen = 0
        self._poller: _Poller | None = None
        self._lock = threading.Lock()  # the background poller and a button may both poll

    def poll(self) -> list[dict[str, Any]]:
        """New rows since the last poll (oldest first)."""
        with self._lock:
            found = self.platform.db.query(
                "SELECT rowid AS seq, id, type, account, object_id, decision"
                " FROM webhook_events WHERE rowid > ? ORDER BY rowid", (self._seen,))
            new = [{"event": r["id"], "type": r["type"], "account": r["account"] or "platform",
                    "object": r["object_id"] or "", "decision": r["decision"]} for r in found]
            if found:
                self._seen = found[-1]["seq"]
                self.rows.extend(new)
        if new:
            self._changed()
        return new

    def watch(self, interval: float = 1.0) -> None:
        """Poll in the background (the view updates itself)."""
        if self._poller is not None and self._poller.running:
            return
        self._poller = _Poller(self._poll_forever, interval, "event-log")

    def _poll_forever(self) -> bool:
        self.poll()
        return False  # never done: a new event can come at any time

    def stop(self) -> None:
        if self._poller is not None:
            self._poller.stop()
            self._poller = None

    def table(self, limit: int | None = None) -> list[dict[str, Any]]:
        return self.rows[-limit:] if limit else list(self.rows)

    def text(self, limit: int = 20) -> str:
        rows = self.table(limit)
        head = f"Webhook events handled: {len(self.rows)}"
        if len(self.rows) > len(rows):
            head += f" (the last {len(rows)} shown)"
        if not rows:
            return head + "\n  (none yet)"
        widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in self.COLUMNS[1:4]}
        lines = [head, "  " + "  ".join(c.ljust(widths[c]) for c in self.COLUMNS[1:4])
                 + "  decision"]
        for r in rows:
            lines.append("  " + "  ".join(str(r[c]).ljust(widths[c]) for c in self.COLUMNS[1:4])
                         + "  " + r["decision"])
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()


# == views (ipywidgets) ===========================================================================
class _View:
    """Builds its ipywidgets lazily; shows the model's text wherever widgets cannot show."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self._widget: Any = None

    @property
    def widget(self) -> Any:
        if self._widget is None:
            self._widget = self._build()
        return self._widget

    def _build(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def text(self) -> str:
        return self.model.text()

    def __repr__(self) -> str:
        return self.text()

    def __str__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None,
                          **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = self.text()
        return bundle

    def close(self) -> None:
        if self._widget is not None:
            self._widget.close()
            self._widget = None


def _table_html(rows: list[tuple[str, str]], title: str = "") -> str:
    body = "".join(f"<tr><td style='padding:2px 12px 2px 0'>{html.escape(a)}</td>"
                   f"<td style='text-align:right;font-family:monospace'>{html.escape(b)}</td>"
                   f"</tr>" for a, b in rows)
    caption = f"<b>{html.escape(title)}</b>" if title else ""
    return f"{caption}<table>{body}</table>"


class FeeCalculator(_View):
    """Sliders for the amount and the platform's fee percent; a table of who gets what."""

    def __init__(self, model: FeeModel | None = None, *, max_amount: int = 100_000,
                 **kwargs: Any) -> None:
        super().__init__(model or FeeModel(**kwargs))
        self.max_amount = max(max_amount, self.model.amount)

    def _build(self) -> Any:
        import ipywidgets as w

        amount = w.IntSlider(value=self.model.amount, min=0, max=self.max_amount, step=50,
                             description="amount (¢)", continuous_update=True,
                             layout=w.Layout(width="480px"))
        percent = w.FloatSlider(value=self.model.fee_percent, min=0, max=30, step=0.1,
                                description="platform %", readout_format=".1f",
                                layout=w.Layout(width="480px"))
        out = w.HTML()

        def show(_: Any = None) -> None:
            b = self.model.breakdown()
            out.value = _table_html([(name, f"{cents} ¢  {_usd(cents)}")
                                     for name, cents in b.rows()], self.model.rule)

        amount.observe(lambda change: self.model.set(amount=change["new"]), names="value")
        percent.observe(lambda change: self.model.set(fee_percent=change["new"]), names="value")
        self.model.on_change(show)
        show()
        return w.VBox([amount, percent, out])


class OnboardingButton(_View):
    """A "Connect with Stripe" link button, the account's status, and buttons to check
    again, to watch until enabled, and (emulator) to let a headless browser do it."""

    def __init__(self, model: OnboardingModel) -> None:
        super().__init__(model)
        model.refresh()

    def _build(self) -> Any:
        import ipywidgets as w

        label = "Set up payouts" if self.model.flow == "account_link" else "Connect with Stripe"
        link = w.HTML()
        status = w.HTML()
        check = w.Button(description="Check status", icon="refresh")
        watch = w.ToggleButton(description="Watch", icon="eye",
                               tooltip="check every 2 s until the account is enabled")
        robot = w.Button(description="Do it (headless)", icon="robot",
                         disabled=not self.model.lab.config.is_emulator,
                         tooltip="emulator: a headless browser fills in Stripe's form")

        def show(_: Any = None) -> None:
            s = self.model.state
            colour = "#2e7d32" if s.status == "enabled" else "#ef6c00"
            link.value = (f"<a href='{html.escape(self.model.url)}' target='_blank' "
                          "style='background:#635bff;color:#fff;padding:6px 14px;"
                          f"border-radius:4px;text-decoration:none'>{label}</a>")
            status.value = (f"<span style='color:{colour}'>{html.escape(s.status)}</span>"
                            + (f" · {html.escape(s.account)}" if s.account else ""))
            if s.status == "enabled" and watch.value:
                watch.value = False

        def on_watch(change: Any) -> None:
            if change["new"]:
                self.model.watch()
            else:
                self.model.stop()

        check.on_click(lambda _: self.model.refresh())
        robot.on_click(lambda _: self.model.complete())
        watch.observe(on_watch, names="value")
        self.model.on_change(show)
        show()
        return w.VBox([w.HBox([link, status]), w.HBox([check, watch, robot])])

    def close(self) -> None:
        self.model.stop()
        super().close()


class CheckoutLauncher(_View):
    """Pick a listing, nights and a test card; the platform's checkout page opens in an
    IFrame (type the card shown); or let a headless browser pay."""

    def __init__(self, model: CheckoutModel, driver: Any = None, height: int = 560) -> None:
        super().__init__(model)
        self.driver = driver
        self.height = height

    def _build(self) -> Any:
        import ipywidgets as w

        listing = w.Dropdown(options=[(f"{r['id']} · {r['title']}", r["id"])
                                      for r in self.model.listings()],
                             value=self.model.listing_id, description="listing")
        nights = w.BoundedIntText(value=self.model.nights, min=1, max=30, description="nights")
        card = w.Dropdown(options=[(f"{c.spaced} · {c.token}", c.number)
                                   for c in self.model.cards()],
                          value=self.model.card, description="card")
        summary = w.HTML()
        frame = w.HTML()
        result = w.HTML()
        open_page = w.Button(description="Open checkout", icon="shopping-cart")
        pay = w.Button(description="Pay (headless)", icon="robot",
                       disabled=self.driver is None,
                       tooltip="pay with the chosen card in a headless browser")

        def show(_: Any = None) -> None:
            amount, fee = self.model.quote()
            card_ = self.model.test_card
            summary.value = (f"{_usd(amount)} for {self.model.nights} night(s), platform fee "
                             f"{_usd(fee)}. Type <code>{card_.spaced}</code>, any future "
                             f"expiry, any CVC: {html.escape(card_.description)}")
            r = self.model.result
            result.value = "" if r is None else html.escape(
                f"{r.outcome}: {r.message} ({r.payment_intent})")

        def on_open(_: Any) -> None:
            frame.value = (f"<iframe src='{html.escape(self.model.url)}' width='100%' "
                           f"height='{self.height}' style='border:1px solid #ddd'></iframe>")

        def on_pay(_: Any) -> None:
            if self.driver is not None:
                self.model.pay(self.driver)

        def on_pick(_: Any) -> None:
            self.model.set(listing.value, nights.value, card.value)

        for control in (listing, nights, card):
            control.observe(on_pick, names="value")
        open_page.on_click(on_open)
        pay.on_click(on_pay)
        self.model.on_change(show)
        show()
        return w.VBox([w.HBox([listing, nights]), w.HBox([card, open_page, pay]), summary,
                       result, frame])


class EventLog(_View):
    """The handler's decisions as a live table (polled from the platform's database)."""

    def __init__(self, model: EventLogModel, limit: int = 20, watch: bool = False) -> None:
        super().__init__(model)
        self.limit = limit
        model.poll()
        if watch:
            model.watch()

    def text(self) -> str:
        return self.model.text(self.limit)

    def _build(self) -> Any:
        import ipywidgets as w

        out = w.HTML()
        refresh = w.Button(description="Refresh", icon="refresh")
        live = w.ToggleButton(description="Live", icon="play", value=self.model._poller
                              is not None)

        def show(_: Any = None) -> None:
            rows = self.model.table(self.limit)
            head = "".join(f"<th style='text-align:left;padding-right:12px'>{c}</th>"
                           for c in self.model.COLUMNS[1:])
            body = "".join(
                "<tr>" + "".join(f"<td style='padding-right:12px'>{html.escape(str(r[c]))}</td>"
                                 for c in self.model.COLUMNS[1:]) + "</tr>" for r in rows)
            out.value = (f"<b>Webhook events handled: {len(self.model.rows)}</b>"
                         f"<table><tr>{head}</tr>{body}</table>")

        def on_live(change: Any) -> None:
            if change["new"]:
                self.model.watch()
            else:
                self.model.stop()

        refresh.on_click(lambda _: self.model.poll())
        live.observe(on_live, names="value")
        self.model.on_change(show)
        show()
        return w.VBox([w.HBox([refresh, live]), out])

    def close(self) -> None:
        self.model.stop()
        super().close()
