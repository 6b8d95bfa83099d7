"""What a notebook starts lives as long as its kernel, and no longer.

Run All must leave the servers up for the learner's hands, so no cell stops them; instead
the kernel's exit does: background servers are daemon threads of the kernel, and every child
process (``stripe listen``) is tied to the kernel process so that it dies with it, whether the
kernel exits cleanly (restart, shutdown: ``atexit``) or is killed (Linux's parent-death
signal, ``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import signal
import sys
from collections.abc import Callable

__all__ = ["LabStopped", "Stopped", "at_exit", "child_dies_with_us"]

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class LabStopped(RuntimeError):
    """Raised by anything a stopped lab is asked to do."""

    def __init__(self) -> None:
        super().__init__("the lab was stopped: run the first cell again (lab = harness.start())")


class Stopped:
    """Stands in for a stopped lab's client: every use says what happened and what to do,
    instead of a page of APIConnectionError."""

    def __getattr__(self, name: str) -> None:
        raise LabStopped()

    def __repr__(self) -> str:
        return "<stopped lab client>"


def _set_parent_death_signal() -> None:  # runs in the child, between fork and exec
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def child_dies_with_us() -> Callable[[], None] | None:
    """A ``preexec_fn`` for ``subprocess.Popen`` that makes the child get SIGTERM when this
    process ends, even by SIGKILL (Linux). Elsewhere ``None``: :func:`at_exit` still covers a
    clean exit. (The signal follows the thread that started the child: start children from
    the kernel's main thread, as notebook cells do.)"""
    return _set_parent_death_signal if sys.platform.startswith("linux") else None


def at_exit(stop: Callable[[], object]) -> None:
    """Call ``stop`` when the kernel exits (restart or shutdown), errors ignored."""

    def run() -> None:
        try:
            stop()
        except Exception:  # noqa: BLE001 - exiting anyway; nothing to tell anyone
            pass

    atexit.register(run)
