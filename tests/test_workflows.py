from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from pyworker.serving.server import DevServer
from tests.conftest import WriteWorker

pytestmark = pytest.mark.anyio

CONFIG = """
name = "wf"
main = "src/entry.py"
compatibility_flags = ["python_workers"{flags}]
workflows = [{{ name = "my-workflow", binding = "WF", class_name = "MyWorkflow" }}]
"""


def workflow_worker(write_worker: WriteWorker, code: str, flags: str = "") -> Path:
    return write_worker("wf", {"src/entry.py": code}, config=CONFIG.format(flags=flags))


async def finished(instance: object, deadline: float = 10.0) -> dict:
    async with asyncio.timeout(deadline):
        while True:
            status = await instance.status()  # type: ignore[attr-defined]
            if status["status"] in ("complete", "errored", "terminated"):
                return status
            await asyncio.sleep(0.01)


SIMPLE = """
from workers import WorkflowEntrypoint

class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("first")
        async def first():
            return {"n": event.payload["n"] + 1}

        @step.do("second", depends=[first])
        async def second(result):
            return result["n"] * 10

        total = await second()
        return {"total": total, "id": event.instanceId}
"""


async def test_a_workflow_runs_its_steps_and_completes(
    write_worker: WriteWorker, make_server: Callable[..., DevServer]
) -> None:
    server = make_server(workflow_worker(write_worker, SIMPLE))
    env = server.worker("wf").env
    instance = await env.WF.create({"id": "one", "params": {"n": 1}})
    assert instance.id == "one"
    status = await finished(instance)
    assert status == {"status": "complete", "output": {"total": 20, "id": "one"}, "error": None}
    await server.host.workflows.stop()
