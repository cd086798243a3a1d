"""The one owner of the terminal: every line pyworker shows goes through :class:`Printer`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import threading
from collections.abc import Sequence
from typing import TextIO

from pyworker.tracebacks import format_user_traceback

LEVELS = {"debug": 10, "info": 20, "log": 20, "warn": 30, "error": 40, "none": 100}
_RANKS = {**LEVELS, "always": 1000}  # "always": a worker's print(), shown at every --log-level, as console.log
_COLOURS = (36, 33, 32, 35, 34, 91, 92, 93, 94, 95, 96)  # honcho-style rotation
# What could move the cursor, recolour, retitle or reorder the terminal: C0 and C1 controls (but tab),
# DEL, and Unicode's invisible direction marks and line separators.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r"}
MAX_LOGGED_TARGET = 200  # characters of a request target shown in its log line
MAX_LOGGED_METHOD = 32  # characters of a request method shown in its log line
_KEPT_HEADS = 1024  # request lines' heads kept at most (then forgotten at once: a cache, not a record)
_PACE = 0.02  # seconds the output thread rests between writes (lines wait at most this long)


class Printer:
    """Writes lines with ``[worker]`` prefixes, coloured only on a TTY, filtered by log level.

    With ``batch=True`` (the CLI's terminal), lines written during one event-loop turn go
    out together at the end of it: under load, one write to the terminal carries many
    request lines instead of one each. With ``background=True`` they are written by a
    thread of their own, so a terminal or pipe that stops reading (``pyworker dev | less``)
    never blocks the event loop: at most ``buffer_limit`` characters wait, and lines
    beyond that are dropped and counted. Call :meth:`flush` before exiting.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        level: str = "info",
        colour: bool | None = None,
        batch: bool = False,
        background: bool = False,
        buffer_limit: int = 1 << 20,
    ) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.level = LEVELS[level]
        if colour is None:
            colour = _isatty(self.stream) and "NO_COLOR" not in os.environ
        self.colour = colour
        self.batch = batch
        self._colours: dict[str, int] = {}
        self._pending: list[str] = []
        self._hinted: set[tuple[object, ...]] = set()
        self._lock = threading.Lock()  # the batch, for lines written from other threads
        self._width = 0  # the longest worker name (see known())
        self._heads: dict[tuple[str, str, str], str] = {}  # request lines' "[w] GET /x", made once per target
        self._writer = _Writer(self.stream, buffer_limit) if background else None

    # -- building blocks ------------------------------------------------------------
    def _paint(self, text: str, code: int) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text

    def prefix(self, worker: str) -> str:
        code = self._colours.setdefault(worker, _COLOURS[len(self._colours) % len(_COLOURS)])
        if self.colour:  # on a terminal, as honcho does: names padded to the longest, so lines align
            return self._paint(f"[{worker}]", code) + " " * (self._width - len(worker))
        return f"[{worker}]"

    def style(self, worker: str) -> tuple[int, int]:
        """The colour code of ``worker``'s prefix and the width names are padded to: a child process's
        printer :meth:`adopt` s them, so its lines look as this printer's own."""
        self.prefix(worker)
        return self._colours[worker], self._width

    def adopt(self, worker: str, code: int, width: int) -> None:
        """Show ``worker``'s prefix in colour ``code``, padded to ``width`` (see :meth:`style`)."""
        self._colours[worker] = code
        self._width = max(self._width, width)

    def known(self, workers: Sequence[str]) -> None:
        """The workers whose lines will show: on a terminal, prefixes are padded to the longest name."""
        self._width = max([self._width, *(len(name) for name in workers)])
        self._heads.clear()  # their prefixes are padded anew

    def write(self, text: str, level: str = "info") -> None:
        if _RANKS[level] < self.level:
            return
        if not self.batch:
            self._emit(text)
            return
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # no event loop here (a worker's thread, a watchdog): after what is batched
            loop = None
        with self._lock:
            if loop is None:
                pending, self._pending = self._pending, []
                self._emit("\n".join([*pending, text]))
            else:
                if not self._pending:
                    loop.call_soon(self.drain)
                self._pending.append(text)

    def drain(self) -> None:
        """Write out the lines batched so far (to the writer thread, with ``background``)."""
        with self._lock:
            if self._pending:
                text, self._pending = "\n".join(self._pending), []
                self._emit(text)

    def flush(self, timeout: float = 2.0) -> None:
        """Before exiting: write out everything, waiting at most ``timeout`` for a slow terminal."""
        self.drain()
        if self._writer is not None:
            self._writer.flush(timeout)

    def write_now(self, text: str, level: str = "warn", worker: str | None = None) -> None:
        """Write ``text`` (under ``worker``'s prefix) at once, from any thread: not batched, as
        the event loop may be blocked (the watchdog says so while it is)."""
        if LEVELS[level] >= self.level:
            self._emit(f"{self.prefix(worker)} {escape(text)}" if worker is not None else escape(text))

    def _emit(self, text: str) -> None:
        if self._writer is not None:
            self._writer.put(text)
        else:
            _write(self.stream, text)

    # -- what pyworker says ----------------------------------------------------------
    def worker(self, worker: str, text: str, level: str = "info") -> None:
        """Each line of ``text`` under the worker's prefix; control characters print escaped."""
        if _RANKS[level] < self.level:
            return
        prefix = self.prefix(worker)
        lines = text.split("\n")
        if len(lines) > 1 and not lines[-1]:
            lines.pop()
        self.write("\n".join(f"{prefix} {escape(line)}" for line in lines), level)

    @property
    def logs_requests(self) -> bool:
        """Whether :meth:`request` prints anything (callers skip building its arguments if not)."""
        return LEVELS["info"] >= self.level

    def request(
        self, worker: str, method: str, path: str, status: int, reason: str, millis: float, note: str = ""
    ) -> None:
        """``[w] GET /x 200 OK (3ms)``; ``status`` 0 means no response was sent, and ``note`` says why."""
        if not self.logs_requests:
            return
        line = self._heads.get((worker, method, path))
        if line is None:
            line = self._request_head(worker, method, path)
        if not status:
            self.write(f"{line} canceled: {note} ({millis:.0f}ms)")
            return
        status_text = f"{status} {reason}".rstrip()
        if status >= 500:
            status_text = self._paint(status_text, 31)
        elif status >= 400:
            status_text = self._paint(status_text, 33)
        text = f"{line} {status_text} ({millis:.0f}ms)"
        self.write(f"{text}, {note}" if note else text)

    def _request_head(self, worker: str, method: str, path: str) -> str:
        """``[w] GET /x``, shortened and escaped: kept, as clients ask for the same targets again and again."""
        key = (worker, method, path)
        if len(path) > MAX_LOGGED_TARGET:
            path = f"{path[:MAX_LOGGED_TARGET]}... ({len(path)} characters)"
        if len(method) > MAX_LOGGED_METHOD:
            method = f"{method[:MAX_LOGGED_METHOD]}... ({len(method)} characters)"
        if len(self._heads) >= _KEPT_HEADS:
            self._heads.clear()
        line = self._heads[key] = f"{self.prefix(worker)} {escape(method)} {escape(path)}"
        return line

    def exception(self, worker: str, exc: BaseException) -> None:
        """The traceback of an error in worker code, without pyworker's own frames."""
        bdb = sys.modules.get("bdb")  # imported only once pdb runs (its import costs start-up time)
        if bdb is not None and isinstance(exc, bdb.BdbQuit):  # q at a breakpoint(): the user ended it on purpose
            self.worker(worker, "pdb: quit (q), so the request was abandoned with a 500.", "error")
            return
        self.worker(worker, "".join(format_user_traceback(exc)).rstrip(), "error")

    def hint(self, worker: str, key: tuple[object, ...], text: str) -> None:
        """Print ``text`` under ``worker`` the first time ``key`` comes up for it; never again."""
        if (worker, *key) in self._hinted:
            return
        self._hinted.add((worker, *key))
        self.worker(worker, text)

    def warning(self, text: str) -> None:
        self.write(self._paint("Warning: ", 33) + escape(text), "warn")

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        header, rows = [escape(str(cell)) for cell in header], [[escape(str(cell)) for cell in row] for row in rows]
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.write("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def escape(text: str) -> str:
    """``text`` with every character that could forge terminal output shown as an escape (``\\x1b``)."""
    return _UNSAFE.sub(_escaped, text) if _UNSAFE.search(text) else text


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


class _Writer:
    """Writes text to a stream from a daemon thread; holds at most ``limit`` characters, then drops and counts.

    Once it starts dropping it drops everything until the thread took what was waiting,
    then says how many lines it dropped, where they would have been. After each write the
    thread waits :data:`_PACE` before the next, so that under load it wakes (and takes the
    GIL from the serving thread) a few dozen times a second, not once per loop turn.
    """

    def __init__(self, stream: TextIO, limit: int) -> None:
        self.stream = stream
        self.limit = limit
        self._changed = threading.Condition()
        self._waiting: list[str] = []
        self._size = 0
        self._dropped = 0
        self._busy = False
        self._hurry = threading.Event()  # set by flush(): write now, no pacing
        self._thread: threading.Thread | None = None

    def put(self, text: str) -> None:
        with self._changed:
            if self._dropped or self._size + len(text) > self.limit:
                self._dropped += text.count("\n") + 1
                return
            self._waiting.append(text)
            self._size += len(text)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="pyworker-output", daemon=True)
                self._thread.start()
            if len(self._waiting) == 1:
                self._changed.notify_all()

    def flush(self, timeout: float) -> None:
        self._hurry.set()
        with self._changed:
            self._changed.wait_for(lambda: not (self._waiting or self._dropped or self._busy), timeout)

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(self._waiting or self._dropped))
                lines, self._waiting, self._size = self._waiting, [], 0
                dropped, self._dropped = self._dropped, 0
                self._busy = True
            if dropped:
                lines.append(
                    f"pyworker: {dropped} lines of output were dropped: the terminal (or pipe) was not reading them."
                )
            _write(self.stream, "\n".join(lines))
            with self._changed:
                self._busy = False
                self._changed.notify_all()
            self._hurry.wait(_PACE)


def _write(stream: TextIO, text: str) -> None:
    with contextlib.suppress(ValueError, OSError):  # the stream may be closed at exit
        stream.write(text + "\n")
        stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
