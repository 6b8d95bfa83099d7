"""Connect Lab's harness: configuration, the offline emulator, the platform app, and the
glue notebooks call. Start here with :func:`start`."""

from .config import LiveKeyRefused
from .lab import Lab, start

__all__ = ["Lab", "LiveKeyRefused", "start"]
