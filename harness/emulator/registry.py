"""Where resource modules plug into the core.

A resource module registers its routes, the ID prefixes it can load (for ``expand[]``),
and hooks such as "a new platform appeared". The core only ever asks the registry.
"""

from __future__ import annotations

import functools
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
    raw: bool = False  # handler gets the werkzeug request and returns a Response
    params: dict[str, Any] | None = None  # schema (harness.emulator.params); None = any
    websocket: bool = False  # matches only ``Upgrade: websocket`` requests
    frameable: bool = False  # a raw page another origin may put in an iframe
    # The handler opens its own transactions (a long job committed in steps), so the core
    # does not wrap it in the request's one transaction nor hold the store lock for it.
    own_transactions: bool = False


def browser_side(fn: Handler, frameable: bool) -> Handler:
    """Wrap a raw handler so that every answer it gives carries the browser headers."""

    @functools.wraps(fn)
    def handler(*args: Any, **kwargs: Any) -> Any:
        from .pages import harden

        return harden(fn(*args, **kwargs), frameable=frameable)

    return handler


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
        raw: bool = False,
        websocket: bool = False,
        frameable: bool = False,
        own_transactions: bool = False,
    ):
        """Register a handler; ``params`` is its schema, validated before it runs. A raw
        route is Stripe's browser side (hosted pages, OAuth): its answers get the browser
        safety headers in one place, :func:`browser_side`."""

        def wrap(fn: Handler) -> Handler:
            handler = browser_side(fn, frameable) if raw and not websocket else fn
            self.routes.append(Route(method, path, handler, publishable, raw, params,
                                     websocket, frameable=frameable,
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
