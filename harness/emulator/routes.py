"""Importing this module registers every route of the emulator, in one place: each
resource module (``resources/``), Stripe's browser side (``hosted/``), the
``/_emulator/*`` controls and the Stripe CLI's protocol. The core itself never names
them; :class:`~harness.emulator.Emulator` imports this module before it builds its URL
map."""

from . import cli_protocol, control_routes, hosted, resources  # noqa: F401
