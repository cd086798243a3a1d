"""Workflows with the real ``pyworker dev``: ``kill -9`` mid-sleep, mid-wait and mid-step, then a restart,
runs every finished step exactly once."""

from __future__ import annotations

import signal
import time

import httpx
import pytest

from tests.test_e2e import DevProcess, dev  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e

WORKER = """
import asyncio
from pathlib import Path
from workers import Response, WorkerEntrypoint, WorkflowEntrypoint

HERE = Path(__file__).parent

def note(text):
    with (HERE / "log.txt").open("a") as f:
        f.write(text + "\\n")


class Journey(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("a")
        async def a():
            note("a")
            return 1

        await a()
        await step.sleep("nap", "1 hour")
        note("woke")
        got = await step.wait_for_event("go", "go")

        @step.do("b")
        async def b():
            note("b started")
            if (HERE / "hang").exists():
                await asyncio.Event().wait()  # killed here
            note("b done")
            return got["payload"]

        return await b()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("/", 3)[3]
        if path == "start":
            return Response((await self.env.WF.create({"id": "k"})).id)
        instance = await self.env.WF.get("k")
        if path == "go":
            await instance.send_event({"type": "go", "payload": "paid"})
            return Response("sent")
        status = await instance.status()
        return Response(status["status"] + " " + repr(status["output"]))
"""
CONFIG = """
name = "journey"
main = "src/entry.py"
workflows = [{ name = "journey", binding = "WF", class_name = "Journey" }]
"""
DEADLINE = 20.0


def start(dev, worker) -> tuple[DevProcess, str]:  # noqa: F811
    process = dev(str(worker), "--port", "0", "--no-reload", "--workflow-sleep-scale", "0.0005")  # an hour: 1.8 s
    return process, process.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)


def kill(process: DevProcess) -> None:
    process.proc.send_signal(signal.SIGKILL)
    process.proc.wait()


def until(url: str, text: str) -> None:
    """Poll the instance's status over HTTP until it starts with ``text`` (the server does the waiting)."""
    deadline = time.monotonic() + DEADLINE
    while (got := httpx.get(url + "/status").text) and not got.startswith(text):
        assert time.monotonic() < deadline, f"status stayed {got!r}"


def log(worker) -> list[str]:
    file = worker / "src" / "log.txt"
    return file.read_text().splitlines() if file.exists() else []


def test_kill_9_mid_sleep_mid_wait_and_mid_step_resumes_after_the_last_finished_step(dev, write_worker) -> None:  # noqa: F811
    worker = write_worker("journey", {"src/entry.py": WORKER}, CONFIG)
    (worker / "src" / "hang").write_text("")
    process, url = start(dev, worker)
    assert httpx.get(url + "/start").text == "k"
    until(url, "waiting")  # asleep after step a
    kill(process)
    assert log(worker) == ["a"]

    process, url = start(dev, worker)  # the sleep's end was stored: it sleeps only what is left
    deadline = time.monotonic() + DEADLINE
    while log(worker) != ["a", "woke"]:
        assert time.monotonic() < deadline, log(worker)
    until(url, "waiting")  # now waiting for the event
    kill(process)

    process, url = start(dev, worker)
    until(url, "waiting")
    assert httpx.get(url + "/go").text == "sent"
    deadline = time.monotonic() + DEADLINE
    while log(worker)[-1:] != ["b started"]:
        assert time.monotonic() < deadline, log(worker)
    kill(process)  # step b never finished

    (worker / "src" / "hang").unlink()
    process, url = start(dev, worker)
    until(url, "complete")
    assert httpx.get(url + "/status").text == "complete 'paid'"
    # Code between steps runs on every replay ("woke"); finished steps never run again ("a"); an
    # unfinished step runs again ("b started" twice), as on Cloudflare.
    assert log(worker) == ["a", "woke", "woke", "b started", "woke", "b started", "b done"]
    state = worker / ".wrangler/state/v3/workflows/pyworker/journey.sqlite"
    assert state.exists()
    assert any("WF -> Workflow journey (Journey in worker journey; " in line for line in process.lines)
    assert process.interrupt() == 0
