"""Stripe's browser side, in one place: the hosted pages (Checkout's payment page, Connect
onboarding, OAuth's authorize page, the Express Dashboard, the platform's Dashboard), their
templates, and the Stripe.js stand-in with its static files.

These modules render pages and read forms; the rules and the records stay in the resource
modules (``resources/``), whose functions the pages call. Every route here is a ``page``
route: the core decodes its parameters, runs it in one transaction with its events, and
adds the browser safety headers (``pipeline.harden``). Importing this package registers
the routes.
"""

from . import (  # noqa: F401
    checkout_page,
    dashboard_pages,
    oauth_pages,
    onboarding_pages,
    platform_dashboard,
    stripejs,
)
