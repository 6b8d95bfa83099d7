""""Your platform": the home-rental marketplace's own web app, as the guide builds it.

It talks to Stripe only through the official ``stripe`` SDK, so the same code runs on the
emulator and on real Stripe test mode. It never imports ``harness.emulator``.
"""

from .app import PlatformConfig, create_app

__all__ = ["PlatformConfig", "create_app"]
