"""Service-binding fetch between wrangler dev and pyworker dev (issue 23): mean per call, measured in worker code.

python bench/wrangler_fetch.py [N]   # needs PYWORKER_WRANGLER (node_modules/.bin/wrangler 4.86) or wrangler on PATH

Rows: Python -> JS (pyworker dev -> wrangler dev), JS -> Python (wrangler dev -> pyworker dev), and the baselines
of the same run: Python -> Python in one pyworker dev (in memory), JS -> JS between two wrangler dev processes
(workerd's debug port, what wrangler itself does across processes). Each call is a GET with a 5-byte answer,
sequential, after 20 warm-up calls. Not part of bench/run.py (it needs Node).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import httpx

WRANGLER = os.environ.get("PYWORKER_WRANGLER") or shutil.which("wrangler")
JS = """
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") || 0);
    if (n) {
      const binding = env[url.searchParams.get("to")];
      const call = async () => {
        const text = await (await binding.fetch("http://x/")).text();
        if (text !== "hello") throw new Error(`unexpected answer: ${text}`);
      };
      for (let i = 0; i < 20; i++) await call();
      const start = Date.now();
      for (let i = 0; i < n; i++) await call();
      return new Response(String(((Date.now() - start) * 1000) / n));
    }
    return new Response("hello");
  },
};
"""
PY = """
import time
from urllib.parse import parse_qs, urlsplit

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        query = parse_qs(urlsplit(request.url).query)
        if "n" not in query:
            return Response("hello")
        binding, n = getattr(self.env, query["to"][0]), int(query["n"][0])

        async def call():
            text = await (await binding.fetch("http://x/")).text()
            if text != "hello":
                raise ValueError(f"unexpected answer: {text}")

        for _ in range(20):
            await call()
        start = time.perf_counter()
        for _ in range(n):
            await call()
        return Response(str((time.perf_counter() - start) * 1e6 / n))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(command: list[str], cwd: Path, env: dict[str, str], ready: str, then: str | None = None) -> subprocess.Popen:
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = threading.Event()
    waiting = [ready, then] if then else [ready]

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if waiting and re.search(waiting[0], line):
                waiting.pop(0)
                if not waiting:
                    seen.set()

    threading.Thread(target=drain, daemon=True).start()
    if not seen.wait(120):
        raise SystemExit(f"{command[0]} never printed {ready!r}")
    return proc


def main() -> None:
    if WRANGLER is None:
        raise SystemExit("set PYWORKER_WRANGLER to node_modules/.bin/wrangler (wrangler 4.86)")
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    root = Path(tempfile.mkdtemp(prefix="pyworker-bench-wrangler-"))
    env = {**os.environ, "WRANGLER_REGISTRY_PATH": str(root / "registry"), "WRANGLER_SEND_METRICS": "false", "CI": "1"}
    for name, services in (("b-js", ["b-py", "b-js2"]), ("b-js2", [])):
        (root / name / "src").mkdir(parents=True)
        bindings = ", ".join(f'{{ binding = "{s.upper().replace("-", "_")}", service = "{s}" }}' for s in services)
        (root / name / "wrangler.toml").write_text(
            f'name = "{name}"\nmain = "src/index.js"\ncompatibility_date = "2025-09-01"\nservices = [{bindings}]\n'
        )
        (root / name / "src/index.js").write_text(JS)
    for name, services in (("b-py", ["b-js", "b-py2"]), ("b-py2", [])):
        (root / name / "src").mkdir(parents=True)
        bindings = ", ".join(f'{{ binding = "{s.upper().replace("-", "_")}", service = "{s}" }}' for s in services)
        (root / name / "wrangler.toml").write_text(
            f'name = "{name}"\nmain = "src/entry.py"\ncompatibility_date = "2025-09-01"\nservices = [{bindings}]\n'
        )
        (root / name / "src/entry.py").write_text(PY)
    ours = free_port()
    theirs = {name: free_port() for name in ("b-js2", "b-js")}
    procs = []
    try:
        for name in ("b-js2", "b-js"):  # first, so pyworker's table says the bindings are connected
            command = [WRANGLER, "dev", "--ip", "127.0.0.1", "--port", str(theirs[name]), "--inspector-port",
                       str(free_port()), "--show-interactive-dev-session=false"]  # fmt: skip
            procs.append(start(command, root / name, env, r"Ready on"))
        command = [sys.executable, "-m", "pyworker", "dev", str(root / "b-py"), str(root / "b-py2"), "--port",
                   str(ours), "--no-reload"]  # fmt: skip
        procs.append(start(command, root, env, r"B_JS -> b-js \(connected, wrangler dev\)", r"Ready on"))
        js = f"http://127.0.0.1:{theirs['b-js']}"
        python = f"http://127.0.0.1:{ours}"
        for _ in range(100):  # wrangler reads pyworker's entries when they change: until then b-py is not found
            if httpx.get(f"{js}/?to=B_PY&n=1", timeout=60).status_code == 200:
                break
        rows = [
            ("Python -> JS (pyworker dev -> wrangler dev)", f"{python}/?to=B_JS&n={n}"),
            ("Python -> Python (one pyworker dev, baseline)", f"{python}/?to=B_PY2&n={n}"),
            ("JS -> Python (wrangler dev -> pyworker dev)", f"{js}/?to=B_PY&n={n}"),
            ("JS -> JS (two wrangler dev, baseline)", f"{js}/?to=B_JS2&n={n}"),
        ]
        print(f"| call ({n} sequential fetches) | mean per call |\n|---|---|")
        for label, url in rows:
            answer = httpx.get(url, timeout=120)
            assert answer.status_code == 200, answer.text
            print(f"| {label} | {float(answer.text):.0f} µs |")
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(20)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
