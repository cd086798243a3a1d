"""Storage with the real ``pyworker dev``: data survives restarts and ``kill -9``; commands work while it runs."""

from __future__ import annotations

import contextlib
import re
import signal
import sqlite3
import subprocess
import sys

import httpx
import pytest

from tests.test_e2e import DevProcess, dev  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e

WORKER = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("/", 3)[3]
        if path.startswith("write/"):
            n = path.split("/")[1]
            await self.env.KV.put(f"k{n}", f"kv {n}")
            await self.env.DB.prepare("INSERT INTO t (n) VALUES (?)").bind(int(n)).run()
            await self.env.FILES.put(f"f{n}", f"r2 {n}")
            return Response("written " + n)
        if path.startswith("read/"):
            n = path.split("/")[1]
            kv = await self.env.KV.get(f"k{n}")
            row = await self.env.DB.prepare("SELECT count(*) AS c FROM t WHERE n = ?").bind(int(n)).first("c")
            obj = await self.env.FILES.get(f"f{n}")
            return Response(f"{kv}|{row}|{await obj.text() if obj else None}")
        if path == "count":
            keys = await self.env.KV.list()
            rows = await self.env.DB.prepare("SELECT count(*) AS c FROM t").first("c")
            objects = await self.env.FILES.list()
            return Response(f"{len(keys['keys'])} {rows} {len(objects.objects)}")  # .keys is dict.keys, as in the SDK
        await self.env.DB.exec("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
        return Response("ready")
"""
CONFIG = """
name = "store"
main = "src/entry.py"
kv_namespaces = [{ binding = "KV", id = "kv-e2e" }]
d1_databases = [{ binding = "DB", database_name = "e2e-db", database_id = "e2e-0000" }]
r2_buckets = [{ binding = "FILES", bucket_name = "e2e-files" }]
"""


@pytest.fixture
def worker(write_worker):
    return write_worker("store", {"src/entry.py": WORKER}, CONFIG)


def start(dev, worker) -> tuple[DevProcess, str]:  # noqa: F811
    process = dev(str(worker), "--port", "0", "--no-reload")
    url = process.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)
    assert httpx.get(url + "/").text == "ready"
    return process, url


def test_data_survives_a_restart_and_the_table_shows_where_it_lives(dev, worker) -> None:  # noqa: F811
    process, url = start(dev, worker)
    assert any(
        "KV -> KV namespace kv-e2e (" in line and ".wrangler/state/v3/kv/miniflare-KVNamespaceObject/" in line
        for line in process.lines
    )
    assert any("DB -> D1 database e2e-db (" in line and "miniflare-D1DatabaseObject" in line for line in process.lines)
    assert any("FILES -> R2 bucket e2e-files (" in line for line in process.lines)
    assert any(
        re.fullmatch(r"Local data: \S*store/\.wrangler/state/v3 \(the files wrangler dev uses too\)", line)
        for line in process.lines
    ), process.lines
    assert httpx.get(url + "/write/1").text == "written 1"
    assert process.interrupt() == 0
    process, url = start(dev, worker)
    assert httpx.get(url + "/read/1").text == "kv 1|1|r2 1"
    assert process.interrupt(signal.SIGTERM) == 0


def test_kill_9_right_after_acknowledged_writes_loses_none_of_them(dev, worker) -> None:  # noqa: F811
    process, url = start(dev, worker)
    with httpx.Client(base_url=url) as client:
        for n in range(20):
            assert client.get(f"/write/{n}").text == f"written {n}"
    process.proc.send_signal(signal.SIGKILL)  # no shutdown, no checkpoint, no close
    process.proc.wait()
    d1 = next((worker / ".wrangler/state/v3/d1/miniflare-D1DatabaseObject").glob("*.sqlite"))
    with contextlib.closing(sqlite3.connect(d1)) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (20,)
    process, url = start(dev, worker)
    assert httpx.get(url + "/count").text == "20 20 20"
    assert httpx.get(url + "/read/19").text == "kv 19|1|r2 19"
    assert process.interrupt() == 0


def cli(worker, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pyworker", *args, "-c", str(worker)], capture_output=True, text=True, timeout=20
    )


def test_the_commands_work_while_the_server_runs(dev, worker) -> None:  # noqa: F811
    process, url = start(dev, worker)
    assert httpx.get(url + "/write/1").text == "written 1"
    inserted = cli(worker, "d1", "execute", "DB", "--local", "--command", "INSERT INTO t (n) VALUES (2), (2)")
    assert inserted.returncode == 0, inserted.stderr
    assert cli(worker, "kv", "key", "put", "k2", "from the cli", "--binding", "KV").returncode == 0
    assert httpx.get(url + "/read/2").text == "from the cli|2|None"
    assert cli(worker, "kv", "key", "get", "k1", "--binding", "KV", "--text").stdout == "kv 1\n"
    assert cli(worker, "r2", "object", "get", "e2e-files/f1").stdout == "r2 1"
    counted = cli(worker, "d1", "execute", "e2e-db", "--command", "SELECT count(*) AS c FROM t", "--json")
    assert '"c": 3' in counted.stdout
    assert httpx.get(url + "/write/3").text == "written 3"
    assert process.interrupt() == 0


def test_kill_9_during_kv_and_r2_writes_in_miniflares_layout_loses_nothing_acknowledged(dev, worker) -> None:  # noqa: F811
    import concurrent.futures
    import threading

    process, url = start(dev, worker)
    acknowledged: list[int] = []
    enough = threading.Event()

    def writer(first: int) -> None:
        with httpx.Client(base_url=url, timeout=10) as client:
            for n in range(first, first + 10_000, 4):
                try:
                    if client.get(f"/write/{n}").text != f"written {n}":
                        return
                except httpx.HTTPError:
                    return  # the server is gone
                acknowledged.append(n)
                if len(acknowledged) >= 60:
                    enough.set()

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(writer, first) for first in range(4)]
        assert enough.wait(60)
        process.proc.send_signal(signal.SIGKILL)  # while the other writers' requests are in flight
        process.proc.wait()
        for future in futures:
            future.result()
    state = worker / ".wrangler/state/v3"
    for kind in ("kv", "r2"):  # no row names a file that is not there
        [database] = (state / kind).glob("miniflare-*/*.sqlite")
        table = "_mf_entries" if kind == "kv" else "_mf_objects"
        conn = sqlite3.connect(database)
        named = [row[0] for row in conn.execute(f"SELECT blob_id FROM {table}")]
        conn.close()
        folder = state / kind / ("kv-e2e" if kind == "kv" else "e2e-files") / "blobs"
        assert named and all((folder / blob_id).is_file() for blob_id in named)
    process, url = start(dev, worker)
    with httpx.Client(base_url=url) as client:
        for n in acknowledged:
            assert client.get(f"/read/{n}").text == f"kv {n}|1|r2 {n}"
    assert process.interrupt() == 0
