"""One slow thing does not stall the rest: an unread terminal, a slow import, a handler that blocks."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import threading
import time
import types
from collections.abc import Iterator

import httpx
import pytest

from pyworker.printer import Printer
from pyworker.reload.reloader import Reloader
from tests.conftest import DEADLINE, ROOT

# -- terminal output ----------------------------------------------------------------------------


class StuckStream:
    """A terminal nobody reads: ``write`` blocks until released."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.text = ""

    def write(self, text: str) -> int:
        self.released.wait(DEADLINE)
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


@pytest.mark.anyio
async def test_output_to_a_terminal_that_does_not_read_never_blocks_the_loop():
    stream = StuckStream()
    printer = Printer(stream, colour=False, batch=True, background=True, buffer_limit=10_000)
    started = time.monotonic()
    for turn in range(200):
        for line in range(10):
            printer.worker("w", f"turn {turn} line {line}")
        await asyncio.sleep(0)  # a loop turn: the batch goes to the writer
    assert time.monotonic() - started < 1.0  # nothing waited on the stuck stream
    stream.released.set()
    printer.flush()
    lines = stream.text.splitlines()
    assert lines[0] == "[w] turn 0 line 0"
    dropped = [line for line in lines if "dropped" in line]
    assert len(dropped) >= 1
    assert re.fullmatch(r"pyworker: \d+ lines of output were dropped: the terminal \(or pipe\) was not reading them\.",
                        dropped[0])  # fmt: skip
    assert lines[-1] == "[w] turn 199 line 9" or "dropped" in lines[-1]


@pytest.mark.e2e
def test_pyworker_dev_piped_into_a_reader_that_stops_keeps_serving():
    seed = ROOT / "fixtures/seed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "pyworker", "dev", str(seed / "worker_a"), str(seed / "worker_b"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        url = None
        while url is None:  # read until Ready, then never again: the pipe fills up
            line = proc.stdout.readline().decode()
            assert line, "pyworker dev exited before it was ready"
            if match := re.match(r"^Ready on (http://\S+)$", line.strip()):
                url = match.group(1)
        with httpx.Client(base_url=url, timeout=DEADLINE) as client:
            for _ in range(600):  # ~250 bytes of log each: far past a 64 KiB pipe buffer
                assert client.get("/hello?" + "q" * 200).status_code == 200
    finally:
        proc.kill()
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()


# -- slow imports ------------------------------------------------------------------------------

GATED = """
import pyworker_test_gate
pyworker_test_gate.entered.set()
pyworker_test_gate.opened.wait(5)
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("slow {version}")
"""

FAST = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("fast")
"""


@pytest.fixture
def gate() -> Iterator[types.SimpleNamespace]:
    """What the gated worker's import waits on (``opened``) and sets when it starts (``entered``)."""
    gate = types.SimpleNamespace(opened=threading.Event(), entered=threading.Event())
    sys.modules["pyworker_test_gate"] = gate  # type: ignore[assignment]
    yield gate
    gate.opened.set()
    del sys.modules["pyworker_test_gate"]


def test_a_slow_import_at_start_up_does_not_hold_up_the_others(write_worker, live, output, gate, monkeypatch):
    from pyworker.serving import server as server_module

    monkeypatch.setattr(server_module, "STILL_LOADING_AFTER", 0.1)
    fast = write_worker("fast", {"src/entry.py": FAST})
    slow = write_worker("slow", {"src/entry.py": GATED.format(version="v1")})
    server = live(fast, slow)
    ready = output.wait_for(r"^Ready on http://\S+ \(still loading: slow\)$")
    assert ready
    assert re.search(r"^slow\s+http://\S+ \(loading\)$", output.getvalue(), re.MULTILINE)
    slow_url = next(listener.url for listener in server.server.listeners if listener.worker == "slow")
    assert httpx.get(server.url, timeout=DEADLINE).text == "fast"
    answers: list[str] = []
    waiting = threading.Thread(target=lambda: answers.append(httpx.get(slow_url, timeout=DEADLINE).text))
    waiting.start()  # a request to the worker still loading waits for it
    gate.opened.set()
    waiting.join(DEADLINE)
    assert answers == ["slow v1"]
    output.wait_for(r"^\[slow\] loaded in \d+(\.\d)? s$")


@pytest.mark.anyio
async def test_a_slow_reload_does_not_stall_the_other_workers(write_worker, make_server, output, gate):
    gate.opened.set()
    slow = write_worker("slow", {"src/entry.py": GATED.format(version="v1")})
    server = make_server(write_worker("fast", {"src/entry.py": FAST}), slow)
    gate.opened.clear()
    gate.entered.clear()
    (slow / "src/entry.py").write_text(GATED.format(version="v2"))

    async def batches():
        yield {"slow": {slow / "src/entry.py"}}

    reloading = asyncio.ensure_future(Reloader(server.registry, Printer(output, colour=False)).run(batches()))
    assert await asyncio.to_thread(gate.entered.wait, DEADLINE)  # the new generation is importing
    transport = httpx.ASGITransport(app=server.app("fast"))
    async with httpx.AsyncClient(transport=transport, base_url="http://fast") as client:
        assert (await client.get("/")).text == "fast"  # served while slow imports
    slow_transport = httpx.ASGITransport(app=server.app("slow"))
    async with httpx.AsyncClient(transport=slow_transport, base_url="http://slow") as client:
        assert (await client.get("/")).text == "slow v1"  # the old generation serves until the new one is in
        assert not reloading.done()
        gate.opened.set()
        async with asyncio.timeout(DEADLINE):
            await reloading
        assert (await client.get("/")).text == "slow v2"


# -- a handler that blocks the loop ------------------------------------------------------------

BLOCKING = """
import time
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        end = time.monotonic() + 0.4
        while time.monotonic() < end:  # busy, holding the event loop, until the deadline
            pass
        return Response("done")
"""


def test_a_handler_blocking_the_loop_gets_a_warning(write_worker, live, output):
    server = live(write_worker("w", {"src/entry.py": BLOCKING}), blocked_loop_warning=0.2)
    assert httpx.get(f"{server.url}/block?x=1", timeout=DEADLINE).text == "done"
    line = output.wait_for(
        r"^\[w\] blocked the event loop for (\d\.\d) s in GET /block\?x=1 \(.*entry\.py, line (8|9)\)$"
    )
    assert 0.3 <= float(line.group(1)) <= 2.0
