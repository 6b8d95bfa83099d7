"""Keep secrets out of log records, at every level and from every logger.

stripe-python logs every request URL at INFO and every response body at DEBUG (its
``_api_requestor.py``): a PaymentIntent's ``client_secret``, a webhook endpoint's
``whsec_`` secret, a Stripe.js-style ``GET /v1/payment_intents/pi_…?client_secret=…``.
urllib3's ``connectionpool`` logs each request line at DEBUG, werkzeug's access log holds
request lines, and the OAuth redirect carries ``code=ac_…``. So that turning logging up to
DEBUG leaks nothing, :func:`install` redacts every record as it is created (a log-record
factory: it sees the records of every logger, those not yet created included), and also
adds :class:`SecretFilter` to the loggers known to carry secrets and to the root logger's
handlers (in case another library replaces the record factory). It masks each secret the
way the notebooks print them:

* API keys ``sk_``/``rk_`` (test or live), whatever characters follow the prefix
  (``sk_test_my-team.key``): ``sk_test_…form`` (as ``config.mask``);
* webhook signing secrets: ``whsec_bf53…`` (the first four characters);
* client secrets: ``pi_123_secret_[redacted]`` (the object ID stays, the secret goes; the
  same form as the platform's own filter in ``harness/platform/checkout.py``);
* hosted-link tokens, bearer secrets in a URL path: Account Links
  ``…/setup/<letter>/acct_…/<token>`` and login links ``…/express/acct_…/<token>`` (the
  emulator's and Stripe's shapes, https://docs.stripe.com/api/accounts/login_link/object)
  become ``…/acct_…/[redacted]``;
* OAuth authorization codes ``ac_…`` (in a redirect's ``code=``, or a token request's
  body): ``ac_[redacted]``; OAuth refresh tokens ``rt_…`` (in the token answer the SDK
  logs at DEBUG, and in a refresh request's body), which mint access tokens until the
  account is deauthorized: ``rt_[redacted]``.

Publishable keys (``pk_``) are public by design and left alone.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from .config import mask

# A key is its prefix then anything up to a delimiter (a key's suffix may hold "-" or ".");
# a masked key (``sk_test_…abcd``, ``sk_test_****abcd``) has no letter after the prefix.
# Everything up to a delimiter is the key, whatever its first character (the emulator accepts
# only [A-Za-z0-9_.-] after the prefix; Stripe's own keys are alphanumeric).
API_KEY = re.compile(r"(?<![A-Za-z0-9])(?:sk|rk)_(?:test|live)_[^\s\"'<>&,;()\[\]{}\\]+")
WEBHOOK_SECRET = re.compile(r"(?<![A-Za-z0-9])whsec_([A-Za-z0-9+/=]+)")
CLIENT_SECRET = re.compile(
    r"(?<![A-Za-z0-9])([a-z]{2,7}_(?:test_|live_)?[a-z]*[A-Z0-9][A-Za-z0-9]*)_secret_[A-Za-z0-9]+")
LINK_TOKEN = re.compile(r"(/(?:setup/[a-z]|express)/acct_[A-Za-z0-9]+/)(?!\[redacted\])"
                        r"[^\s\"'<>?#&/]+")
OAUTH_CODE = re.compile(r"(?<![A-Za-z0-9_])ac_[A-Za-z0-9]{8,}")
REFRESH_TOKEN = re.compile(r"(?<![A-Za-z0-9_])rt_[A-Za-z0-9]{8,}")
LOGGERS = ("stripe", "werkzeug", "urllib3", "urllib3.connectionpool", "urllib3.util.retry",
           "requests", "httpx", "flask.app", "harness", "harness.emulator", "harness.platform")


def redact(text: str) -> str:
    """``text`` with every API key, webhook secret, client secret, hosted-link token, OAuth
    code and OAuth refresh token masked."""
    if "_secret_" in text:
        text = CLIENT_SECRET.sub(r"\1_secret_[redacted]", text)
    if "whsec_" in text:
        text = WEBHOOK_SECRET.sub(lambda m: "whsec_" + m[1][:4] + "…", text)
    if "k_test_" in text or "k_live_" in text:
        text = API_KEY.sub(lambda m: mask(m[0]), text)
    if "/acct_" in text:
        text = LINK_TOKEN.sub(r"\1[redacted]", text)
    if "ac_" in text:
        text = OAUTH_CODE.sub("ac_[redacted]", text)
    if "rt_" in text:
        text = REFRESH_TOKEN.sub("rt_[redacted]", text)
    return text


def clean_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact a record's message (formatted with its args) and its traceback text."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is the logging module's to report
        return record
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        text = logging.Formatter().formatException(record.exc_info)
        cleaned = redact(text)
        if cleaned != text:
            record.exc_text = cleaned  # formatters reuse exc_text instead of re-formatting
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class SecretFilter(logging.Filter):
    """Rewrites a record's message with :func:`redact` (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        clean_record(record)
        return True


def _redacting_factory(previous: Callable[..., logging.LogRecord]) -> Callable[..., Any]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return clean_record(previous(*args, **kwargs))

    factory.connect_lab_redacts = True  # type: ignore[attr-defined]
    return factory


def install(*names: str) -> None:
    """Redact every log record from now on: a record factory (every logger), plus one
    :class:`SecretFilter` on each named logger (default: the SDK's, werkzeug's, urllib3's
    and every ``harness`` logger that exists now) and on each handler of the root logger.
    A logger's filter sees only the records created on that logger, not those propagating
    from its children (``urllib3.connectionpool`` under ``urllib3``), so each gets its own.
    Calling again adds no duplicate."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "connect_lab_redacts", False):
        logging.setLogRecordFactory(_redacting_factory(current))
    wanted = set(names or LOGGERS)
    if not names:
        wanted |= {n for n in logging.root.manager.loggerDict if n.startswith("harness.")}
    for name in sorted(wanted):
        _add_filter(logging.getLogger(name))
    for handler in logging.getLogger().handlers:
        _add_filter(handler)


def _add_filter(target: logging.Filterer) -> None:
    if not any(isinstance(f, SecretFilter) for f in target.filters):
        target.addFilter(SecretFilter())
