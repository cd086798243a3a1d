"""Responses uvicorn would refuse keep their story: one line under the worker's prefix, a 500 or a clean close."""

from __future__ import annotations

import re

import httpx
import pytest

BROKEN = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("/", 3)[3]
        if path == "length":
            return Response("abc", headers={"content-length": "10"})
        if path == "two-lengths":
            headers = [("content-length", "3"), ("content-length", "4")]
            return Response("abc", headers=headers)
        if path == "switching":
            return Response(None, 101)
        if path == "control":
            return Response("abc", headers={"x-bad": "a\\x01b"})

        async def stream():
            yield b"first "
            if path == "str-chunk":
                yield "second"
            if path == "raises":
                raise ValueError("broke mid-stream")
            if path == "stream-too-long":
                yield b"much too long"
        if path == "stream-too-short":
            return Response(stream(), headers={"content-length": "100"})
        if path == "stream-too-long":
            return Response(stream(), headers={"content-length": "8"})
        return Response(stream())
"""


@pytest.fixture
def broken(write_worker, live):
    return live(write_worker("w", {"src/entry.py": BROKEN}))


@pytest.mark.parametrize(
    ("path", "cause"),
    [
        ("length", "the response's Content-Length is 10 but its body has 3 bytes"),
        ("two-lengths", 'the response has 2 Content-Length headers ("3", "4"); set it once'),
        ("switching", "status 101 (Switching Protocols) needs a WebSocket, which pyworker does not emulate yet"),
        ("control", 'the response header "x-bad" holds a control character'),
    ],
)
def test_a_response_uvicorn_would_refuse_is_a_500_with_the_cause_logged(broken, output, path, cause):
    reply = httpx.get(f"{broken.url}/{path}")
    assert reply.status_code == 500
    assert reply.text == f"The worker's response could not be sent: {cause}."
    output.wait_for(rf"^\[w\] GET /{path} 500 Internal Server Error \(\d+ms\)$")
    assert f"[w] GET /{path}: {cause}; answered 500 instead." in output.lines()
    assert not any("uvicorn" in line for line in output.lines())


@pytest.mark.parametrize(
    ("path", "cause"),
    [
        ("str-chunk", "the response stream yielded str, not bytes (encode it, e.g. chunk.encode())"),
        ("stream-too-short", "the response stream ended after 6 of the 100 bytes its Content-Length promised"),
        ("stream-too-long", "the response stream went past the 8 bytes its Content-Length promised"),
    ],
)
def test_a_stream_that_goes_wrong_closes_the_connection_with_one_line(broken, output, path, cause):
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{broken.url}/{path}")
    output.wait_for(rf"^\[w\] GET /{path}: {re.escape(cause)}; the connection was closed\.$")
    assert not any("uvicorn" in line for line in output.lines())
    assert httpx.get(f"{broken.url}/length").status_code == 500  # and the server serves on


def test_an_exception_mid_stream_prints_its_traceback_under_the_worker(broken, output):
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{broken.url}/raises")
    output.wait_for(r"^\[w\] ValueError: broke mid-stream$")
    lines = output.lines()
    start = lines.index("[w] GET /raises: the response stream raised; the connection was closed:")
    assert lines[start + 1] == "[w] Traceback (most recent call last):"
    assert any(line.startswith('[w]   File "') and "entry.py" in line for line in lines[start:])
    assert not any("uvicorn" in line for line in lines)


CALLEE = """
from workers import WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        raise KeyError("missing")
"""

CALLER = """
from workers import WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await self.env.B.fetch(request)
"""


@pytest.mark.anyio
async def test_a_callee_raising_inside_env_fetch_prints_its_traceback_under_its_prefix(
    write_worker, make_server, output
):
    callee = write_worker("b", {"src/entry.py": CALLEE})
    caller = write_worker(
        "a",
        {"src/entry.py": CALLER},
        config='name = "a"\nmain = "src/entry.py"\nservices = [{binding = "B", service = "b"}]\n',
    )
    server = make_server(caller, callee)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app("a")), base_url="http://a") as client:
        reply = await client.get("/fetch")
    assert (reply.status_code, reply.text) == (500, "KeyError: 'missing'")
    lines = output.lines()
    assert "[b] Traceback (most recent call last):" in lines
    assert "[b] KeyError: 'missing'" in lines
    assert not any(line.startswith("[a] Traceback") for line in lines)
    assert lines[-1].startswith("[a] GET /fetch 500 Internal Server Error (")
