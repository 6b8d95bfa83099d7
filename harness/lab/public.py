"""Where the learner's browser is: the one public base for every browser-facing URL.

The kernel's servers (the emulator, the platform app) listen on 127.0.0.1 and random ports.
A browser on the kernel's machine opens them there. On JupyterHub, Binder, a lab server or
Codespaces the browser is elsewhere, and reaches a local port only through the Jupyter
server: jupyter-server-proxy serves ``<jupyter base>proxy/<port>/<path>`` from
``http://localhost:<port>/<path>`` (the prefix stripped, ``X-Forwarded-Prefix`` set to it),
behind Jupyter's own login. Codespaces forwards each port on a host of its own.

:func:`detect` picks the base, first match wins:

* ``CONNECT_LAB_PUBLIC_URL``: a Jupyter base URL (``https://hub.example/user/ada/`` gives
  ``https://hub.example/user/ada/proxy/<port>``) or a template with ``{port}``
  (``https://lab.example/p/{port}``); ``local`` forces the local addresses;
* JupyterHub (Binder is a JupyterHub): ``JUPYTERHUB_PUBLIC_URL``, this server's public URL,
  which the Spawner sets when the Hub knows its public address; else ``JUPYTERHUB_HOST``
  (set with subdomains) + ``JUPYTERHUB_SERVICE_PREFIX``;
* Codespaces: ``https://<CODESPACE_NAME>-<port>.<GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN>``;
* otherwise ``http://127.0.0.1:<port>``.

A JupyterHub whose public address the kernel cannot see (only ``JUPYTERHUB_SERVICE_PREFIX``)
gets a warning that says to set ``CONNECT_LAB_PUBLIC_URL``: Stripe's URLs (``success_url``,
``return_url``...) must be absolute, so a path alone cannot do.
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

LOCAL_HOST = "127.0.0.1"
ENV = "CONNECT_LAB_PUBLIC_URL"
PROXY_PREFIX_HEADER = "X-Forwarded-Prefix"  # what jupyter-server-proxy sends the app


@dataclass(frozen=True)
class PublicBase:
    """How a browser reaches a local port: ``template`` has ``{port}``; ``None`` is local."""

    template: str | None = None
    source: str = "local"  # which setting chose it (shown by repr)

    @property
    def is_local(self) -> bool:
        return self.template is None

    def url(self, port: int) -> str:
        """The URL (no trailing slash) a browser opens for the server on ``port``."""
        if self.template is None:
            return f"http://{LOCAL_HOST}:{port}"
        return self.template.format(port=port).rstrip("/")

    def local_url(self, url: str) -> tuple[str, str] | None:
        """``(local URL, public prefix)`` for a public URL of a local port, else None: the
        kernel's own headless Chromium is on the kernel's machine and opens the local port
        (the Jupyter server would ask it to log in)."""
        if self.template is None:
            return None
        head, _, tail = self.template.partition("{port}")
        match = re.match(re.escape(head) + r"(\d+)" + re.escape(tail.rstrip("/")) + r"(?=/|\?|$)",
                         url)
        if not match:
            return None
        rest = url[match.end():] or "/"
        if rest.startswith("?"):
            rest = "/" + rest
        return f"http://{LOCAL_HOST}:{match.group(1)}{rest}", urllib.parse.urlsplit(
            match.group(0)).path

    def __repr__(self) -> str:
        return f"PublicBase({self.template or 'local'!r}, from {self.source})"


def _jupyter_base(base: str) -> str:
    """A Jupyter base URL -> jupyter-server-proxy's template for a port on it."""
    return base.rstrip("/") + "/proxy/{port}"


