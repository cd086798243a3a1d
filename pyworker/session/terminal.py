"""The terminal under the hotkey session: keys without echo while serving, the user's modes back after.

In cbreak mode each key arrives at once and is not echoed, while Ctrl-C still raises
SIGINT (the server's signal handler stops it). The terminal's own settings are put back
on exit, and whenever something else needs it as it was (pdb at a ``breakpoint()``).
"""

from __future__ import annotations

import contextlib
import os
import sys
import termios
import tty
from typing import Any, TextIO


def interactive(stdin: TextIO, stdout: TextIO) -> bool:
    """Whether a key session can run: stdin and stdout are a terminal, and this process owns it
    (not ``pyworker dev &``, where reading keys would stop the process)."""
    try:
        fd = stdin.fileno()
        if not (os.isatty(fd) and stdout.isatty()):
            return False
        return os.tcgetpgrp(fd) == os.getpgrp()
    except (AttributeError, ValueError, OSError):
        return False


class Terminal:
    """Switches one terminal between key mode and the modes it had."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._saved: list[Any] | None = None

    def keys(self) -> None:
        """Keys one at a time, not echoed; Ctrl-C still interrupts."""
        with contextlib.suppress(termios.error):
            if self._saved is None:
                self._saved = termios.tcgetattr(self.fd)
            tty.setcbreak(self.fd, termios.TCSANOW)

    def restore(self) -> None:
        """The terminal as it was before :meth:`keys`."""
        if self._saved is not None:
            with contextlib.suppress(termios.error):
                termios.tcsetattr(self.fd, termios.TCSANOW, self._saved)

    def read(self) -> str:
        """The keys pressed since the last read ("" at end of input)."""
        try:
            data = os.read(self.fd, 64)
        except (BlockingIOError, InterruptedError):
            return ""
        return data.decode(sys.stdin.encoding or "utf-8", "replace") if data else "\x04"
