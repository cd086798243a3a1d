"""End to end: the real ``pyworker dev`` in a subprocess, on free ports, driven over loopback."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURES, ROOT

pytestmark = pytest.mark.e2e

DEADLINE = 20.0


class PipedProcess:
    """A command running in a subprocess; its output is collected line by line, so it never blocks on the pipe.

    ``deadline``: seconds :meth:`wait_for` and :meth:`interrupt` wait before the test fails.
    """

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str], deadline: float = DEADLINE) -> None:
        self.deadline = deadline
        self.proc = subprocess.Popen(
            command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: str) -> re.Match[str]:
        """Read output until a line matches ``pattern``; fail after the deadline or at exit."""
        end = time.monotonic() + self.deadline
        for line in self.lines:
            if match := re.search(pattern, line):
                return match
        while (remaining := end - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
            if match := re.search(pattern, line):
                return match
        raise AssertionError(f"no line matched {pattern!r}; output so far:\n" + "\n".join(self.lines))

    def interrupt(self, sig: int = signal.SIGINT) -> int:
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=self.deadline)
        while (line := self._queue.get(timeout=self.deadline)) is not None:
            self.lines.append(line)
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._pump_thread.join(self.deadline)
        assert self.proc.stdout is not None
        self.proc.stdout.close()


class DevProcess(PipedProcess):
    """``pyworker dev`` running in a subprocess."""

    def __init__(self, *args: str, cwd: Path = ROOT) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
        super().__init__([sys.executable, "-m", "pyworker", "dev", *args], cwd, env)


@pytest.fixture
def dev() -> Iterator[type[DevProcess]]:
    started: list[DevProcess] = []

    class Tracked(DevProcess):
        def __init__(self, *args: str, **kwargs: Path) -> None:
            super().__init__(*args, **kwargs)
            started.append(self)

    yield Tracked
    for process in started:
        process.close()


def test_seed_example_serves_rpc_and_fetch_and_exits_cleanly(dev):
    process = dev(str(FIXTURES / "seed/worker_a"), str(FIXTURES / "seed/worker_b"), "--port", "0")
    url = process.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)
    assert any(re.match(r"^worker_b\s+internal\s*$", line) for line in process.lines)
    assert any(re.search(r"WORKER_B -> worker_b \(connected\)", line) for line in process.lines)
    with httpx.Client(base_url=url) as client:
        assert client.get("/").text == "3"
        forwarded = client.post("/forward?x=1", content=b"hi")
    assert forwarded.text == f"worker_b got POST {url}/forward?x=1 with body 'hi'"
    process.wait_for(r"^\[worker_a\] GET / 200 OK \(\d+ms\)$")
    process.wait_for(r"^\[worker_a\] POST /forward\?x=1 200 OK \(\d+ms\)$")
    assert process.interrupt() == 0
    assert not any("Traceback" in line for line in process.lines)


def test_every_exposed_worker_gets_its_own_port(dev, write_worker):
    code = """
        from workers import Response, WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def fetch(self):
                return Response("{name}")
    """
    one = write_worker("one", {"src/entry.py": code.format(name="one")})
    two = write_worker("two", {"src/entry.py": code.format(name="two")})
    process = dev(str(one), str(two), "--port", "0")
    process.wait_for(r"^Ready on ")
    urls = {
        m.group(1): m.group(2)
        for line in process.lines
        if (m := re.match(r"^(one|two)\s+(http://127\.0\.0\.1:\d+)", line))
    }
    assert set(urls) == {"one", "two"}
    assert urls["one"] != urls["two"]
    for name, url in urls.items():
        assert httpx.get(url).text == name
    assert process.interrupt(signal.SIGTERM) == 0


def test_malformed_request_does_not_kill_the_server(dev):
    process = dev(str(FIXTURES / "seed/worker_a"), str(FIXTURES / "seed/worker_b"), "--port", "0")
    url = process.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        reply = sock.recv(1024)
    assert reply.startswith(b"HTTP/1.1 400")
    assert httpx.get(url).text == "3"
    assert process.interrupt() == 0


def test_broken_config_exits_with_one_error_line(dev, write_worker):
    directory = write_worker("nomain", {}, config='name = "nomain"\n')
    process = dev(str(directory), "--port", "0")
    process.wait_for(r'^Error: wrangler\.toml in .*nomain: "main" is missing\.')
    assert process.proc.wait(timeout=DEADLINE) == 1


# -- hot reload, with the real file watcher ---------------------------------------------
RELOADING = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("{version} " + await request.text())
"""


def wait_for_text(client: httpx.Client, path: str, prefix: str) -> None:
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if client.get(path).text.startswith(prefix):
            return
    raise AssertionError(f"{path} never answered {prefix!r}")


def test_reload_loses_no_post_while_a_worker_reloads_many_times(dev, write_worker):
    directory = write_worker("hot", {"src/entry.py": RELOADING.format(version="v0")})
    process = dev(str(directory), "--port", "0")
    url = process.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)
    failures: list[str] = []
    sent = 0
    stop = threading.Event()

    def post_stream() -> None:
        nonlocal sent
        with httpx.Client(base_url=url) as client:
            while not stop.is_set():
                sent += 1
                try:
                    reply = client.post("/", content=f"#{sent}")
                except httpx.HTTPError as exc:
                    failures.append(repr(exc))
                    continue
                if reply.status_code != 200 or not reply.text.endswith(f" #{sent}"):
                    failures.append(f"{reply.status_code} {reply.text}")

    poster = threading.Thread(target=post_stream)
    poster.start()
    try:
        with httpx.Client(base_url=url) as client:
            for version in range(1, 11):
                (directory / "src/entry.py").write_text(RELOADING.format(version=f"v{version}"))
                wait_for_text(client, "/", f"v{version} ")
    finally:
        stop.set()
        poster.join(DEADLINE)
    assert failures == []
    assert sent > 10
    process.wait_for(r"^\[hot\] reloaded in \d+ms \(src/entry\.py\)$")
    assert process.interrupt() == 0


def test_a_config_edit_can_move_a_worker_to_another_port(dev, write_worker):
    directory = write_worker("mover", {"src/entry.py": RELOADING.format(version="here")})
    process = dev(str(directory), "--port", "0")
    process.wait_for(r"^Ready on ")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        new_port = probe.getsockname()[1]
    (directory / "wrangler.toml").write_text(f'name = "mover"\nmain = "src/entry.py"\n[dev]\nport = {new_port}\n')
    process.wait_for(rf"^\[mover\] now listens on http://127\.0\.0\.1:{new_port}$")
    assert httpx.get(f"http://127.0.0.1:{new_port}/").text == "here "
    assert process.interrupt() == 0


def test_a_config_edit_that_leaves_the_port_alone_keeps_the_address(dev, write_worker):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        configured = probe.getsockname()[1]
    config = 'name = "stay"\nmain = "src/entry.py"\nvars = {{ V = "{v}" }}\n[dev]\nport = ' + str(configured) + "\n"
    directory = write_worker("stay", {"src/entry.py": RELOADING.format(version="here")}, config=config.format(v="1"))
    process = dev(str(directory), "--port", "0")  # --port wins over [dev] port for the first worker
    url = process.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)
    assert not url.endswith(f":{configured}")
    (directory / "wrangler.toml").write_text(config.format(v="2"))
    process.wait_for(r"^\[stay\] reloaded in \d+ms \(wrangler\.toml\)$")
    assert httpx.get(url).text == "here "
    assert not any("listens on" in line for line in process.lines)
    assert process.interrupt() == 0
