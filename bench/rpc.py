"""Binding cost: microseconds per call, direct vs through a pyworker binding vs HTTP on loopback.

python bench/rpc.py [--calls 20000]

(a) ``await obj.add(1, 2)`` on an instance of the callee's entrypoint class;
(b) ``await env.CALLEE.add(1, 2)`` through pyworker's in-memory binding (copy rules,
    invocation limit and all);
(c) the same addition over HTTP: httpx (keep-alive) to ``pyworker dev`` on 127.0.0.1;
(d) per call inside one request that loops 5,000 times over ``await self.env.CALLEE.add(1, 2)``
    (depth stays 2; each call is one subrequest of the 10,000 a request may make).
Also the cost of sending 1 MiB through the binding: as ``bytes`` (immutable, shared)
and as a list of dicts (copied element by element).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import pickle
import tempfile
import textwrap
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from _common import free_port, launched, median, pyworker_cmd, wait_for_200

from pyworker.config import load_config
from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.runtime.entrypoint import ExecutionContext
from pyworker.serving.server import DevServer

CALLEE = """
from urllib.parse import parse_qs, urlparse

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def add(self, a, b):
        return a + b

    async def size(self, payload):
        return len(payload)

    async def fetch(self, request):
        query = parse_qs(urlparse(request.url).query)
        return Response(str(int(query["a"][0]) + int(query["b"][0])))
"""


CALLER = """
from workers import WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def loop(self, calls):
        for _ in range(calls):
            await self.env.CALLEE.add(1, 2)
        return calls
"""


def write_workers(root: Path) -> tuple[Path, Path]:
    callee = root / "callee"
    caller = root / "caller"
    for directory, source, config in (
        (callee, CALLEE, 'name = "callee"\nmain = "entry.py"\n'),
        (caller, CALLER,
         'name = "caller"\nmain = "entry.py"\nservices = [{ binding = "CALLEE", service = "callee" }]\n'),
    ):  # fmt: skip
        directory.mkdir()
        (directory / "entry.py").write_text(textwrap.dedent(source))
        (directory / "wrangler.toml").write_text(config)
    return caller, callee


async def per_call_us(call: Callable[[], Awaitable[Any]], calls: int, repeats: int = 5) -> float:
    """Median over ``repeats`` of the mean time per call, in microseconds."""
    for _ in range(min(calls, 1000)):  # warm up
        await call()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(calls):
            await call()
        samples.append((time.perf_counter() - started) / calls * 1e6)
    return median(samples)


async def in_process(caller: Path, callee: Path, calls: int) -> dict[str, float]:
    server = DevServer(DevOptions(), Printer(io.StringIO(), level="warn"), [load_config(caller), load_config(callee)])
    server.load()
    worker = server.worker("callee")
    assert worker.code is not None
    entrypoint = worker.code.entrypoints["Default"]
    obj = entrypoint.cls(ExecutionContext(None, worker.schedule), worker.env)
    caller = server.worker("caller")
    stub = server.worker("caller").env.CALLEE
    assert await stub.add(1, 2) == 3
    blob = bytes(1024 * 1024)
    records = [{"id": i, "name": f"item {i:06d}", "tags": ["a", "b"]} for i in range(1024 * 1024 // 64)]
    result = {
        "direct_us": await per_call_us(lambda: obj.add(1, 2), calls),
        "binding_us": await per_call_us(lambda: stub.add(1, 2), calls),
        # One request (an invocation of the caller) making 5,000 calls, less one making none, per call.
        "loop_us": (
            await per_call_us(lambda: caller.call(None, "loop", (5000,), {}), 3)
            - await per_call_us(lambda: caller.call(None, "loop", (0,), {}), 200)
        )
        / 5000,
        "bytes_1mib_us": await per_call_us(lambda: stub.size(blob), 200),
        "records_1mib_us": await per_call_us(lambda: stub.size(records), 5),
        "records_1mib_direct_us": await per_call_us(lambda: obj.size(records), 5),
        # What any out-of-process boundary pays at least: serialise and parse the payload once.
        "records_1mib_pickle_us": await per_call_us(lambda: _pickle_round_trip(records), 5),
    }
    for worker in server.workers:
        await worker.stop()
    return result


async def _pickle_round_trip(value: Any) -> int:
    return len(pickle.loads(pickle.dumps(value)))


async def over_http(url: str, calls: int) -> float:
    async with httpx.AsyncClient() as client:

        async def call() -> None:
            response = await client.get(url)
            assert response.text == "3"

        return await per_call_us(call, calls)


def measure(calls: int = 20000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        caller, callee = write_workers(Path(tmp))
        result = asyncio.run(in_process(caller, callee, calls))
        port = free_port()
        url = f"http://127.0.0.1:{port}/?a=1&b=2"
        with launched(pyworker_cmd(str(callee), "--port", str(port), "--log-level", "warn")) as proc:
            wait_for_200(url, proc)
            result["http_us"] = asyncio.run(over_http(url, max(200, calls // 20)))
    result["binding_over_direct"] = result["binding_us"] / result["direct_us"]
    result["http_over_binding"] = result["http_us"] / result["binding_us"]
    result["loop_over_binding"] = result["loop_us"] / result["binding_us"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20000)
    r = measure(parser.parse_args().calls)
    print(f"(a) direct await obj.add(1, 2):      {r['direct_us']:8.2f} µs/call")
    print(f"(b) await env.CALLEE.add(1, 2):      {r['binding_us']:8.2f} µs/call   b/a = {r['binding_over_direct']:.1f}")
    print(f"(c) HTTP on loopback through httpx:  {r['http_us']:8.2f} µs/call   c/b = {r['http_over_binding']:.0f}")
    print(f"(d) 5,000 calls in one request:      {r['loop_us']:8.2f} µs/call   d/b = {r['loop_over_binding']:.2f}")
    print(f"1 MiB bytes through the binding:     {r['bytes_1mib_us']:8.2f} µs/call (shared: bytes are immutable)")
    print(
        f"1 MiB of dicts through the binding:  {r['records_1mib_us'] / 1000:8.2f} ms/call "
        f"(pickle round trip: {r['records_1mib_pickle_us'] / 1000:.2f} ms; copied element by element)"
    )


if __name__ == "__main__":
    main()
