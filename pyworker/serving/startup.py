"""The workers' first imports at start-up, each in a thread, so one slow import holds up nobody.

The ``Ready`` line waits for the workers that load quickly; one still importing after
:data:`STILL_LOADING_AFTER` seconds is listed as still loading, its requests wait for it,
and a line says when it is in (or why it failed).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from pyworker.errors import WorkerLoadError
from pyworker.printer import Printer
from pyworker.worker import Worker


class StartupLoads:
    """Loads ``workers`` (those never loaded) concurrently; see the module's docstring."""

    def __init__(self, workers: Sequence[Worker], printer: Printer) -> None:
        self.printer = printer
        self.announced = False
        self._tasks: dict[str, asyncio.Task[None]] = {}
        for worker in workers:
            self._tasks[worker.name] = asyncio.ensure_future(self._load(worker))

    async def _load(self, worker: Worker) -> None:
        started = time.perf_counter()
        try:
            await worker.load_in_thread()
        except WorkerLoadError as exc:
            self.printer.worker(worker.name, str(exc), "error")
            return
        if self.announced:
            self.printer.worker(worker.name, f"loaded in {time.perf_counter() - started:.1f} s")

    async def settle(self, grace: float) -> list[str]:
        """Wait up to ``grace`` seconds for every load; the names of the workers still loading."""
        if self._tasks:
            await asyncio.wait(self._tasks.values(), timeout=grace)
        self.announced = True
        return [name for name, task in self._tasks.items() if not task.done()]

    def cancel(self) -> None:
        """Stop waiting for imports still running (at shutdown; their threads die with the process)."""
        for task in self._tasks.values():
            task.cancel()
