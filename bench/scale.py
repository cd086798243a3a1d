"""Scale: time to ready and RSS with N = 1, 10, 50, 100 workers, and a 31-hop binding chain.

python bench/scale.py [--sizes 1 10 50 100] [--runs 3] [--hops 31]

N generated workers w0..w(N-1) in a temp dir, chained by service bindings: w(i) has
``NEXT`` -> w(i+1), the last has none. Only w0 has a URL (the rest have ``workers_dev = false``).
Each worker's fetch reads the ``x-hops`` header; if it is above 0 and there is a NEXT, it
forwards over the fetch binding (``await self.env.NEXT.fetch(url, headers={"x-hops": n - 1})``),
else it answers its own name. So ``x-hops: 31`` is 32 invocations, the platform's per-request
limit, and must come back as "w31".

Per N (median of ``runs`` launches, ``--log-level warn``): launch -> first 200 from w0, and the
RSS of the process that listens on w0's port once it answered. Per extra worker:
(RSS(largest N) - RSS(1)) / (largest N - 1). On the largest N: the latency of a request through
the whole chain (median of 21), next to the same request with ``x-hops: 0``. Baselines: N = 1,
and bare uvicorn's idle RSS (what one more worker would cost as its own process).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from _common import (
    free_port,
    launched,
    listening_pid,
    median,
    pyworker_cmd,
    rss_mib,
    uvicorn_cmd,
    wait_for_200,
    write_worker,
)

SIZES = (1, 10, 50, 100)
SOURCE = """from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        hops = int(request.headers.get("x-hops") or 0)
        nxt = getattr(self.env, "NEXT", None)
        if hops > 0 and nxt is not None:
            return await nxt.fetch(request.url, headers={{"x-hops": str(hops - 1)}})
        return Response("{name}")
"""


def write_chain(root: Path, n: int) -> list[str]:
    """Workers w0..w(n-1), each bound to the next; return their directories in order."""
    dirs = []
    for i in range(n):
        services = {"NEXT": f"w{i + 1}"} if i + 1 < n else None
        dirs.append(str(write_worker(root, f"w{i}", SOURCE.format(name=f"w{i}"), services=services, internal=i > 0)))
    return dirs


def chain_latency(url: str, hops: int, samples: int) -> float:
    """Median seconds for a request that goes ``hops`` bindings deep (checked by the answer)."""
    times = []
    with httpx.Client(timeout=10.0) as client:
        for i in range(samples + 3):  # 3 warm-up requests
            started = time.perf_counter()
            response = client.get(url, headers={"x-hops": str(hops)})
            elapsed = time.perf_counter() - started
            if response.status_code != 200 or response.text != f"w{hops}":
                raise RuntimeError(
                    f"x-hops: {hops} answered {response.status_code} {response.text[:200]!r}, expected 200 'w{hops}'"
                )
            if i >= 3:
                times.append(elapsed)
    return median(times)


def uvicorn_idle_rss() -> float:
    port = free_port()
    with launched(uvicorn_cmd("baseline_app:app", port)) as proc:
        wait_for_200(f"http://127.0.0.1:{port}/hello", proc)
        return rss_mib(listening_pid(proc, port))


def measure(sizes: Sequence[int] = SIZES, runs: int = 3, hops: int = 31, samples: int = 21) -> dict[str, Any]:
    """``ready_s_<N>``, ``rss_mib_<N>`` per N; ``per_worker_mib``; ``chain_ms``/``single_ms`` on the
    largest N (``chain_hops`` deep); ``uvicorn_rss_mib``."""
    sizes = sorted(sizes)
    if sizes[-1] <= hops:
        raise ValueError(f"A {hops}-hop chain needs more than {hops} workers; the largest N is {sizes[-1]}.")
    result: dict[str, Any] = {"chain_hops": hops, "sizes": sizes}
    for n in sizes:
        ready, rss = [], []
        with tempfile.TemporaryDirectory(prefix=f"pyworker-bench-scale{n}-") as tmp:
            dirs = write_chain(Path(tmp), n)
            for run in range(runs):
                port = free_port()
                url = f"http://127.0.0.1:{port}/"
                started = time.perf_counter()
                with launched(pyworker_cmd(*dirs, "--port", str(port), "--log-level", "warn")) as proc:
                    ready.append(wait_for_200(url, proc) - started)
                    rss.append(rss_mib(listening_pid(proc, port)))
                    if n == sizes[-1] and run == runs - 1:
                        result["chain_ms"] = chain_latency(url, hops, samples) * 1000
                        result["single_ms"] = chain_latency(url, 0, samples) * 1000
        result[f"ready_s_{n}"] = median(ready)
        result[f"ready_s_{n}_rounds"] = ready
        result[f"rss_mib_{n}"] = median(rss)
    if len(sizes) > 1 and sizes[0] == 1:
        largest = sizes[-1]
        result["per_worker_mib"] = (result[f"rss_mib_{largest}"] - result["rss_mib_1"]) / (largest - 1)
    result["uvicorn_rss_mib"] = uvicorn_idle_rss()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--hops", type=int, default=31)
    args = parser.parse_args()
    result = measure(args.sizes, args.runs, args.hops)
    for n in result["sizes"]:
        print(f"N = {n:3}: ready in {result[f'ready_s_{n}'] * 1000:6.0f} ms, RSS {result[f'rss_mib_{n}']:6.1f} MiB")
    if "per_worker_mib" in result:
        per_worker, uvicorn = result["per_worker_mib"], result["uvicorn_rss_mib"]
        print(f"per extra worker: {per_worker:.2f} MiB (bare uvicorn idle: {uvicorn:.1f} MiB)")
    print(
        f"{result['chain_hops']}-hop chain on N = {result['sizes'][-1]}: {result['chain_ms']:.2f} ms "
        f"(0 hops: {result['single_ms']:.2f} ms)"
    )


if __name__ == "__main__":
    main()
