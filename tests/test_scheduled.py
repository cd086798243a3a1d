from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from assets_helpers import call

from pyworker.config import load_config
from pyworker.errors import ConfigError
from pyworker.events.crons import CronRunner, worker_crons
from pyworker.printer import Printer

pytestmark = pytest.mark.anyio

CLASS_FORM = """\
from workers import WorkerEntrypoint, Response

SEEN = []

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(repr(SEEN))

    async def scheduled(self, controller, env, ctx):
        if controller.cron == "boom":
            raise ValueError("cron failed")
        if controller.cron == "stop":
            controller.noRetry()
        SEEN.append((controller.cron, controller.scheduledTime, type(env).__name__))
"""

LEGACY = """\
from workers import Response

SEEN = []

async def on_fetch(request):
    return Response(repr(SEEN))

async def on_scheduled(controller, env, ctx):
    SEEN.append(controller.cron)
"""


async def test_wranglers_scheduled_routes_run_the_handler(write_worker, make_server, output):
    app = make_server(write_worker("w", {"src/entry.py": CLASS_FORM})).app("w")
    ran = await call(app, "/__scheduled?cron=*/5+*+*+*+*")
    assert (ran.status, ran.text) == (200, "Ran scheduled event")
    ok = await call(app, "/cdn-cgi/handler/scheduled?cron=0+*+*+*+*&time=1700000000000")
    assert (ok.status, ok.text) == (200, "ok")
    seen = (await call(app, "/")).text
    assert seen.startswith("[('*/5 * * * *', ") and seen.endswith("('0 * * * *', 1700000000000, 'Env')]")
    failed = await call(app, "/cdn-cgi/handler/scheduled?cron=boom")
    assert (failed.status, failed.text) == (500, "exception")
    assert "ValueError: cron failed" in output.getvalue()
    shown = await call(app, "/__scheduled?cron=boom")
    assert (shown.status, shown.text) == (500, "ValueError: cron failed")
    as_json = await call(app, "/cdn-cgi/handler/scheduled?cron=stop&format=json")
    assert (as_json.status, as_json.text) == (200, '{"outcome": "ok", "noRetry": true}')


async def test_the_legacy_handler_and_a_worker_without_one(write_worker, make_server):
    app = make_server(write_worker("w", {"src/entry.py": LEGACY})).app("w")
    assert (await call(app, "/__scheduled?cron=1+2+3+4+5")).text == "Ran scheduled event"
    assert (await call(app, "/")).text == "['1 2 3 4 5']"
    none = "from workers import Response\n\nasync def on_fetch(request):\n    return Response('x')\n"
    bare = make_server(write_worker("b", {"src/entry.py": none})).app("b")
    answer = await call(bare, "/__scheduled")
    assert answer.status == 500
    assert answer.text == (
        'NoHandler: Handler does not export a scheduled() function (worker "b"). '
        "Define async def scheduled(self, controller) on a WorkerEntrypoint class named Default."
    )


def test_a_bad_cron_is_one_error_naming_the_worker(write_worker):
    config = 'name = "w"\nmain = "src/entry.py"\n[triggers]\ncrons = ["*/5 * * * *", "61 * * * *"]\n'
    directory = write_worker("w", {"src/entry.py": LEGACY}, config=config)
    with pytest.raises(ConfigError) as caught:
        worker_crons(load_config(directory))
    assert str(caught.value).endswith(
        '(worker w): triggers.crons "61 * * * *" is not a valid cron expression: '
        'minute "61" is not valid: expected 0-59.'
    )


class FakeClock:
    """Time that moves only when the runner waits: each wait jumps to the moment waited for."""

    def __init__(self, start: dt.datetime) -> None:
        self.time = start
        self.waits: list[dt.datetime] = []
        self.limit = asyncio.Event()

    def now(self) -> dt.datetime:
        return self.time

    async def sleep_until(self, when: dt.datetime) -> None:
        if len(self.waits) == 4:
            self.limit.set()
            await asyncio.Event().wait()  # until cancelled
        self.waits.append(when)
        self.time = when


async def test_crons_fire_on_their_schedule_in_utc(write_worker, make_server, output):
    config = 'name = "w"\nmain = "src/entry.py"\n[triggers]\ncrons = ["*/30 * * * *", "0 1 * * *"]\n'
    server = make_server(write_worker("w", {"src/entry.py": LEGACY}, config=config))
    worker = server.worker("w")
    clock = FakeClock(dt.datetime(2026, 3, 1, 0, 10, 30, tzinfo=dt.UTC))
    runner = CronRunner(lambda: [(worker, worker.crons)], Printer(output, level="info", colour=False), clock)
    task = asyncio.ensure_future(runner.run())
    await asyncio.wait_for(clock.limit.wait(), 10)
    task.cancel()
    assert [w.strftime("%H:%M") for w in clock.waits] == ["00:30", "01:00", "01:30", "02:00"]
    assert [line for line in output.lines() if "cron" in line] == [
        '[w] cron "*/30 * * * *" at 2026-03-01T00:30:00Z: ok',
        '[w] cron "*/30 * * * *" at 2026-03-01T01:00:00Z: ok',
        '[w] cron "0 1 * * *" at 2026-03-01T01:00:00Z: ok',
        '[w] cron "*/30 * * * *" at 2026-03-01T01:30:00Z: ok',
        '[w] cron "*/30 * * * *" at 2026-03-01T02:00:00Z: ok',
    ]
    assert worker.code.module.SEEN == ["*/30 * * * *"] * 2 + ["0 1 * * *"] + ["*/30 * * * *"] * 2  # type: ignore[union-attr]


def test_the_start_up_table_lists_the_crons(write_worker, make_server):
    from pyworker.bindings.env import describe_bindings

    config = 'name = "w"\nmain = "src/entry.py"\n[triggers]\ncrons = ["*/5 * * * *", "0 0 * * SUN"]\n'
    server = make_server(write_worker("w", {"src/entry.py": LEGACY}, config=config))
    assert describe_bindings(server.worker("w").config, server.host) == [
        'cron "*/5 * * * *" (runs with --crons)',
        'cron "0 0 * * SUN" (runs with --crons)',
    ]
