"""Keep secrets out of log records.

stripe-python logs every request URL at INFO and every response body at DEBUG (its
``_api_requestor.py``): a PaymentIntent's ``client_secret``, a webhook endpoint's
``whsec_`` secret, a Stripe.js-style ``GET /v1/payment_intents/pi_…?client_secret=…``.
werkzeug's access log holds request lines. So that turning logging up to DEBUG leaks
nothing, :func:`install` adds :class:`SecretFilter` to those loggers and to the harness's
own; it masks each secret the way the notebooks print them:

* API keys ``sk_``/``rk_`` (test or live): ``sk_test_…form`` (as ``config.mask``);
* webhook signing secrets: ``whsec_bf53…`` (the first four characters);
* client secrets: ``pi_123_secret_[redacted]`` (the object ID stays, the secret goes; the
  same form as the platform's own filter in ``harness/platform/checkout.py``).

Publishable keys (``pk_``) are public by design and left alone.
"""

from __future__ import annotations

import logging
import re

from .config import mask

API_KEY = re.compile(r"(?<![A-Za-z0-9])(?:sk|rk)_(?:test|live)_[A-Za-z0-9_]+")
WEBHOOK_SECRET = re.compile(r"(?<![A-Za-z0-9])whsec_([A-Za-z0-9+/=]+)")
CLIENT_SECRET = re.compile(
    r"(?<![A-Za-z0-9])([a-z]{2,7}_(?:test_|live_)?[a-z]*[A-Z0-9][A-Za-z0-9]*)_secret_[A-Za-z0-9]+")
LOGGERS = ("stripe", "werkzeug", "harness", "harness.emulator", "harness.platform")


def redact(text: str) -> str:
    """``text`` with every API key, webhook secret and client secret masked."""
    if "_secret_" in text:
        text = CLIENT_SECRET.sub(r"\1_secret_[redacted]", text)
    if "whsec_" in text:
        text = WEBHOOK_SECRET.sub(lambda m: "whsec_" + m[1][:4] + "…", text)
    if "k_test_" in text or "k_live_" in text:
        text = API_KEY.sub(lambda m: mask(m[0]), text)
    return text


class SecretFilter(logging.Filter):
    """Rewrites a record's message with :func:`redact` (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's to report
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def install(*names: str) -> None:
    """Add one :class:`SecretFilter` to each named logger (default: the SDK's, werkzeug's and
    every ``harness`` logger that exists now). A logger filter sees the records created on
    that logger, so each logger that writes gets its own; calling again adds no duplicate."""
    wanted = set(names or LOGGERS)
    if not names:
        wanted |= {n for n in logging.root.manager.loggerDict if n.startswith("harness.")}
    for name in sorted(wanted):
        logger = logging.getLogger(name)
        if not any(isinstance(f, SecretFilter) for f in logger.filters):
            logger.addFilter(SecretFilter())
