"""Soak, second part: a mixed load sampled over time, and acknowledged writes across ``kill -9``.

python bench/soak_mixed.py [--minutes 5] [--kills 10]

- mixed load: 20 keep-alive connections for ``--minutes``, each request one of RPC through
  a service binding, KV ``get``, KV ``put``, D1 ``SELECT`` and D1 ``INSERT`` (in turn); the
  server's RSS, open file descriptors and threads sampled every 10 s.
- kill -9: 50 concurrent writers each put a KV key and insert a D1 row per request; after
  about 2 s of that the server is killed with SIGKILL, restarted on the same state, and
  every write that was acknowledged (answered 200) is looked for; ``--kills`` rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _common import free_port, launched, listening_pid, pyworker_cmd, rss_mib, wait_for_200

APP = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("/", 3)[3].split("?")[0]
        kind, _, arg = path.partition("/")
        if kind == "rpc":
            return Response(str(await self.env.MATH.add(int(arg), 1)))
        if kind == "kvput":
            await self.env.KV.put(f"k{arg}", f"v{arg}")
            return Response("ok")
        if kind == "kvget":
            return Response(str(await self.env.KV.get(f"k{arg}")))
        if kind == "d1insert":
            await self.env.DB.prepare("INSERT OR REPLACE INTO t (id, v) VALUES (?, ?)").bind(arg, f"v{arg}").run()
            return Response("ok")
        if kind == "d1select":
            row = await self.env.DB.prepare("SELECT v FROM t WHERE id = ?").bind(arg).first()
            return Response(str(row["v"] if row else None))
        if kind == "both":
            await self.env.KV.put(f"k{arg}", f"v{arg}")
            await self.env.DB.prepare("INSERT INTO t (id, v) VALUES (?, ?)").bind(arg, f"v{arg}").run()
            return Response("ok")
        if kind == "setup":
            await self.env.DB.prepare("CREATE TABLE IF NOT EXISTS t (id TEXT PRIMARY KEY, v TEXT)").run()
            return Response("ready")
        return Response("?", 404)
"""

MATH = """
from workers import WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def add(self, a, b):
        return a + b
"""

KINDS = ("rpc", "kvget", "kvput", "d1select", "d1insert")


def _project(root: Path) -> Path:
    """The app worker (KV, D1, a service binding to ``math``) and the ``math`` worker, under ``root``."""
    app, math = root / "app", root / "math"
    for directory, source in ((app, APP), (math, MATH)):
        (directory / "src").mkdir(parents=True, exist_ok=True)
        (directory / "src/entry.py").write_text(source)
    (app / "wrangler.toml").write_text(
        'name = "app"\nmain = "src/entry.py"\ncompatibility_date = "2025-11-01"\n'
        'services = [{ binding = "MATH", service = "math" }]\n'
        'kv_namespaces = [{ binding = "KV", id = "soak" }]\n'
        'd1_databases = [{ binding = "DB", database_name = "soak", database_id = "soak-db" }]\n'
    )
    (math / "wrangler.toml").write_text('name = "math"\nmain = "src/entry.py"\nworkers_dev = false\n')
    return app


def _sample(pid: int) -> dict[str, float]:
    with open(f"/proc/{pid}/status") as status:
        threads = next(int(line.split()[1]) for line in status if line.startswith("Threads:"))
    return {"rss_mib": rss_mib(pid), "fds": len(os.listdir(f"/proc/{pid}/fd")), "threads": threads}


def _start(app: Path, port: int) -> tuple[subprocess.Popen[bytes], str]:
    cmd = pyworker_cmd(str(app), str(app.parent / "math"), "--port", str(port), "--log-level", "warn", "--no-reload")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_for_200(url + "/setup", proc)
    return proc, url


