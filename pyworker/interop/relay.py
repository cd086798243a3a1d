"""A child process's output, shown by the parent's printer as if the worker ran in the parent.

The child writes whole lines with the parent's colours and padding (it adopted them,
:meth:`~pyworker.printer.Printer.adopt`), so most of its lines already begin with the
worker's prefix; any other line (a warning, ``Error: ...`` from its command line, a crash
report on its stderr) gets the prefix here, so every line says which worker's process
wrote it. Lines go to the printer whole: the terminal never gets half a line of a child
between two of another. A line that is exactly :data:`READY` is the child's signal that it
serves (the printer escapes control characters, so no printed line can forge it).
"""

from __future__ import annotations

from collections.abc import Callable

from pyworker.printer import Printer

READY = "\x00pyworker:ready"
MAX_LINE = 1 << 20  # characters: a longer line without a newline is shown in pieces of this size


class Relay:
    """Feeds bytes of one child's output (:meth:`feed`, then :meth:`close` at its end) to ``printer``."""

    def __init__(self, printer: Printer, worker: str, ready: Callable[[], None]) -> None:
        self.printer = printer
        self.worker = worker
        self.ready = ready
        self._partial = b""

    def feed(self, data: bytes) -> None:
        *lines, self._partial = (self._partial + data).split(b"\n")
        while len(self._partial) > MAX_LINE:
            lines.append(self._partial[:MAX_LINE])
            self._partial = self._partial[MAX_LINE:]
        for line in lines:
            self._line(line.decode("utf-8", "replace").rstrip("\r"))

    def close(self) -> None:
        """The child's output ended: what it left without a newline is a line too."""
        if self._partial:
            partial, self._partial = self._partial, b""
            self._line(partial.decode("utf-8", "replace"))

    def _line(self, text: str) -> None:
        if text == READY:
            self.ready()
            return
        prefix = self.printer.prefix(self.worker)
        if text != prefix.rstrip() and not text.startswith(prefix + " "):
            text = f"{prefix} {text}"
        self.printer.write(text, "always")  # the child filtered by the log level already
