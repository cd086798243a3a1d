"""``pyworker.testing``: workers loaded in-process for tests, through the context manager and the fixture."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest

from pyworker import testing
from pyworker.errors import WorkerLoadError

pytestmark = pytest.mark.anyio

CALLER = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        body = await request.text()
        total = await self.env.B.add(1, 2)
        await self.env.CACHE.put("last", body)
        return Response(f"{request.method} {request.url} {body} {total} {self.env.GREETING}")

    async def scheduled(self, controller, env, ctx):
        await env.CACHE.put("cron", controller.cron)

    async def queue(self, batch, env, ctx):
        for message in batch.messages:
            if message.body == "bad":
                message.retry(delaySeconds=7)
            else:
                await env.CACHE.put("msg", str(message.body["n"]))
                message.ack()
"""

TARGET = """
from workers import WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def add(self, a, b):
        return a + b
"""


@pytest.fixture
def pair(write_worker) -> tuple[Path, Path]:
    a = write_worker("a", {"src/entry.py": CALLER}, 'name = "a"\nmain = "src/entry.py"\n'
                     'services = [{ binding = "B", service = "b" }]\nvars = { GREETING = "hi" }\n'
                     '[[kv_namespaces]]\nbinding = "CACHE"\nid = "cache"\n')  # fmt: skip
    b = write_worker("b", {"src/entry.py": TARGET}, 'name = "b"\nmain = "src/entry.py"\nworkers_dev = false\n')
    return a, b


async def test_fetch_env_and_call_without_ports(pair: tuple[Path, Path]) -> None:
    async with testing.dev(pair) as dev:
        response = await dev.fetch("a", "/path?x=1", method="POST", content=b"body")
        assert (response.status_code, response.text) == (200, "POST http://localhost:8787/path?x=1 body 3 hi")
        assert await dev.env("a").CACHE.get("last") == "body"
        assert await dev.call("b", "add", 2, 3) == 5
        assert await dev.env("a").B.add(4, 5) == 9


async def test_state_is_temporary_unless_named(pair: tuple[Path, Path], tmp_path: Path) -> None:
    async with testing.dev(pair) as dev:
        await dev.env("a").CACHE.put("k", "v")
    async with testing.dev(pair) as dev:
        assert await dev.env("a").CACHE.get("k") is None
    async with testing.dev(pair, state=tmp_path / "state") as dev:
        await dev.env("a").CACHE.put("k", "kept")
    async with testing.dev(pair, state=tmp_path / "state") as dev:
        assert await dev.env("a").CACHE.get("k") == "kept"
    assert (tmp_path / "state" / "v3").is_dir()
    assert not (pair[0] / ".wrangler").exists()


async def test_scheduled_and_queue_run_the_handlers(pair: tuple[Path, Path]) -> None:
    async with testing.dev(pair) as dev:
        controller = await dev.scheduled("a", cron="*/5 * * * *", scheduled_time=1_700_000_000_000)
        assert (controller.cron, controller.scheduledTime, controller.type) == (
            "*/5 * * * *",
            1_700_000_000_000,
            "scheduled",
        )
        assert type(controller.scheduledTime) is int
        assert await dev.env("a").CACHE.get("cron") == "*/5 * * * *"
        when = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
        assert (await dev.scheduled("a", scheduled_time=when)).scheduledTime == 1_767_225_600_000
        result = await dev.queue("a", "jobs", [{"n": 3}, "bad"])
        assert (result.outcome, result.acked, result.retried) == ("ok", result.ids[:1], result.ids[1:])
        assert result.retry_delays == {result.ids[1]: 7}
        assert await dev.env("a").CACHE.get("msg") == "3"


async def test_errors_in_a_worker_are_responses_and_printed(write_worker) -> None:
    code = "from workers import WorkerEntrypoint\n\nclass Default(WorkerEntrypoint):\n" \
           "    async def fetch(self, request):\n        raise ValueError('boom')\n"  # fmt: skip
    out = io.StringIO()
    async with testing.dev(str(write_worker("w", {"src/entry.py": code})), output=out) as dev:  # one path alone
        response = await dev.fetch("w")
        assert (response.status_code, response.text) == (500, "ValueError: boom")
        with pytest.raises(KeyError) as caught:
            dev.env("nope")
    assert caught.value.args == ('No worker named "nope" is loaded (loaded: w).',)
    assert "[w] ValueError: boom" in out.getvalue()


async def test_a_worker_that_fails_to_import_is_an_error(write_worker) -> None:
    broken = write_worker("w", {"src/entry.py": "raise RuntimeError('at import')\n"})
    with pytest.raises(WorkerLoadError) as caught:
        async with testing.dev([broken], output=io.StringIO()):
            pass
    assert str(caught.value).startswith("w: importing the worker failed in ")
    assert str(caught.value).endswith("src/entry.py, line 1: RuntimeError: at import")


async def test_the_fixture_loads_into_tmp_path(pyworker_dev, pair: tuple[Path, Path], tmp_path: Path) -> None:
    dev = await pyworker_dev(pair)
    response = await dev.fetch("a", "/", method="PUT", content=b"x")
    assert response.text == "PUT http://localhost:8787/ x 3 hi"
    assert (tmp_path / "pyworker-state-0" / "v3").is_dir()


async def test_two_servers_with_workers_of_one_name_from_two_folders_each_run_their_own(write_worker) -> None:
    code = "from workers import Response, WorkerEntrypoint\n\nclass Default(WorkerEntrypoint):\n" \
           "    async def fetch(self, request):\n        return Response({!r})\n"  # fmt: skip
    config = 'name = "api"\nmain = "src/entry.py"\n'
    one = write_worker("one/api", {"src/entry.py": code.format("one")}, config)
    two = write_worker("two/api", {"src/entry.py": code.format("two")}, config)
    async with testing.dev(one) as first, testing.dev(two) as second:
        assert [(await first.fetch("api")).text, (await second.fetch("api")).text] == ["one", "two"]
