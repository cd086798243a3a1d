"""The real wrangler (npm ``wrangler@4.86.0``) and pyworker on one state directory, both ways.

Skipped, with the reason, where wrangler is not installed: set ``PYWORKER_WRANGLER`` to its
``node_modules/.bin/wrangler`` (``npm install wrangler@4.86.0`` in a directory under /tmp), or
put ``wrangler`` on ``PATH``. CI does not need it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.test_e2e import dev  # noqa: F401 - the fixture

FIXTURE = Path(__file__).parent / "fixtures/wrangler_4_86/project"
CANDIDATES = [os.environ.get("PYWORKER_WRANGLER", ""), shutil.which("wrangler")]
WRANGLER = next((c for c in CANDIDATES if c and os.access(c, os.X_OK)), None)
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        WRANGLER is None or shutil.which("node") is None,
        reason="wrangler 4.86 is not installed (npm install wrangler@4.86.0; set PYWORKER_WRANGLER to it)",
    ),
]
ENTRY = """
import json

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        query = dict(part.split("=", 1) for part in request.url.split("?", 1)[1].split("&"))
        key = query["key"]
        if request.url.split("?")[0].endswith("/put"):
            await self.env.KV.put(key, "from pyworker", {"metadata": {"by": "pyworker"}, "expirationTtl": 3600})
            upload = await self.env.BUCKET.createMultipartUpload(key)
            await upload.complete([await upload.uploadPart(1, "multipart from pyworker")])
            return Response("put")
        if request.url.split("?")[0].endswith("/delete"):
            await self.env.KV.delete(key)
            return Response("deleted")
        found = await self.env.KV.getWithMetadata(key)
        obj = await self.env.BUCKET.get(key)
        text = None if obj is None else await obj.text()
        return Response(json.dumps({"kv": found["value"], "metadata": found["metadata"], "r2": text}))
"""
PY_CONFIG = """
name = "py"
main = "src/entry.py"
kv_namespaces = [{ binding = "KV", id = "fixture-kv" }]
r2_buckets = [{ binding = "BUCKET", bucket_name = "fixture-bucket" }]
"""


def wrangler(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert WRANGLER is not None
    env = {**os.environ, "WRANGLER_SEND_METRICS": "false", "CI": "1"}
    return subprocess.run([WRANGLER, *args], cwd=project, env=env, capture_output=True, text=True, timeout=120)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def projects(tmp_path: Path, write_worker) -> tuple[Path, Path, Path]:
    """The JavaScript worker for wrangler, a Python worker for pyworker, and the state both use."""
    js = shutil.copytree(FIXTURE, tmp_path / "js")
    py = write_worker("py", {"src/entry.py": ENTRY}, PY_CONFIG)
    return js, py, tmp_path / "state"


@pytest.fixture
def wrangler_dev(projects: tuple[Path, Path, Path]) -> Iterator[str]:
    js, _, state = projects
    port = free_port()
    assert WRANGLER is not None
    env = {**os.environ, "WRANGLER_SEND_METRICS": "false", "CI": "1"}
    proc = subprocess.Popen(
        [WRANGLER, "dev", "--ip", "127.0.0.1", "--port", str(port), "--persist-to", str(state),
         "--show-interactive-dev-session=false"],
        cwd=js, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    ready = threading.Event()

    def drain() -> None:  # reads every line, so wrangler never blocks on a full pipe
        assert proc.stdout is not None
        for line in proc.stdout:
            if "Ready on" in line:
                ready.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        assert ready.wait(90), "wrangler dev did not say Ready"
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(20)
        reader.join(20)
        assert proc.stdout is not None
        proc.stdout.close()


def test_kv_and_r2_through_the_cli_both_ways(projects: tuple[Path, Path, Path], tmp_path: Path) -> None:
    js, py, state = projects
    put = wrangler(js, "kv", "key", "put", "--binding", "KV", "w", "by wrangler", "--local", "--persist-to", str(state))
    assert put.returncode == 0, put.stderr
    from click.testing import CliRunner

    from pyworker.cli import main

    runner = CliRunner()
    common = ["--persist-to", str(state), "-c", str(py)]
    got = runner.invoke(main, ["kv", "key", "get", "w", "--binding", "KV", "--text", *common])
    assert got.stdout == "by wrangler\n"
    assert runner.invoke(main, ["kv", "key", "put", "p", "by pyworker", "--binding", "KV", *common]).exit_code == 0
    shown = wrangler(js, "kv", "key", "get", "--binding", "KV", "p", "--local", "--persist-to", str(state))
    assert shown.stdout.strip().endswith("by pyworker")
    assert runner.invoke(main, ["kv", "key", "delete", "w", "--binding", "KV", *common]).exit_code == 0
    gone = wrangler(js, "kv", "key", "get", "--binding", "KV", "w", "--local", "--persist-to", str(state))
    assert "Value not found" in gone.stdout + gone.stderr
    (tmp_path / "upload.bin").write_bytes(b"\x00\x01 bytes from wrangler")
    wrangler(js, "r2", "object", "put", "fixture-bucket/a.bin", "--file", str(tmp_path / "upload.bin"), "--local",
             "--persist-to", str(state))  # fmt: skip
    runner.invoke(main, ["r2", "object", "get", "fixture-bucket/a.bin", "--file", str(tmp_path / "out.bin"), *common])
    assert (tmp_path / "out.bin").read_bytes() == b"\x00\x01 bytes from wrangler"
    (tmp_path / "mine.txt").write_text("from pyworker ✓")
    runner.invoke(
        main, ["r2", "object", "put", "fixture-bucket/mine.txt", "--file", str(tmp_path / "mine.txt"), *common]
    )
    piped = wrangler(
        js, "r2", "object", "get", "fixture-bucket/mine.txt", "--pipe", "--local", "--persist-to", str(state)
    )
    assert piped.stdout == "from pyworker ✓"


def test_pyworker_dev_and_wrangler_dev_at_once(projects, wrangler_dev: str, dev) -> None:  # noqa: F811
    _, py, state = projects
    process = dev(str(py), "--port", "0", "--no-reload", "--persist-to", str(state))
    ours = process.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)
    assert httpx.get(f"{wrangler_dev}/put?key=w", timeout=30).text == "put"
    seen = json.loads(httpx.get(f"{ours}/get?key=w").text)
    assert seen == {"kv": "from wrangler", "metadata": {"by": "wrangler"}, "r2": "multipart from wrangler"}
    assert httpx.get(f"{ours}/put?key=p").text == "put"
    theirs = httpx.get(f"{wrangler_dev}/get?kv=p&r2=p", timeout=30).json()
    assert theirs["kv"] == {"value": "from pyworker", "metadata": {"by": "pyworker"}, "cacheStatus": None}
    assert theirs["r2"]["text"] == "multipart from pyworker" and theirs["r2"]["etag"].endswith("-1")
    assert httpx.get(f"{wrangler_dev}/delete?key=p", timeout=30).text == "deleted"
    assert json.loads(httpx.get(f"{ours}/get?key=p").text)["kv"] is None
    assert httpx.get(f"{ours}/delete?key=w").text == "deleted"
    assert httpx.get(f"{wrangler_dev}/get?kv=w&r2=w", timeout=30).json()["kv"] == {
        "value": None, "metadata": None, "cacheStatus": None,
    }  # fmt: skip
    assert process.interrupt() == 0
