"""Run the real Stripe CLI (npm ``@stripe/cli``) against the active backend.

The same two commands as the guide, on either backend:

- ``stripe listen … --forward-to URL`` as a background process whose output lines are kept
  and whose ``whsec_`` signing secret is read from its "Ready!" line;
- ``stripe trigger EVENT``, which runs the CLI's own fixture requests.

On the emulator the commands get ``--api-base http://127.0.0.1:PORT`` (and ``--no-wss``
for ``listen``); in Stripe test mode they run without it. The secret key reaches the CLI
through ``STRIPE_API_KEY`` in the child's environment (which the CLI prefers over
``--api-key``), so it never appears on a command line, in ``ps`` or in a notebook.

    cli = StripeCLI.for_lab(lab)
    with cli.listen("http://127.0.0.1:4242/webhook", events=["payment_intent.succeeded"]) as ls:
        print(ls.secret)                      # whsec_… to verify signatures with
        cli.trigger("payment_intent.succeeded")
        ls.wait_for("payment_intent.succeeded")
        print("\\n".join(ls.lines))
"""

from __future__ import annotations

import json
import os
import platform as _platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import emulator_controls, lifetime
from .config import mask

ROOT = Path(__file__).resolve().parents[2]
SHIM = ROOT / "node_modules" / ".bin" / "stripe"
DEVICE_NAME = "connect-lab"
SECRET = re.compile(r"whsec_[A-Za-z0-9]+")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")
# "2026-11-26 12:18:14   --> connect account.updated [evt_…]"
EVENT_LINE = re.compile(r"-->\s+(connect\s+)?(\S+)\s+\[(evt_\w+)\]")
# "2026-11-26 12:18:14  <--  [200] POST http://127.0.0.1:4242/webhook [evt_…]"
RESPONSE_LINE = re.compile(r"<--\s+\[(\d+)\]\s+(\S+)\s+(\S+)\s+\[(evt_\w+)\]")

__all__ = ["Listener", "StripeCLI", "StripeCLINotFound", "TriggerResult", "find_binary"]


class StripeCLINotFound(RuntimeError):
    """``node_modules/.bin/stripe`` is missing: run ``make system`` (npm ci)."""


def _native(root: Path) -> Path | None:
    """The Go binary the npm shim would start (signals then reach the CLI itself)."""
    machine = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(
        _platform.machine().lower())
    try:
        table = json.loads((root / "node_modules/@stripe/cli/platforms.json").read_text())
        spec = table[f"{sys.platform}-{machine}"]
    except (OSError, ValueError, KeyError):
        return None
    path = root / "node_modules" / spec["pkg"] / "bin" / spec["bin"]
    return path if path.is_file() and os.access(path, os.X_OK) else None


def find_binary(root: Path = ROOT) -> Path | None:
    """The project's Stripe CLI (``node_modules/.bin/stripe``), else one on PATH.
    ``CONNECT_LAB_STRIPE_CLI`` names it instead (a path that does not exist: none here)."""
    explicit = os.environ.get("CONNECT_LAB_STRIPE_CLI")
    if explicit:
        return Path(explicit) if Path(explicit).exists() else None
    shim = root / "node_modules" / ".bin" / "stripe"
    if shim.exists():
        return _native(root) or shim
    found = shutil.which("stripe")
    return Path(found) if found else None


def _clean(line: str) -> str:
    return ANSI.sub("", line).rstrip()


def _kill_group(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    """SIGTERM (what Ctrl-C does), then SIGKILL: the whole process group we started."""
    if proc.poll() is not None:
        return
    try:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGTERM)
        else:  # pragma: no cover - Windows
            proc.terminate()
        proc.wait(timeout=timeout)
    except (ProcessLookupError, PermissionError):
        pass
    except subprocess.TimeoutExpired:
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, signal.SIGKILL)
        else:  # pragma: no cover
            proc.kill()
        proc.wait(timeout=timeout)


@dataclass
class TriggerResult:
    event: str
    returncode: int
    lines: list[str]

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def __str__(self) -> str:
        return "\n".join(self.lines)


