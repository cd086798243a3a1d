"""Workflows through real workers: steps, retries, sleeps, events, the instance API, durability, commands."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pyworker.cli import main
from pyworker.config import load_config
from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.runtime.jsvalues import JsException
from pyworker.serving.server import DevServer
from tests.conftest import Output, WriteWorker

pytestmark = pytest.mark.anyio

CONFIG = """
name = "wf"
main = "src/entry.py"
compatibility_flags = ["python_workers"{flags}]
workflows = [{{ name = "my-workflow", binding = "WF", class_name = "MyWorkflow" }}]
"""
PRELUDE = """
from pathlib import Path
from workers import WorkflowEntrypoint
from workers.workflows import NonRetryableError

LOG = Path(__file__).parent / "log.txt"

def note(text):
    with LOG.open("a") as f:
        f.write(text + "\\n")
"""


@pytest.fixture
def servers(output: Output) -> Iterator[Callable[..., DevServer]]:
    made: list[DevServer] = []

    def make(path: Path, scale: float = 0.001) -> DevServer:
        options = DevOptions(workflow_sleep_scale=scale)
        server = DevServer(options, Printer(output, level="debug", colour=False), [load_config(path)])
        server.load()
        made.append(server)
        return server

    yield make
    for server in made:
        for worker in server.workers:
            if worker.code is not None:
                worker.code.unload()
        server.storage.close()


def worker_dir(write_worker: WriteWorker, code: str, flags: str = "") -> Path:
    return write_worker("wf", {"src/entry.py": PRELUDE + code}, config=CONFIG.format(flags=flags))


def log(path: Path) -> list[str]:
    file = path / "src" / "log.txt"
    return file.read_text().splitlines() if file.exists() else []


async def settled(instance: Any, states: tuple[str, ...] = ("complete", "errored", "terminated")) -> Any:
    """The instance's status once it is in one of ``states``: waits on the store's writes, never a sleep."""
    store = instance._engine.store
    async with asyncio.timeout(10):
        while True:
            seen = store.version
            status = await instance.status()
            if status["status"] in states:
                return status
            await store.changed_since(seen)


async def stopped(server: DevServer) -> None:
    await server.host.workflows.stop()


TWO_STEPS = """
class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("first")
        async def first():
            note("first")
            return {"n": event.payload["n"] + 1}

        @step.do("second", depends=[first])
        async def second(result):
            note("second")
            return result["n"] * 10

        total = await second()
        return {"total": total, "id": event.instanceId, "when": type(event.timestamp).__name__}
"""


async def test_steps_run_in_order_with_dependencies_and_the_output_is_kept(write_worker, servers) -> None:
    path = worker_dir(write_worker, TWO_STEPS)
    server = servers(path)
    instance = await server.worker("wf").env.WF.create({"id": "one", "params": {"n": 1}})
    assert instance.id == "one"
    status = await settled(instance)
    assert status == {"status": "complete", "output": {"total": 20, "id": "one", "when": "datetime"}, "error": None}
    assert status.output.total == 20
    assert log(path) == ["first", "second"]
    again = await server.worker("wf").env.WF.get("one")
    assert (await again.status())["status"] == "complete"
    await stopped(server)


IMPLICIT = """
class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do()
        async def dep_1():
            note("dep_1")
            return "a"

        @step.do()
        async def dep_2():
            note("dep_2")
            return "b"

        @step.do(concurrent=True)
        async def final(dep_1, dep_2, ctx):
            return [dep_1, dep_2, ctx["step"]["name"], ctx.attempt, ctx.config.retries.limit, ctx.config.timeout]

        first = await final()
        return {"first": first, "again": await dep_1()}
"""


async def test_implicit_dependencies_under_the_compatibility_flag_and_the_step_ctx(write_worker, servers) -> None:
    path = worker_dir(write_worker, IMPLICIT, flags=', "python_workflows_implicit_dependencies"')
    server = servers(path)
    status = await settled(await server.worker("wf").env.WF.create())
    assert status["output"] == {"first": ["a", "b", "final", 1, 5, "10 minutes"], "again": "a"}
    # Calling a step again is a new step (its name's second use), as on Cloudflare: it runs again.
    assert sorted(log(path)) == ["dep_1", "dep_1", "dep_2"]
    await stopped(server)


async def test_legacy_do_refuses_parameters_without_depends(write_worker, servers) -> None:
    code = """
