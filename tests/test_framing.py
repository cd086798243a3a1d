"""HTTP/1.1 framing as RFC 9112 has it: Content-Length with Transfer-Encoding, half-closed clients, bare LF."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from tests.conftest import DEADLINE, PARSERS, LiveServer, Output, start_live, write_worker_to

WORKER = """
import os
from workers import Response, WorkerEntrypoint

calls = []

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        calls.append(request.url)
        body = await request.text()
        if request.url.endswith("/slow"):
            import asyncio
            await asyncio.wait_for(asyncio.Event().wait(), timeout=0.3)  # the client half-closed meanwhile
        return Response(f"{request.method} {len(body)} {body}")
"""
# The slow handler must outlive the half-close: it waits on an event nobody sets, bounded.
WORKER = WORKER.replace(
    "await asyncio.wait_for(asyncio.Event().wait(), timeout=0.3)  # the client half-closed meanwhile",
    "try:\n                await asyncio.wait_for(asyncio.Event().wait(), timeout=0.3)\n"
    "            except TimeoutError:\n                pass",
)


@pytest.fixture(scope="module", params=PARSERS)
def framing_server(tmp_path_factory, request) -> Iterator[LiveServer]:
    directory = write_worker_to(tmp_path_factory.mktemp("framing") / "w", {"src/entry.py": WORKER})
    server = start_live((directory,), Output(), http=request.param)
    yield server
    server.stop()


@pytest.fixture
def server(framing_server: LiveServer) -> LiveServer:
    framing_server.server.worker("w").code.module.calls.clear()
    return framing_server


def calls(server: LiveServer) -> list[str]:
    return server.server.worker("w").code.module.calls


def exchange(port: int, data: bytes, half_close: bool = False) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


def test_content_length_with_chunked_is_answered_and_the_connection_closed(server):
    smuggled = b"GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n"
    request = (
        b"POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\n\r\n" + smuggled
    )
    reply = exchange(server.port, request)
    assert reply.count(b"HTTP/1.1 ") == 1, reply
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nconnection: close\r\n" in reply.lower()
    assert reply.endswith(b"POST 3 abc")
    assert calls(server) == ["http://localhost/a"]


def test_a_client_that_half_closes_after_its_request_gets_the_response(server):
    reply = exchange(server.port, b"POST /slow HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\nhi", True)
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n"), reply
    assert reply.endswith(b"POST 2 hi")


def test_a_bare_lf_in_a_chunked_body_is_a_400_at_once(server):
    done = threading.Event()
    replies: list[bytes] = []

    def send() -> None:
        request = b"POST /c HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\n\n"
        replies.append(exchange(server.port, request))
        done.set()

    threading.Thread(target=send, daemon=True).start()
    assert done.wait(5.0), "no answer before the body timeout"  # 408 would take the 10 s body timeout
    assert replies[0].startswith(b"HTTP/1.1 400 Bad Request\r\n"), replies[0]
