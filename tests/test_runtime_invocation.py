"""The invocation's one state (runtime/invocation.py) and the binding call's fast paths: same behaviour as the
general ones."""

from __future__ import annotations

import asyncio
import gc

import pytest

from pyworker.runtime import limits
from pyworker.runtime.entrypoint import current_context
from pyworker.runtime.headers import Headers
from pyworker.runtime.http import Request, transfer
from pyworker.runtime.message import message_of
from pyworker.runtime.scope import WorkerScope, current_worker
from tests.conftest import DEADLINE

pytestmark = pytest.mark.anyio

CALLEE = """
import asyncio

from workers import Response, WorkerEntrypoint

BUILT = []
RAN = asyncio.Event()  # set by slow(): what a test waits on


class Default(WorkerEntrypoint):
    async def where(self):
        from pyworker.runtime import limits
        return [limits.chain(), limits.depth(), limits.used(), type(self.ctx).__name__, self.env.NAME]

    async def slow(self):
        BUILT.append("slow ran")
        RAN.set()

    async def fetch(self, request):
        return Response(f"{self.env.NAME} {type(self.ctx).__name__}")


class Own(WorkerEntrypoint):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        BUILT.append("Own.__init__")

    async def where(self):
        return self.env.NAME

    async def fetch(self, request):
        return Response(f"{self.env.NAME} {type(self.ctx).__name__}")


class Made(WorkerEntrypoint):
    def __new__(cls, ctx, env):
        BUILT.append("Made.__new__")
        return super().__new__(cls)

    async def where(self):
        return self.env.NAME
"""

CALLER = """
from workers import WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def via(self, entrypoint):
        return await getattr(self.env, entrypoint).where()

    async def fetched(self, entrypoint):
        return await (await getattr(self.env, entrypoint).fetch("https://callee/")).text()
"""


@pytest.fixture
def pair(write_worker, make_server):
    callee = write_worker("callee", {"src/entry.py": CALLEE}, config='name = "callee"\nmain = "src/entry.py"\n'
                          'vars = { NAME = "callee" }\n')  # fmt: skip
    caller = write_worker(
        "caller",
        {"src/entry.py": CALLER},
        config='name = "caller"\nmain = "src/entry.py"\nservices = [{ binding = "B", service = "callee" }, '
        '{ binding = "OWN", service = "callee", entrypoint = "Own" }, '
        '{ binding = "MADE", service = "callee", entrypoint = "Made" }]\n',
    )
    return make_server(caller, callee)


async def test_a_call_from_outside_any_request_runs_at_depth_two_on_a_budget_of_its_own(pair):
    stub = pair.worker("caller").env.B
    assert await stub.where() == [["caller", "callee"], 2, 1, "ExecutionContext", "callee"]
    assert await stub.where() == [["caller", "callee"], 2, 1, "ExecutionContext", "callee"]
    assert (limits.chain(), limits.depth(), limits.used(), current_context.get()) == ([], 0, 0, None)


async def test_setting_the_scope_alone_is_not_a_request(pair):
    scope = WorkerScope("solo", None, lambda awaitable: None)
    token = current_worker.set(scope)
    try:
        assert current_worker.get() is scope
        assert (limits.chain(), limits.depth(), limits.used(), current_context.get()) == ([], 0, 0, None)
        limits.subrequest("this fetch()")  # outside a request: counts nowhere
        assert await pair.worker("caller").env.B.where() == [["caller", "callee"], 2, 1, "ExecutionContext", "callee"]
        assert current_worker.get() is scope
    finally:
        current_worker.reset(token)
    assert current_worker.get() is None


async def test_entrypoints_that_construct_themselves_still_do(pair):
    built = pair.worker("callee").code.module.BUILT
    caller = pair.worker("caller")
    assert await caller.call(None, "via", ("B",), {}) == [["caller", "callee"], 2, 1, "ExecutionContext", "callee"]
    assert built == []
    assert await caller.call(None, "via", ("OWN",), {}) == "callee"
    assert await caller.call(None, "via", ("MADE",), {}) == "callee"
    assert built == ["Own.__init__", "Made.__new__"]
    assert await caller.call(None, "fetched", ("B",), {}) == "callee ExecutionContext"
    assert await caller.call(None, "fetched", ("OWN",), {}) == "callee ExecutionContext"
    assert built == ["Own.__init__", "Made.__new__", "Own.__init__"]


async def test_a_call_whose_task_is_cancelled_before_its_first_step_still_runs_and_counts_as_awaited(pair, output):
    callee = pair.worker("callee").code.module
    built = callee.BUILT
    task = asyncio.ensure_future(pair.worker("caller").env.B.slow())
    task.cancel()  # the call started on its own first (a promise runs once made); the task only awaited it
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.wait_for(callee.RAN.wait(), DEADLINE)
    assert built == ["slow ran"]
    gc.collect()
    assert "never awaited" not in output.getvalue()


def test_a_transferred_request_is_what_request_of_it_makes():
    original = Request("https://example.com/a", method="post", headers={"x-a": "1"}, body="hi", cf={"colo": "AMS"})
    moved = transfer(original)
    assert (moved.url, moved.method, moved.redirect) == ("https://example.com/a", "POST", "follow")
    assert moved.cf.colo == "AMS"
    assert moved.js_object.headers is not original.js_object.headers
    assert list(moved.js_object.headers) == [("content-type", "text/plain;charset=UTF-8"), ("x-a", "1")]
    assert original.body_used and not moved.body_used


def test_each_headers_copy_is_its_own():
    headers = Headers({"x-one": " 1 "})
    first, second = message_of(headers, "Request"), message_of(headers, "Request")
    assert first.items() == [("x-one", "1")] and first.defects is not second.defects
    first["x-two"] = "2"
    assert second.items() == [("x-one", "1")]
    with pytest.raises(TypeError, match=r"Invalid header name: 'bad name'\."):
        Headers({"x-ok": "1", "bad name": "2"})
