"""Where resource modules plug into the core.

A resource module registers its routes, the ID prefixes it can load (for ``expand[]``),
and hooks such as "a new platform appeared". The core only ever asks the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import Context

Handler = Callable[..., Any]
Loader = Callable[["Context", str], "dict[str, Any] | None"]


@dataclass
class Route:
    method: str
    path: str
    handler: Handler
    publishable: bool = False  # accepted with a pk_test_ key (Stripe.js calls)
    params: dict[str, Any] | None = None  # schema (harness.emulator.params); None = any
    # Stripe's browser side (hosted pages, Stripe.js files, OAuth): the handler gets a
    # ``pipeline.Page`` (decoded parameters, the request) and returns a Response; the core
    # runs it in the request's one transaction, turns its signals into events and adds the
    # browser safety headers.
    page: bool = False
    websocket: bool = False  # matches only ``Upgrade: websocket``; handler gets the request
    frameable: bool = False  # a page another origin may put in an iframe
    # The handler opens its own transactions (a long job committed in steps), so the core
    # does not wrap it in the request's one transaction nor hold the store lock for it.
    own_transactions: bool = False

    @property
    def v2(self) -> bool:
        """An API v2 route (``/v2/…``): JSON bodies, v2 idempotency and v2 lists."""
        return self.path.startswith("/v2/")

    @property
    def raw(self) -> bool:
        """Not a JSON API route: a page or the websocket (answers of their own)."""
        return self.page or self.websocket


@dataclass
class Registry:
    routes: list[Route] = field(default_factory=list)
    loaders: dict[str, Loader] = field(default_factory=dict)
    platform_hooks: list[Callable[[Context], None]] = field(default_factory=list)
    signal_hooks: list[Callable[[Context], None]] = field(default_factory=list)
    start_hooks: list[Callable[[Any], None]] = field(default_factory=list)
    stop_hooks: list[Callable[[Any], None]] = field(default_factory=list)
    tick_hooks: list[Callable[[Context, int], None]] = field(default_factory=list)
    reset_hooks: list[Callable[[Any, str], None]] = field(default_factory=list)

    def route(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        publishable: bool = False,
        page: bool = False,
        websocket: bool = False,
        frameable: bool = False,
        own_transactions: bool = False,
    ):
        """Register a handler; ``params`` is its schema, validated before it runs. A
        ``page`` route is Stripe's browser side (see :class:`Route`)."""

        def wrap(fn: Handler) -> Handler:
            self.routes.append(Route(method, path, fn, publishable, params, page=page,
                                     websocket=websocket, frameable=frameable,
                                     own_transactions=own_transactions))
            return fn

        return wrap

    def loader(self, *prefixes: str):
        """Register how to load an object by ID prefix; ``expand[]`` uses this."""

        def wrap(fn: Loader) -> Loader:
            for prefix in prefixes:
                self.loaders[prefix] = fn
            return fn

        return wrap

    def on_new_platform(self, fn: Callable[[Context], None]) -> Callable[[Context], None]:
        self.platform_hooks.append(fn)
        return fn


    def on_signals(self, fn: Callable[[Context], None]) -> Callable[[Context], None]:
        """Called at the end of each request with the signals its handlers emitted."""
        self.signal_hooks.append(fn)
        return fn


    def on_start(self, fn: Callable[[Any], None]) -> Callable[[Any], None]:
        """Called with the Emulator once it exists (create tables, start workers)."""
        self.start_hooks.append(fn)
        return fn

    def on_tick(self, fn: Callable[[Context, int], None]) -> Callable[[Context, int], None]:
        """Called as a platform's clock moves forward, with the previous time: settle what
        fell due (funds becoming available, payouts, dispute deadlines)."""
        self.tick_hooks.append(fn)
        return fn

    def on_reset(self, fn: Callable[[Any, str], None]) -> Callable[[Any, str], None]:
        """Called with the Emulator and a platform ID when that platform is reset: forget
        what the module keeps for it outside the objects table."""
        self.reset_hooks.append(fn)
        return fn

    def on_stop(self, fn: Callable[[Any], None]) -> Callable[[Any], None]:
        self.stop_hooks.append(fn)
        return fn


registry = Registry()
route = registry.route
loader = registry.loader
on_new_platform = registry.on_new_platform
on_signals = registry.on_signals
on_start = registry.on_start
on_stop = registry.on_stop
on_tick = registry.on_tick
on_reset = registry.on_reset
