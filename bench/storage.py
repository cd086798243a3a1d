"""Storage bindings against raw SQLite: operations per second of KV, D1 and R2 through ``env``, and of the
same single-row operations on a bare ``sqlite3`` connection in the same run.

python bench/storage.py [--ops 3000] [--rounds 5]

Both sides use the same file settings (WAL, ``synchronous=NORMAL``) on the same disk and a value
of the same size, one operation at a time; pyworker's figure is ``await env.KV.put(...)`` and the
like, as worker code calls them (argument conversion, validation, result dicts, the engine's
inline/thread dispatch), with the server's event loop running. Ratio = pyworker / raw SQLite. KV and R2
keep each value in a file of its own (Miniflare's layout, shared with wrangler), so their rows also show the
floor of that layout: a bare row plus a bare file per operation (``sqlite3 + file``), and the ratio to it.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from _common import median

from pyworker.config import load_config
from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.serving.server import DevServer

VALUE = "v" * 100
OBJECT = b"o" * 1024
CONFIG = """
name = "bench"
main = "entry.py"
kv_namespaces = [{ binding = "KV", id = "bench" }]
d1_databases = [{ binding = "DB", database_name = "bench", database_id = "bench" }]
r2_buckets = [{ binding = "BUCKET", bucket_name = "bench" }]
"""
ENTRY = "from workers import WorkerEntrypoint\n\nclass Default(WorkerEntrypoint):\n    pass\n"
OPERATIONS = ("kv_put", "kv_get", "d1_insert", "d1_select", "r2_put", "r2_get")


async def per_second(op: Callable[[int], Awaitable[Any]], ops: int) -> float:
    started = time.perf_counter()
    for i in range(ops):
        await op(i)
    return ops / (time.perf_counter() - started)


async def _read(bucket: Any, key: str) -> bytes:
    return bytes(await (await bucket.get(key)).arrayBuffer())


async def bindings(root: Path) -> tuple[DevServer, dict[str, Callable[[int], Awaitable[Any]]]]:
    """The operations through ``env``, as worker code calls them."""
    (root / "bench").mkdir()
    (root / "bench/entry.py").write_text(ENTRY)
    (root / "bench/wrangler.toml").write_text(CONFIG)
    server = DevServer(DevOptions(), Printer(io.StringIO(), level="warn"), [load_config(root / "bench")])
    server.load()
    env = server.worker("bench").env
    await env.DB.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
    insert, select = env.DB.prepare("INSERT INTO t (name) VALUES (?)"), env.DB.prepare("SELECT * FROM t WHERE id = ?")
    return server, {
        "kv_put": lambda i: env.KV.put(f"key{i}", VALUE),
        "kv_get": lambda i: env.KV.get(f"key{i}"),
        "d1_insert": lambda i: insert.bind(VALUE).run(),
        "d1_select": lambda i: select.bind(i + 1).first(),
        "r2_put": lambda i: env.BUCKET.put(f"obj{i}", OBJECT),
        "r2_get": lambda i: _read(env.BUCKET, f"obj{i}"),
    }


def raw_sqlite(root: Path) -> tuple[sqlite3.Connection, dict[str, Callable[[int], Awaitable[Any]]]]:
    """The same single-row operations on one bare connection with the same file settings."""
    conn = sqlite3.connect(root / "raw.sqlite", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(
        "CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID;"
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);"
        "CREATE TABLE objects (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID;"
    )

    def sql(query: str, args: Callable[[int], tuple[Any, ...]]) -> Callable[[int], Awaitable[Any]]:
        async def op(i: int) -> Any:
            return conn.execute(query, args(i)).fetchone()

        return op

    return conn, {
        "kv_put": sql("INSERT OR REPLACE INTO kv VALUES (?, ?)", lambda i: (f"key{i}", VALUE.encode())),
        "kv_get": sql("SELECT value FROM kv WHERE key = ?", lambda i: (f"key{i}",)),
        "d1_insert": sql("INSERT INTO t (name) VALUES (?)", lambda i: (VALUE,)),
        "d1_select": sql("SELECT * FROM t WHERE id = ?", lambda i: (i + 1,)),
        "r2_put": sql("INSERT OR REPLACE INTO objects VALUES (?, ?)", lambda i: (f"obj{i}", OBJECT)),
        "r2_get": sql("SELECT value FROM objects WHERE key = ?", lambda i: (f"obj{i}",)),
    }


def raw_files(root: Path) -> tuple[sqlite3.Connection, dict[str, Callable[[int], Awaitable[Any]]]]:
    """The floor of Miniflare's layout (KV and R2 keep each value in a file of its own, named in a row): one
    bare ``sqlite3`` row and one new file per write, a row lookup and a file read per read, nothing else."""
    conn = sqlite3.connect(root / "files.sqlite", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE entries (key TEXT PRIMARY KEY, blob_id TEXT) WITHOUT ROWID")
    folder = root / "blobs"
    folder.mkdir()
    counter = iter(range(10**9))

    def put(value: bytes) -> Callable[[int], Awaitable[Any]]:
        async def op(i: int) -> Any:
            blob_id = f"{next(counter):080d}"
            fd = os.open(folder / blob_id, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            os.write(fd, value)
            os.close(fd)
            old = conn.execute("SELECT blob_id FROM entries WHERE key = ?", (f"key{i}",)).fetchall()
            conn.execute("INSERT OR REPLACE INTO entries VALUES (?, ?)", (f"key{i}", blob_id))
            if old:
                os.unlink(folder / old[0][0])

        return op

    async def get(i: int) -> Any:
        [(blob_id,)] = conn.execute("SELECT blob_id FROM entries WHERE key = ?", (f"key{i}",)).fetchall()
        fd = os.open(folder / blob_id, os.O_RDONLY)
        try:
            return os.read(fd, os.fstat(fd).st_size)
        finally:
            os.close(fd)

    return conn, {"kv_put": put(VALUE.encode()), "kv_get": get, "r2_put": put(OBJECT), "r2_get": get}


async def run(root: Path, ops: int, rounds: int) -> dict[str, Any]:
    server, ours = await bindings(root)
    conn, raw = raw_sqlite(root)
    files_conn, files = raw_files(root)
    result: dict[str, Any] = {}
    try:
        for name in OPERATIONS:
            await per_second(ours[name], min(ops, 500))  # warm up: open files, fill statement caches
            await per_second(raw[name], min(ops, 500))
            # Interleaved rounds, so a slow spell on a shared machine hits both sides alike.
            pairs = [(await per_second(ours[name], ops), await per_second(raw[name], ops)) for _ in range(rounds)]
            result[f"{name}_pyworker"] = median([a for a, _ in pairs])
            result[f"{name}_sqlite"] = median([b for _, b in pairs])
            result[f"{name}_ratio"] = median([a / b for a, b in pairs])
            result[f"{name}_ratio_rounds"] = [a / b for a, b in pairs]
            if name in files:  # the same operation against the layout's floor, interleaved the same way
                if name.endswith("put"):
                    await per_second(files[name], ops)  # every key exists, as for pyworker's side
                floor = [(await per_second(ours[name], ops), await per_second(files[name], ops)) for _ in range(rounds)]
                result[f"{name}_files"] = median([b for _, b in floor])
                result[f"{name}_files_ratio"] = median([a / b for a, b in floor])
    finally:
        server.storage.close()
        conn.close()
        files_conn.close()
    return result


def measure(ops: int = 3000, rounds: int = 5) -> dict[str, Any]:
    """``<op>_pyworker`` and ``<op>_sqlite`` (operations per second, medians) and ``<op>_ratio`` (median of the
    per-round ratios) for each operation."""
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(run(Path(tmp), ops, rounds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", type=int, default=3000, help="operations per round and side")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    result = measure(args.ops, args.rounds)
    for name in OPERATIONS:
        ours, raw, share = result[name + "_pyworker"], result[name + "_sqlite"], result[name + "_ratio"]
        line = f"{name:10} pyworker {ours:9,.0f} ops/s   raw sqlite3 {raw:9,.0f} ops/s   ratio {share:.2f}"
        if name + "_files" in result:
            floor, ratio = result[name + "_files"], result[name + "_files_ratio"]
            line += f"   sqlite3 + file {floor:9,.0f} ops/s   ratio {ratio:.2f}"
        print(line)


if __name__ == "__main__":
    main()