async def _mixed_clients(url: str, seconds: float, connections: int) -> dict[str, int]:
    counts = {"requests": 0, "errors": 0}
    end = time.monotonic() + seconds

    async def client(number: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            turn = 0
            while time.monotonic() < end:
                kind = KINDS[turn % len(KINDS)]
                key = (number * 1_000_003 + turn) % 50_000
                turn += 1
                try:
                    reply = await http.get(f"/{kind}/{key}")
                    counts["errors"] += reply.status_code != 200
                except httpx.HTTPError:
                    counts["errors"] += 1
                counts["requests"] += 1

    await asyncio.gather(*(client(n) for n in range(connections)))
    return counts


def mixed(minutes: float, connections: int = 20, every: float = 10.0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pyworker-soak-") as tmp:
        port = free_port()
        app = _project(Path(tmp))
        cmd = pyworker_cmd(str(app), str(app.parent / "math"), "--port", str(port), "--log-level", "warn")
        with launched(cmd) as proc:
            url = f"http://127.0.0.1:{port}"
            wait_for_200(url + "/setup", proc)
            pid = listening_pid(proc, port)
            samples = [{"t": 0.0, **_sample(pid)}]
            started = time.monotonic()

            async def run() -> dict[str, int]:
                load = asyncio.ensure_future(_mixed_clients(url, minutes * 60, connections))
                while not load.done():
                    await asyncio.wait([load], timeout=every)
                    samples.append({"t": round(time.monotonic() - started, 1), **_sample(pid)})
                return load.result()

            counts = asyncio.run(run())
    return {"minutes": minutes, "connections": connections, **counts, "samples": samples}


async def _writers(url: str, seconds: float, first: int, writers: int = 50) -> list[int]:
    """Write ``both/N`` for ever-new N until ``seconds`` pass or the server dies; the acknowledged N."""
    acknowledged: list[int] = []
    end = time.monotonic() + seconds
    counter = iter(range(first, first + 10_000_000))

    async def writer() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            while time.monotonic() < end:
                n = next(counter)
                try:
                    if (await http.get(f"/both/{n}")).text == "ok":
                        acknowledged.append(n)
                except httpx.HTTPError:
                    return  # the server is gone

    await asyncio.gather(*(writer() for _ in range(writers)))
    return acknowledged


async def _present(url: str, numbers: list[int]) -> int:
    """How many of ``numbers`` are in both KV and D1."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        semaphore = asyncio.Semaphore(50)

        async def both(n: int) -> bool:
            async with semaphore:
                kv = (await http.get(f"/kvget/{n}")).text
                d1 = (await http.get(f"/d1select/{n}")).text
            return kv == d1 == f"v{n}"

        found = await asyncio.gather(*(both(n) for n in numbers))
    return sum(found)


def kill_9_loop(rounds: int, seconds: float = 3.0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pyworker-soak-") as tmp:
        app = _project(Path(tmp))
        acknowledged: list[int] = []
        for round_number in range(rounds):
            proc, url = _start(app, free_port())
            try:
                killer = asyncio.new_event_loop()
                try:
                    task = killer.create_task(_writers(url, 30, round_number * 10_000_000))
                    killer.run_until_complete(asyncio.sleep(seconds))  # writes under way, then the kill
                    proc.send_signal(signal.SIGKILL)  # mid-write: no shutdown, no checkpoint, no close
                    proc.wait()
                    acknowledged += killer.run_until_complete(task)
                finally:
                    killer.close()
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        proc, url = _start(app, free_port())
        try:
            present = asyncio.run(_present(url, acknowledged))
        finally:
            proc.terminate()
            proc.wait()
    lost = len(acknowledged) - present
    return {"rounds": rounds, "acknowledged": len(acknowledged), "present": present, "lost": lost}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--kills", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps({"mixed": mixed(args.minutes), "kill_9": kill_9_loop(args.kills)}, indent=2))


if __name__ == "__main__":
    main()


def rows(mixed_result: dict[str, Any], kills: dict[str, Any]) -> list[list[str]]:
    """Rows for ``bench/SOAK.md``'s table: [what, pyworker, baseline, target, met?]."""
    samples = mixed_result["samples"]
    first, last = samples[0], samples[-1]
    half = samples[len(samples) // 2]
    fds = [sample["fds"] for sample in samples]
    threads = [sample["threads"] for sample in samples]
    met = "met" if mixed_result["errors"] == 0 else "**missed**"
    kept = "met" if kills["lost"] == 0 else "**missed**"
    return [
        [f"mixed load: {mixed_result['connections']} connections for {mixed_result['minutes']:g} min "
         "(RPC, KV get/put, D1 select/insert in turn)",
         f"{mixed_result['requests']:,} requests, {mixed_result['errors']} errors", "—", "0 errors", met],
        ["RSS at start → half-way → end of the mixed load (every 10 s: table below)",
         f"{first['rss_mib']:.1f} → {half['rss_mib']:.1f} → {last['rss_mib']:.1f} MiB", "—", "—", "—"],
        ["open file descriptors, threads during the mixed load (min to max)",
         f"{min(fds)} to {max(fds)} fds, {min(threads)} to {max(threads)} threads", "—", "—", "—"],
        [f"kill -9 under 50 writers (KV put + D1 insert each), {kills['rounds']} rounds",
         f"{kills['acknowledged']:,} acknowledged, {kills['present']:,} present after restart", "—", "0 lost", kept],
    ]  # fmt: skip


def samples_table(mixed_result: dict[str, Any]) -> str:
    """The mixed load's samples as a Markdown table."""
    lines = ["| s | RSS (MiB) | fds | threads |", "|---|---|---|---|"]
    lines += [
        f"| {sample['t']:.0f} | {sample['rss_mib']:.1f} | {sample['fds']} | {sample['threads']} |"
        for sample in mixed_result["samples"]
    ]
    return "\n".join(lines)
