"""Durable Objects: RPC calls/s on one object against a service-binding RPC, and ``ctx.storage``
get/put ops/s against raw ``sqlite3`` (WAL, ``synchronous=NORMAL``, one commit per put), in one run.

python bench/durable_objects.py [--calls 5000]

Both loops run inside one invocation (``await stub.add(1, 2)`` / ``await self.env.B.add(1, 2)``),
so each call pays the binding's copy rules, the invocation frame and the limits, not HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sqlite3
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from pyworker.config import load_config
from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.serving.server import DevServer

CODE = """
import time
from workers import DurableObject, WorkerEntrypoint


class Counter(DurableObject):
    async def add(self, a, b):
        return a + b

    async def storage_ops(self, count):
        storage = self.ctx.storage
        start = time.perf_counter()
        for i in range(count):
            await storage.put(f"k{i % 100}", i)
        put = time.perf_counter() - start
        start = time.perf_counter()
        for i in range(count):
            await storage.get(f"k{i % 100}")
        return [put, time.perf_counter() - start]


class Default(WorkerEntrypoint):
    async def add(self, a, b):
        return a + b

    async def loop(self, kind, count):
        target = self.env.COUNTER.getByName("bench") if kind == "do" else self.env.SELF
        start = time.perf_counter()
        for _ in range(count):
            await target.add(1, 2)
        return time.perf_counter() - start

    async def storage(self, count):
        return await self.env.COUNTER.getByName("bench").storage_ops(count)
"""

CONFIG = """
name = "w"
main = "src/entry.py"
services = [{ binding = "SELF", service = "w" }]
durable_objects.bindings = [{ name = "COUNTER", class_name = "Counter" }]
migrations = [{ tag = "v1", new_sqlite_classes = ["Counter"] }]
"""


def _raw_sqlite(path: Path, count: int) -> tuple[float, float]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID")
    start = time.perf_counter()
    for i in range(count):
        conn.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (f"k{i % 100}", str(i).encode()))
    put = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(count):
        conn.execute("SELECT value FROM kv WHERE key = ?", (f"k{i % 100}",)).fetchone()
    conn.close()
    return put, time.perf_counter() - start


def measure(calls: int = 5000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "w"
        (root / "src").mkdir(parents=True)
        (root / "src/entry.py").write_text(textwrap.dedent(CODE))
        (root / "wrangler.toml").write_text(textwrap.dedent(CONFIG))
        server = DevServer(DevOptions(), Printer(io.StringIO(), colour=False), [load_config(root)])
        server.load()
        worker = server.worker("w")

        async def run() -> dict[str, float]:
            await worker.call(None, "loop", ("do", 200), {})  # warm up
            service = min([await worker.call(None, "loop", ("service", calls), {}) for _ in range(3)])
            durable = min([await worker.call(None, "loop", ("do", calls), {}) for _ in range(3)])
            put, get = min([tuple(await worker.call(None, "storage", (calls,), {})) for _ in range(3)])
            return {"service_rpc": calls / service, "do_rpc": calls / durable, "do_put": calls / put,
                    "do_get": calls / get}  # fmt: skip

        result = asyncio.run(run())
        server.storage.close()
        raw = [_raw_sqlite(Path(tmp) / f"raw{i}.sqlite", calls) for i in range(3)]
        result["sqlite_put"] = calls / min(r[0] for r in raw)
        result["sqlite_get"] = calls / min(r[1] for r in raw)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    result: dict[str, Any] = measure(parser.parse_args().calls)
    print(f"RPC on one Durable Object: {result['do_rpc']:,.0f}/s; service binding RPC: {result['service_rpc']:,.0f}/s "
          f"({result['do_rpc'] / result['service_rpc']:.2f}x)")  # fmt: skip
    for op in ("put", "get"):
        ours, raw = result[f"do_{op}"], result[f"sqlite_{op}"]
        print(f"ctx.storage.{op}: {ours:,.0f}/s; raw sqlite3: {raw:,.0f}/s ({ours / raw:.2f}x)")


if __name__ == "__main__":
    main()
