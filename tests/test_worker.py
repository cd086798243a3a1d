"""The invocation frame: every handler kind goes through ``Worker.invoke``, which sets and resets
the context, the request's invocation budget and the generation count, on success and on error."""

from __future__ import annotations

import pytest

from pyworker.errors import NoEntrypoint, NoHandler, NoMethod, WorkerLoadError, was_reported
from pyworker.runtime import limits
from pyworker.runtime.entrypoint import current_context
from pyworker.runtime.http import Request, Response
from pyworker.types import FETCH, RPC, Route

pytestmark = pytest.mark.anyio

CODE = """
from workers import Response, WorkerEntrypoint

SEEN = []


def snapshot(ctx, label):
    from pyworker.runtime import limits
    from pyworker.runtime.entrypoint import current_context

    SEEN.append((label, current_context.get() is ctx, limits.chain(), limits.depth(), limits.used(), dict(ctx.props)))


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        snapshot(self.ctx, "fetch")
        if request.url.endswith("/boom"):
            raise ValueError("fetch failed")
        return Response("ok")

    async def scheduled(self, controller, env, ctx):
        snapshot(ctx, f"scheduled {controller}")
        return "ran"

    async def queue(self, batch):
        snapshot(self.ctx, "queue")
        raise KeyError(batch)

    def method(self, x, *, y=0):
        snapshot(self.ctx, "rpc")
        return x + y

    async def fails(self):
        snapshot(self.ctx, "rpc")
        raise RuntimeError("rpc failed")
"""


@pytest.fixture
def worker(write_worker, make_server):
    server = make_server(write_worker("w", {"src/entry.py": CODE}))
    return server.worker("w")


def assert_reset(worker):
    assert current_context.get() is None
    assert limits.used() == 0 and limits.depth() == 0
    assert worker.code.active == 0


@pytest.mark.parametrize(
    ("route", "args", "kwargs", "result", "label"),
    [
        (Route(RPC, "method", props={"p": 1}), (2,), {"y": 3}, 5, "rpc"),
        (Route("scheduled", "scheduled"), ("cron",), {}, "ran", "scheduled cron"),
    ],
)
async def test_every_kind_runs_in_a_frame_that_is_reset_after_success(worker, route, args, kwargs, result, label):
    assert await worker.invoke(route, args, kwargs) == result
    seen = worker.code.module.SEEN
    assert seen == [(label, True, ["w"], 1, 0, dict(route.props or {}))]
    assert_reset(worker)


async def test_fetch_gets_a_response_and_a_fresh_budget(worker):
    response = await worker.invoke(Route(FETCH, "fetch"), (Request("https://w/"),), {})
    assert isinstance(response, Response)
    assert await response.text() == "ok"
    assert worker.code.module.SEEN == [("fetch", True, ["w"], 1, 0, {})]
    assert_reset(worker)


@pytest.mark.parametrize(
    ("route", "args", "error", "message"),
    [
        (Route(RPC, "fails"), (), RuntimeError, "rpc failed"),
        (Route("queue", "queue"), ("batch",), KeyError, "'batch'"),
        (Route(FETCH, "fetch"), (Request("https://w/boom"),), ValueError, "fetch failed"),
    ],
)
async def test_an_error_is_printed_once_marked_and_everything_is_reset(worker, output, route, args, error, message):
    with pytest.raises(error) as info:
        await worker.invoke(route, args, {})
    assert str(info.value) == message
    assert was_reported(info.value)
    assert f"[w] {error.__name__}: {message}" in output.lines()
    assert_reset(worker)


async def test_a_binding_call_counts_one_more_invocation_on_the_callers_chain(worker):
    async def outer():
        return await worker.invoke(Route(RPC, "method", caller="caller"), (1,), {})

    # Without an incoming request the caller starts a budget of its own, at depth 1.
    assert await outer() == 1
    assert worker.code.module.SEEN == [("rpc", True, ["caller", "w"], 2, 1, {})]
    assert_reset(worker)


@pytest.mark.parametrize(
    ("route", "error", "message"),
    [
        (Route(RPC, "nope"), NoMethod, 'The RPC receiver does not implement the method "nope".'),
        (Route(RPC, "method", "Named"), NoEntrypoint, 'Worker "w" does not export an entrypoint named "Named".'),
        (Route("email", "email"), NoHandler, 'Handler does not export a email() function (worker "w"). '),
    ],
)
async def test_a_missing_handler_raises_before_anything_is_set(worker, route, error, message):
    with pytest.raises(error, match=f"^{message}".replace("(", r"\(").replace(")", r"\)")):
        await worker.invoke(route, (), {})
    assert worker.code.module.SEEN == []
    assert_reset(worker)


async def test_a_worker_that_failed_to_load_raises_its_load_error(write_worker, make_server):
    server = make_server(write_worker("broken", {"src/entry.py": "def f(:\n"}))
    with pytest.raises(WorkerLoadError, match="SyntaxError"):
        await server.worker("broken").invoke(Route(RPC, "x"), (), {})


async def test_the_handler_lookup_is_made_once_per_route(worker):
    route = Route(RPC, "method")
    await worker.invoke(route, (1,), {})
    found = worker.code.handler(RPC, None, "method")
    await worker.invoke(route, (2,), {})
    assert worker.code.handler(RPC, None, "method") is found
