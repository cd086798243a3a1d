"""A warning when worker code blocks the event loop: ``[w] blocked the event loop for 1.2 s in GET /x``.

Every worker shares one event loop, so a handler that blocks it (``time.sleep``, a
synchronous HTTP client, heavy computation) stalls every other worker and request. A
heartbeat runs on the loop every :data:`BEAT` seconds; a thread notices when it is
late, looks at what the loop's thread is running (the innermost invocation frame gives
the worker, the HTTP adapter's frame the request, the innermost frame of worker code
the file and line) and, while the loop stays blocked, says so at once and again every
:data:`REPEAT` seconds (through the printer's :meth:`~pyworker.printer.Printer.write_now`,
as the loop cannot print). Once the loop runs again the heartbeat prints how long it was
blocked. Worker code that holds the loop longer than ``--request-timeout`` is interrupted:
:class:`HandlerInterrupted` is raised in the loop's thread, where the code runs (code
blocked inside a C call, ``time.sleep(60)``, is interrupted only once the call returns).
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from pyworker.config.files import display_path
from pyworker.printer import Printer
from pyworker.serving.adapter import WorkerApp
from pyworker.serving.requests import raw_target
from pyworker.worker import Worker

BEAT = 0.05  # seconds between heartbeats; a block shorter than the threshold is never reported
REPEAT = 5.0  # seconds between the lines saying the loop is still blocked
_INVOKE = Worker.invoke.__code__
_ADAPTER = WorkerApp.__call__.__code__
_WORKER_MODULES = "_pyworker_"  # every worker module's name starts so (pyworker.loading.modules)


@dataclass
class Culprit:
    """What the loop's thread was running when the heartbeat was found late."""

    worker: str | None = None
    request: str | None = None
    where: str | None = None

    def describe(self) -> str:
        request = f" in {self.request}" if self.request else ""
        return request + (f" ({self.where})" if self.where else "")


class HandlerInterrupted(BaseException):
    """Raised where worker code holds the event loop too long (past ``--request-timeout``, or at Ctrl-C).

    A ``BaseException``, so ``except Exception`` in the blocking loop does not swallow it; the
    invocation frame reports it as that worker's error. Raised by class (as
    ``PyThreadState_SetAsyncExc`` does), so its message is the class's.
    """

    MESSAGE = "the handler held the event loop too long and was interrupted."

    def __init__(self, *args: object) -> None:
        super().__init__(*(args or (self.MESSAGE,)))


class LoopWatchdog:
    """Warns under a worker's prefix when the loop was blocked for ``threshold`` seconds or more.

    With ``interrupt_after`` (the ``--request-timeout``), worker code blocking the loop that long is interrupted.
    """

    def __init__(self, printer: Printer, threshold: float, interrupt_after: float = 0.0) -> None:
        self.printer = printer
        self.threshold = threshold
        self.interrupt_after = interrupt_after
        self._said = 0.0  # how long the loop had been blocked when the thread last said so (0: not yet)
        self._interrupted = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._due = 0.0
        self._culprit: Culprit | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._stop = threading.Event()

    def __enter__(self) -> LoopWatchdog:
        if self.threshold > 0:
            self._loop = asyncio.get_running_loop()
            self._loop_thread = threading.get_ident()
            self._schedule()
            threading.Thread(target=self._watch, name="pyworker-watchdog", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._timer is not None:
            self._timer.cancel()

    def _schedule(self) -> None:
        assert self._loop is not None
        self._due = time.monotonic() + BEAT
        self._timer = self._loop.call_later(BEAT, self._beat)

    def _beat(self) -> None:
        late = time.monotonic() - self._due
        culprit, self._culprit = self._culprit, None
        self._said, self._interrupted = 0.0, False
        if late >= self.threshold:
            self._report(late, culprit or Culprit())
        self._schedule()

    def _report(self, late: float, culprit: Culprit) -> None:
        if culprit.worker is None:
            self.printer.warning(f"The event loop was blocked for {late:.1f} s{culprit.describe()}.")
            return
        message = f"blocked the event loop for {late:.1f} s{culprit.describe()}"
        self.printer.worker(culprit.worker, message, "warn")

    def _watch(self) -> None:
        while not self._stop.wait(BEAT):
            late = time.monotonic() - self._due
            if late <= min(self.threshold / 2, 4 * BEAT):
                continue
            frame = sys._current_frames().get(self._loop_thread)
            if frame is None:
                continue
            culprit = inspect_stack(frame)
            del frame
            if self._culprit is None:
                self._culprit = culprit
            if late >= self.threshold and (not self._said or late - self._said >= REPEAT):
                self._say(late, culprit)
            if 0 < self.interrupt_after <= late and culprit.where is not None and not self._interrupted:
                self._interrupt(late, culprit)

    def _say(self, late: float, culprit: Culprit) -> None:
        """From the thread, while the loop is blocked: what blocks it, for how long so far."""
        still = "still " if self._said else ""
        self._said = late
        state = f"{late:.1f} s so far{culprit.describe()}; every worker waits. Ctrl-C stops the server."
        if culprit.worker is None:
            self.printer.write_now(f"Warning: The event loop is {still}blocked: {state}")
        else:
            self.printer.write_now(f"is {still}blocking the event loop: {state}", worker=culprit.worker)

    def _interrupt(self, late: float, culprit: Culprit) -> None:
        self._interrupted = True
        what = culprit.request or "its code"
        text = f"{what} held the event loop for {late:.1f} s, past --request-timeout: interrupting it where it runs."
        self.printer.write_now(text, "error", culprit.worker)
        interrupt(self._loop_thread, HandlerInterrupted)

    def blocked_in_worker_code(self) -> bool:
        """Whether worker code holds the loop now (the heartbeat is late): a Ctrl-C then interrupts it."""
        if self._loop is None or time.monotonic() - self._due < 4 * BEAT:
            return False
        frame = sys._current_frames().get(self._loop_thread)
        return frame is not None and inspect_stack(frame).where is not None


def interrupt(thread: int, error: type[BaseException]) -> None:
    """Raise ``error`` in ``thread`` at its next bytecode (CPython's ``PyThreadState_SetAsyncExc``)."""
    import ctypes  # here: ctypes costs ~3 ms at start-up, and most sessions never interrupt

    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), ctypes.py_object(error))


def in_worker_code(frame: FrameType) -> bool:
    """Whether ``frame`` runs a module of some worker's code."""
    # A worker module's __name__ is bare ("entry"), as deployed; its spec keeps the generation's prefix.
    spec = frame.f_globals.get("__spec__")
    name = getattr(spec, "name", None) or frame.f_globals.get("__package__") or ""
    return isinstance(name, str) and name.startswith(_WORKER_MODULES)


def inspect_stack(frame: FrameType | None) -> Culprit:
    """Walk from the innermost frame outwards: the first invocation frame, the last adapter frame, worker code."""
    culprit = Culprit()
    while frame is not None:
        code = frame.f_code
        if culprit.where is None and in_worker_code(frame):
            culprit.where = f"{display_path(Path(code.co_filename))}, line {frame.f_lineno}"
        elif code is _INVOKE and culprit.worker is None:
            worker = frame.f_locals.get("self")
            culprit.worker = getattr(worker, "name", None)
        elif code is _ADAPTER:
            app, scope = frame.f_locals.get("self"), frame.f_locals.get("scope")
            if isinstance(scope, dict) and scope.get("type") == "http":
                culprit.request = f"{scope.get('method')} {raw_target(scope)}"
            if culprit.worker is None:
                culprit.worker = getattr(getattr(app, "worker", None), "name", None)
        frame = frame.f_back
    return culprit
