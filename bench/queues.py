"""Queues end to end: messages/s from ``await env.Q.send(...)`` to the consumer's ``ack()``, in process.

python bench/queues.py [--messages 2000] [--rounds 3]

A producer worker's binding sends one message per ``send`` (and, in a second row, 100 per
``sendBatch``); the broker delivers them in batches of 100 (``max_batch_timeout = 0``) to a
consumer worker that acks each; the figure is messages over the time from the first ``send`` to
the last batch settled. Baseline, same run: the same count of single-row ``INSERT`` + ``DELETE``
on a bare ``sqlite3`` connection with the same file settings (WAL, ``synchronous=NORMAL``), which
is the least a persisted queue does per message.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from pyworker.config import load_config
from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.serving.server import DevServer

CONSUMER = """
from workers import WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def queue(self, batch, env, ctx):
        for message in batch.messages:
            message.ack()
"""
CONFIG = """
name = "{name}"
main = "entry.py"
[[queues.producers]]
binding = "Q"
queue = "bench"
[[queues.consumers]]
queue = "bench"
max_batch_size = 100
max_batch_timeout = 0
"""


async def _drain(server: DevServer, queue: str) -> None:
    while await server.queues.store.count(queue):
        server.queues.settled.clear()
        await asyncio.wait_for(server.queues.settled.wait(), 30)


async def _pyworker(root: Path, messages: int, batched: bool) -> float:
    (root / "entry.py").write_text(CONSUMER)
    (root / "wrangler.toml").write_text(CONFIG.format(name="bench"))
    server = DevServer(DevOptions(), Printer(io.StringIO(), level="warn"), [load_config(root)])
    server.load()
    env = server.worker("bench").env
    server.queues.start()
    try:
        started = time.perf_counter()
        if batched:
            for start in range(0, messages, 100):
                await env.Q.sendBatch([{"body": {"n": n}} for n in range(start, min(messages, start + 100))])
        else:
            for n in range(messages):
                await env.Q.send({"n": n})
        await _drain(server, "bench")
        return messages / (time.perf_counter() - started)
    finally:
        await server.queues.stop()
        server.storage.close()


def _raw(root: Path, messages: int) -> float:
    conn = sqlite3.connect(root / "raw.sqlite", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE m (seq INTEGER PRIMARY KEY, id TEXT, body BLOB)")
    started = time.perf_counter()
    for n in range(messages):
        conn.execute("INSERT INTO m (id, body) VALUES (?, ?)", (f"id{n}", b'{"n": 1}'))
    for n in range(messages):
        conn.execute("DELETE FROM m WHERE id = ?", (f"id{n}",))
    conn.close()
    return messages / (time.perf_counter() - started)


def measure(messages: int = 2000, rounds: int = 3) -> dict[str, Any]:
    """``send_per_s``, ``batch_per_s`` (pyworker) and ``raw_per_s`` (raw SQLite), medians over rounds."""
    figures: dict[str, list[float]] = {"send_per_s": [], "batch_per_s": [], "raw_per_s": []}
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            for key, batched in (("send_per_s", False), ("batch_per_s", True)):
                (root / key).mkdir()
                figures[key].append(asyncio.run(_pyworker(root / key, messages, batched)))
            figures["raw_per_s"].append(_raw(root, messages))
    result: dict[str, Any] = {key: statistics.median(values) for key, values in figures.items()}
    result.update({f"{key}_rounds": values for key, values in figures.items()})
    result["send_ratio"] = result["send_per_s"] / result["raw_per_s"]
    result["batch_ratio"] = result["batch_per_s"] / result["raw_per_s"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    result = measure(args.messages, args.rounds)
    print(f"send():      {result['send_per_s']:8,.0f} messages/s  (ratio {result['send_ratio']:.2f})")
    print(f"sendBatch(): {result['batch_per_s']:8,.0f} messages/s  (ratio {result['batch_ratio']:.2f})")
    print(f"raw SQLite INSERT + DELETE: {result['raw_per_s']:8,.0f} messages/s")


if __name__ == "__main__":
    main()