class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("needs")
        async def needs(x):
            return x
        try:
            await needs()
        except TypeError as e:
            return str(e)
"""
    server = servers(worker_dir(write_worker, code))
    status = await settled(await server.worker("wf").env.WF.create())
    assert status["output"] == "Step has 1 non-ctx parameter(s) but no 'depends' list provided"
    await stopped(server)


RETRIES = """
class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("flaky", config={"retries": {"limit": 3, "delay": "1 second", "backoff": event.payload}})
        async def flaky(ctx):
            note(f"attempt {ctx.attempt}")
            if ctx.attempt < 3:
                raise ValueError("not yet")
            return "ok"

        @step.do("hopeless", config={"retries": {"limit": 1, "delay": 10}})
        async def hopeless():
            note("hopeless")
            raise ValueError("never")

        result = await flaky()
        try:
            await hopeless()
        except ValueError as e:
            return [result, str(e)]
"""


@pytest.mark.parametrize(
    ("backoff", "delays"), [("constant", [1000, 1000]), ("linear", [1000, 2000]), ("exponential", [1000, 2000])]
)
async def test_retries_follow_the_backoff_then_the_error_reaches_run(
    write_worker, servers, output: Output, backoff: str, delays: list[int]
) -> None:
    path = worker_dir(write_worker, RETRIES)
    server = servers(path, scale=0.001)
    status = await settled(await server.worker("wf").env.WF.create({"params": backoff}))
    assert status["output"] == ["ok", "ValueError: never"]
    assert log(path) == ["attempt 1", "attempt 2", "attempt 3", "hopeless", "hopeless"]
    waits = [line.rsplit("retrying in ", 1)[1] for line in output.lines() if '"flaky"' in line and "retrying" in line]
    assert waits == [f"{round(d * 0.001)} ms" for d in delays]
    assert any('step "hopeless": attempt 2 failed with ValueError: never; no retries left (limit 1)' in line
               for line in output.lines())  # fmt: skip
    await stopped(server)


NON_RETRYABLE = """
class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("fatal")
        async def fatal():
            note("fatal")
            raise NonRetryableError("card declined")

        await fatal()
"""


async def test_non_retryable_error_fails_the_step_and_the_instance_at_once(write_worker, servers) -> None:
    path = worker_dir(write_worker, NON_RETRYABLE)
    server = servers(path)
    status = await settled(await server.worker("wf").env.WF.create())
    assert status == {"status": "errored", "output": None,
                      "error": {"name": "NonRetryableError", "message": "card declined"}}  # fmt: skip
    assert log(path) == ["fatal"]
    await stopped(server)


async def test_an_error_in_run_is_the_instance_error(write_worker, servers, output: Output) -> None:
    code = """
class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        raise RuntimeError("broken run")
"""
    server = servers(worker_dir(write_worker, code))
    status = await settled(await server.worker("wf").env.WF.create({"id": "x"}))
    assert status["error"] == {"name": "RuntimeError", "message": "broken run"}
    output.wait_for(r'\[wf\] workflow "my-workflow" instance "x" errored: RuntimeError: broken run')
    await stopped(server)


EVENTS = """
class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        await step.sleep("nap", "10 seconds")
        note("slept")
        got = await step.wait_for_event("approval", "approved", timeout="1 hour")
        note("approved")
        try:
            await step.wait_for_event("never", "other", timeout=50)
        except Exception as e:
            late = f"{type(e).__name__}: {e}"
        return {"payload": got["payload"], "type": got.type, "late": late}
