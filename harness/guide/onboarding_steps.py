"""Glue for guide step 2 (notebooks 01 and 02): onboarding homeowners.

Every function works on both backends. On the emulator a headless Chromium plays the
homeowner and fills in Stripe's hosted forms. In Stripe test mode the hosted pages are
Stripe's own, so the function prints the link for a person to open and waits for the
platform to record the result.

Nothing here prints a secret key, a client secret, or an OAuth ``state`` value.

The platform's homeowner pages need a signed-in homeowner (``POST /login``). The helpers
sign in first, as the homeowner they act for, with the passcode the glue gave that
homeowner (:meth:`PlatformHandle.passcode`): :func:`get` on a platform URL that names
``?homeowner=`` signs in as that homeowner in the platform's own browser
(:attr:`PlatformHandle.browser`), and the headless Chromium signs in on ``/login``.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import html
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from ..books import marketplace
from ..lab import emulator_controls
from ..lab.platform_server import PlatformHandle, running_at
from ..lab.platform_server import start_platform as _start_platform
from ..lab.public import route_to_local
from ..lab.session import Lab
from ..lab.tools import CHROMIUM, has_chromium, skip

HIDDEN = {"state", "code"}  # query parameters never shown whole


# -- plain HTTP, without following redirects ------------------------------------------------------
@dataclass
class Reply:
    """One HTTP answer: status, where it redirects (if it does), and its body."""

    status: int
    location: str | None
    body: Any

    def __repr__(self) -> str:
        shown = self.body if not isinstance(self.body, str) else self.body[:80]
        return f"Reply(status={self.status}, location={mask_url(self.location)!r}, body={shown!r})"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def get(url: str) -> Reply:
    """GET ``url`` once; redirects are reported, not followed. On a platform app started
    here, the request comes from that platform's browser, signed in as the homeowner the
    URL names (``?homeowner=``), as that homeowner's own browser would be."""
    platform = running_at(url)
    if platform is not None:
        named = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("homeowner")
        answer = platform.browser.get(url, as_homeowner=named[0] if named else None)
        return Reply(answer.status, answer.location, answer.body())
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=30) as resp:
            status, headers, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        status, headers, raw = exc.code, exc.headers, exc.read()
    text = raw.decode("utf-8", "replace")
    body: Any = text
    if (headers.get("Content-Type") or "").startswith("application/json"):
        body = json.loads(text or "null")
    return Reply(status, headers.get("Location"), body)