def detect(env: Mapping[str, str] | None = None) -> PublicBase:
    """The public base for this kernel (see the module's docstring for the order)."""
    env = os.environ if env is None else env
    forced = env.get(ENV, "").strip()
    if forced:
        if forced.lower() == "local":
            return PublicBase(None, ENV)
        if not forced.startswith(("http://", "https://")):
            raise ValueError(f"{ENV} must be an http(s) URL, like https://hub.example/user/ada/ "
                             f"or https://lab.example/p/{{port}} (got {forced!r}).")
        return PublicBase(forced if "{port}" in forced else _jupyter_base(forced), ENV)
    prefix = env.get("JUPYTERHUB_SERVICE_PREFIX", "").strip()
    if prefix:
        public = env.get("JUPYTERHUB_PUBLIC_URL", "").strip()
        if public.startswith(("http://", "https://")):
            return PublicBase(_jupyter_base(public), "JUPYTERHUB_PUBLIC_URL")
        host = env.get("JUPYTERHUB_HOST", "").strip().rstrip("/")
        if host:
            host = host if "://" in host else "https://" + host
            return PublicBase(_jupyter_base(host + "/" + prefix.strip("/")),
                              "JUPYTERHUB_HOST + JUPYTERHUB_SERVICE_PREFIX")
        warnings.warn(
            f"This kernel runs on a JupyterHub ({prefix}) whose public address it cannot see: "
            f"links and the card form point at 127.0.0.1 and will not load in your browser. "
            f"Set {ENV} to this page's address up to and including {prefix} "
            f"(e.g. https://your-hub.example{prefix}) and run the first cell again.",
            stacklevel=2)
        return PublicBase(None, "local (JupyterHub address unknown)")
    name = env.get("CODESPACE_NAME", "").strip()
    domain = env.get("GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN", "").strip()
    if env.get("CODESPACES", "").lower() == "true" and name and domain:
        return PublicBase(f"https://{name}-{{port}}.{domain}", "Codespaces")
    return PublicBase(None, "local")


def url_for_port(port: int, env: Mapping[str, str] | None = None) -> str:
    """The public URL of a local server's port."""
    return detect(env).url(port)


def route_to_local(context: object, base: PublicBase | None = None) -> None:
    """Let a Playwright context in this kernel open public URLs of local ports: each request
    to one is served from the local port, with the header jupyter-server-proxy would add, so
    the servers answer exactly as they do through the Jupyter server. Locally, nothing.

    A browser follows a redirect without asking the route again, so a redirect to a public
    URL (from a public or a local page) is answered with a page that goes there by script:
    that navigation is a new request, which the route serves (cookies set on the way are
    kept)."""
    base = base or detect()
    if base.is_local:
        return
    assert base.template is not None
    head = base.template.partition("{port}")[0]

    def answer(route: Any, response: Any) -> None:
        location = response.headers.get("location")
        target = urllib.parse.urljoin(route.request.url, location) if location else ""
        if 300 <= response.status < 400 and target and base.local_url(target):
            headers = {k: v for k, v in response.headers.items()
                       if k.lower() not in ("location", "content-length", "content-type")}
            headers["content-type"] = "text/html; charset=utf-8"
            route.fulfill(status=200, headers=headers,
                          body=f"<!doctype html><script>location.replace({json.dumps(target)})"
                               "</script>")
            return
        route.fulfill(response=response)

    def forward(route: Any) -> None:
        request = route.request
        mapped = base.local_url(request.url)
        if mapped is None:
            route.continue_()
            return
        local, prefix = mapped
        headers = dict(request.headers)
        if prefix:
            headers[PROXY_PREFIX_HEADER.lower()] = prefix
        answer(route, route.fetch(url=local, headers=headers, max_redirects=0))

    def relay(route: Any) -> None:
        if base.local_url(route.request.url):  # the public base is on this machine too
            forward(route)
            return
        answer(route, route.fetch(max_redirects=0))

    context.route(re.compile(r"^http://(127\.0\.0\.1|localhost):\d+/"),  # type: ignore[attr-defined]
                  relay)
    context.route(re.compile("^" + re.escape(head)), forward)  # type: ignore[attr-defined]
