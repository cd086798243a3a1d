"""Durable Objects with the real ``pyworker dev``: storage, SQL and a pending alarm survive ``kill -9``."""

from __future__ import annotations

import signal

import httpx
import pytest

from tests.test_e2e import DevProcess, dev  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e

WORKER = """
import time
import js
from workers import DurableObject, Response, WorkerEntrypoint


class Keeper(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS t (n INTEGER)")

    async def write(self, n):
        await self.ctx.storage.put(f"k{n}", n)
        self.ctx.storage.sql.exec("INSERT INTO t VALUES (?)", n)

    async def count(self):
        pairs = await self.ctx.storage.list()
        return f"{len(pairs)} {self.ctx.storage.sql.exec('SELECT count(*) AS c FROM t').one().c}"

    async def arm(self):
        await self.ctx.storage.setAlarm(time.time() * 1000 + 1500)

    async def alarm(self, info):
        js.console.log(f"alarm fired, retry {info.retryCount}, {len(await self.ctx.storage.list())} keys")


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("/", 3)[3]
        keeper = self.env.KEEPER.getByName("k")
        if path.startswith("write/"):
            await keeper.write(int(path.split("/")[1]))
            return Response("written")
        if path == "arm":
            await keeper.arm()
            return Response("armed")
        return Response(await keeper.count())
"""
CONFIG = """
name = "keep"
main = "src/entry.py"
durable_objects.bindings = [{ name = "KEEPER", class_name = "Keeper" }]
migrations = [{ tag = "v1", new_sqlite_classes = ["Keeper"] }]
"""


def start(dev, worker) -> tuple[DevProcess, str]:  # noqa: F811
    process = dev(str(worker), "--port", "0", "--no-reload")
    url = process.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)
    return process, url


def test_kill_9_loses_no_acknowledged_write_and_the_alarm_fires_after_the_restart(dev, write_worker) -> None:  # noqa: F811
    worker = write_worker("keep", {"src/entry.py": WORKER}, CONFIG)
    process, url = start(dev, worker)
    assert any("KEEPER -> Durable Object Keeper (" in line and ".wrangler/state/v3/do/keep-Keeper" in line
               for line in process.lines)  # fmt: skip
    with httpx.Client(base_url=url) as client:
        for n in range(20):
            assert client.get(f"/write/{n}").text == "written"
        assert client.get("/arm").text == "armed"
    process.proc.send_signal(signal.SIGKILL)  # no shutdown, no checkpoint, no close
    process.proc.wait()
    process, url = start(dev, worker)
    assert httpx.get(url + "/count").text == "20 20"
    process.wait_for(r"\[keep\] alarm fired, retry 0, 20 keys")
    assert process.interrupt() == 0
