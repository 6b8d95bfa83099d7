"""Connect Lab's harness: configuration, the offline emulator, the platform app, and the
glue notebooks call. Start here with :func:`start`."""

from . import logsafe
from .config import LiveKeyRefused
from .lab import Lab, start

logsafe.install()  # secrets never reach a log record, even at DEBUG

__all__ = ["Lab", "LiveKeyRefused", "start"]
