"""Old code generations are freed when their last invocation ends, without waiting for the cycle collector."""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pyworker.printer import Printer
from pyworker.reload.reloader import Reloader
from tests.conftest import DEADLINE

pytestmark = pytest.mark.anyio

CODE = """
import asyncio
from workers import Response, WorkerEntrypoint

DATA = b"x" * {size}
hold = asyncio.Event()
entered = asyncio.Event()


class Marker:
    pass


MARKER = Marker()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/hold"):
            entered.set()
            await hold.wait()
        return Response(str(len(DATA)))
"""


@pytest.fixture
def no_automatic_gc() -> Iterator[None]:
    """Only what pyworker frees itself is freed: the automatic collector is off for the test."""
    gc.collect()
    gc.disable()
    yield
    gc.enable()


async def reload(reloader: Reloader, directory: Path, times: int = 1) -> None:
    async def batches():
        for _ in range(times):
            yield {directory.name: {directory / "src/entry.py"}}

    await reloader.run(batches())
    await asyncio.sleep(0)  # one loop turn: what was scheduled at the swap has run


@pytest.fixture
def worker(write_worker, make_server, output):
    directory = write_worker("w", {"src/entry.py": CODE.format(size=1000)})
    server = make_server(directory)
    return server, Reloader(server.registry, Printer(output, colour=False)), directory


async def test_a_replaced_generation_is_freed_at_once(worker, no_automatic_gc):
    server, reloader, directory = worker
    old = weakref.ref(server.worker("w").code.module.MARKER)
    await reload(reloader, directory)
    assert old() is None


async def test_a_generation_still_running_is_freed_when_its_last_invocation_ends(worker, no_automatic_gc):
    server, reloader, directory = worker
    module = server.worker("w").code.module
    old = weakref.ref(module.MARKER)
    hold, entered = module.hold, module.entered
    del module
    transport = httpx.ASGITransport(app=server.app("w"))
    async with httpx.AsyncClient(transport=transport, base_url="http://w") as client:
        running = asyncio.ensure_future(client.get("/hold"))
        async with asyncio.timeout(DEADLINE):
            await entered.wait()
        await reload(reloader, directory)
        assert old() is not None  # a request still runs on it
        hold.set()
        async with asyncio.timeout(DEADLINE):
            assert (await running).text == "1000"
        await asyncio.sleep(0)
    assert old() is None


RELOADS = """
import asyncio, io, sys
from pathlib import Path
from pyworker.config import load_config
from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.reload.reloader import Reloader
from pyworker.serving.server import DevServer

def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024

async def main(directory, times):
    server = DevServer(DevOptions(), Printer(io.StringIO()), [load_config(directory)])
    server.load()
    reloader = Reloader(server.registry, Printer(io.StringIO()))

    async def batches(n):
        for _ in range(n):
            yield {directory.name: {directory / "src/entry.py"}}

    await reloader.run(batches(10))  # warm up: allocator pools, caches, the first generations' garbage
    await asyncio.sleep(0)
    before = rss()
    await reloader.run(batches(times))
    await asyncio.sleep(0)
    print(rss() - before)

asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="RSS is read from /proc")
def test_many_reloads_of_a_module_holding_5_mb_do_not_grow_rss(write_worker):
    # In a process of its own: the test run's own heap would blur the figure.
    directory = write_worker("big", {"src/entry.py": CODE.format(size=5_000_000)})
    # A fixed mmap threshold: glibc otherwise moves 5 MB allocations from mmap to its heap after the first
    # free, and RSS then jumps by whole generations with the allocator's mood, not with what pyworker keeps.
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072"}
    run = subprocess.run(
        [sys.executable, "-c", RELOADS, str(directory), "30"],
        capture_output=True,
        text=True,
        timeout=DEADLINE * 6,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    grown = float(run.stdout)
    assert grown < 5, f"RSS grew {grown:.0f} MiB over 30 reloads of a module holding 5 MB (one generation: 4.8 MiB)"