"""


async def test_sleep_then_an_event_then_a_timeout(write_worker, servers) -> None:
    path = worker_dir(write_worker, EVENTS)
    server = servers(path, scale=0.01)
    env = server.worker("wf").env
    instance = await env.WF.create({"id": "ev"})
    engine, store = instance._engine, instance._engine.store
    async with asyncio.timeout(10):
        while engine.waiting_for.get("ev") != "approved":  # slept, now waiting for the event
            seen = store.version
            await store.changed_since(seen)
    assert log(path) == ["slept"]
    await instance.send_event({"type": "approved", "payload": {"by": "ada"}})
    status = await settled(instance)
    late = "JsException: WorkflowTimeoutError: Execution timed out after 50ms"
    assert status["output"] == {"payload": {"by": "ada"}, "type": "approved", "late": late}
    await stopped(server)


async def test_instance_api_errors_as_cloudflare(write_worker, servers) -> None:
    server = servers(worker_dir(write_worker, TWO_STEPS))
    wf = server.worker("wf").env.WF
    with pytest.raises(JsException, match=r"^Error: instance\.not_found$"):
        await wf.get("nope")
    with pytest.raises(JsException, match="Workflow instance has invalid id"):
        await wf.create({"id": "bad id!"})
    await settled(await wf.create({"id": "dup", "params": {"n": 1}}))
    with pytest.raises(JsException, match=r'\(instance.already_exists\) Instance "dup" already exists'):
        await wf.create({"id": "dup", "params": {"n": 1}})
    with pytest.raises(JsException, match="Cannot terminate instance since its on a finite state"):
        await (await wf.get("dup")).terminate()
    with pytest.raises(TypeError, match=r"cannot be sent over RPC"):
        await wf.create({"params": (1, 2)})
    with pytest.raises(JsException, match="batchCreate should have at least 1 instance"):
        await wf.create_batch([])
    await stopped(server)


async def test_create_batch_and_a_hundred_instances_at_once(write_worker, servers) -> None:
    server = servers(worker_dir(write_worker, TWO_STEPS))
    wf = server.worker("wf").env.WF
    batch = await wf.create_batch([{"id": f"b{i}", "params": {"n": i}} for i in range(100)])
    assert [i.id for i in batch] == [f"b{i}" for i in range(100)]
    statuses = await asyncio.gather(*(settled(i) for i in batch))
    assert [s["output"]["total"] for s in statuses] == [(i + 1) * 10 for i in range(100)]
    await stopped(server)


PAUSABLE = """
class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("one")
        async def one():
            note("one")
            return 1

        await one()
        await step.sleep("long", "1 hour")

        @step.do("two")
        async def two():
            note("two")
            return 2

        return await two()
"""


async def test_pause_resume_terminate_and_restart(write_worker, servers) -> None:
    path = worker_dir(write_worker, PAUSABLE)
    server = servers(path, scale=0.00002)  # an hour is 72 ms
    wf = server.worker("wf").env.WF
    paused = await wf.create({"id": "p"})
    await settled(paused, ("waiting",))
    await paused.pause()
    assert (await paused.status())["status"] == "paused"
    await paused.resume()
    assert (await settled(paused))["output"] == 2
    assert log(path) == ["one", "two"]
    gone = await wf.create({"id": "t"})
    await settled(gone, ("waiting",))
    await gone.terminate()
    assert (await gone.status())["status"] == "terminated"
    await paused.restart()
    assert (await settled(paused))["output"] == 2
    assert log(path) == ["one", "two", "one", "one", "two"]
    await stopped(server)


async def test_finished_steps_are_not_run_again_after_a_restart(write_worker, servers) -> None:
    path = worker_dir(write_worker, PAUSABLE)
    first = servers(path, scale=0.0002)  # the hour is 0.72 s: the server stops while it sleeps
    instance = await first.worker("wf").env.WF.create({"id": "r"})
    await settled(instance, ("waiting",))
    await first.host.workflows.stop()
    first.storage.close()
    second = servers(path, scale=0.0002)
    second.host.workflows.start()
    again = await second.worker("wf").env.WF.get("r")
    assert (await settled(again))["output"] == 2
    assert log(path) == ["one", "two"]
    await stopped(second)


async def test_an_unknown_class_and_a_bad_sleep_are_one_line_each(write_worker, servers, output: Output) -> None:
    code = """
