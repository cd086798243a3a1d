"""pyworker's two halves of workerd's debug port against each other, in this process: a
``WranglerTarget`` (the client, pipelining as workerd does) calls the ``DebugPortServer`` (through the
relay) for a real worker. No Node needed; ``tests/test_wrangler_registry.py`` does it with wrangler."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from pyworker.errors import BindingError
from pyworker.interop.wrangler.client import WranglerTarget
from pyworker.interop.wrangler.heads import header_name, method_enumerant, method_name
from pyworker.interop.wrangler.link import CapnpLink
from pyworker.interop.wrangler.relay import read_frame
from pyworker.interop.wrangler.server import DebugPortServer
from pyworker.runtime.http import Request
from pyworker.serving.server import DevServer
from pyworker.types import FETCH, RPC, Route

pytest.importorskip("capnp", reason="pycapnp is not installed (pip install 'pyworker[wrangler]')")
pytestmark = pytest.mark.anyio

ENTRY = """
import asyncio

from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("/", 3)[3]
        if path == "stream":
            async def chunks():
                for n in range(3):
                    yield f"part {n};".encode()
            return Response(chunks(), headers={"x-kind": "stream"})
        if path == "slow":
            async def forever():
                yield b"first;"
                await asyncio.Event().wait()
            return Response(forever())
        if path == "empty":
            return Response(None, 204, headers={"x-kind": "empty"})
        if path == "boom":
            raise ValueError("boom")
        body = await request.text()
        return Response(
            f"{request.method} {request.url} body={body!r} x-a={request.headers.get('x-a')}",
            201,
            "Made",
            headers={"x-py": "yes", "set-cookie": "a=1"},
        )


class Admin(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("admin entrypoint")
"""


@pytest.fixture
async def served(
    write_worker: Callable[..., Path], make_server: Callable[..., DevServer]
) -> AsyncIterator[tuple[WranglerTarget, DebugPortServer]]:
    server = make_server(write_worker("py", {"src/entry.py": ENTRY}))
    link = CapnpLink()
    port = DebugPortServer(server.registry, server.printer, link)
    address = await port.start()
    yield WranglerTarget("py", address, link), port
    await port.aclose()
    await link.aclose()


@pytest.fixture
def py(served: tuple[WranglerTarget, DebugPortServer]) -> WranglerTarget:
    return served[0]


def fetch(target: WranglerTarget, request: Request, entrypoint: str | None = None) -> Any:
    return target.invoke(Route(FETCH, "fetch", entrypoint), (request,), {})


async def test_a_request_and_its_body_cross_both_ways(py: WranglerTarget) -> None:
    response = await fetch(py, Request("http://py/echo?q=1", method="POST", body="ping", headers={"x-a": "b"}))
    assert (response.status, response.status_text) == (201, "Made")
    assert sorted(response.headers.items()) == [
        ("content-type", "text/plain;charset=UTF-8"),
        ("set-cookie", "a=1"),
        ("x-py", "yes"),
    ]
    assert await response.text() == "POST http://py/echo?q=1 body='ping' x-a=b"


async def test_a_streamed_request_body_arrives_whole(py: WranglerTarget) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for n in range(20):
            yield b"%02d," % n

    response = await fetch(py, Request("http://py/echo", method="PUT", body=chunks()))
    expected = "".join(f"{n:02d}," for n in range(20))
    assert await response.text() == f"PUT http://py/echo body={expected!r} x-a=None"


async def test_a_streamed_response_body_arrives_in_order(py: WranglerTarget) -> None:
    response = await fetch(py, Request("http://py/stream"))
    assert response.headers.get("x-kind") == "stream"
    assert await response.text() == "part 0;part 1;part 2;"


async def test_no_body_head_and_many_at_once(py: WranglerTarget) -> None:
    empty = await fetch(py, Request("http://py/empty"))
    assert (empty.status, empty.body, empty.headers.get("x-kind")) == (204, None, "empty")
    head = await fetch(py, Request("http://py/echo", method="HEAD"))
    assert (head.status, head.body) == (201, None)
    answers = await asyncio.gather(
        *(fetch(py, Request(f"http://py/n{n}", method="POST", body=str(n))) for n in range(8))
    )
    assert [await a.text() for a in answers] == [f"POST http://py/n{n} body='{n}' x-a=None" for n in range(8)]


async def test_a_worker_error_is_its_500_and_a_named_entrypoint_is_reached(py: WranglerTarget) -> None:
    boom = await fetch(py, Request("http://py/boom"))
    assert (boom.status, await boom.text()) == (500, "ValueError: boom")
    admin = await fetch(py, Request("http://py/"), "Admin")
    assert await admin.text() == "admin entrypoint"


async def test_a_process_that_leaves_mid_body_is_one_error_never_a_hang(
    served: tuple[WranglerTarget, DebugPortServer],
) -> None:
    target, port = served
    response = await fetch(target, Request("http://py/slow"))
    assert response.body is not None
    chunks = response.body.chunks()
    assert await anext(chunks) == b"first;"
    await port.aclose()  # the other process goes away
    with pytest.raises(BindingError) as caught:
        await anext(chunks)
    assert str(caught.value) == 'The wrangler dev worker "py" stopped sending its response body before the end.'


async def test_a_worker_not_in_this_process_is_a_503(py: WranglerTarget) -> None:
    other = WranglerTarget("gone", py.address, py.link)
    response = await fetch(other, Request("http://gone/"))
    assert response.status == 503
    assert (await response.text()).startswith('Worker "gone" is not running in this pyworker dev (pid ')


async def test_rpc_to_a_wrangler_worker_is_refused_in_one_line(py: WranglerTarget) -> None:
    with pytest.raises(BindingError) as caught:
        await py.invoke(Route(RPC, "add"), (1, 2), {})
    assert str(caught.value) == (
        'add() on the wrangler dev worker "py": RPC to a wrangler dev worker is not supported: workerd sends RPC '
        "arguments and results in V8's serialization format, which no maintained Python library reads or writes; "
        "use fetch()."
    )
    assert py.exports(None) and py.exports("default") and not py.exports("Admin") and not py.exports(None, True)


async def test_a_port_nobody_serves_is_one_line() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    link = CapnpLink()
    target = WranglerTarget("js", f"127.0.0.1:{port}", link)
    with pytest.raises(BindingError) as caught:
        await fetch(target, Request("http://js/"))
    assert str(caught.value).startswith(f'The wrangler dev worker "js" at 127.0.0.1:{port} cannot be reached: ')
    await link.aclose()


def test_header_names_and_methods_as_the_protocol_numbers_them() -> None:
    assert [header_name(n) for n in ("contentType", "etag", "wwwAuthenticate", "accessControlAllowOrigin")] == [
        "content-type",
        "etag",
        "www-authenticate",
        "access-control-allow-origin",
    ]
    assert (method_enumerant("M-SEARCH"), method_enumerant("GET"), method_enumerant("BREW")) == ("msearch", "get", None)
    assert (method_name("msearch"), method_name("propfind")) == ("M-SEARCH", "PROPFIND")


async def test_frames_of_several_segments_are_read_whole() -> None:
    reader = asyncio.StreamReader()
    one = struct.pack("<II", 0, 1) + b"A" * 8
    two = struct.pack("<IIII", 1, 1, 2, 0) + b"B" * 24  # two segments: the table is padded to a word
    reader.feed_data(one + two)
    assert await read_frame(reader) == one
    assert await read_frame(reader) == two
