"""Cost of per-worker imports: on the request path, when a worker loads, and through bare names.

python bench/imports.py                                  # this checkout's pyworker
python bench/imports.py --baseline-python OTHER/python   # and another pyworker, alternating, same run

In process, on the pyworker the interpreter imports (``measure()``):

- ``fetch_us``: ``await worker.fetch(Request(...))``, the in-process HTTP path of a worker (median µs);
- ``rpc_us``: ``await worker.call(...)`` of a method that returns at once;
- ``binding_us``: ``await env.B.add(1, 2)`` from another worker, through the binding;
- ``lazy_import_us``: a method doing ``import helpers`` and ``import json`` inside it (the import hook);
- ``environ_us``: a method reading ``os.environ.get("HOME")`` (per-worker ``os.environ`` on this branch);
- ``load_ms``: loading, then unloading, a worker of 50 modules;
- this branch only: ``string_import_us`` (a method doing ``importlib.import_module("helpers")``),
  ``stand_in_read_ns`` vs ``module_read_ns`` (one attribute read through ``sys.modules["helpers"]`` vs
  on the module itself, with the worker's scope set).

With ``--baseline-python``, each round runs this script once under each interpreter, alternating,
and the table shows the medians over rounds side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ENTRY = """
import os
from workers import Response, WorkerEntrypoint
import helpers


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("ok")

    async def ping(self):
        return 1

    async def add(self, a, b):
        return a + b

    async def lazy(self):
        import helpers
        import json
        return helpers.VALUE

    async def environ(self):
        return os.environ.get("HOME")

    async def by_string(self):
        import importlib
        return importlib.import_module("helpers").VALUE
"""


def write(root: Path, name: str, files: dict[str, str], services: str = "") -> Path:
    directory = root / name
    for relative, text in files.items():
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        (directory / relative).write_text(text)
    (directory / "wrangler.toml").write_text(f'name = "{name}"\nmain = "entry.py"\n{services}')
    return directory


async def per_call_us(call: Callable[[], Awaitable[Any]], calls: int, repeats: int = 5) -> float:
    """The fastest of ``repeats`` loops, in µs per call: on a shared machine, the least disturbed one."""
    for _ in range(min(calls, 500)):
        await call()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(calls):
            await call()
        samples.append((time.perf_counter() - started) / calls * 1e6)
    return min(samples)


async def in_process(root: Path, calls: int) -> dict[str, float]:
    from pyworker.config import load_config
    from pyworker.loading.code import load_code
    from pyworker.options import DevOptions
    from pyworker.printer import Printer
    from pyworker.runtime.http import Request
    from pyworker.runtime.scope import current_worker
    from pyworker.serving.server import DevServer

    callee = write(root, "callee", {"entry.py": ENTRY, "helpers.py": "VALUE = 1\n"})
    caller = write(
        root,
        "caller",
        {"entry.py": ENTRY, "helpers.py": "VALUE = 2\n"},
        'services = [{ binding = "B", service = "callee" }]\n',
    )
    many = write(
        root,
        "many",
        {"entry.py": "".join(f"import mod_{i:03d}\n" for i in range(50))}
        | {f"mod_{i:03d}.py": f"X = {i}\n" for i in range(50)},
    )
    server = DevServer(DevOptions(), Printer(io.StringIO(), level="warn"), [load_config(callee), load_config(caller)])
    server.load()
    worker, stub = server.worker("callee"), server.worker("caller").env.B
    result = {
        "fetch_us": await per_call_us(lambda: worker.fetch(Request("http://localhost/")), calls),
        "rpc_us": await per_call_us(lambda: worker.call(None, "ping", (), {}), calls),
        "binding_us": await per_call_us(lambda: stub.add(1, 2), calls),
        "lazy_import_us": await per_call_us(lambda: worker.call(None, "lazy", (), {}), calls),
        "environ_us": await per_call_us(lambda: worker.call(None, "environ", (), {}), calls),
    }
    # Before per-worker string imports the name is not importable by string at all.
    with contextlib.suppress(ModuleNotFoundError):
        result["string_import_us"] = await per_call_us(lambda: worker.call(None, "by_string", (), {}), calls)
    stand_in = sys.modules.get("helpers")
    if stand_in is not None and worker.code is not None:
        module = worker.code.module.__dict__["helpers"]
        token = current_worker.set(worker.code.scope)
        try:
            result["stand_in_read_ns"] = min(timeit.repeat(lambda: stand_in.VALUE, number=100_000, repeat=5)) * 1e4
            result["module_read_ns"] = min(timeit.repeat(lambda: module.VALUE, number=100_000, repeat=5)) * 1e4
        finally:
            current_worker.reset(token)
    config, loads = load_config(many), []
    for generation in range(1, 12):
        started = time.perf_counter()
        load_code(config, generation).unload()
        loads.append((time.perf_counter() - started) * 1000)
    result["load_ms"] = statistics.median(loads[1:])  # the first pays for compiling nothing else does
    for each in server.workers:
        await each.stop()
    return result


def measure(calls: int = 5000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(in_process(Path(tmp), calls))


def compare(baseline_python: str, rounds: int, calls: int) -> dict[str, dict[str, float]]:
    """Median of ``rounds`` runs of each side, run alternately in fresh interpreters."""
    runs: dict[str, list[dict[str, float]]] = {"this": [], "baseline": []}
    for _ in range(rounds):
        for side, python in (("this", sys.executable), ("baseline", baseline_python)):
            out = subprocess.run(
                [python, __file__, "--json", "--calls", str(calls)],
                capture_output=True,
                text=True,
                check=True,
                cwd=Path(__file__).parent,
            ).stdout
            runs[side].append(json.loads(out))
    return {
        side: {key: statistics.median(run[key] for run in results if key in run) for key in results[0]}
        for side, results in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline-python", help="an interpreter whose pyworker is the baseline (e.g. main's venv)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--json", action="store_true", help="print this run's figures as JSON")
    args = parser.parse_args()
    if args.json:
        print(json.dumps(measure(args.calls)))
        return
    if not args.baseline_python:
        for key, value in measure(args.calls).items():
            print(f"{key:18} {value:10.2f}")
        return
    sides = compare(args.baseline_python, args.rounds, args.calls)
    print(f"{'figure':18} {'this':>10} {'baseline':>10} {'ratio':>7}   (median of {args.rounds} alternating runs)")
    for key, value in sides["this"].items():
        base = sides["baseline"].get(key)
        ratio = f"{value / base:7.2f}" if base else "      —"
        print(f"{key:18} {value:10.2f} {base if base is not None else float('nan'):10.2f} {ratio}")


if __name__ == "__main__":
    main()
