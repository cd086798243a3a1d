"""``pyworker dev`` on a real pseudo-terminal: keys are written to it as a user types them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.conftest import ROOT

DEADLINE = 20.0
# The child makes the pty its controlling terminal (as a login shell would), then runs pyworker dev:
# Ctrl-C then reaches it as SIGINT from the terminal, and it owns the terminal's foreground.
_LAUNCH = (
    "import fcntl, os, sys, termios\n"
    "os.setsid()\n"
    "fcntl.ioctl(0, termios.TIOCSCTTY, 0)\n"
    "os.execv(sys.executable, [sys.executable, '-m', 'pyworker', 'dev', *sys.argv[1:]])\n"
)
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class PtyDev:
    """The real ``pyworker dev`` with stdin, stdout and stderr on one pty."""

    def __init__(self, *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> None:
        self.master, slave = os.openpty()
        full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1", **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCH, *args], cwd=cwd, stdin=slave, stdout=slave, stderr=slave, env=full_env
        )
        os.close(slave)
        self.raw = ""
        self._changed = threading.Condition()
        self._done = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:  # EIO: the child closed the terminal
                data = b""
            with self._changed:
                if not data:
                    self._done = True
                    self._changed.notify_all()
                    return
                self.raw += data.decode("utf-8", "replace")
                self._changed.notify_all()

    def lines(self) -> list[str]:
        return [ANSI.sub("", line) for line in self.raw.replace("\r\n", "\n").split("\n")]

    def wait_for(self, pattern: str, after: int = 0) -> re.Match[str]:
        """The first line (from line ``after`` on) that matches ``pattern``, waiting for it to be printed."""
        found: list[re.Match[str]] = []

        def search() -> bool:
            found[:] = [m for line in self.lines()[after:] if (m := re.search(pattern, line))][:1]
            return bool(found) or self._done

        with self._changed:
            self._changed.wait_for(search, DEADLINE)
        if not found:
            raise AssertionError(f"no line matched {pattern!r}; output:\n{self.raw}")
        return found[0]

    def press(self, keys: str) -> int:
        """Type ``keys``; returns the number of lines printed so far (to wait for what follows)."""
        mark = len(self.lines()) - 1
        os.write(self.master, keys.encode())
        return mark

    def wait_exit(self) -> int:
        code = self.proc.wait(timeout=DEADLINE)
        end = time.monotonic() + DEADLINE
        with self._changed:
            self._changed.wait_for(lambda: self._done, max(0.0, end - time.monotonic()))
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(DEADLINE)
        os.close(self.master)
