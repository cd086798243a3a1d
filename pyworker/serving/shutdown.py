"""Shutting down in bounded time, whatever worker code started.

After the last response (uvicorn gives in-flight requests up to 5 s), ``ctx.wait_until``
work gets up to :data:`WAIT_UNTIL_GRACE` seconds, as on Cloudflare; while it runs, a line
says what each worker still waits for (the file and line where its task is suspended)
and for how long, every :data:`PROGRESS` seconds; then the rest is cancelled (at once on a
second Ctrl-C). Once the event loop is done, threads worker code started and never ended
would keep the process alive for good (the interpreter joins them at exit):
:class:`ExitDeadline` names them after :data:`THREAD_GRACE` seconds and ends the process.
Everything a user stored is already on disk by then: acknowledged writes are committed.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pyworker.config.files import display_path
from pyworker.printer import Printer
from pyworker.serving.watchdog import in_worker_code
from pyworker.worker import Worker

WAIT_UNTIL_GRACE = 30.0  # seconds ctx.wait_until work may run on at shutdown (Cloudflare's limit after a response)
PROGRESS = 5.0  # seconds between the lines saying what shutdown still waits for
FIRST_PROGRESS = 1.0  # seconds of waiting before the first such line
THREAD_GRACE = 3.0  # seconds the process waits for worker code's threads once the loop is done


async def finish_background_work(workers: Sequence[Worker], printer: Printer, forced: asyncio.Event) -> None:
    """Wait for every worker's ``wait_until`` work, bounded; say what is waited for; cancel what is left."""
    started = time.monotonic()
    said = 0.0
    force = asyncio.ensure_future(forced.wait())
    try:
        while pending := {worker.name: worker.background() for worker in workers if worker.background()}:
            waited = time.monotonic() - started
            if waited >= WAIT_UNTIL_GRACE or forced.is_set():
                _cancel(pending, printer, waited, forced.is_set())
                break
            due = FIRST_PROGRESS if not said else said + PROGRESS
            if waited >= due:
                said = waited
                for name, tasks in pending.items():
                    printer.worker(
                        name, f"shutdown waits for {_tasks(tasks)} ({waited:.0f} s so far): {_where(tasks)}."
                    )
            every = [task for tasks in pending.values() for task in tasks]
            timeout = max(0.0, min(due, WAIT_UNTIL_GRACE) - waited)
            await asyncio.wait([*every, force], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        force.cancel()


def _cancel(pending: dict[str, list[asyncio.Future[Any]]], printer: Printer, waited: float, forced: bool) -> None:
    why = "on the second Ctrl-C" if forced else f"after {waited:.0f} s"
    for name, tasks in pending.items():
        printer.worker(name, f"shutdown cancelled {_tasks(tasks)} {why}: {_where(tasks)}.", "warn")
        for task in tasks:
            task.cancel()


def _tasks(tasks: Sequence[asyncio.Future[Any]]) -> str:
    return f"{len(tasks)} ctx.wait_until() task" + ("s" if len(tasks) != 1 else "")


def _where(tasks: Sequence[asyncio.Future[Any]]) -> str:
    places = sorted({suspended_at(task) for task in tasks})
    return "; ".join(places)


def suspended_at(task: asyncio.Future[Any]) -> str:
    """Where ``task`` waits: the innermost frame of worker code along its chain of awaits."""
    where = "outside worker code"
    awaited: Any = task.get_coro() if isinstance(task, asyncio.Task) else None
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is not None and in_worker_code(frame):
            where = f"{display_path(Path(frame.f_code.co_filename))}, line {frame.f_lineno}"
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return where


class ExitDeadline:
    """Ends the process if it is still alive :data:`THREAD_GRACE` seconds after :meth:`arm`.

    Only the CLI arms it (tests run servers inside the test process): the interpreter's exit
    joins every non-daemon thread and thread pool, so one that worker code started and that
    never ends would hang ``pyworker dev`` after ``Shutting down...`` for good.
    """

    def __init__(self, printer: Printer, grace: float = THREAD_GRACE) -> None:
        self.printer = printer
        self.grace = grace

    def arm(self) -> None:
        threading.Thread(target=self._watch, name="pyworker-exit-deadline", daemon=True).start()

    def _watch(self) -> None:
        threading.Event().wait(self.grace)
        names = lingering_threads()
        if names:
            threads = f"{len(names)} thread{'s' if len(names) != 1 else ''}"
            self.printer.write_now(
                f"Warning: Not waiting for {threads} that worker code started "
                f"and that did not end within {self.grace:g} s: {', '.join(names)}. Exiting anyway.",
                "warn",
            )
        self.printer.flush(1.0)
        os._exit(0)


def lingering_threads() -> list[str]:
    """The names of the threads that would keep the process from exiting (not daemons, not the main one)."""
    main = threading.main_thread()
    current = threading.current_thread()
    return sorted(t.name for t in threading.enumerate() if t.is_alive() and not t.daemon and t not in (main, current))
