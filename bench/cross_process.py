"""Cross-process binding call: microseconds per ``await env.CALLEE.add(1, 2)``, three ways in one run.

python bench/cross_process.py [--calls 2000] [--rounds 5]

(a) in-process: caller and callee in one ``pyworker dev`` (the in-memory binding);
(b) cross-process: the callee in one ``pyworker dev``, the caller in another, joined by the dev
    registry (a temporary one) and pyworker's transport (one authenticated loopback TCP connection);
(c) wrangler's in-process JS -> JS RPC call: both JavaScript workers in one ``wrangler dev``
    (``/tmp/wr/node_modules/.bin/wrangler`` or ``$PYWORKER_WRANGLER``); skipped, with the reason,
    when wrangler or Node is not there.

Each way is measured the same way, from outside: the caller's ``fetch`` makes ``n`` calls in a
loop, and a call costs (time of a request with ``n = calls`` - time of one with ``n = 0``) / calls,
median over the rounds, the three interleaved so a slow spell of the machine hits them alike.
Servers are not pinned to a CPU here (unlike the other benchmarks): (b)'s two processes hand each call back
and forth, and pinned to one shared CPU each hand-over would wait for that CPU. Also measured in the same run,
as the floor of any asyncio transport on this machine: (e) an echo of one small frame between two
processes on the event loop ``pyworker dev`` picks (uvloop when installed: ``asyncio.Protocol`` both sides,
``TCP_NODELAY``), one round trip per call; (u) the same over a Unix socket; and (f) the
same echo with blocking sockets, no event loop at all.
Each figure is the median over the rounds, with its spread (lowest-highest) and the load average of the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
from _common import ROOT, free_port, median, stop

from pyworker.serving.stack import event_loop, loop_factory

CALLEE = """
from workers import WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def add(self, a, b):
        return a + b
"""

CALLER = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        calls = int(request.url.split("n=")[1])
        for _ in range(calls):
            await self.env.CALLEE.add(1, 2)
        return Response("ok")
"""

JS_CALLEE = """
import { WorkerEntrypoint } from "cloudflare:workers";

export default class extends WorkerEntrypoint {
  add(a, b) { return a + b; }
  async fetch() { return new Response("callee"); }
}
"""

JS_CALLER = """
export default {
  async fetch(request, env) {
    const calls = Number(new URL(request.url).searchParams.get("n"));
    for (let i = 0; i < calls; i++) await env.CALLEE.add(1, 2);
    return new Response("ok");
  },
};
"""

WRANGLER_CANDIDATES = [os.environ.get("PYWORKER_WRANGLER", ""), "/tmp/wr/node_modules/.bin/wrangler"]


def write(root: Path) -> dict[str, Path]:
    """The Python and JavaScript workers, one directory each."""
    service = 'services = [{ binding = "CALLEE", service = "callee" }]\n'
    trees = {
        "callee": ("entry.py", CALLEE, 'name = "callee"\nmain = "entry.py"\n'),
        "caller": ("entry.py", CALLER, f'name = "caller"\nmain = "entry.py"\n{service}'),
        "js_callee": ("index.js", JS_CALLEE, 'name = "callee"\nmain = "index.js"\ncompatibility_date = "2025-04-01"\n'),
        "js_caller": ("index.js", JS_CALLER,
                      f'name = "caller"\nmain = "index.js"\ncompatibility_date = "2025-04-01"\n{service}'),
    }  # fmt: skip
    paths = {}
    for name, (main, source, config) in trees.items():
        directory = root / name
        directory.mkdir()
        (directory / main).write_text(source)
        (directory / "wrangler.toml").write_text(config)
        paths[name] = directory
    return paths


@contextlib.contextmanager
def server(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=None,
    )
    try:
        yield proc
    finally:
        stop(proc)


