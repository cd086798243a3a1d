"""The URL a worker sees is built safely from the request line and Host (RFC 9112 section 3)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.conftest import DEADLINE, PARSERS, LiveServer, Output, start_live, write_worker_to

ECHO = """
from workers import Response, WorkerEntrypoint

calls = []

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        calls.append(request.url)
        return Response(request.url)
"""


def exchange(port: int, head: bytes) -> bytes:
    """Send ``head`` on a new connection; everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as sock:
        sock.sendall(head)
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


@pytest.fixture(scope="module", params=PARSERS)
def echo_server(tmp_path_factory, request) -> Iterator[LiveServer]:
    """One server for the module's tests (starting one per test costs more than the tests)."""
    directory = write_worker_to(tmp_path_factory.mktemp("echo") / "w", {"src/entry.py": ECHO})
    server = start_live((directory,), Output(), http=request.param)
    yield server
    server.stop()


@pytest.fixture
def echo(echo_server: LiveServer, output: Output) -> LiveServer:
    echo_server.server.printer.stream = output  # this test's output
    calls(echo_server).clear()
    return echo_server


def calls(server) -> list[str]:
    return server.server.worker("w").code.module.calls


@pytest.mark.parametrize(
    ("host", "url"),
    [
        (b"localhost:8787", "http://localhost:8787/p?q=1"),
        (b"example.com", "http://example.com/p?q=1"),
        (b"[::1]:80", "http://[::1]/p?q=1"),  # WHATWG drops the default port, as wrangler dev does
        (b"EXAMPLE.com:80", "http://example.com/p?q=1"),
        (b"127.0.0.1", "http://127.0.0.1/p?q=1"),
    ],
)
def test_a_good_host_makes_the_url(echo, host, url):
    reply = exchange(echo.port, b"GET /p?q=1 HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 OK")
    assert reply.endswith(url.encode())


@pytest.mark.parametrize(
    "host",
    [b"x/admin?", b"[::1", b"a@b", b"host:port", b"a b", b"[::1]x", b"h:99999", b"", b"\xffx", b"x#y", b"[zz::1]"],
)
def test_a_bad_host_is_a_400_and_the_worker_is_not_called(echo, output, host):
    reply = exchange(echo.port, b"GET /public HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Host header" in reply
    assert calls(echo) == []


def test_an_absolute_form_target_is_the_url(echo):
    reply = exchange(echo.port, b"GET http://evil.example/x?y=1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 OK")
    assert calls(echo) == ["http://evil.example/x?y=1"]


def test_an_absolute_form_target_with_a_bad_authority_is_a_400(echo):
    reply = exchange(echo.port, b"GET http://a/b@c/../x HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 OK")  # "a" is the authority; the rest is the path
    reply = exchange(echo.port, b"GET http://[::1/x HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400 Bad Request")
    assert calls(echo) == ["http://a/x"]  # the path's dot segments resolved, as WHATWG does


@pytest.mark.parametrize("target", [b"foo", b"*", b"ftp://x/y", b"a:443"])
def test_a_target_of_the_wrong_form_is_a_400(echo, target):
    reply = exchange(echo.port, b"GET " + target + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400 Bad Request")
    assert calls(echo) == []


def test_options_star_is_answered_by_the_server(echo):
    reply = exchange(echo.port, b"OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nallow: GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS\r\n" in reply
    assert calls(echo) == []


def test_connect_is_not_implemented(echo):
    reply = exchange(echo.port, b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 501 Not Implemented\r\n")
    assert calls(echo) == []


def test_the_http2_preface_is_answered_505(echo):
    reply = exchange(echo.port, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 505 HTTP Version Not Supported\r\n")
    reply = exchange(echo.port, b"PRI / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 501 Not Implemented\r\n")
    assert calls(echo) == []


def test_http_1_0_without_host_uses_the_server_address(echo):
    reply = exchange(echo.port, b"GET /x HTTP/1.0\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 OK")
    assert calls(echo) == [f"http://127.0.0.1:{echo.port}/x"]


@pytest.mark.parametrize(
    ("target", "url"),
    [
        ("/?word=カレー", "http://localhost/?word=%E3%82%AB%E3%83%AC%E3%83%BC"),
        ("/カレー?q=é", "http://localhost/%E3%82%AB%E3%83%AC%E3%83%BC?q=%C3%A9"),
        ("/a%20b?x=%E3%82%AB", "http://localhost/a%20b?x=%E3%82%AB"),  # already encoded: unchanged
    ],
)
def test_raw_utf8_in_the_target_is_accepted_and_percent_encoded_in_the_url(echo, target, url):
    reply = exchange(echo.port, b"GET " + target.encode() + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 OK")
    assert calls(echo) == [url]


def test_raw_utf8_split_across_packets_and_on_a_kept_alive_connection(echo):
    line = "GET /?word=カレー HTTP/1.1\r\nHost: localhost\r\nX-Name: caf\xe9\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", echo.port), timeout=DEADLINE) as sock:
        for start in range(0, len(line), 7):  # cuts the multi-byte characters in two
            sock.sendall(line[start : start + 7])
        reply = sock.recv(65536)
        sock.sendall(b"GET /second?k=\xc3\xa9 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.count(b"HTTP/1.1 200 OK") == 2
    expected = "http://localhost/?word=%E3%82%AB%E3%83%AC%E3%83%BC"
    assert calls(echo) == [expected, "http://localhost/second?k=%C3%A9"]


def test_control_characters_in_the_target_are_still_a_400(echo):
    reply = exchange(echo.port, b"GET /a\x01b HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400 Bad Request")
    assert calls(echo) == []


@pytest.mark.parametrize(
    ("target", "url"),
    [
        ('/a"b<c>?q=\'"x', "http://localhost/a%22b%3Cc%3E?q=%27%22x"),
        ("/a/../x/./y?q=1#f", "http://localhost/x/y?q=1"),
        ("/a%2e%2e/b", "http://localhost/a%2e%2e/b"),
    ],
)
def test_request_url_is_whatwg_parsed_as_wrangler_dev_gives_it(echo, target, url):
    # Each expected URL is what wrangler dev 4 (workerd) answered for the same request line.
    reply = exchange(echo.port, b"GET " + target.encode() + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 OK")
    assert calls(echo) == [url]


@pytest.mark.parametrize(
    ("target", "url"),
    [
        (b"/a/../../b", "http://localhost/b"),
        (b"/a/%2e%2e/b?x=/../y", "http://localhost/b?x=/../y"),
        (b"/a/%2E./.%2e/c", "http://localhost/c"),
        (b"/a/./b/.", "http://localhost/a/b/"),
        (b"/a/b/..", "http://localhost/a/"),
        (b"/.well-known/x..y/..z", "http://localhost/.well-known/x..y/..z"),
    ],
)
def test_dot_segments_are_removed_from_request_url_as_workerd_parses_it(echo, target, url):
    reply = exchange(echo.port, b"GET " + target + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 OK")
    assert calls(echo) == [url]


def test_a_utf8_host_is_named_as_sent_in_the_400(echo):
    reply = exchange(echo.port, "GET / HTTP/1.1\r\nHost: 日本:x\r\n\r\n".encode())
    assert reply.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert reply.endswith('Bad Request: the Host header "日本:x" is not a host name with an optional port.'.encode())