class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        await step.sleep("soon", "soon")
"""
    server = servers(worker_dir(write_worker, code))
    status = await settled(await server.worker("wf").env.WF.create({"id": "s"}))
    assert status["error"]["message"].startswith(
        "WorkflowFatalError: step.sleep(\"soon\") got 'soon', which is not a duration"
    )
    await stopped(server)
    wrong = write_worker("other", {"src/entry.py": "from workers import WorkerEntrypoint\n"},
                         config=CONFIG.replace('"wf"', '"other"').format(flags=""))  # fmt: skip
    server = servers(wrong)
    status = await settled(await server.worker("other").env.WF.create({"id": "c"}))
    message = (
        'Worker "other" does not export a Workflow class named "MyWorkflow" '
        "(a WorkflowEntrypoint subclass with async def run(self, event, step))."
    )
    assert status["error"] == {"name": "NoEntrypoint", "message": message}
    await stopped(server)


def test_commands_trigger_list_and_describe(write_worker) -> None:
    path = worker_dir(write_worker, TWO_STEPS)
    runner = CliRunner()
    result = runner.invoke(main, ["workflows", "trigger", "my-workflow", '{"n": 4}', "--id", "cli", "-c", str(path)])
    assert result.output == '🚀 Workflow instance "cli" has been queued successfully\n', result.output
    result = runner.invoke(main, ["workflows", "list", "-c", str(path)])
    assert "│ my-workflow │ wf          │ MyWorkflow │" in result.output
    result = runner.invoke(main, ["workflows", "instances", "describe", "my-workflow", "cli", "-c", str(path)])
    assert "│ Status      │ 🔄 Queued            │" in result.output
    assert json.dumps({"n": 4}) in result.output
    result = runner.invoke(main, ["workflows", "terminate", "my-workflow", "cli", "-c", str(path)])
    assert result.output == '🥷 The instance "cli" from my-workflow was terminated successfully\n'
    result = runner.invoke(main, ["workflows", "trigger", "nope", "-c", str(path)])
    assert result.exit_code == 1
    assert result.output == 'Error: No Workflow named "nope" in the configs given (declared: my-workflow).\n'


VERSIONED = """
class MyWorkflow(WorkflowEntrypoint):
    async def run(self, event, step):
        @step.do("a")
        async def a():
            note("a VERSION")
            return "VERSION"

        first = await a()
        await step.wait_for_event("go", "go")

        @step.do("b")
        async def b():
            note("b VERSION")
            return "VERSION"

        return [first, await b()]
"""


async def test_a_reload_continues_running_instances_on_the_new_code_at_the_next_step(write_worker, servers) -> None:
    path = worker_dir(write_worker, VERSIONED.replace("VERSION", "v1"))
    server = servers(path)
    instance = await server.worker("wf").env.WF.create({"id": "r"})
    await settled(instance, ("waiting",))
    (path / "src" / "entry.py").write_text(PRELUDE + VERSIONED.replace("VERSION", "v2"))
    server.worker("wf").load()
    await instance.send_event({"type": "go"})
    assert (await settled(instance))["output"] == ["v1", "v2"]
    assert log(path) == ["a v1", "b v2"]
    await stopped(server)


async def test_script_name_binds_a_workflow_class_of_another_worker(write_worker, output: Output) -> None:
    host = write_worker(
        "host", {"src/entry.py": PRELUDE + TWO_STEPS}, config=CONFIG.replace('"wf"', '"host"').format(flags="")
    )
    caller = write_worker(
        "caller",
        {"src/entry.py": "from workers import WorkerEntrypoint\n\nclass Default(WorkerEntrypoint):\n    pass\n"},
        config='name = "caller"\nmain = "src/entry.py"\n'
        'workflows = [{ name = "my-workflow", binding = "FLOW", class_name = "MyWorkflow", script_name = "host" }]\n',
    )
    server = DevServer(
        DevOptions(), Printer(output, level="debug", colour=False), [load_config(caller), load_config(host)]
    )
    server.load()
    try:
        instance = await server.worker("caller").env.FLOW.create({"id": "x", "params": {"n": 4}})
        status = await settled(instance)
        assert status["output"]["total"] == 50
        assert (await server.worker("host").env.WF.get("x")).id == "x"  # one Workflow, seen from both workers
        assert log(host) == ["first", "second"]
    finally:
        await server.host.workflows.stop()
        for worker in server.workers:
            if worker.code is not None:
                worker.code.unload()
        server.storage.close()


def test_a_class_missing_from_the_code_is_one_error_at_start_up(write_worker, servers, output: Output) -> None:
    path = write_worker("wf", {"src/entry.py": PRELUDE}, config=CONFIG.format(flags=""))
    server = servers(path)
    from pyworker.bindings.env import describe_bindings

    lines = describe_bindings(server.worker("wf").config, server.host)
    assert lines[-1].startswith('WF -> Workflow my-workflow (no class "MyWorkflow" in worker wf; ')
    assert output.lines()[-1] == (
        '[wf] Workflow binding WF: worker "wf" does not export a class named "MyWorkflow". Export it from its main '
        "module (a subclass of workers.WorkflowEntrypoint with async def run(self, event, step))."
    )
