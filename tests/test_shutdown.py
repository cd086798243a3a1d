"""Shutdown ends in bounded time whatever worker code started; signals belong to the server."""

from __future__ import annotations

import signal
import time

import httpx
import pytest

from pyworker.serving import shutdown
from tests.conftest import DEADLINE
from tests.test_e2e import DevProcess
from tests.test_watchdog import FOREVER

THREAD = """
import threading
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        threading.Thread(target=threading.Event().wait, name="never-ends").start()
        return Response("started")
"""

SIGNALS = """
import signal
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        return Response(f"{previous is signal.getsignal(signal.SIGINT)} {signal.alarm(5)}")
"""

WAITS = """
import asyncio
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        self.ctx.wait_until(self.linger())
        return Response("answered")

    async def linger(self):
        await asyncio.Event().wait()
"""


@pytest.fixture
def dev_in(write_worker):
    started: list[DevProcess] = []

    def start(source: str) -> tuple[DevProcess, str]:
        directory = write_worker("w", {"src/entry.py": source})
        process = DevProcess("--port", "0", "--no-reload", cwd=directory)
        started.append(process)
        url = process.wait_for(r"Ready on (http://\S+)").group(1)
        return process, url

    yield start
    for process in started:
        process.close()


@pytest.mark.e2e
def test_a_thread_that_never_ends_does_not_hang_ctrl_c(dev_in):
    process, url = dev_in(THREAD)
    assert httpx.get(url, timeout=DEADLINE).text == "started"
    began = time.monotonic()
    assert process.interrupt() == 0
    assert time.monotonic() - began < shutdown.THREAD_GRACE + 10  # bounded (3 s for the threads, then exit)
    assert (
        "Warning: Not waiting for 1 thread that worker code started and that did not end within 3 s: never-ends. "
        "Exiting anyway." in process.lines
    )


@pytest.mark.e2e
def test_worker_code_cannot_take_sigint_or_sigterm(dev_in):
    process, url = dev_in(SIGNALS)
    assert httpx.get(url, timeout=DEADLINE).text == "True 0"
    process.wait_for(
        r"^\[w\] signal\.signal\(SIGINT\) was ignored: Workers have no signals, and pyworker dev keeps SIGINT, "
        r"SIGTERM and SIGHUP to shut down\.$"
    )
    process.wait_for(r"^\[w\] signal\.signal\(SIGTERM\) was ignored")
    process.wait_for(r"^\[w\] signal\.alarm\(\) was ignored")
    assert process.interrupt(signal.SIGINT) == 0
    assert "Shutting down..." in process.lines


@pytest.mark.e2e
def test_sighup_shuts_down_as_sigterm_does(dev_in):
    process, _ = dev_in(THREAD.replace("threading.Thread(", "(lambda **_: None)(").replace(".start()", ""))
    assert process.interrupt(signal.SIGHUP) == 0
    assert "Shutting down..." in process.lines


@pytest.mark.e2e
def test_ctrl_c_while_a_handler_holds_the_loop_interrupts_it(dev_in):
    process, url = dev_in(FOREVER)
    with pytest.raises(httpx.HTTPError):  # the server stops right after answering the interrupted handler
        httpx.get(f"{url}/spin", timeout=0.5)
    process.wait_for(r"^\[w\] is blocking the event loop: ")
    assert process.interrupt() == 0
    assert "Shutting down..." in process.lines
    assert any(
        line.endswith(
            "HandlerInterrupted: the handler was interrupted by Ctrl-C (or SIGTERM) while it held the event loop."
        )
        for line in process.lines
    ), process.lines


def test_a_long_wait_until_at_shutdown_says_what_it_waits_for_then_is_cancelled(
    write_worker, live, output, monkeypatch
):
    monkeypatch.setattr(shutdown, "FIRST_PROGRESS", 0.1)
    monkeypatch.setattr(shutdown, "WAIT_UNTIL_GRACE", 0.4)
    server = live(write_worker("w", {"src/entry.py": WAITS}))
    assert httpx.get(server.url, timeout=DEADLINE).text == "answered"
    server.stop()
    output.wait_for(r"^\[w\] shutdown waits for 1 ctx\.wait_until\(\) task \(0 s so far\): .*entry\.py, line 11\.$")
    output.wait_for(r"^\[w\] shutdown cancelled 1 ctx\.wait_until\(\) task after 0 s: .*entry\.py, line 11\.$")
