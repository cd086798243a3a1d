"""A client that goes away cancels its work; a request that takes too long ends with a 504."""

from __future__ import annotations

import asyncio
import socket

import pytest

from pyworker.types import Message
from tests.conftest import DEADLINE

pytestmark = pytest.mark.anyio

STREAMING = """
import asyncio
from workers import Response, WorkerEntrypoint

events = []

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        async def stream():
            try:
                for i in range(5000):
                    events.append(i)
                    yield b"x"
                    if len(events) >= 3:
                        await asyncio.Event().wait()  # after three chunks only the client's leaving ends it
            finally:
                events.append("closed")
        return Response(stream())
"""


class Client:
    """An ASGI client that sends one GET and disconnects once told to (as uvicorn reports it)."""

    def __init__(self, disconnect_after_chunks: int | None = None) -> None:
        self.gone = asyncio.Event()
        self.sent: list[Message] = []
        self.after = disconnect_after_chunks
        self._requested = False

    async def receive(self) -> Message:
        if not self._requested:
            self._requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if self.gone.is_set():
            return  # what uvicorn does: a send after a disconnect silently does nothing
        self.sent.append(message)
        chunks = sum(1 for m in self.sent if m["type"] == "http.response.body")
        if self.after is not None and chunks >= self.after:
            self.gone.set()


def scope(path: str = "/") -> dict[str, object]:
    return {
        "type": "http", "http_version": "1.1", "method": "GET", "scheme": "http", "path": path,
        "raw_path": path.encode(), "query_string": b"", "headers": [(b"host", b"w")], "server": ("w", 80),
    }  # fmt: skip


async def test_a_disconnect_mid_stream_closes_the_generator(write_worker, make_server, output):
    server = make_server(write_worker("w", {"src/entry.py": STREAMING}))
    client = Client(disconnect_after_chunks=3)
    async with asyncio.timeout(DEADLINE):
        await server.app("w")(scope("/stream"), client.receive, client.send)
    events = server.worker("w").code.module.events
    assert events[-1] == "closed"
    assert events == [0, 1, 2, "closed"]  # it stopped when the client left, not at 5000
    assert output.lines()[-1].startswith("[w] GET /stream 200 OK (")
    assert output.lines()[-1].endswith("), then the client disconnected: the response stream was closed")


HUNG_CALLEE = """
import asyncio
from workers import Response, WorkerEntrypoint

started = asyncio.Event()
events = []

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            events.append("callee cancelled")
        return Response("never")

    async def hang(self):
        return await self.fetch(None)
"""

CALLER = """
from workers import Response, WorkerEntrypoint

events = []

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        try:
            if request.url.endswith("/rpc"):
                return Response(await self.env.B.hang())
            return await self.env.B.fetch(request)
        finally:
            events.append("caller cancelled")
"""


@pytest.mark.parametrize("path", ["/fetch", "/rpc"])
async def test_a_disconnect_cancels_a_hung_callee_reached_through_a_binding(write_worker, make_server, output, path):
    callee = write_worker("b", {"src/entry.py": HUNG_CALLEE}, config='name = "b"\nmain = "src/entry.py"\n')
    caller = write_worker(
        "a",
        {"src/entry.py": CALLER},
        config='name = "a"\nmain = "src/entry.py"\nservices = [{binding = "B", service = "b"}]\n',
    )
    server = make_server(caller, callee)
    client = Client()
    async with asyncio.timeout(DEADLINE):
        serving = asyncio.ensure_future(server.app("a")(scope(path), client.receive, client.send))
        await server.worker("b").code.module.started.wait()
        client.gone.set()
        await serving
    assert server.worker("b").code.module.events == ["callee cancelled"]
    assert server.worker("a").code.module.events == ["caller cancelled"]
    assert client.sent == []
    assert output.lines()[-1].startswith(f"[a] GET {path} canceled: the client disconnected (")


async def test_a_request_past_its_time_limit_is_a_504_naming_the_worker_and_its_work_is_cancelled(
    write_worker, make_server, output
):
    server = make_server(write_worker("slow", {"src/entry.py": HUNG_CALLEE}))
    server.options.request_timeout = 0.2
    client = Client()
    async with asyncio.timeout(DEADLINE):
        await server.app("slow")(scope("/"), client.receive, client.send)
    assert client.sent[0]["status"] == 504
    assert client.sent[1]["body"] == (
        b'Worker "slow" did not answer within 0.2 s (the --request-timeout), so its work was cancelled.'
    )
    assert server.worker("slow").code.module.events == ["callee cancelled"]
    assert "[slow] GET /: no response within 0.2 s (--request-timeout); the invocation was cancelled." in output.lines()
    assert output.lines()[-1].startswith("[slow] GET / 504 Gateway Timeout (")


def test_a_client_that_leaves_a_real_socket_stops_the_stream(write_worker, live, output):
    server = live(write_worker("w", {"src/entry.py": STREAMING.replace("range(5000)", "iter(int, 1)")}))
    with socket.create_connection(("127.0.0.1", server.port), timeout=DEADLINE) as sock:
        sock.sendall(b"GET /forever HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 200 OK")
    output.wait_for(
        r"^\[w\] GET /forever 200 OK \(\d+ms\), then the client disconnected: the response stream was closed$"
    )
    assert server.server.worker("w").code.module.events[-1] == "closed"