def mask_url(url: str | None) -> str | None:
    """``url`` with ``state`` and ``code`` values replaced by their length."""
    if not url:
        return url
    parts = urllib.parse.urlsplit(url)
    query = "&".join(
        f"{k}=<{len(v)} chars>" if k in HIDDEN else urllib.parse.urlencode({k: v})
        for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    return urllib.parse.urlunsplit(parts._replace(query=query))


def mask_link(url: str | None) -> str | None:
    """A hosted link with its one-time token hidden: such URLs are bearer secrets."""
    if not url:
        return url
    head, _, token = url.rpartition("/")
    return f"{head}/<{len(token)} chars>" if head and "?" not in token else mask_url(url)


class _Heading(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inside = self.inside or (tag == "h1" and not self.text)

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.text += data


def look(url: str) -> dict[str, Any]:
    """Open ``url`` once, as a browser's first request would: status, redirect, what it says."""
    reply = get(url)
    says: Any = reply.body
    if isinstance(says, str):
        parser = _Heading()
        parser.feed(says)
        says = parser.text.strip() or says[:80]
    return {"status": reply.status, "redirects_to": mask_url(reply.location), "says": says}


def with_params(url: str, **params: str) -> str:
    """``url`` with some query parameters replaced (to show how Stripe treats bad links)."""
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    query.update(params)
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


# -- the platform and its Connect settings ------------------------------------------------------
def homeowner_rows() -> list[dict[str, str]]:
    """The sample homeowners as the platform's database stores them."""
    return [{"id": h.homeowner_id, "name": h.name, "email": h.email}
            for h in marketplace.homeowners()]


def start_platform(lab: Lab, **kwargs: Any) -> PlatformHandle:
    """The platform app with the sample homeowners, its redirect URI registered."""
    kwargs.setdefault("homeowners", homeowner_rows())
    platform = _start_platform(lab, **kwargs)
    connect_settings(lab, platform)
    return platform


def connect_settings(lab: Lab, platform: PlatformHandle) -> str:
    """Register the platform's OAuth redirect URI, as the Dashboard's Connect settings do
    (emulator), or say what to enter in the Dashboard (test mode)."""
    uri = platform.public_url + "/connect/oauth"  # where the learner's browser returns
    if lab.config.is_emulator:
        # The kernel's own requests reach the app on 127.0.0.1: that address too, if other.
        uris = list(dict.fromkeys([uri, platform.url + "/connect/oauth"]))
        emulator_controls.set_redirect_uris(lab.api_base, lab.config.secret_key, uris)
        return f"redirect URI registered: {uri}"
    return ("In the Dashboard (test mode), Connect → Settings → OAuth: enable OAuth for "
            f"Express accounts and add the redirect URI {uri}")


def set_branding(lab: Lab, *, name: str | None = None, primary_color: str | None = None,
                 icon: str | None = None) -> str:
    """Change the name and colours Stripe shows on the hosted pages (guide step 2.3).

    On Stripe these are Dashboard settings of the platform (Settings → Branding, and the
    business name). The emulator keeps them on the platform account, where the API reads them.
    """
    if not lab.config.is_emulator:
        return ("Set these in the Dashboard (test mode): Settings → Branding (icon, brand "
                "colour) and your business name; then reload the hosted page.")
    params: dict[str, Any] = {}
    if name is not None:
        params["business_profile"] = {"name": name}
    branding = {k: v for k, v in (("primary_color", primary_color), ("icon", icon)) if v}
    if branding:
        params["settings"] = {"branding": branding}
    account = lab.client.v1.accounts.update(lab.platform_id, params)
    return (f"platform name: {account.business_profile.name}, "
            f"brand colour: {account.settings.branding.primary_color}")


# -- reading the platform's pages -----------------------------------------------------------------
class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("id") and found.get("href"):
            self.by_id[found["id"] or ""] = html.unescape(found["href"] or "")


def signup_link(platform: PlatformHandle, homeowner_id: str) -> str:
    """The OAuth link on the homeowner's signup page (each page view makes a fresh state,
    bound to the platform browser's session: signed in as ``homeowner_id``)."""
    page = platform.browser.get(platform.url_for(f"/?homeowner={homeowner_id}"),
                                as_homeowner=homeowner_id)
    parser = _Anchors()
    parser.feed(page.text)
    if "connect-with-stripe" not in parser.by_id:
        raise RuntimeError("the signup page has no OAuth link: is a client_id configured, "
                           "and is the homeowner not connected yet?")
    return parser.by_id["connect-with-stripe"]


MEANINGS = {
    "client_id": "your platform's ID: which app asks",
    "state": "CSRF token saved for this signup",
    "redirect_uri": "where Stripe sends the homeowner back",
    "suggested_capabilities": "capabilities for the new account",
    "stripe_user": "prefills Stripe's form",
    "response_type": "Stripe answers with a code",
}


def describe_link(url: str) -> Any:
    """The OAuth link as a table: each parameter, its value (``state`` hidden) and meaning."""
    import pandas as pd

    parts = urllib.parse.urlsplit(url)
    rows = []
    for key, value in urllib.parse.parse_qsl(parts.query):
        base = key.split("[", 1)[0]
        shown = f"<{len(value)} random chars>" if base in HIDDEN else value
        rows.append({"parameter": key, "value": shown, "meaning": MEANINGS.get(base, "")})
    frame = pd.DataFrame(rows).set_index("parameter")
    frame.attrs["endpoint"] = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return frame


def fresh_state(platform: PlatformHandle, homeowner_id: str) -> str:
    """A real, unused state from the signup page (for the error demos; never print it)."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(signup_link(platform, homeowner_id)).query)
    return query["state"][0]


def oauth_redirect(platform: PlatformHandle, **params: str) -> Reply:
    """GET the platform's ``/connect/oauth`` as Stripe's redirect would, with ``params``, in
    the platform browser that opened the last signup page (the state is bound to it)."""
    answer = platform.browser.get(
        platform.url_for("/connect/oauth?" + urllib.parse.urlencode(params)))
    return Reply(answer.status, answer.location, answer.body())


def saved_account(platform: PlatformHandle, homeowner_id: str) -> str | None:
    row = platform.db.one("SELECT stripe_account_id FROM homeowners WHERE id=?", (homeowner_id,))
    return row["stripe_account_id"] if row else None


# -- driving the hosted forms (emulator) -----------------------------------------------------------
@dataclass
class Outcome:
    """How a browser trip through a hosted form ended."""

    status: int | None
    url: str | None
    body: Any
    details: dict[str, Any] = field(default_factory=dict)
    screenshot: bytes | None = None

    def __repr__(self) -> str:
        return f"Outcome(status={self.status}, url={mask_url(self.url)!r}, body={self.body!r})"


class _Driver:
    """One headless Chromium on a worker thread of its own, reused by every flow.

    Playwright's sync API refuses to run on a thread with an event loop (Jupyter's), and
    its objects belong to the thread that made them; so all browser work goes to this one
    thread. Each flow gets a fresh browser context (no cookies shared between homeowners).
    """

    def __init__(self) -> None:
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._playwright: Any = None
        self._browser: Any = None

    def run(self, fn: Callable[[Any], Any], timeout: float = 120) -> Any:
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="connect-lab-browser")
        return self._pool.submit(self._call, fn).result(timeout=timeout)

    def _call(self, fn: Callable[[Any], Any]) -> Any:
        if self._browser is None or not self._browser.is_connected():
            from playwright.sync_api import sync_playwright

            from ..lab.chromium import ARGS, chromium_path

            self._playwright = self._playwright or sync_playwright().start()
            path = chromium_path()
            self._browser = self._playwright.chromium.launch(
                headless=True, args=ARGS, **({"executable_path": path} if path else {}))
        context = self._browser.new_context()
        route_to_local(context)  # public (proxied) links open the local servers, as locally
        try:
            return fn(context)
        finally:
            context.close()

    def _shutdown(self) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()
        self._browser = self._playwright = None

    def close(self) -> None:
        if self._pool is not None:
            try:
                self._pool.submit(self._shutdown).result(timeout=30)
            except RuntimeError:  # at exit, after concurrent.futures stopped its threads
                pass
            self._pool.shutdown()
            self._pool = None


_driver = _Driver()
atexit.register(_driver.close)


def close_browser() -> None:
    """Close the headless Chromium the hosted-form helpers use (it starts again if needed)."""
    _driver.close()


def _body_of(response: Any) -> Any:
    if response is None:
        return None
    text = response.text()
    if "application/json" in (response.headers.get("content-type") or ""):
        return json.loads(text)
    return text


def _fill(page: Any, values: dict[str, str] | None) -> None:
    for name, value in (values or {}).items():
        page.fill(f"#{name}", value)
    if page.locator("#tos").count():
        page.check("#tos")


def _sign_in(page: Any, platform: PlatformHandle, homeowner_id: str) -> None:
    """Sign in on the platform's ``/login`` form, as the homeowner would."""
    query = urllib.parse.urlencode({"homeowner": homeowner_id})
    page.goto(platform.public_url_for("/login?" + query))
    page.fill("#passcode", platform.passcode(homeowner_id))
    with page.expect_navigation():
        page.click("#sign-in")


def _sign_in_first(platform: PlatformHandle, homeowner_id: str) -> str:
    return (f"sign in at {platform.public_url_for('/login')} as {homeowner_id} (passcode: "
            f"platform.passcode({homeowner_id!r})), then ")


def _brand(page: Any) -> dict[str, Any]:
    return {
        "title": page.title(),
        "brand_name": page.inner_text("#brand-name"),
        "brand_color": page.eval_on_selector(
            "#brand-header", "e => getComputedStyle(e).backgroundColor"),
        "heading": page.inner_text("#heading"),
    }


# -- the same hosted forms as plain HTTP (emulator, no Chromium here) ----------------------------
BY_HTTP = "the same hosted form is sent as plain HTTP requests instead"


class _Form(HTMLParser):
    """The first ``<form>``: its action and the values a browser would send (defaults kept,
    the terms box ticked, as the Chromium helpers do)."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.values: dict[str, str] = {}
        self.ids: dict[str, dict[str, str]] = {}
        self.texts: dict[str, str] = {}
        self._open: list[tuple[str, str]] = []
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if found.get("id"):
            self.ids[found["id"]] = found
            self.texts.setdefault(found["id"], "")
            if tag not in ("input", "br", "img"):
                self._open.append((tag, found["id"]))
        if tag == "form" and self.action is None:
            self.action = html.unescape(found.get("action", ""))
        elif tag == "input" and self.action is not None and not self._done and found.get("name"):
            if found.get("type") == "checkbox":
                self.values[found["name"]] = found.get("value") or "on"
            elif found.get("type") not in ("submit", "button"):
                self.values[found["name"]] = found.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.action is not None:
            self._done = True
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for _, key in self._open:
            self.texts[key] += data


def _parse(text: str) -> _Form:
    form = _Form()
    form.feed(text)
    return form


class _Plain:
    """A cookie-keeping HTTP client that follows redirects itself: on the platform's pages
    it is the platform's own browser (signed in as the homeowner), elsewhere a plain opener."""

    def __init__(self, platform: PlatformHandle | None) -> None:
        import http.cookiejar

        self.platform = platform
        self._opener = urllib.request.build_opener(
            _NoRedirect, urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, url: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        """Request ``url`` (POST ``data`` if given) and follow redirects: (status, url, body)."""
        for _ in range(10):
            here = running_at(url) if data is None else None
            if here is not None:
                answer = here.browser.get(url)
                status, location, text = answer.status, answer.location, answer.text
            else:
                body = urllib.parse.urlencode(data).encode() if data is not None else None
                request = urllib.request.Request(url, data=body, method="POST" if body else "GET")
                try:
                    with self._opener.open(request, timeout=30) as resp:
                        status, location = resp.status, resp.headers.get("Location")
                        text = resp.read().decode("utf-8", "replace")
                except urllib.error.HTTPError as exc:
                    status, location = exc.code, exc.headers.get("Location")
                    text = exc.read().decode("utf-8", "replace")
            if status not in (301, 302, 303, 307) or not location:
                return status, url, text
            url, data = urllib.parse.urljoin(url, location), None
        raise RuntimeError("too many redirects")


def _send_form(client: _Plain, url: str, button: str,
               fill: dict[str, str] | None) -> tuple[int, str, str, _Form]:
    """Open the hosted form at ``url``, type ``fill``, press ``button``; where it ends."""
    status, at, text = client.open(url)
    form = _parse(text)
    if form.action is None:
        raise RuntimeError(f"no form at {mask_link(at)} (HTTP {status})")
    values = {**form.values, **(fill or {}), "action": button}  # all fields, as a browser
    status, at, text = client.open(urllib.parse.urljoin(at, form.action), values)
    return status, at, text, form


def preview_signup(lab: Lab, platform: PlatformHandle, homeowner_id: str) -> Outcome:
    """Open the homeowner's OAuth link and look at Stripe's page without submitting it."""
    url = signup_link(platform, homeowner_id)
    if not lab.config.is_emulator:
        print("Open this link to see Stripe's hosted form:", url)
        return Outcome(None, url, None)
    if not has_chromium():
        skip(CHROMIUM, "no picture of Stripe's page")
        return Outcome(None, url, None)

    def run(context: Any) -> Outcome:
        page = context.new_page()
        page.set_viewport_size({"width": 720, "height": 420})
        page.goto(url)
        page.wait_for_selector("#oauth-form")
        details = _brand(page)
        details["prefilled_email"] = page.input_value("#email")
        shot = page.screenshot(clip={"x": 0, "y": 0, "width": 720, "height": 230})
        return Outcome(200, page.url, None, details, shot)

    return _driver.run(run)


def show(preview: Outcome) -> None:
    """Print what a preview found on Stripe's page and display its screenshot."""
    for key, value in preview.details.items():
        print(f"{key:16} {value}")
    if preview.screenshot:
        from IPython.display import Image, display

        display(Image(preview.screenshot))


def complete_oauth(lab: Lab, platform: PlatformHandle, homeowner_id: str, *,
                   deny: bool = False, fill: dict[str, str] | None = None,
                   timeout: float = 600) -> Outcome:
    """The homeowner clicks "Connect with Stripe", completes (or denies) Stripe's form, and
    lands back on the platform's ``/connect/oauth``."""
    if not lab.config.is_emulator:
        if deny:
            print("Stripe test mode:", _sign_in_first(platform, homeowner_id) + "open",
                  platform.public_url_for(f"/?homeowner={homeowner_id}"),
                  "click Connect with Stripe, then leave Stripe's form without finishing it.")
            return Outcome(None, None, None)
        return _wait_for_person(platform, homeowner_id, timeout,
                                _sign_in_first(platform, homeowner_id) + "open the platform's "
                                "signup page and click Connect with Stripe",
                                platform.public_url_for(f"/?homeowner={homeowner_id}"))
    if not has_chromium():
        skip(CHROMIUM, BY_HTTP)
        status, at, text, _ = _send_form(_Plain(platform), signup_link(platform, homeowner_id),
                                         "deny" if deny else "submit", fill)
        try:
            body: Any = json.loads(text)
        except ValueError:
            page = _parse(text)
            heading = _Heading()
            heading.feed(text)
            body = {"page": heading.text.strip(),
                    "says": page.texts.get("connected", "").strip() or text[:200]}
        return Outcome(status, at, body)

    def run(context: Any) -> Outcome:
        page = context.new_page()
        _sign_in(page, platform, homeowner_id)
        page.goto(platform.public_url_for(f"/?homeowner={homeowner_id}"))
        page.click("#connect-with-stripe")
        page.wait_for_selector("#oauth-form")
        if not deny:
            _fill(page, fill)
        back = platform.public_url + "/connect/oauth"
        with page.expect_response(lambda r: r.url.startswith(back)) as info:
            page.click("#deny" if deny else "#submit")
        response = info.value
        body = _body_of(response)
        if isinstance(body, str):  # the page the homeowner ends on: what it tells her
            page.wait_for_selector("h1")
            body = {"page": page.inner_text("h1"),
                    "says": page.inner_text("#connected") if page.locator("#connected").count()
                    else page.inner_text("body")[:200]}
        return Outcome(response.status, response.url, body)

    return _driver.run(run)


def complete_account_link(lab: Lab, platform: PlatformHandle, homeowner_id: str, *,
                          leave_early: bool = False, start: str = "/onboard",
                          fill: dict[str, str] | None = None, timeout: float = 600) -> Outcome:
    """The homeowner clicks "Set up payouts", goes through Stripe's hosted onboarding (or
    leaves it early) and lands on the platform's ``/onboard/return`` page."""
    entry = platform.public_url_for(f"{start}?homeowner={homeowner_id}")
    if not lab.config.is_emulator:
        return _wait_for_person(platform, homeowner_id, timeout,
                                _sign_in_first(platform, homeowner_id) + "open this link and "
                                "finish Stripe's onboarding form", entry,
                                until=lambda: _details_submitted(lab, platform, homeowner_id))
    if not has_chromium():
        skip(CHROMIUM, BY_HTTP)
        platform.browser.sign_in(homeowner_id)
        status, at, text, form = _send_form(_Plain(platform), entry,
                                            "leave" if leave_early else "submit", fill)
        page = _parse(text)
        due = form.texts.get("currently-due", "").strip()
        details: dict[str, Any] = {"due_before": int(due or 0)}
        details["status"] = page.ids.get("status", {}).get("data-status")
        details["account"] = page.texts.get("account", "").strip()
        for key in ("details-submitted", "charges-enabled", "payouts-enabled"):
            details[key.replace("-", "_")] = page.texts.get(key, "").strip() == "True"
        return Outcome(status, at, page.texts.get("status", "").strip(), details)

    def run(context: Any) -> Outcome:
        page = context.new_page()
        _sign_in(page, platform, homeowner_id)
        page.goto(entry)
        page.wait_for_selector("#onboarding-form")
        details: dict[str, Any] = {"due_before": int(page.inner_text("#currently-due") or 0)
                                   if page.locator("#currently-due").count() else 0}
        if leave_early:
            page.click("#leave")
        else:
            _fill(page, fill)
            page.click("#submit")
        page.wait_for_url(platform.public_url + "/onboard/return*")
        page.wait_for_selector("#status")
        details["status"] = page.get_attribute("#status", "data-status")
        details["account"] = page.inner_text("#account")
        for key in ("details-submitted", "charges-enabled", "payouts-enabled"):
            details[key.replace("-", "_")] = page.inner_text(f"#{key}") == "True"
        return Outcome(200, page.url, page.inner_text("#status"), details)

    return _driver.run(run)


def _details_submitted(lab: Lab, platform: PlatformHandle, homeowner_id: str) -> bool:
    account_id = saved_account(platform, homeowner_id)
    if not account_id:
        return False
    return bool(lab.client.v1.accounts.retrieve(account_id).details_submitted)


def _wait_for_person(platform: PlatformHandle, homeowner_id: str, timeout: float, what: str,
                     url: str, until: Callable[[], bool] | None = None) -> Outcome:
    """Test mode: Stripe's pages are real, so a person does the clicking."""
    print(f"Stripe test mode: {what}:\n  {url}\nWaiting up to {int(timeout)} s …", flush=True)
    done = until or (lambda: saved_account(platform, homeowner_id) is not None)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return Outcome(200, None, {"success": True},
                           {"account": saved_account(platform, homeowner_id)})
        time.sleep(2)
    raise TimeoutError("nobody finished the hosted form in time; run the cell again")


# -- the Express Dashboard ---------------------------------------------------------------------
class _Tables(HTMLParser):
    """Rows of every ``<table id=…>`` and the text of every element with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.texts: dict[str, str] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._text_id: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("id"):
            self._table = found["id"]
            self.tables[self._table or ""] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif found.get("id") and tag != "table":
            self._text_id.append((tag, found["id"] or ""))
            self.texts[found["id"] or ""] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif self._text_id and self._text_id[-1][0] == tag:
            self._text_id.pop()

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        for _, key in self._text_id:
            self.texts[key] += data


@dataclass
class Dashboard:
    """What the Express Dashboard page showed."""

    url: str
    status: int | None = None
    heading: str = ""
    tables: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        if self.status is None:
            return f"Express Dashboard (open it yourself): {self.url}"
        lines = [f"Express Dashboard of {self.heading} (HTTP {self.status})"]
        for name, table in self.tables.items():
            lines.append(f"\n{name}:")
            lines.append(table if isinstance(table, str) else table.to_string(index=False))
        return "\n".join(lines)


def express_dashboard(lab: Lab, account_id: str) -> Dashboard:
    """Make a login link and read the Express Dashboard it opens (balance, payments, payouts)."""
    import pandas as pd

    link = lab.client.v1.accounts.login_links.create(account_id)
    if not lab.config.is_emulator:
        print("Stripe test mode: this single-use link opens the homeowner's Express Dashboard.")
        return Dashboard(link.url)
    page = get(link.url)
    parser = _Tables()
    parser.feed(page.body)
    tables: dict[str, Any] = {}
    for name in ("balance", "payments", "payouts"):
        rows = parser.tables.get(name)
        tables[name] = (pd.DataFrame(rows[1:], columns=rows[0]) if rows
                        else parser.texts.get(name, "").strip())
    return Dashboard(link.url, page.status, parser.texts.get("heading", "").strip(), tables)


def complete_link(lab: Lab, url: str, account_id: str, *, fill: dict[str, str] | None = None,
                  timeout: float = 600) -> Outcome:
    """Open an Account Link (v1 or v2: the same hosted form) as the homeowner would, type
    what ``fill`` gives (her name, say), keep Stripe's test values for the rest and submit;
    returns the page it ends on. In test
    mode a person must do it: the link is printed and the account is watched until its
    requirements are met."""
    if not lab.config.is_emulator:
        print("open this link and finish Stripe's onboarding form:", url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            entries = lab.client.v2.core.accounts.retrieve(
                account_id, {"include": ["requirements"]}).requirements.entries
            if not entries:
                return Outcome(None, None, "onboarding completed by hand")
            time.sleep(3)
        raise TimeoutError("the onboarding form was not completed in time")
    if not has_chromium():
        skip(CHROMIUM, BY_HTTP)
        status, at, text, form = _send_form(_Plain(None), url, "submit", fill)
        heading = _Heading()
        heading.feed(text)
        due = form.texts.get("currently-due", "").strip()
        return Outcome(status, at, heading.text.strip(), {"due_before": int(due or 0)})

    def run(context: Any) -> Outcome:
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("#onboarding-form")
        due = int(page.inner_text("#currently-due") or 0) \
            if page.locator("#currently-due").count() else 0
        _fill(page, fill)
        page.click("#submit")
        page.wait_for_load_state()
        heading = page.locator("h1").first.inner_text() if page.locator("h1").count() else ""
        return Outcome(200, page.url, heading, {"due_before": due})

    return _driver.run(run)
