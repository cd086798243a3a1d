"""The real ``wrangler dev`` (npm ``wrangler@4.86.0``) and the real ``pyworker dev`` bind each other through
the dev registry: fetch both ways with bodies, status and headers; RPC refused both ways with one line.

Skipped, with the reason, where wrangler or Node is absent: set ``PYWORKER_WRANGLER`` to its
``node_modules/.bin/wrangler`` or put ``wrangler`` on ``PATH`` (as ``tests/test_wrangler_interop.py``).
Both processes use the session's registry (``tests/conftest.py``); readiness is read from their output.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.test_e2e import DevProcess, PipedProcess, dev  # noqa: F401 - the fixture

CANDIDATES = [os.environ.get("PYWORKER_WRANGLER", ""), shutil.which("wrangler")]
WRANGLER = next((c for c in CANDIDATES if c and os.access(c, os.X_OK)), None)
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        WRANGLER is None or shutil.which("node") is None,
        reason="wrangler 4.86 and Node are needed (npm install wrangler@4.86.0; set PYWORKER_WRANGLER to it)",
    ),
]
pytest.importorskip("capnp", reason="pycapnp is not installed (pip install 'pyworker[wrangler]')")
DEADLINE = 90.0  # wrangler's first start builds the worker and starts workerd

JS_CONFIG = """
name = "wr-js"
main = "src/index.js"
compatibility_date = "2025-09-01"
services = [{ binding = "PY", service = "wr-py" }]
"""
JS = """
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/to-py") {
      const answer = await env.PY.fetch("http://wr-py/echo?from=js", {
        method: "POST", body: "ping from js", headers: { "x-from": "js" },
      });
      const text = await answer.text();
      return Response.json({ status: answer.status, text, py: answer.headers.get("x-py") });
    }
    if (url.pathname === "/rpc-py") {
      try {
        return new Response(String(await env.PY.add(1, 2)));
      } catch (e) {
        return new Response(`${e.name}: ${e.message}`);
      }
    }
    const body = request.method === "GET" ? "" : await request.text();
    const from = request.headers.get("x-from");
    return new Response(`js ${request.method} ${url.pathname}${url.search} body=${body} x-from=${from}`,
      { status: 201, statusText: "Made", headers: { "x-js": "yes" } });
  },
};
"""
PY_CONFIG = """
name = "wr-py"
main = "src/entry.py"
compatibility_date = "2025-09-01"
services = [{ binding = "JS", service = "wr-js" }]
"""
PY = """
import json
from urllib.parse import urlsplit

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = urlsplit(request.url)
        if url.path == "/to-js":
            async def chunks():
                for part in (b"ping ", b"from ", b"py"):
                    yield part
            answer = await self.env.JS.fetch("http://wr-js/echo?from=py", method="PUT", body=chunks(),
                                             headers={"x-from": "py"})
            text = await answer.text()
            return Response(json.dumps({"status": answer.status, "statusText": answer.status_text, "text": text,
                                        "js": answer.headers.get("x-js")}))
        if url.path == "/rpc-js":
            try:
                return Response(str(await self.env.JS.add(1, 2)))
            except Exception as exc:
                return Response(f"{type(exc).__name__}: {exc}")
        body = await request.text()
        sender = request.headers.get("x-from")
        return Response(f"py {request.method} {url.path}?{url.query} body={body} x-from={sender}", 202,
                        headers={"x-py": "yes"})
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WranglerDev(PipedProcess):
    """``wrangler dev`` in a subprocess."""

    def __init__(self, project: Path, port: int) -> None:
        assert WRANGLER is not None
        env = {**os.environ, "WRANGLER_SEND_METRICS": "false", "CI": "1", "NO_COLOR": "1"}
        command = [WRANGLER, "dev", "--ip", "127.0.0.1", "--port", str(port), "--inspector-port", str(free_port()),
                   "--show-interactive-dev-session=false"]  # fmt: skip
        super().__init__(command, project, env, DEADLINE)

    def stop(self) -> None:
        self.proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):  # close() kills it
            self.proc.wait(20)
        self.close()


@pytest.fixture
def both(tmp_path: Path, write_worker, dev, test_registry: Path) -> Iterator[tuple[str, str, DevProcess]]:  # noqa: F811
    """(wrangler dev's URL, pyworker dev's URL, the pyworker process), each bound to the other."""
    js = tmp_path / "js"
    (js / "src").mkdir(parents=True)
    (js / "wrangler.toml").write_text(JS_CONFIG)
    (js / "src/index.js").write_text(JS)
    py = write_worker("py", {"src/entry.py": PY}, config=PY_CONFIG)
    process = dev(str(py), "--port", "0", "--no-reload")
    ours = process.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)
    port = free_port()
    wrangler = WranglerDev(js, port)
    try:
        wrangler.wait_for(r"env\.PY \(wr-py\)\s+Worker\s+local \[connected\]")  # it read our entry
        wrangler.wait_for(r"Ready on http://")
        process.wait_for(r"JS -> wr-js connected \(wrangler dev\)")  # we read its entry
        yield f"http://127.0.0.1:{port}", ours, process
    finally:
        wrangler.stop()
        (test_registry / "wr-js").unlink(missing_ok=True)  # wrangler removes it on exit; never leave it
    assert process.interrupt() == 0
    noise = [line for line in process.lines if re.search(r"Traceback|socket\.send|Task exception|Exception in", line)]
    assert noise == []  # nothing of the transport reaches the terminal


def test_fetch_crosses_both_ways_with_bodies_status_and_headers(both: tuple[str, str, DevProcess]) -> None:
    theirs, ours, _ = both
    from_js = httpx.get(f"{theirs}/to-py", timeout=30)
    assert from_js.json() == {
        "status": 202,
        "text": "py POST /echo?from=js body=ping from js x-from=js",
        "py": "yes",
    }
    from_py = httpx.get(f"{ours}/to-js", timeout=30)
    assert from_py.json() == {
        "status": 201,
        "statusText": "Made",
        "text": "js PUT /echo?from=py body=ping from py x-from=py",
        "js": "yes",
    }


def test_rpc_is_refused_both_ways_in_one_line(both: tuple[str, str, DevProcess]) -> None:
    theirs, ours, process = both
    assert httpx.get(f"{theirs}/rpc-py", timeout=30).text == (
        'Error: add() on the pyworker worker "wr-py": RPC from a wrangler dev worker is not supported: workerd '
        "sends RPC arguments in V8's serialization format, which no maintained Python library reads; use fetch()."
    )
    process.wait_for(r'^\[wr-py\] add\(\) on the pyworker worker "wr-py": RPC from a wrangler dev worker')
    assert httpx.get(f"{ours}/rpc-js", timeout=30).text == (
        'BindingError: add() on the wrangler dev worker "wr-js": RPC to a wrangler dev worker is not supported: '
        "workerd sends RPC arguments and results in V8's serialization format, which no maintained Python library "
        "reads or writes; use fetch()."
    )


def test_the_registry_entries_name_each_others_debug_port(both: tuple[str, str, DevProcess], test_registry) -> None:
    ours = json.loads((test_registry / "wr-py").read_text())
    theirs = json.loads((test_registry / "wr-js").read_text())
    assert re.fullmatch(r"127\.0\.0\.1:\d+", ours["debugPortAddress"])
    assert ours["defaultEntrypointService"] == ours["userWorkerService"] == "core:user:wr-py"
    assert theirs["defaultEntrypointService"] == "core:user:wr-js"
