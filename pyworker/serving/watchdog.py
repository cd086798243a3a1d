"""A warning when worker code blocks the event loop: ``[w] blocked the event loop for 1.2 s in GET /x``.

Every worker shares one event loop, so a handler that blocks it (``time.sleep``, a
synchronous HTTP client, heavy computation) stalls every other worker and request. A
heartbeat runs on the loop every :data:`BEAT` seconds; a thread notices when it is
late, looks at what the loop's thread is running (the innermost invocation frame gives
the worker, the HTTP adapter's frame the request, the innermost frame of worker code
the file and line), and once the loop runs again the heartbeat prints how long it was
blocked. Nothing is printed from the thread: output stays on the loop.
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
_INVOKE = Worker.invoke.__code__
_ADAPTER = WorkerApp.__call__.__code__
_WORKER_MODULES = "_pyworker_"  # every worker module's name starts so (pyworker.loading.modules)


@dataclass
class Culprit:
    """What the loop's thread was running when the heartbeat was found late."""

    worker: str | None = None
    request: str | None = None
    where: str | None = None


class LoopWatchdog:
    """Warns under a worker's prefix when the loop was blocked for ``threshold`` seconds or more."""

    def __init__(self, printer: Printer, threshold: float) -> None:
        self.printer = printer
        self.threshold = threshold
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
        if late >= self.threshold:
            self._report(late, culprit or Culprit())
        self._schedule()

    def _report(self, late: float, culprit: Culprit) -> None:
        where = f" ({culprit.where})" if culprit.where else ""
        request = f" in {culprit.request}" if culprit.request else ""
        if culprit.worker is None:
            self.printer.warning(f"The event loop was blocked for {late:.1f} s{request}{where}.")
            return
        message = f"blocked the event loop for {late:.1f} s{request}{where}"
        self.printer.worker(culprit.worker, message, "warn")

    def _watch(self) -> None:
        while not self._stop.wait(BEAT):
            if self._culprit is None and time.monotonic() - self._due > min(self.threshold / 2, 4 * BEAT):
                frame = sys._current_frames().get(self._loop_thread)
                if frame is not None:
                    self._culprit = inspect_stack(frame)


def _in_worker_code(frame: FrameType) -> bool:
    # A worker module's __name__ is bare ("entry"), as deployed; its spec keeps the generation's prefix.
    spec = frame.f_globals.get("__spec__")
    name = getattr(spec, "name", None) or frame.f_globals.get("__package__") or ""
    return isinstance(name, str) and name.startswith(_WORKER_MODULES)


def inspect_stack(frame: FrameType | None) -> Culprit:
    """Walk from the innermost frame outwards: the first invocation frame, the last adapter frame, worker code."""
    culprit = Culprit()
    while frame is not None:
        code = frame.f_code
        if culprit.where is None and _in_worker_code(frame):
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
