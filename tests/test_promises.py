"""Storage operations are promises started when called (:mod:`pyworker.bindings.promises`)."""

from __future__ import annotations

import asyncio
import traceback

import pytest

from pyworker.runtime.jsvalues import JsException

CONFIG = 'name = "w"\nmain = "src/entry.py"\nkv_namespaces = [{ binding = "KV", id = "ns" }]\n'
pytestmark = pytest.mark.anyio
ENTRY = "from workers import WorkerEntrypoint\n\nclass Default(WorkerEntrypoint):\n    pass\n"


@pytest.fixture
def kv(write_worker, make_server):
    return make_server(write_worker("w", {"src/entry.py": ENTRY}, CONFIG)).worker("w").env.KV


async def test_an_operation_runs_when_called_and_is_awaited_once(kv) -> None:
    await kv.put("k", "old")
    written = kv.put("k", "new")  # not awaited yet, no event-loop turn: the write already happened
    read = kv.get("k")
    assert repr(read) == "<call self.env.KV.get()>"
    assert await read == "new"
    await written
    with pytest.raises(RuntimeError, match="cannot reuse already awaited coroutine"):
        await read
    with pytest.raises(AttributeError, match="'Call' object has no attribute '_p_value'"):
        read._p_value  # noqa: B018


async def test_tasks_and_gather_take_it(kv) -> None:
    await kv.put("a", "1")
    assert await asyncio.gather(kv.get("a"), asyncio.create_task(kv.get("a"))) == ["1", "1"]


async def test_its_error_is_raised_where_it_is_awaited_without_pyworkers_frames(kv) -> None:
    pending = kv.get("")  # the check fails when called; the promise rejects
    with pytest.raises(JsException) as raised:
        await pending
    assert str(raised.value) == "TypeError: Key name cannot be empty."
    files = [frame.filename for frame in traceback.extract_tb(raised.value.__traceback__)]
    assert [name for name in files if "/pyworker/storage/" in name or "/bindings/kv.py" in name] == []


async def test_one_that_waits_continues_as_a_call(kv) -> None:
    first = kv.get("nothing")  # the namespace's file opens on its thread: the first step waits
    assert type(first).__name__ == "Call"  # not settled when made
    assert await first is None
