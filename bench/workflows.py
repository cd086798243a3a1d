"""Workflow step overhead: a run of N trivial ``step.do`` steps against N plain ``await``s of the same functions.

python bench/workflows.py [--steps 1000] [--rounds 5]

Both run in one process with the server's loop: pyworker's side creates an instance and
waits for it to complete (each step is stored in SQLite before the next starts, as the
engine must for durability); the baseline awaits the same async function N times in a
plain coroutine. Ratio = pyworker's time / the baseline's; also per step in microseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import median

from pyworker.config import load_config
from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.serving.server import DevServer

# Not "bench": the storage section's worker of that name is still imported when run.py gets here, and the
# second "bench" would import its entry module instead of this one.
CONFIG = """
name = "workflow_bench"
main = "entry.py"
workflows = [{ name = "bench", binding = "WF", class_name = "Steps" }]
"""
ENTRY = """
from workers import WorkflowEntrypoint


async def work(i):
    return i + 1


class Steps(WorkflowEntrypoint):
    async def run(self, event, step):
        total = 0
        for i in range(event.payload["n"]):
            @step.do(f"s{i}")
            async def one():
                return await work(i)

            total += await one()
        return total
"""


async def work(i: int) -> int:
    return i + 1


async def plain(n: int) -> float:
    started = time.perf_counter()
    total = 0
    for i in range(n):
        total += await work(i)
    return time.perf_counter() - started


async def workflow(env: Any, n: int, round_no: int) -> float:
    started = time.perf_counter()
    instance = await env.WF.create({"id": f"r{round_no}", "params": {"n": n}})
    store = instance._engine.store
    while True:  # waits on the store's writes, not on a timer
        seen = store.version
        if (await instance.status())["status"] in ("complete", "errored"):
            break
        await store.changed_since(seen)
    elapsed = time.perf_counter() - started
    status = await instance.status()
    assert status["status"] == "complete", status
    return elapsed


async def run(root: Path, steps: int, rounds: int) -> dict[str, Any]:
    (root / "bench").mkdir()
    (root / "bench/entry.py").write_text(ENTRY)
    (root / "bench/wrangler.toml").write_text(CONFIG)
    server = DevServer(DevOptions(), Printer(io.StringIO(), level="warn"), [load_config(root / "bench")])
    server.load()
    env = server.worker("workflow_bench").env
    try:
        await workflow(env, 50, -1)  # warm up: open the file, import
        pairs = [(await workflow(env, steps, r), await plain(steps)) for r in range(rounds)]
    finally:
        await server.host.workflows.stop()
        server.storage.close()
    ours = median([a for a, _ in pairs])
    base = median([b for _, b in pairs])
    return {
        "workflow_s": ours,
        "plain_s": base,
        "ratio": median([a / b for a, b in pairs]),
        "ratio_rounds": [a / b for a, b in pairs],
        "per_step_us": ours / steps * 1e6,
        "plain_per_await_us": base / steps * 1e6,
    }


def measure(steps: int = 1000, rounds: int = 5) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(run(Path(tmp), steps, rounds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    r = measure(args.steps, args.rounds)
    print(
        f"{args.steps} steps: workflow {r['workflow_s'] * 1000:.1f} ms ({r['per_step_us']:.0f} µs a step), "
        f"plain awaits {r['plain_s'] * 1000:.2f} ms ({r['plain_per_await_us']:.2f} µs each), ratio {r['ratio']:.0f}"
    )


if __name__ == "__main__":
    main()