def answering(url: str, proc: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    """Wait until the caller at ``url`` makes a call that reaches its callee (the first may come before the
    callee is registered, or while wrangler is still bundling)."""
    end = time.perf_counter() + timeout
    with httpx.Client(timeout=5.0) as client:
        while time.perf_counter() < end:
            if proc.poll() is not None:
                raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before answering")
            with contextlib.suppress(httpx.TransportError):
                if client.get(f"{url}/?n=1").text == "ok":
                    return
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def pyworker(*args: str) -> list[str]:
    return [sys.executable, "-m", "pyworker", "dev", *args, "--log-level", "warn", "--no-reload"]


@contextlib.contextmanager
def everything(paths: dict[str, Path], registry: Path) -> Iterator[dict[str, str]]:
    """Every server up: the base URL of each way's caller."""
    quiet = {**os.environ, "NO_COLOR": "1", "WRANGLER_REGISTRY_PATH": ""}
    joined = {**quiet, "WRANGLER_REGISTRY_PATH": str(registry)}
    urls = {}
    with contextlib.ExitStack() as stack:
        port = free_port()
        proc = stack.enter_context(
            server(pyworker(str(paths["caller"]), str(paths["callee"]), "--port", str(port)), quiet)
        )
        urls["in_process"] = f"http://127.0.0.1:{port}"
        answering(urls["in_process"], proc)
        stack.enter_context(server(pyworker(str(paths["callee"]), "--port", str(free_port())), joined))
        port = free_port()
        proc = stack.enter_context(server(pyworker(str(paths["caller"]), "--port", str(port)), joined))
        urls["cross_process"] = f"http://127.0.0.1:{port}"
        answering(urls["cross_process"], proc)
        wrangler = next((c for c in WRANGLER_CANDIDATES if c and os.access(c, os.X_OK)), None)
        if wrangler is None or shutil.which("node") is None:
            urls["wrangler_skipped"] = "wrangler is not installed (set PYWORKER_WRANGLER to node_modules/.bin/wrangler)"
        else:
            port = free_port()
            cmd = [wrangler, "dev", "-c", str(paths["js_caller"] / "wrangler.toml"), "-c",
                   str(paths["js_callee"] / "wrangler.toml"), "--ip", "127.0.0.1", "--port", str(port),
                   "--show-interactive-dev-session=false", "--persist-to", str(registry.parent / "state")]  # fmt: skip
            env = {**quiet, "WRANGLER_REGISTRY_PATH": str(registry.parent / "wrangler-registry"),
                   "WRANGLER_SEND_METRICS": "false"}  # fmt: skip
            proc = stack.enter_context(server(cmd, env, cwd=paths["js_caller"]))
            urls["wrangler"] = f"http://127.0.0.1:{port}"
            answering(urls["wrangler"], proc)
        yield urls


class _Echo(asyncio.Protocol):
    """Both ends of the echo: the server writes back what it reads; the client resolves its waiting future."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiting: asyncio.Future[bytes] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not derive from asyncio's
        sock = transport.get_extra_info("socket")
        if sock.family != socket.AF_UNIX:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        if self.waiting is None:
            assert self.transport is not None
            self.transport.write(data)
        else:
            self.waiting.set_result(data)


def _run(coro: Any) -> Any:
    """Run ``coro`` on the loop ``pyworker dev`` runs on (``--loop auto``)."""
    with asyncio.Runner(loop_factory=loop_factory(event_loop())) as runner:
        return runner.run(coro)


def _blocking_server(server: socket.socket) -> None:
    while True:
        conn, _ = server.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while data := conn.recv(65536):
            conn.sendall(data)
        conn.close()


def _blocking_us(port: int, calls: int) -> float:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        frame = bytes(40)
        started = time.perf_counter()
        for _ in range(calls):
            conn.sendall(frame)
            conn.recv(65536)
        return (time.perf_counter() - started) / calls * 1e6


async def _echo_server() -> None:
    server = await asyncio.get_running_loop().create_server(_Echo, "127.0.0.1", 0)
    blocking = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=_blocking_server, args=(blocking,), daemon=True).start()
    folder = tempfile.mkdtemp(prefix="pyworker-echo-")
    await asyncio.get_running_loop().create_unix_server(_Echo, os.path.join(folder, "echo.sock"))
    print(server.sockets[0].getsockname()[1], blocking.getsockname()[1], folder, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the bench closes stdin


async def _echo_us(port: int | str, calls: int) -> float:
    """An echo over TCP (``port``) or a Unix socket (a path)."""
    loop = asyncio.get_running_loop()
    if isinstance(port, str):
        transport, protocol = await loop.create_unix_connection(_Echo, port)
    else:
        transport, protocol = await loop.create_connection(_Echo, "127.0.0.1", port)
    frame = bytes(40)  # about the size of a call's frame
    started = time.perf_counter()
    for _ in range(calls):
        protocol.waiting = loop.create_future()
        transport.write(frame)
        await protocol.waiting
    took = time.perf_counter() - started
    transport.close()
    return took / calls * 1e6


def request_s(client: httpx.Client, url: str, calls: int) -> float:
    started = time.perf_counter()
    response = client.get(f"{url}/?n={calls}")
    took = time.perf_counter() - started
    if response.text != "ok":
        raise RuntimeError(f"{url}/?n={calls} answered {response.status_code}: {response.text[:200]}")
    return took


def measure(calls: int = 2000, rounds: int = 5) -> dict[str, float | str]:
    """µs per call for each way (``wrangler_skipped`` says why that one is missing)."""
    with tempfile.TemporaryDirectory() as tmp, everything(write(Path(tmp)), Path(tmp) / "registry") as urls:
        ways = [way for way in ("in_process", "cross_process", "wrangler") if way in urls]
        samples: dict[str, list[float]] = {way: [] for way in ways}
        samples["echo"], samples["unix_echo"], samples["blocking_echo"] = [], [], []
        echo = subprocess.Popen(
            [sys.executable, __file__, "--echo-server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert echo.stdout is not None and echo.stdin is not None
        words = echo.stdout.readline().split()
        port, blocking_port, unix = int(words[0]), int(words[1]), os.path.join(words[2].decode(), "echo.sock")
        with httpx.Client(timeout=120.0) as client:
            for way in ways:
                request_s(client, urls[way], calls)  # warm up
            for _ in range(rounds):
                for way in ways:
                    empty = min(request_s(client, urls[way], 0) for _ in range(3))
                    samples[way].append((request_s(client, urls[way], calls) - empty) / calls * 1e6)
                samples["echo"].append(_run(_echo_us(port, calls)))
                samples["unix_echo"].append(_run(_echo_us(unix, calls)))
                samples["blocking_echo"].append(_blocking_us(blocking_port, calls))
        echo.stdin.close()
        echo.wait(10)
        shutil.rmtree(os.path.dirname(unix), ignore_errors=True)
        result: dict[str, float | str] = {f"{way}_us": median(values) for way, values in samples.items()}
        for way, values in samples.items():
            result[f"{way}_spread"] = f"{min(values):.1f}-{max(values):.1f}"
        result["loop"] = event_loop()
        result["load"] = " ".join(f"{value:.2f}" for value in os.getloadavg())
        if "wrangler_skipped" in urls:
            result["wrangler_skipped"] = urls["wrangler_skipped"]
    result["cross_over_in_process"] = float(result["cross_process_us"]) / float(result["in_process_us"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--echo-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.echo_server:
        _run(_echo_server())
        return
    r = measure(args.calls, args.rounds)
    print(f"loop: {r['loop']}; load average at the end: {r['load']}; {args.rounds} rounds of {args.calls} calls")
    cross = float(r["cross_process_us"])
    rows = [("a", "in-process binding call", "in_process"), ("b", "cross-process binding call", "cross_process"),
            ("c", "wrangler dev, in-process JS -> JS", "wrangler"), ("e", "echo round trip, 2 processes, TCP", "echo"),
            ("u", "echo round trip, Unix socket", "unix_echo"),
            ("f", "blocking-socket echo, 2 processes", "blocking_echo")]  # fmt: skip
    for letter, label, way in rows:
        if f"{way}_us" not in r:
            print(f"({letter}) {label}: skipped: {r.get(f'{way}_skipped', '')}")
            continue
        value = float(r[f"{way}_us"])
        ratio = "" if way == "cross_process" else f"   b/{letter} = {cross / value:.2f}"
        print(f"({letter}) {label + ':':36s} {value:8.2f} µs/call  ({r[f'{way}_spread']}){ratio}")


if __name__ == "__main__":
    main()