class StripeCLI:
    """The CLI, configured for one backend (the emulator at ``api_base``, or test mode)."""

    def __init__(
        self,
        secret_key: str,
        api_base: str | None = None,
        binary: str | Path | None = None,
        device_name: str = DEVICE_NAME,
    ) -> None:
        if not secret_key.startswith(("sk_test_", "rk_test_")):
            raise ValueError("The Stripe CLI helper only runs with a test-mode secret key.")
        found = Path(binary) if binary else find_binary()
        if found is None:
            raise StripeCLINotFound(
                "The Stripe CLI is not installed: run `make system` (it installs npm "
                "@stripe/cli into node_modules/.bin).")
        self.binary = found
        self.api_base = api_base.rstrip("/") if api_base else None
        self.device_name = device_name
        self._key = secret_key

    @classmethod
    def for_lab(cls, lab: Any, **kwargs: Any) -> StripeCLI:
        """Emulator: point the CLI at it with ``--api-base``. Test mode: Stripe itself."""
        api_base = lab.api_base if lab.config.is_emulator else None
        return cls(lab.config.secret_key, api_base=api_base, **kwargs)

    @property
    def is_emulator(self) -> bool:
        return self.api_base is not None

    # -- command lines ------------------------------------------------------------------
    def args(self, *command: str) -> list[str]:
        """The full argv for ``stripe COMMAND…`` on this backend (no key in it)."""
        out = [str(self.binary), *command, "--color", "off", "--device-name", self.device_name]
        if self.api_base:
            out += ["--api-base", self.api_base]
            if command and command[0] == "listen":
                out.append("--no-wss")
        return out

    def display(self, *command: str) -> str:
        """What to show a reader: the command as typed, the key masked."""
        shown = ["stripe", *self.args(*command)[1:]]
        return f"STRIPE_API_KEY={mask(self._key)} " + " ".join(shown)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["STRIPE_API_KEY"] = self._key  # wins over --api-key and any logged-in profile
        env["STRIPE_CLI_TELEMETRY_OPTOUT"] = "1"
        env.pop("STRIPE_DEVICE_NAME", None)
        return env

    # -- stripe trigger -----------------------------------------------------------------
    def trigger(
        self, event: str, *extra: str, timeout: float = 60, check: bool = True
    ) -> TriggerResult:
        """``stripe trigger EVENT``: the CLI's fixture for EVENT, run against this backend."""
        proc = subprocess.Popen(
            self.args("trigger", event, *extra), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=self.env(),
            start_new_session=True,
        )
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, _ = proc.communicate()
            out += f"\n(stripe trigger {event} timed out after {timeout:g} s)"
        lines = [_clean(line) for line in out.splitlines() if _clean(line)]
        result = TriggerResult(event, proc.returncode, lines)
        if check and not result.ok:
            raise RuntimeError(f"stripe trigger {event} failed (exit {proc.returncode}):\n"
                               + "\n".join(lines[-15:]))
        return result

    # -- stripe listen ------------------------------------------------------------------
    def listen(
        self,
        forward_to: str | None = None,
        *,
        events: Sequence[str] | str = "all",
        forward_connect_to: str | None = None,
        extra: Sequence[str] = (),
        ready_timeout: float = 30,
    ) -> Listener:
        """Start ``stripe listen`` in the background and wait for its "Ready!" line.

        CLI 1.52 needs an explicit choice of events: ``events="all"`` becomes
        ``--all-snapshot``, ``events="all-thin"`` becomes ``--all-thin`` (every thin v2
        event), a list becomes ``--events a,b`` (thin types such as
        ``v2.core.account.created`` may be in it: the CLI tells them apart by their ``v2.``
        prefix). Platform events go to ``forward_to``; Connect events (those with
        ``account``, or a thin event's ``context``) to ``forward_connect_to``, which
        defaults to ``forward_to``, as in the CLI. CLI 1.52 refuses to forward snapshot and
        thin events to the same URL: run one listener per kind. (1.52 still accepts the
        older ``--thin-events``/``--forward-thin-to`` but hides them from ``--help``; the
        CLI's ``v2`` branch refuses them (``pkg/cmd/listen.go``, ``checkRemovedFlags``), so
        they are not used here.)
        """
        command = ["listen", "--skip-update"]
        if isinstance(events, str) and events == "all":
            command.append("--all-snapshot")
        elif isinstance(events, str) and events == "all-thin":
            command.append("--all-thin")
        else:
            names = [events] if isinstance(events, str) else list(events)
            if not names:
                raise ValueError("events: name at least one event type, or 'all'")
            command += ["--events", ",".join(names)]
        if forward_to:
            command += ["--forward-to", forward_to]
        if forward_connect_to:
            command += ["--forward-connect-to", forward_connect_to]
        command += list(extra)
        listener = Listener(self, command)
        try:
            listener.wait_ready(ready_timeout)
        except Exception:
            listener.stop()
            raise
        return listener


