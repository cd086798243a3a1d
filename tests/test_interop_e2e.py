"""End to end: two real ``pyworker dev`` processes on the suite's dev registry, calling each other both ways.

Worker ``alpha`` runs in one process, ``beta`` in another; each has a service binding to the other.
What arrives is compared with what the same code gets when both workers share one process.
"""

from __future__ import annotations

import os
import signal
import threading

import httpx
import pytest

from tests.test_e2e import dev  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e

CODE = """
import asyncio
import datetime
import os

from workers import Blob, File, FormData, Request, Response, WorkerEntrypoint


def sample():
    return [
        None, True, 7, 2**70, 3.0, 2.5, float("inf"), "é", b"\\x00\\xff", [1, [2, "x"]],
        {"a": 1, 2: "two", None: [], True: {"deep": b"b"}}, {1, "x"}, frozenset({3}),
        datetime.datetime(2025, 1, 2, 3, 4, 5, 678901),
        datetime.datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.timezone.utc),
        ValueError("bad"), Blob([b"xy"], "text/plain"), File([b"data"], "f.txt", "text/plain", last_modified=7),
        FormData([("a", "1"), ("f", File([b"ff"], "g.bin", "application/octet-stream", last_modified=9))]),
        Request("https://example.com/p?q=1", method="PUT", headers={"x-a": "b"}, body="request body"),
        Response("response body", 201, headers={"x-r": "s"}),
    ]


async def describe(value):
    kind = type(value).__name__
    if isinstance(value, list):
        return [kind, [await describe(item) for item in value]]
    if isinstance(value, set):
        return [kind, sorted(repr(item) for item in value)]
    if isinstance(value, dict):
        return [kind, {key: await describe(item) for key, item in value.items()}]
    if isinstance(value, memoryview):
        return [kind, value.readonly, value.tobytes().hex()]
    if isinstance(value, datetime.datetime):
        return [kind, value.isoformat()]
    if isinstance(value, File):
        return [kind, value.name, value.content_type, value.last_modified, (await value.bytes()).hex()]
    if isinstance(value, Blob):
        return [kind, value.content_type, (await value.bytes()).hex()]
    if isinstance(value, FormData):
        return [kind, [[name, await describe(item)] for name, item in value.items()]]
    if isinstance(value, Request):
        return [kind, str(value.method), value.url, dict(value.headers.items()), await value.text()]
    if isinstance(value, Response):
        return [kind, value.status, value.headers["x-r"], await value.text()]
    return [kind, repr(value)]


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        other = self.env.OTHER
        path = request.url.split("/", 3)[3].split("?")[0]
        if path == "values":
            return Response.json(await describe(await other.echo(sample())))
        if path == "callback":
            def whose(x):
                return [os.getpid(), x * 2]
            return Response.json([os.getpid(), await other.call_back(whose, 21)])
        if path == "stream":
            async def body():
                for size in (3, 5, 7):
                    yield b"x" * size
            counted = await other.fetch("https://other/count", method="POST", body=body())
            streamed = await other.fetch("https://other/numbers")
            chunks = [chunk.decode() async for chunk in streamed.body.chunks()]
            return Response.json([await counted.text(), chunks])
        if path == "count":
            return Response(str([len(chunk) async for chunk in request.body.chunks()]))
        if path == "numbers":
            async def numbers():
                for n in range(3):
                    yield f"chunk {n}".encode()
            return Response(numbers())
        if path == "depth":
            return Response(str(await self.down(int(request.url.split("=")[1]))))
        if path == "hang":
            try:
                return Response(await other.hang())
            except Exception as exc:
                return Response(f"{type(exc).__name__}: {exc}", 503)
        return Response("ok")

    async def echo(self, value):
        return value

    async def call_back(self, callback, value):
        return [os.getpid(), await callback(value)]

    async def down(self, depth):
        if depth == 0:
            return 0
        return 1 + await self.env.OTHER.down(depth - 1)

    async def hang(self):
        print("hanging")
        await asyncio.Event().wait()
"""


