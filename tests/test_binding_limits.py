"""Per-request limits as deployed: depth (32 Worker invocations deep) and subrequests (10,000 by default)."""

from __future__ import annotations

import asyncio
import os

import httpx
import pytest

from pyworker.runtime import limits
from pyworker.runtime.jsvalues import JsException

pytestmark = pytest.mark.anyio

# Worker "ping" calls "pong" and "pong" calls "ping" back (A -> B -> A), down to depth 0.
PING_PONG = """
from urllib.parse import parse_qs, urlparse

from workers import Response, WorkerEntrypoint, fetch


class Yield:
    # Hands control back to the event loop once, so concurrent requests interleave.
    def __await__(self):
        yield


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        query = parse_qs(urlparse(request.url).query)
        if "loop" in query:
            return Response(str(await self.loop(int(query["loop"][0]))))
        if "outbound" in query:
            await self.env.OTHER.down(0)
            await fetch("http://127.0.0.1:9/never-reached")
        depth = int(query["depth"][0])
        if query.get("via") == ["fetch"]:
            return await self.env.OTHER.fetch(f"https://x/?depth={depth - 1}&via=fetch") if depth else Response("0")
        return Response(str(await self.down(depth)))

    async def down(self, depth):
        await Yield()
        if depth == 0:
            return 0
        return 1 + await self.env.OTHER.down(depth - 1)

    async def fan_out(self, calls):
        return await asyncio_gather(*[self.env.OTHER.down(0) for _ in range(calls)])

    async def loop(self, calls):
        total = 0
        for _ in range(calls):
            total += await self.env.OTHER.one()
        return total

    def one(self):
        return 1


async def asyncio_gather(*calls):
    import asyncio

    return await asyncio.gather(*calls)
"""


def config(name: str, other: str, extra: str = "") -> str:
    return f'name = "{name}"\nmain = "src/entry.py"\nservices = [{{ binding = "OTHER", service = "{other}" }}]\n{extra}'


@pytest.fixture
def server(write_worker, make_server):
    ping = write_worker("ping", {"src/entry.py": PING_PONG}, config=config("ping", "pong"))
    pong = write_worker("pong", {"src/entry.py": PING_PONG}, config=config("pong", "ping"))
    return make_server(ping, pong)


def client_for(server, name: str = "ping") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app(name)), base_url="http://localhost")


async def test_a_request_may_recurse_31_calls_deep(server):
    async with client_for(server) as client:
        reply = await client.get("/?depth=31")
    assert (reply.status_code, reply.text) == (200, "31")


async def test_the_call_that_would_run_at_depth_33_raises_with_the_chain(server, output):
    async with client_for(server) as client:
        reply = await client.get("/?depth=32")
    assert reply.status_code == 500
    chain = " -> ".join(["ping", "pong"] * 16 + ["ping"])
    assert reply.text == (
        "JsException: Error: Subrequest depth limit exceeded: this call to ping would run at depth 33, and one "
        "request may recurse through at most 32 Worker invocations, as on Cloudflare. "
        f"Chain so far: {chain}. Look for a loop between workers."
    )
    # Printed where it was raised and by the request's own worker; not at every worker in between.
    tracebacks = [line for line in output.lines() if line.endswith("Traceback (most recent call last):")]
    assert tracebacks == ["[pong] Traceback (most recent call last):", "[ping] Traceback (most recent call last):"]


async def test_fetch_through_bindings_counts_depth_too(server):
    async with client_for(server) as client:
        assert (await client.get("/?depth=31&via=fetch")).text == "0"
        reply = await client.get("/?depth=32&via=fetch")
    assert reply.status_code == 500
    assert "would run at depth 33" in reply.text


async def test_sequential_and_parallel_calls_add_no_depth(server):
    async with client_for(server) as client:
        assert (await client.get("/?loop=40")).text == "40"  # 40 sequential calls: fine at depth 2
    assert await server.worker("pong").env.OTHER.fan_out(40) == [0] * 40


async def test_a_loop_of_5000_calls_in_one_request_works(server):
    async with client_for(server) as client:
        reply = await client.get("/?loop=5000")
    assert (reply.status_code, reply.text) == (200, "5000")


async def test_subrequests_are_counted_against_the_receiving_worker_s_limit(write_worker, make_server):
    ping = write_worker(
        "ping", {"src/entry.py": PING_PONG}, config=config("ping", "pong", "[limits]\nsubrequests = 5\n")
    )
    pong = write_worker("pong", {"src/entry.py": PING_PONG}, config=config("pong", "ping"))
    server = make_server(ping, pong)
    async with client_for(server) as client:
        assert (await client.get("/?loop=5")).text == "5"
        reply = await client.get("/?loop=6")
    assert reply.status_code == 500
    assert reply.text == (
        "JsException: Error: Too many subrequests: this request has already made 5, the limit, and this call to "
        "pong would be number 6. Binding calls and fetch() count one each. Raise the limit with "
        f"[limits] subrequests = N in wrangler.toml in {os.path.relpath(ping)} (worker ping), "
        "or make fewer calls per request."
    )


async def test_an_outbound_fetch_is_a_subrequest_too(write_worker, make_server):
    ping = write_worker(
        "ping", {"src/entry.py": PING_PONG}, config=config("ping", "pong", "[limits]\nsubrequests = 1\n")
    )
    pong = write_worker("pong", {"src/entry.py": PING_PONG}, config=config("pong", "ping"))
    server = make_server(ping, pong)
    async with client_for(server) as client:
        reply = await client.get("/?outbound=1")
    assert reply.status_code == 500
    assert "and this fetch() to http://127.0.0.1:9/never-reached would be number 2" in reply.text


async def test_limit_errors_reach_python_code_as_js_exception(server):
    env = server.worker("pong").env
    with pytest.raises(JsException) as info:
        await env.OTHER.down(40)
    assert info.value.name == "Error"
    assert "Subrequest depth limit exceeded" in info.value.message
    assert limits.used() == 0 and limits.depth() == 0


async def test_concurrent_requests_never_share_a_budget(server):
    async def one(depth: int) -> tuple[int, int, str]:
        async with client_for(server) as client:
            reply = await client.get(f"/?depth={depth}")
        return depth, reply.status_code, reply.text

    results = await asyncio.gather(*[one(depth) for depth in [0, 31, 32, 5] * 50])
    for depth, status, text in results:
        if depth <= 31:
            assert (status, text) == (200, str(depth))
        else:
            assert status == 500 and "depth limit" in text
