"""--log-level debug: each request line is followed by its binding calls, indented, with timings."""

from __future__ import annotations

import re

import httpx
import pytest

from pyworker.config import load_config
from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.serving.server import DevServer
from tests.conftest import FIXTURES


def seed_server(output, level):
    configs = [load_config(FIXTURES / "seed" / name) for name in ("worker_a", "worker_b")]
    server = DevServer(DevOptions(log_level=level), Printer(output, level=level, colour=False), configs)
    server.load()
    return server


def close(server):
    for worker in server.workers:
        worker.code.unload()
    server.storage.close()


async def get_rpc_and_forward(server):
    try:
        transport = httpx.ASGITransport(app=server.app("worker_a"))
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            assert (await http.get("/")).text == "3"
            await http.post("/forward?x=1", content=b"hi")
    finally:
        close(server)


@pytest.mark.anyio
async def test_debug_lists_rpc_and_fetch_calls_under_the_request_line(output):
    await get_rpc_and_forward(seed_server(output, "debug"))
    lines = [line for line in output.lines() if "state:" not in line]
    first = lines.index(next(line for line in lines if line.startswith("[worker_a] GET / 200 OK")))
    assert re.fullmatch(r"\[worker_a\]   → worker_b\.add \d+\.\d\dms", lines[first + 1])
    second = lines.index(next(line for line in lines if line.startswith("[worker_a] POST /forward?x=1 200 OK")))
    assert re.fullmatch(
        r"\[worker_a\]   → worker_b\.fetch POST http://localhost/forward\?x=1 \d+\.\d\dms", lines[second + 1]
    )


@pytest.mark.anyio
async def test_at_info_no_call_lines(output):
    await get_rpc_and_forward(seed_server(output, "info"))
    assert not [line for line in output.lines() if "→" in line]
    assert [line for line in output.lines() if line.startswith("[worker_a] GET /")]


KV_WORKER = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        await self.env.CACHE.put("k", "v")
        return Response(await self.env.CACHE.get("k"))
"""


@pytest.mark.anyio
async def test_debug_lists_storage_calls_too(write_worker, output):
    config = 'name = "kv"\nmain = "src/entry.py"\nkv_namespaces = [{ binding = "CACHE", id = "c1" }]\n'
    directory = write_worker("kv", {"src/entry.py": KV_WORKER}, config=config)
    server = DevServer(
        DevOptions(log_level="debug"), Printer(output, level="debug", colour=False), [load_config(directory)]
    )
    server.load()
    try:
        transport = httpx.ASGITransport(app=server.app("kv"))
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            assert (await http.get("/")).text == "v"
    finally:
        close(server)
    lines = [line for line in output.lines() if "state:" not in line]
    at = lines.index(next(line for line in lines if line.startswith("[kv] GET / 200 OK")))
    assert [re.sub(r"\d+\.\d\dms", "Tms", line) for line in lines[at + 1 :]] == [
        "[kv]   → CACHE.put Tms",
        "[kv]   → CACHE.get Tms",
    ]
