"""``triggers.crons``: read and checked from a worker's config, and run on their schedule with ``--crons``.

The runner sleeps until the next expression is due (UTC), runs every worker's ``scheduled``
handler whose expression is due then, each through the invocation frame, and prints one line
per run. Its clock is injected, so tests drive time without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from pyworker.config.files import describe
from pyworker.config.model import WorkerConfig
from pyworker.errors import ConfigError
from pyworker.printer import Printer
from pyworker.types import Target

if TYPE_CHECKING:  # the parser and the scheduled event are imported only for a worker with triggers.crons
    from pyworker.events.cron import Cron


def worker_crons(config: WorkerConfig) -> tuple[Cron, ...]:
    """The worker's ``triggers.crons``, parsed; a bad one is a :class:`ConfigError` naming the worker."""
    triggers = config.extra.get("triggers")
    if triggers is None:
        return ()
    from pyworker.events.cron import CronError, parse

    where = f"{describe(config.config_path)} (worker {config.name})"
    crons = triggers.get("crons") if isinstance(triggers, dict) else None
    if not isinstance(triggers, dict) or not isinstance(crons, list | None):
        raise ConfigError(f'{where}: "triggers" must be a table like {{ crons = ["*/5 * * * *"] }}, got {triggers!r}.')
    parsed = []
    for text in crons or []:
        if not isinstance(text, str):
            raise ConfigError(f"{where}: each of triggers.crons must be a string, got {text!r}.")
        try:
            parsed.append(parse(text))
        except CronError as exc:
            raise ConfigError(f'{where}: triggers.crons "{text}" is not a valid cron expression: {exc}.') from None
    return tuple(parsed)


class Clock(Protocol):
    def now(self) -> dt.datetime: ...

    async def sleep_until(self, when: dt.datetime) -> None: ...


class SystemClock:
    """UTC wall-clock time."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    async def sleep_until(self, when: dt.datetime) -> None:
        await asyncio.sleep(max(0.0, (when - self.now()).total_seconds()))


Schedules = Callable[[], Sequence[tuple[Target, Sequence["Cron"]]]]


class CronRunner:
    """Fires every worker's cron expressions on schedule; ``schedules`` is read anew before each wait."""

    def __init__(self, schedules: Schedules, printer: Printer, clock: Clock | None = None) -> None:
        self.schedules = schedules
        self.printer = printer
        self.clock = clock or SystemClock()
        self.runs = 0  # completed runs, for tests

    def next_due(self) -> tuple[dt.datetime, list[tuple[Target, Cron]]] | None:
        """The next time anything fires, and what fires then."""
        now = self.clock.now()
        best: dt.datetime | None = None
        due: list[tuple[Target, Cron]] = []
        for target, crons in self.schedules():
            for cron in crons:
                when = cron.next_after(now)
                if when is None or (best is not None and when > best):
                    continue
                if best is None or when < best:
                    best, due = when, []
                due.append((target, cron))
        return None if best is None else (best, due)

    async def run(self) -> None:
        """Run until cancelled (the server stopping)."""
        while (upcoming := self.next_due()) is not None:
            when, due = upcoming
            await self.clock.sleep_until(when)
            await asyncio.gather(*(self._fire(target, cron, when) for target, cron in due))

    async def _fire(self, target: Target, cron: Cron, when: dt.datetime) -> None:
        from pyworker.events.scheduled import run_scheduled

        outcome = await run_scheduled(target, cron.text, when.timestamp() * 1000)
        stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        level = "info" if outcome.outcome == "ok" else "error"
        self.printer.worker(target.name, f'cron "{cron.text}" at {stamp}: {outcome.outcome}', level)
        self.runs += 1


@contextlib.asynccontextmanager
async def firing_crons(enabled: bool, schedules: Schedules, printer: Printer) -> AsyncIterator[None]:
    """While the block runs, and if ``enabled`` (``--crons``), fire every worker's ``triggers.crons``."""
    if not enabled:
        yield
        return
    task = asyncio.ensure_future(CronRunner(schedules, printer).run())
    try:
        yield
    finally:
        task.cancel()
