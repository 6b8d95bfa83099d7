"""The two backends the benchmark talks to, each on 127.0.0.1 and a free port.

* the Connect Lab emulator, in-process, through ``harness.lab.server.BackgroundServer``;
* localstripe, in-process too: its aiohttp ``app`` served by an ``AppRunner``/``TCPSite``
  bound to 127.0.0.1 in a thread with its own event loop (its CLI would bind ``::``, every
  interface, and load an old pickle from /tmp).

Both are driven by the same official ``stripe.StripeClient`` calls.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import urllib.request
from typing import Any

import stripe

# localstripe writes its whole store here on every write (resources.Store.dump_to_disk).
LOCALSTRIPE_PICKLE = "/tmp/localstripe.pickle"
HTTP_TIMEOUT_S = 30


def make_client(key: str, url: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        key,
        base_addresses={"api": url},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=HTTP_TIMEOUT_S),
    )


class Unsupported(Exception):
    """The backend lacks this call; the benchmark shows it as n/a with this reason."""


class EmulatorTarget:
    name = "emulator"
    # Like Stripe, the emulator refuses a server-side confirm of a PaymentIntent with dynamic
    # payment methods unless it has a return_url or redirects are off; card-only server code
    # turns redirects off (automatic_payment_methods[allow_redirects] in
    # https://docs.stripe.com/api/payment_intents/create).
    confirm_extra: dict[str, Any] = {
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}}

    def __init__(self, key_suffix: str = "connectlab_bench_0001") -> None:
        from harness.emulator import Emulator, Settings
        from harness.lab.server import BackgroundServer

        self.secret_key = f"sk_test_{key_suffix}"
        self.publishable_key = ""  # issued by the emulator: read in start()
        self.emulator = Emulator(db=":memory:", settings=Settings())
        self.server = BackgroundServer(self.emulator)
        self.cache: dict[str, Any] = {}
        self._closed = False
        self.shutdown_error: str | None = None
        self.client: stripe.StripeClient | None = None
        self.card_client: stripe.StripeClient | None = None
        self.card_client_note = (
            "raw test card sent with the publishable key (pk_test_), as Stripe.js does; "
            "the emulator, like Stripe, refuses raw card numbers with a secret key"
        )

    def start(self) -> EmulatorTarget:
        self.server.start()
        self.client = make_client(self.secret_key, self.server.url)
        self.publishable_key = self.keys()["publishable_key"]
        self.card_client = make_client(self.publishable_key, self.server.url)
        return self

    def stop(self) -> None:
        self.server.stop()
        close = getattr(self.emulator, "close", None)  # stops its background workers
        if close is not None and not self._closed:
            self._closed = True
            try:
                close()
            except Exception as exc:  # reported by the benchmark, never fatal
                self.shutdown_error = f"Emulator.close() raised {type(exc).__name__}: {exc}"

    @property
    def url(self) -> str:
        return self.server.url

    def platform(self) -> str:
        return self.emulator.platform_for_key(self.secret_key)[0]

    def keys(self) -> dict[str, Any]:
        """``GET /_emulator/keys``: the platform's publishable key, as its owner reads it."""
        request = urllib.request.Request(
            self.server.url_for("/_emulator/keys"),
            headers={"Authorization": f"Bearer {self.secret_key}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def control(self, path: str, data: bytes = b"") -> dict[str, Any]:
        """POST an emulator-only control under /_emulator/ with the platform's secret key."""
        request = urllib.request.Request(
            self.server.url_for(path), data=data, method="POST",
            headers={"Authorization": f"Bearer {self.secret_key}",
                     "Content-Type": "application/x-www-form-urlencoded"},
        )
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            return json.loads(response.read())

    def complete_onboarding(self, account_id: str) -> None:
        self.control(f"/_emulator/accounts/{account_id}/complete_onboarding")

    def reset_between_rows(self) -> None:
        """The emulator keeps everything: it is meant to stay flat as it grows."""

    def settle(self) -> None:
        """Nothing runs after a response (events are written inside the request)."""

    def object_count(self) -> int:
        return self.emulator.store.count()


class LocalstripeTarget:
    name = "localstripe"
    # localstripe has no dynamic payment methods: it answers 400 "Unexpected ..." to both
    # automatic_payment_methods and return_url, and confirms without them.
    confirm_extra: dict[str, Any] = {}

    def __init__(self) -> None:
        self.secret_key = "sk_test_connectlab_bench_localstripe"
        self.cache: dict[str, Any] = {}
        self.client: stripe.StripeClient | None = None
        self.card_client: stripe.StripeClient | None = None
        self.card_client_note = (
            "raw test card sent with the secret key: localstripe accepts it (Stripe would not) "
            "and its /v1/payment_methods does not accept a publishable key"
        )
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: Any = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._saved_pickle: bytes | None = None
        self._had_pickle = False
        self._started = False

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> LocalstripeTarget:
        from aiohttp import web
        from localstripe import server as ls_server
        from localstripe.resources import store

        # Keep whoever else uses localstripe on this machine whole: put their pickle back
        # when we are done. We never load it (that is the CLI's default, not --from-scratch).
        self._started = True
        self._had_pickle = os.path.exists(LOCALSTRIPE_PICKLE)
        if self._had_pickle:
            with open(LOCALSTRIPE_PICKLE, "rb") as f:
                self._saved_pickle = f.read()
        store.clear()  # dict.clear: not one of the writes localstripe pickles

        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(ls_server.app, access_log=None, handle_signals=False)
        ready = threading.Event()

        def serve() -> None:
            loop = self._loop
            assert loop is not None
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._runner.setup())
                site = web.TCPSite(self._runner, "127.0.0.1", 0)
                loop.run_until_complete(site.start())
                self.port = self._runner.addresses[0][1]
            except BaseException as exc:  # reported to start() below
                self._error = exc
                ready.set()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=serve, name="localstripe", daemon=True)
        self._thread.start()
        if not ready.wait(30):
            raise RuntimeError("localstripe did not start within 30 s")
        if self._error is not None:
            raise RuntimeError(f"localstripe failed to start: {self._error!r}")
        self.client = make_client(self.secret_key, self.url)
        self.card_client = self.client
        return self

    def stop(self) -> None:
        loop, runner = self._loop, self._runner
        if loop is not None and self._thread is not None and self._thread.is_alive():
            try:
                asyncio.run_coroutine_threadsafe(self._shutdown(runner), loop).result(15)
            except Exception:
                pass
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(15)
        self._thread = None
        self._loop = None
        self._restore_pickle()

    @staticmethod
    async def _shutdown(runner: Any) -> None:
        """Close the site, then cancel localstripe's pending webhook tasks: it schedules one
        per Event (each sleeps 1 s first) even when no webhook is configured."""
        await runner.cleanup()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _restore_pickle(self) -> None:
        if not self._started:
            return  # never ran: whatever is in /tmp is not ours
        try:
            if self._had_pickle and self._saved_pickle is not None:
                with open(LOCALSTRIPE_PICKLE, "wb") as f:
                    f.write(self._saved_pickle)
            elif os.path.exists(LOCALSTRIPE_PICKLE):
                os.remove(LOCALSTRIPE_PICKLE)
        except OSError:
            pass

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- helpers the scenarios use ----------------------------------------------------------
    def complete_onboarding(self, account_id: str) -> None:
        raise Unsupported("localstripe has no Connect onboarding")

    def reset_between_rows(self) -> None:
        """localstripe re-pickles its whole store on every write, so its cost grows with the
        store: start each row from an empty store (its best case). Its own endpoint."""
        request = urllib.request.Request(self.url + "/_config/data", method="DELETE")
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S):
            pass
        self.cache.clear()

    def settle(self) -> None:
        """Let work localstripe deferred past its response run now, outside any timing: it
        starts a task per Event (JSON-encoding the event) that would otherwise run during
        the next sample, the other backend's as often as its own. A no-op queued on its loop
        runs after everything queued before it."""
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(asyncio.sleep(0), self._loop).result(
                HTTP_TIMEOUT_S)

    def object_count(self) -> int:
        from localstripe.resources import store

        return len(store)

    @staticmethod
    def pickle_bytes() -> int | None:
        try:
            return os.path.getsize(LOCALSTRIPE_PICKLE)
        except OSError:
            return None
