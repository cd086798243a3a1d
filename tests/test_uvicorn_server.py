"""The uvicorn internals pyworker relies on: if a uvicorn release changes them, these fail first, loudly."""

from __future__ import annotations

import asyncio
import inspect

import httpx
import pytest
import uvicorn

from pyworker.serving.listeners import bind
from pyworker.serving.uvicorn_server import UvicornServer, uvicorn_config
from pyworker.types import Receive, Scope, Send

pytestmark = pytest.mark.anyio


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    port = scope["server"][1]
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
    await send({"type": "http.response.body", "body": f"{port:05d}"[-5:].encode()})


def test_the_internals_we_use_are_still_there():
    config = uvicorn_config(hello)
    config.load()
    protocol = inspect.signature(config.http_protocol_class)
    assert {"config", "server_state", "app_state"} <= set(protocol.parameters), (
        f"uvicorn {uvicorn.__version__} changed its HTTP protocol's constructor: {protocol}. "
        "Update UvicornServer.listen in pyworker/serving/uvicorn_server.py."
    )
    assert isinstance(config.backlog, int)
    server = uvicorn.Server(config)
    for name in ("server_state", "should_exit", "force_exit", "capture_signals", "startup"):
        assert hasattr(server, name), f"uvicorn {uvicorn.__version__} no longer has Server.{name}"
    assert "sockets" in inspect.signature(uvicorn.Server.startup).parameters


async def test_a_socket_added_while_serving_is_served_and_a_removed_one_is_not():
    first, second = bind("a", "127.0.0.1", 0), bind("b", "127.0.0.1", 0)
    server = UvicornServer(uvicorn_config(hello))
    serving = asyncio.ensure_future(server.serve(sockets=[first.sock]))
    try:
        await server.listening.wait()
        assert isinstance(server.lifespan.state, dict), "uvicorn no longer has Server.lifespan.state"
        assert len(server.servers) == 1, "uvicorn no longer keeps its asyncio servers in Server.servers"
        await server.listen(second.sock)
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"{first.url}/")).text == f"{first.port:05d}"[-5:]
            assert (await client.get(f"{second.url}/")).text == f"{second.port:05d}"[-5:]
        server.unlisten(second.sock)
        second.sock.close()
        async with httpx.AsyncClient() as client:  # a new connection: open ones may finish
            with pytest.raises(httpx.ConnectError):
                await client.get(f"{second.url}/")
    finally:
        server.should_exit = True
        await serving
        first.sock.close()


def test_the_h11_protocol_internals_the_limits_rely_on_are_still_there():
    from uvicorn.protocols.http import h11_impl

    from pyworker.options import ClientLimits
    from pyworker.serving.h11_protocol import LimitedH11Protocol
    from pyworker.serving.protocol_limits import head_limit

    config = uvicorn_config(hello, ClientLimits(keep_alive_timeout=3), http="h11")
    config.load()
    assert issubclass(config.http_protocol_class, LimitedH11Protocol), (
        f"uvicorn {uvicorn.__version__} no longer takes a protocol class as Config(http=...)"
    )
    assert config.timeout_keep_alive == 3
    assert config.h11_max_incomplete_event_size == head_limit(ClientLimits())
    for name in ("data_received", "on_response_complete", "send_400_response", "connection_lost", "connection_made"):
        assert name in vars(h11_impl.H11Protocol), f"uvicorn {uvicorn.__version__}'s H11Protocol has no {name}"
    assert "self.conn = h11.Connection" in inspect.getsource(h11_impl.H11Protocol.__init__), (
        f"uvicorn {uvicorn.__version__}'s H11Protocol no longer keeps its h11 connection as .conn"
    )


def test_the_httptools_protocol_internals_the_limits_rely_on_are_still_there():
    pytest.importorskip("httptools")
    from uvicorn.protocols.http import httptools_impl

    from pyworker.serving.httptools_protocol import LimitedHttpToolsProtocol

    config = uvicorn_config(hello, http="httptools")
    config.load()
    assert issubclass(config.http_protocol_class, LimitedHttpToolsProtocol)
    names = ("data_received", "on_headers_complete", "on_response_complete", "send_400_response", "eof_received")
    for name in (*names, "connection_lost", "connection_made"):
        assert name in vars(httptools_impl.HttpToolsProtocol), (
            f"uvicorn {uvicorn.__version__}'s HttpToolsProtocol has no {name}"
        )
    cycle = inspect.getsource(httptools_impl.RequestResponseCycle)
    for needed in ("self.more_body = True", "not self.keep_alive", "self.response_complete = True"):
        assert needed in cycle, f"uvicorn {uvicorn.__version__}'s httptools RequestResponseCycle has no {needed!r}"
    assert "self.parser = httptools.HttpRequestParser(self)" in inspect.getsource(
        httptools_impl.HttpToolsProtocol.__init__
    ), f"uvicorn {uvicorn.__version__}'s HttpToolsProtocol no longer keeps its parser as .parser"


def test_the_internals_the_framing_rules_rely_on_are_still_there():
    import h11
    from h11._readers import ChunkedReader
    from uvicorn.protocols.http import h11_impl

    for name in ("handle_events", "eof_received"):
        assert name in vars(h11_impl.H11Protocol), f"uvicorn {uvicorn.__version__}'s H11Protocol has no {name}"
    cycle = inspect.getsource(h11_impl.RequestResponseCycle)
    assert "self.default_headers + " in cycle and "not self.keep_alive" in cycle, (
        f"uvicorn {uvicorn.__version__}'s RequestResponseCycle no longer reads default_headers and keep_alive"
    )
    reader = ChunkedReader()
    assert reader._bytes_in_chunk == 0 and not reader._bytes_to_discard, "h11's ChunkedReader changed"
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\n")
    assert isinstance(conn.next_event(), h11.Request)
    assert conn.next_event() is h11.NEED_DATA
    assert isinstance(conn._reader, ChunkedReader) and bytes(conn._receive_buffer) == b"0\n", "h11's reader changed"