def config(name: str, other: str) -> str:
    return f'name = "{name}"\nmain = "src/entry.py"\nservices = [{{ binding = "OTHER", service = "{other}" }}]\n'


@pytest.fixture
def pair(dev, write_worker):  # noqa: F811
    """``(alpha's URL, beta's URL, alpha's process, beta's process)``, each bound to the other."""
    alpha = write_worker("alpha", {"src/entry.py": CODE}, config=config("alpha", "beta"))
    beta = write_worker("beta", {"src/entry.py": CODE}, config=config("beta", "alpha"))
    second = dev(str(beta), "--port", "0", "--no-reload")
    beta_url = second.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)
    first = dev(str(alpha), "--port", "0", "--no-reload")
    alpha_url = first.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)
    first.wait_for(rf"OTHER -> beta \(connected, pid {second.proc.pid}\)")
    second.wait_for(rf"^\[beta\] OTHER -> alpha connected \(pid {first.proc.pid}\)$")
    return alpha_url, beta_url, first, second


@pytest.fixture
def together(dev, write_worker, monkeypatch):  # noqa: F811
    """Both workers in one process (registry off), for what the in-process path gives."""
    alpha = write_worker("one/alpha", {"src/entry.py": CODE}, config=config("alpha", "beta"))
    beta = write_worker("one/beta", {"src/entry.py": CODE}, config=config("beta", "alpha"))
    monkeypatch.setenv("WRANGLER_REGISTRY_PATH", "")
    process = dev(str(alpha), str(beta), "--port", "0", "--no-reload")
    return process.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)


def test_every_value_kind_arrives_as_in_process_both_ways(pair, together):
    alpha, beta, _first, _second = pair
    in_process = httpx.get(f"{together}/values", timeout=20).json()
    assert httpx.get(f"{alpha}/values", timeout=20).json() == in_process
    assert httpx.get(f"{beta}/values", timeout=20).json() == in_process
    assert in_process[1][9] == ["list", [["int", "1"], ["list", [["int", "2"], ["str", "'x'"]]]]]


def test_a_callback_runs_in_its_owners_process(pair):
    alpha, beta, first, second = pair
    assert httpx.get(f"{alpha}/callback", timeout=20).json() == [
        first.proc.pid,
        [second.proc.pid, [first.proc.pid, 42]],
    ]
    assert httpx.get(f"{beta}/callback", timeout=20).json() == [
        second.proc.pid,
        [first.proc.pid, [second.proc.pid, 42]],
    ]


def test_fetch_streams_the_request_and_the_response_body_across(pair):
    alpha, beta, _first, _second = pair
    expected = ["[3, 5, 7]", ["chunk 0", "chunk 1", "chunk 2"]]
    assert httpx.get(f"{alpha}/stream", timeout=20).json() == expected
    assert httpx.get(f"{beta}/stream", timeout=20).json() == expected


def test_a_depth_chain_across_processes_stops_with_the_in_process_message(pair, together):
    alpha, _beta, _first, _second = pair
    assert httpx.get(f"{alpha}/depth?n=31", timeout=20).text == "31"
    crossing = httpx.get(f"{alpha}/depth?n=32", timeout=20)
    in_process = httpx.get(f"{together}/depth?n=32", timeout=20)
    assert (crossing.status_code, crossing.text) == (500, in_process.text)
    assert "this call to alpha would run at depth 33" in crossing.text


def test_killing_the_callee_mid_call_fails_the_call_at_once(pair):
    alpha, _beta, _first, second = pair
    answer: list[httpx.Response] = []
    request = threading.Thread(target=lambda: answer.append(httpx.get(f"{alpha}/hang", timeout=20)))
    request.start()
    second.wait_for(r"^\[beta\] hanging$")
    os.kill(second.proc.pid, signal.SIGKILL)
    request.join(20)
    assert answer and (answer[0].status_code, answer[0].text) == (
        503,
        f'BindingError: Worker "beta" (pid {second.proc.pid}) stopped while this call was in flight: its process '
        "closed the connection, so the call has no result.",
    )
    assert httpx.get(f"{alpha}/", timeout=20).text == "ok"  # alpha itself serves on
