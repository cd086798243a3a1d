"""``pyodide.ffi`` and ``pyodide.http`` for worker code (pyworker/sdk/pyodide/): each name, in worker code
and on its own."""

from __future__ import annotations

import functools

import pytest

from pyworker.runtime.http import Request, Response
from pyworker.runtime.jsvalues import JsException
from pyworker.sdk import js
from pyworker.sdk.pyodide import ffi, http

pytestmark = pytest.mark.anyio

CALLER = """
from pyodide.ffi import JsException, JsProxy, create_proxy, run_sync, to_js
from pyodide.http import FetchResponse, pyfetch
from workers import Response, WorkerEntrypoint


def total_now(env):
    return run_sync(env.B.add(2, 3))  # synchronous code in an async handler, on the event loop's thread


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        reply = await pyfetch("https://b.internal/hello", method="POST", body="hi", fetcher=self.env.B.fetch)
        assert isinstance(reply, FetchResponse)
        return Response(f"{reply.status} {reply.ok} {await reply.text()} {total_now(self.env)}")

    async def callback(self):
        return await self.env.B.call_back(create_proxy(lambda x: x * 2))

    def to_js_buffer(self):
        return to_js(b"png").buffer

    def raises(self):
        try:
            run_sync(self.env.B.fail())
        except JsException as exc:  # a callee's ValueError arrives as JsException, as on Cloudflare
            return exc.message
"""

CALLEE = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(f"{request.method} {request.url} {await request.text()}", status=202)

    async def add(self, a, b):
        return a + b

    async def call_back(self, function):
        return await function(21)

    async def fail(self):
        raise ValueError("from b")
"""


@pytest.fixture
def server(write_worker, make_server):
    a = write_worker(
        "a",
        {"src/entry.py": CALLER},
        config='name = "a"\nmain = "src/entry.py"\nservices = [{ binding = "B", service = "b" }]\n',
    )
    b = write_worker("b", {"src/entry.py": CALLEE})
    return make_server(a, b)


async def test_pyfetch_through_a_binding_and_run_sync_on_the_loop_thread(server):
    response = await server.worker("a").fetch(Request("http://localhost/"))
    assert await response.text() == "202 True POST https://b.internal/hello hi 5"


async def test_a_proxied_function_crosses_a_binding_as_a_callback(server):
    assert await server.worker("a").call(None, "callback", (), {}) == 42


async def test_run_sync_raises_what_the_awaitable_raised(server):
    assert await server.worker("a").call(None, "raises", (), {}) == "PythonError: ValueError: from b"


def test_to_js_returns_plain_copies():
    source = {"a": [1, (2, 3)], "b": {"c": b"x"}}
    copied = ffi.to_js(source)
    assert copied == {"a": [1, [2, 3]], "b": {"c": b"x"}} and copied is not source and copied["a"] is not source["a"]
    assert type(copied["b"]["c"]) is ffi.JsBuffer
    as_object = ffi.to_js(source, dict_converter=js.Object.fromEntries)
    assert as_object.b.c == b"x" and as_object.to_py() == {"a": [1, [2, 3]], "b": {"c": b"x"}}
    assert ffi.to_js({"k": {"deep": 1}}, depth=1) == {"k": {"deep": 1}}
    assert ffi.to_js({1, 2}) == {1, 2}


def test_to_js_bytes_gain_a_buffer():
    buffer = ffi.to_js(b"\x89PNG")
    assert isinstance(buffer, bytes) and isinstance(buffer, ffi.JsBuffer) and isinstance(buffer, ffi.JsProxy)
    assert (buffer.buffer, buffer.byteLength, buffer.to_bytes(), bytes(buffer.to_memoryview())) == (
        b"\x89PNG",
        4,
        b"\x89PNG",
        b"\x89PNG",
    )
    assert ffi.to_js(bytearray(b"ab")).to_string() == "ab"
    assert Response(ffi.to_js(b"img").buffer).status == 200  # Response(to_js(data).buffer), as example 12 does


def test_to_js_objects_without_a_conversion():
    thing = object()
    proxies: list[object] = []
    assert ffi.to_js([thing], pyproxies=proxies) == [thing] and proxies == [thing]
    with pytest.raises(ffi.ConversionError, match="No conversion known for <object object at"):
        ffi.to_js([thing], create_pyproxies=False)
    converted = ffi.to_js([thing], default_converter=lambda value, convert, cache: "converted")
    assert converted == ["converted"]


def test_proxies_and_their_no_op_destroy():
    proxy = ffi.create_proxy(lambda x: x + 1)
    assert proxy(1) == 2 and isinstance(proxy, functools.partial) and isinstance(proxy, ffi.JsDoubleProxy)
    proxy.destroy()
    assert proxy(2) == 3
    data = ffi.create_proxy(b"body")
    buffer = data.getBuffer()
    assert bytes(buffer.data) == b"body" and data.unwrap() == b"body"
    buffer.release()
    once = ffi.create_once_callable(lambda: "first")
    assert once() == "first"
    with pytest.raises(JsException, match="already called"):
        once()
    ffi.destroy_proxies([proxy, data, once])


def test_the_names_worker_code_imports():
    assert ffi.JsException is JsException  # the one class, from pyworker.runtime.jsvalues
    assert (repr(ffi.jsnull), bool(ffi.jsnull), ffi.to_js(ffi.jsnull) is ffi.jsnull) == ("jsnull", False, True)
    assert ffi.can_run_sync() is True
    with pytest.raises(AttributeError, match=r"^pyodide\.ffi\.register_js_module is not emulated by pyworker"):
        ffi.register_js_module  # noqa: B018
    from pyworker.sdk import pyodide

    assert pyodide.__version__ == "0.29.3" and pyodide.ffi is ffi and pyodide.http is http


def test_run_sync_outside_an_event_loop_and_its_argument_check():
    async def answer() -> int:
        return 42

    assert ffi.run_sync(answer()) == 42
    expected = r"^run_sync\(\) expects an awaitable \(a coroutine, task or future\), got int\.$"
    with pytest.raises(TypeError, match=expected):
        ffi.run_sync(42)  # type: ignore[arg-type]


async def test_fetch_response():
    response = Response('{"a": 1}', 404, "Not Here", {"x-a": "1", "content-type": "application/json"})
    reply = http.FetchResponse("https://example.com/a", response)
    assert (reply.status, reply.status_text, reply.ok, reply.url, reply.redirected, reply.type) == (
        404,
        "Not Here",
        False,
        "https://example.com/a",
        False,
        "basic",
    )
    assert reply.headers == {"x-a": "1", "content-type": "application/json"}
    with pytest.raises(http.HttpStatusError, match=r"^404 Client Error: Not Here for url: https://example\.com/a$"):
        reply.raise_for_status()
    copy = reply.clone()
    assert await reply.json() == {"a": 1} and reply.body_used
    with pytest.raises(http.BodyUsedError):
        await reply.text()
    assert bytes(await copy.buffer()) == b'{"a": 1}'
