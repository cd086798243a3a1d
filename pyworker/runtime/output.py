"""What worker code prints, under the worker's prefix: ``print``, ``sys.stderr`` and ``logging``.

Every worker shares one process, so ``sys.stdout`` cannot belong to one of them. While
:meth:`WorkerOutput.installed` is active, ``sys.stdout`` and ``sys.stderr`` are stand-ins
that hand each complete line a worker writes to the printer under that worker's name,
and one handler on the root logger does the same for log records; the printer keeps them
in the order they were made, beside ``console.log`` and pyworker's own lines. Writes from
outside every worker go to the streams as before.

Whose write it is: the running worker (:data:`~pyworker.runtime.scope.current_worker`,
which tasks and ``asyncio.to_thread`` inherit), else, in a plain ``threading.Thread``
(which inherits no context), the worker whose module defines the thread's target.

``print`` always shows, as ``console.log`` does on Cloudflare; ``sys.stderr`` lines are
errors; log records keep their level, and the root logger's level follows ``--log-level``.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import threading
from collections.abc import Generator
from typing import Any, TextIO

from pyworker.printer import Printer
from pyworker.runtime.scope import current_worker
from pyworker.tracebacks import format_user_traceback, users_names

_LOGGING_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "log": logging.INFO, "warn": logging.WARNING}


# Libraries pyworker runs worker code on: their info and debug records are not the worker's.
_OWN_LOGGERS = frozenset({"httpx", "httpcore", "asyncio", "uvicorn", "watchfiles", "h11"})


def logging_level(log_level: str) -> int:
    """The root logger's level for a ``--log-level``: records below it are never even made."""
    return _LOGGING_LEVELS.get(log_level, logging.ERROR if log_level == "error" else logging.CRITICAL + 1)


def printer_level(levelno: int) -> str:
    """The printer's level for a log record's."""
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warn"
    return "info" if levelno >= logging.INFO else "debug"


def owner() -> str | None:
    """The name of the worker whose code is running in this task or thread, if any."""
    scope = current_worker.get()
    if scope is not None:
        return scope.name
    thread = threading.current_thread()
    function = getattr(thread, "_target", None) or type(thread).run
    function = getattr(function, "__func__", function)  # a bound method: its function
    spec = getattr(function, "__globals__", {}).get("__spec__")
    module = getattr(spec, "name", None)  # a worker module's spec keeps its full name (its __name__ is bare)
    if not isinstance(module, str) or not module.startswith("_pyworker_"):
        return None
    package = sys.modules.get(module.partition(".")[0])
    loader = getattr(getattr(package, "__spec__", None), "loader", None)
    name = getattr(loader, "worker", None)
    return name if isinstance(name, str) else None


class WorkerStream(io.TextIOBase):
    """``sys.stdout`` or ``sys.stderr`` while serving: a worker's lines go to the printer, others through."""

    def __init__(self, original: TextIO, printer: Printer, level: str) -> None:
        self.original = original
        self.printer = printer
        self.level = level
        self._partial: dict[tuple[str, int], str] = {}  # (worker, thread) -> text after its last newline
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        name = owner()
        if name is None:
            return self.original.write(text)
        key = (name, threading.get_ident())
        with self._lock:
            text = self._partial.pop(key, "") + text
            complete, newline, rest = text.rpartition("\n")
            if rest:
                self._partial[key] = rest
        if newline:
            self.printer.worker(name, complete, self.level)
        return len(text)

    def flush(self) -> None:
        with contextlib.suppress(ValueError, OSError):
            self.original.flush()

    def finish(self) -> None:
        """Print what was written without a final newline."""
        with self._lock:
            partial, self._partial = self._partial, {}
        for (name, _), text in partial.items():
            self.printer.worker(name, text, self.level)

    def isatty(self) -> bool:
        return False  # a worker's lines go through the printer, which decides about colour

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.original, "encoding", None) or "utf-8"

    def fileno(self) -> int:
        return self.original.fileno()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original, name)


class WorkerLogHandler(logging.Handler):
    """On the root logger while serving: a worker's records under its prefix, at their level.

    Records from outside every worker (libraries pyworker uses) show from WARNING up, plainly.
    """

    def __init__(self, printer: Printer) -> None:
        super().__init__(logging.NOTSET)
        self.printer = printer

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.WARNING and record.name.partition(".")[0] in _OWN_LOGGERS:
            return  # pyworker's own machinery (outbound fetch is httpx) says nothing worker code did
        try:
            text = record.getMessage()
        except Exception as exc:  # a bad format string in worker code: say so, keep serving
            text = f"(a log message that could not be formatted: {type(exc).__name__}: {exc}; {record.msg!r})"
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + "".join(format_user_traceback(record.exc_info[1])).rstrip()
        elif record.stack_info:
            text += "\n" + record.stack_info
        level = printer_level(record.levelno)
        name = owner()
        if name is not None:
            self.printer.worker(name, users_names(text), level)
        elif record.levelno >= logging.WARNING:
            self.printer.write(f"[{record.name}] {text}", level)


class WorkerOutput:
    """Routes worker output to the printer while :meth:`installed`; restores the process's after."""

    def __init__(self, printer: Printer) -> None:
        self.printer = printer

    @contextlib.contextmanager
    def installed(self, log_level: str) -> Generator[None, None, None]:
        stdout = WorkerStream(sys.stdout, self.printer, "always")
        stderr = WorkerStream(sys.stderr, self.printer, "error")
        previous = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = stdout, stderr
        root = logging.getLogger()
        handler = WorkerLogHandler(self.printer)
        root.addHandler(handler)
        level = root.level
        root.setLevel(logging_level(log_level))
        try:
            yield
        finally:
            root.removeHandler(handler)
            root.setLevel(level)
            if sys.stdout is stdout and sys.stderr is stderr:
                sys.stdout, sys.stderr = previous
            stdout.finish()
            stderr.finish()
