"""Hot reload while serving: the workers' files watched, and each change handed on once reloaded.

The reloader and the file watcher (watchfiles, and with it anyio) are imported when the watch
starts, not with the server: nothing on the path to the first response needs them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from pyworker.printer import Printer, escape

if TYPE_CHECKING:
    from pyworker.config import WorkerConfig
    from pyworker.reload.reloader import Reloaded, Reloader

# What the server does with a reloaded worker; the second argument re-reads the watched folders.
Changed = Callable[["Reloaded", Callable[[], object]], Awaitable[None]]


@contextlib.asynccontextmanager
async def watching(
    configs: Callable[[], list[WorkerConfig]], make: Callable[[], Reloader], changed: Changed, printer: Printer
) -> AsyncIterator[None]:
    """Watch the files of ``configs()`` and reload their workers until the block ends."""
    stop = asyncio.Event()
    task = asyncio.ensure_future(_reload_loop(configs, make, changed, stop))
    task.add_done_callback(lambda task: _watcher_done(task, printer))
    try:
        yield
    finally:
        stop.set()
        task.cancel()


async def _reload_loop(
    configs: Callable[[], list[WorkerConfig]], make: Callable[[], Reloader], changed: Changed, stop: asyncio.Event
) -> None:
    from pyworker.reload.watch import FileWatcher

    watcher = FileWatcher(configs)
    async for change in make().changes(watcher.batches(stop)):
        await changed(change, watcher.refresh)


def _watcher_done(task: asyncio.Task[None], printer: Printer) -> None:
    if not task.cancelled() and (exc := task.exception()) is not None:
        message = f"Hot reload stopped: {type(exc).__name__}: {exc}. Restart pyworker dev to resume."
        printer.write(escape(message), "error")