class Listener:
    """A running ``stripe listen``: its output lines (stdout and stderr, in arrival order),
    its signing secret, and what the local endpoints answered."""

    def __init__(self, cli: StripeCLI, command: list[str]) -> None:
        self.cli = cli
        self.command = command
        self.secret: str | None = None
        self._lines: list[str] = []
        self.display = self.cli.display(*self.command)
        self._changed = threading.Condition()
        self.proc = subprocess.Popen(
            self.cli.args(*self.command), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, bufsize=1, env=self.cli.env(),
            start_new_session=True, preexec_fn=lifetime.child_dies_with_us(),
        )
        lifetime.at_exit(self.stop)  # a kernel restart must leave no `stripe listen` behind
        self._readers = [
            threading.Thread(target=self._read, args=(stream,), daemon=True,
                             name=f"stripe-listen-{name}")
            for name, stream in (("out", self.proc.stdout), ("err", self.proc.stderr))
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: Any) -> None:
        for raw in iter(stream.readline, ""):
            line = _clean(raw)
            if not line:
                continue
            with self._changed:
                self._lines.append(line)
                if self.secret is None and "Ready!" in line:
                    found = SECRET.search(line)
                    self.secret = found.group(0) if found else None
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    # -- reading its output ---------------------------------------------------------------
    @property
    def lines(self) -> list[str]:
        with self._changed:
            return list(self._lines)

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def wait_for(self, pattern: str | re.Pattern, timeout: float = 15, start: int = 0) -> str:
        """The first output line (from index ``start``) that matches ``pattern``."""
        regex = re.compile(re.escape(pattern)) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self._lines[start:]:
                    if regex.search(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._readers_alive()):
                    break
                self._changed.wait(min(left, 0.25))
        tail = "\n".join(self.lines[-15:])
        state = "running" if self.running else f"exited {self.proc.returncode}"
        raise TimeoutError(f"stripe listen ({state}) printed no line matching "
                           f"{regex.pattern!r} within {timeout:g} s. Its output:\n{tail}")

    def _readers_alive(self) -> bool:
        return any(r.is_alive() for r in self._readers)

    def wait_ready(self, timeout: float = 30) -> str:
        self.wait_for("Ready!", timeout=timeout)
        if self.secret is None:
            raise RuntimeError("stripe listen is ready but printed no whsec_ secret:\n"
                               + "\n".join(self.lines[-5:]))
        return self.secret

    def events(self) -> list[dict[str, Any]]:
        """The events the CLI received and printed (``-->`` lines), in order."""
        out = []
        for line in self.lines:
            found = EVENT_LINE.search(line)
            if found:
                out.append({"type": found.group(2), "id": found.group(3),
                            "connect": bool(found.group(1))})
        return out

    def responses(self) -> list[dict[str, Any]]:
        """What the local endpoints answered, oldest first.

        Emulator: the ``webhook_response`` messages the CLI sent back over its websocket
        (``GET /_emulator/stripecli/responses``, every session of the platform). Test mode:
        Stripe keeps these to itself, so they are read from the CLI's ``<--`` lines.
        """
        if self.cli.is_emulator:
            rows = emulator_controls.call(self.cli.api_base, self.cli._key,
                                          "/_emulator/stripecli/responses", {"limit": 1000},
                                          method="GET", timeout=10)["data"]
            return list(reversed(rows))
        out = []
        for line in self.lines:
            found = RESPONSE_LINE.search(line)
            if found:
                out.append({"status": int(found.group(1)), "forward_url": found.group(3),
                            "event": found.group(4)})
        return out

    def wait_for_response(self, event_id: str, timeout: float = 15) -> dict[str, Any]:
        """The endpoint's answer to ``event_id``, once the CLI has reported it: the CLI
        prints its ``<--`` line before its ``webhook_response`` message reaches Stripe, so
        the line alone does not mean the answer is recorded yet."""
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.responses() if r.get("event") == event_id]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                raise TimeoutError(f"no response to {event_id} reported within {timeout} s")
            time.sleep(0.05)

    # -- stopping -------------------------------------------------------------------------
    def stop(self, timeout: float = 5) -> int | None:
        """Stop the CLI as Ctrl-C would; kill it if it lingers. Returns its exit code."""
        _kill_group(self.proc, timeout)
        for reader in self._readers:
            reader.join(timeout=timeout)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return self.proc.returncode

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else f"exited {self.proc.returncode}"
        secret = (self.secret[:10] + "…") if self.secret else None
        return f"<Listener {state} secret={secret!r} lines={len(self.lines)}>"
