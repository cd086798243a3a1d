"""Limits on what clients send: header count and size whatever the TCP split, body size, slow clients."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator

import pytest

from pyworker.options import ClientLimits
from tests.conftest import DEADLINE, PARSERS, LiveServer, Output, start_live, write_worker_to

ECHO = """
from workers import Response, WorkerEntrypoint

calls = []

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        calls.append(request.method)
        body = await request.bytes()
        return Response(f"{len(body)} bytes")
"""

SMALL = ClientLimits(
    max_body_bytes=1000, header_timeout=0.3, body_timeout=0.3, keep_alive_timeout=0.2, max_header_bytes=4096
)


@pytest.fixture(scope="module", params=PARSERS)
def echo_server(tmp_path_factory, request) -> Iterator[LiveServer]:
    """One server per parser for the module's tests (starting one per test costs more than the tests)."""
    directory = write_worker_to(tmp_path_factory.mktemp("echo") / "w", {"src/entry.py": ECHO})
    server = start_live((directory,), Output(), limits=SMALL, http=request.param)
    yield server
    server.stop()


@pytest.fixture
def echo(echo_server: LiveServer, output: Output) -> LiveServer:
    echo_server.server.printer.stream = output  # this test's output
    calls(echo_server).clear()
    return echo_server


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)


def read_all(sock: socket.socket) -> bytes:
    """What the server sends until it closes the connection."""
    reply = b""
    while chunk := sock.recv(65536):
        reply += chunk
    return reply


def send_in_pieces(sock: socket.socket, data: bytes, size: int) -> None:
    for start in range(0, len(data), size):
        sock.sendall(data[start : start + size])


def head(headers: list[bytes], path: bytes = b"/") -> bytes:
    return b"GET " + path + b" HTTP/1.1\r\nHost: localhost\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n"


def calls(server) -> list[str]:
    return server.server.worker("w").code.module.calls


def test_100_headers_pass_and_101_are_refused(echo):
    ok = [b"x-h%d: v" % i for i in range(99)]  # with Host: 100
    with connect(echo.port) as sock:
        sock.sendall(head(ok) + head([*ok, b"x-one-more: v"]))
        reply = read_all(sock)
    assert reply.startswith(b"HTTP/1.1 200 OK")
    assert b"HTTP/1.1 431 Request Header Fields Too Large" in reply
    assert b"more than 100 header" in reply
    assert calls(echo) == ["GET"]


@pytest.mark.parametrize("piece", [1 << 20, 1000, 7])
def test_the_header_size_limit_holds_however_tcp_splits_the_head(echo, piece):
    big = head([b"x-big: " + b"a" * 5000])
    with connect(echo.port) as sock:
        send_in_pieces(sock, big, piece)
        reply = read_all(sock)
    assert reply.startswith(b"HTTP/1.1 431 Request Header Fields Too Large")
    assert calls(echo) == []


def test_a_huge_head_far_past_the_limit_is_refused_in_pieces_too(echo):
    with connect(echo.port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nx-big: ")
        with contextlib.suppress(OSError):  # the server may close while we still send
            send_in_pieces(sock, b"a" * 300_000, 8192)
        reply = read_all(sock)
    assert reply.startswith(b"HTTP/1.1 431 Request Header Fields Too Large")


def test_a_long_target_is_a_414(echo):
    with connect(echo.port) as sock:
        sock.sendall(head([], path=b"/" + b"a" * 20_000))
        assert read_all(sock).startswith(b"HTTP/1.1 414 ")


def test_a_body_over_the_limit_by_content_length_is_a_413_before_the_worker_runs(echo):
    with connect(echo.port) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000\r\n\r\n" + b"a" * 5000)
        reply = read_all(sock)
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert b"more than 1000 bytes" in reply
    assert calls(echo) == []


def test_a_chunked_body_over_the_limit_is_a_413(echo, output):
    chunk = b"%x\r\n%s\r\n" % (400, b"a" * 400)
    with connect(echo.port) as sock:
        sock.sendall(
            b"POST /up HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk * 4 + b"0\r\n\r\n"
        )
        reply = read_all(sock)
    assert reply.startswith(b"HTTP/1.1 413 ")
    output.wait_for(r"^\[w\] POST /up 413 ")


def test_a_body_within_the_limit_is_served(echo):
    with connect(echo.port) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n" + b"a" * 1000
        )
        assert read_all(sock).endswith(b"1000 bytes")


def test_slowloris_a_head_sent_byte_by_byte_is_cut_off(echo):
    started = time.monotonic()
    reply = None
    with connect(echo.port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        sock.settimeout(0.05)  # paces the trickle: one header byte per 50 ms, until the server reacts
        while reply is None and time.monotonic() - started < DEADLINE:
            try:
                sock.sendall(b"x")
                reply = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                reply = b""
    assert reply is not None
    assert reply == b"" or reply.startswith(b"HTTP/1.1 408 Request Timeout")
    assert time.monotonic() - started < 3


def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(echo):
    started = time.monotonic()
    with connect(echo.port) as sock:
        assert read_all(sock) == b""
    assert time.monotonic() - started < 3


def test_a_partial_head_gets_a_408(echo):
    with connect(echo.port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: local")
        assert read_all(sock).startswith(b"HTTP/1.1 408 Request Timeout")


def test_an_idle_keep_alive_connection_is_closed(echo):
    started = time.monotonic()
    with connect(echo.port) as sock:
        sock.sendall(head([]))
        reply = read_all(sock)
    assert reply.startswith(b"HTTP/1.1 200 OK")
    assert reply.endswith(b"0 bytes")
    assert time.monotonic() - started < 3


def test_a_body_that_never_finishes_arriving_times_out_with_408(echo, output):
    with connect(echo.port) as sock:
        sock.sendall(b"POST /slow HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nonly part")
        assert read_all(sock).startswith(b"HTTP/1.1 408 Request Timeout")
    output.wait_for(r"^\[w\] POST /slow 408 Request Timeout \(\d+ms\)$")
