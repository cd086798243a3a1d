"""No BaseException from worker code escapes: at import, at reload, in any handler, in tasks it starts.

Each becomes one error of that worker (a 500 with the error, its traceback under the
worker's prefix) while every other worker keeps serving and reloading. The helpers turn
an escaping exception into a test failure, so a regression fails here instead of
stopping the test run (pytest takes a stray KeyboardInterrupt for the user's Ctrl-C).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from pyworker.printer import Printer
from pyworker.reload.reloader import Reloader
from tests.conftest import DEADLINE

RAISES = {
    "KeyboardInterrupt": "raise KeyboardInterrupt('boom')",
    "CancelledError": "import asyncio\nraise asyncio.CancelledError('boom')",
    "Custom": "class Custom(BaseException):\n    pass\nraise Custom('boom')",
    "GeneratorExit": "raise GeneratorExit('boom')",
    "SystemExit": "raise SystemExit('boom')",
}
KINDS = list(RAISES)

GOOD = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("good")
"""


def contained(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except BaseException as exc:
        pytest.fail(f"{type(exc).__name__} escaped from worker code: {exc}")


async def acontained(call: Callable[[], Awaitable[Any]]) -> Any:
    try:
        return await call()
    except BaseException as exc:
        pytest.fail(f"{type(exc).__name__} escaped from worker code: {exc}")


def get(server, name: str, path: str = "/") -> httpx.Response:
    transport = httpx.ASGITransport(app=server.app(name))

    async def fetch() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://w") as client:
            return await client.get(path)

    return fetch()  # type: ignore[return-value]


@pytest.mark.anyio
@pytest.mark.parametrize("kind", KINDS)
async def test_at_start_up_it_is_that_workers_load_error(write_worker, make_server, output, kind):
    bad = write_worker("bad", {"src/entry.py": "x = 1\n" + RAISES[kind] + "\n"})
    good = write_worker("good", {"src/entry.py": GOOD})
    server = contained(lambda: make_server(bad, good))
    name = "Custom" if kind == "Custom" else kind
    error = next(line for line in output.lines() if line.startswith("[bad] bad: importing the worker failed"))
    assert error.endswith(f": {name}: boom")
    assert "src/entry.py, line " in error
    reply = await acontained(lambda: get(server, "bad"))
    assert reply.status_code == 500 and reply.text.endswith(f"{name}: boom")
    assert (await get(server, "good")).text == "good"


@pytest.mark.anyio
@pytest.mark.parametrize("kind", KINDS)
async def test_at_reload_it_is_reported_and_hot_reload_goes_on(write_worker, make_server, output, kind):
    directory = write_worker("w", {"src/entry.py": GOOD})
    server = make_server(directory)
    reloader = Reloader(server.registry, Printer(output, colour=False))

    async def edit(text: str) -> None:
        (directory / "src/entry.py").write_text(text)

        async def batches():
            yield {"w": {directory / "src/entry.py"}}

        await reloader.run(batches())

    await acontained(lambda: edit(RAISES[kind] + "\n"))
    assert any(line.startswith("[w] w: importing the worker failed") and "boom" in line for line in output.lines())
    await acontained(lambda: edit(GOOD.replace('"good"', '"again"')))
    assert (await get(server, "w")).text == "again"
    assert not any("Hot reload stopped" in line for line in output.lines())


def handler_raising(kind: str) -> str:
    body = RAISES[kind].replace("\n", "\n        ")
    return f"""
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/ok"):
            return Response("ok")
        {body}

    async def rpc(self):
        {body}
"""


@pytest.mark.anyio
@pytest.mark.parametrize("kind", KINDS)
async def test_in_fetch_it_is_a_500_with_its_traceback(write_worker, make_server, output, kind):
    server = make_server(write_worker("w", {"src/entry.py": handler_raising(kind)}))
    reply = await acontained(lambda: get(server, "w", "/boom"))
    assert (reply.status_code, reply.text) == (500, f"{kind}: boom")
    assert "[w] Traceback (most recent call last):" in output.lines()
    assert any(line.endswith(f"{kind}: boom") and line.startswith("[w] ") for line in output.lines())
    assert (await get(server, "w", "/ok")).text == "ok"


CALLER = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        try:
            await self.env.B.rpc()
        except Exception as exc:
            return Response(f"caught {type(exc).__name__}: {exc}")
"""


@pytest.mark.anyio
@pytest.mark.parametrize("kind", [k for k in KINDS if k != "SystemExit"])
async def test_in_an_rpc_callee_it_reaches_the_caller_as_a_js_exception(write_worker, make_server, output, kind):
    callee = write_worker("b", {"src/entry.py": handler_raising(kind)})
    caller = write_worker(
        "a",
        {"src/entry.py": CALLER},
        config='name = "a"\nmain = "src/entry.py"\nservices = [{binding = "B", service = "b"}]\n',
    )
    server = make_server(caller, callee)
    reply = await acontained(lambda: get(server, "a"))
    # As any callee error on Cloudflare: a JsException whose message ends as the callee's traceback does.
    line = {"CancelledError": "asyncio.exceptions.CancelledError", "Custom": "entry.Default.rpc.<locals>.Custom"}
    assert reply.text == f"caught JsException: Error: PythonError: {line.get(kind, kind)}: boom"
    assert "[b] Traceback (most recent call last):" in output.lines()


TASKS = """
import asyncio
from workers import Response, WorkerEntrypoint

async def work():
    await asyncio.sleep(0)
    raise {error}

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/gather"):
            try:
                await asyncio.gather(work())
            except Exception as exc:
                return Response(f"caught {{exc}}")
        if request.url.endswith("/wait-until"):
            self.ctx.wait_until(work())
        return Response("ok")
"""


@pytest.mark.parametrize("error", ["KeyboardInterrupt('boom')", "SystemExit('boom')"])
def test_in_a_task_the_worker_started_it_cannot_stop_the_server(write_worker, live, output, error):
    server = live(write_worker("w", {"src/entry.py": TASKS.format(error=error)}))
    name = error.split("(")[0]
    with httpx.Client(base_url=server.url, timeout=DEADLINE) as client:
        assert client.get("/gather").text == f"caught {name}: boom"
        assert client.get("/wait-until").text == "ok"
        output.wait_for(r"^\[w\] ctx\.wait_until\(\) task failed:$")
        assert client.get("/ok").text == "ok"
    assert server.error is None


@pytest.mark.e2e
def test_the_real_cli_keeps_serving_when_a_main_raises_keyboard_interrupt(write_worker):
    from tests.test_e2e import DevProcess

    bad = write_worker("bad", {"src/entry.py": "raise KeyboardInterrupt\n"})
    good = write_worker("good", {"src/entry.py": GOOD})
    process = DevProcess(str(good), str(bad), "--port", "0")
    try:
        url = process.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)").group(1)
        process.wait_for(r"^\[bad\] bad: importing the worker failed in .*: KeyboardInterrupt$")
        assert httpx.get(url).text == "good"
        assert process.interrupt() == 0  # the user's own Ctrl-C still stops it
    finally:
        process.close()
