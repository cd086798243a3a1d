"""One request may pass through at most 32 worker invocations, counted per request."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from pyworker.runtime import limits

pytestmark = pytest.mark.anyio

# Worker "ping" calls "pong" and "pong" calls "ping" back (A -> B -> A), down to depth 0.
PING_PONG = """
from urllib.parse import parse_qs, urlparse

from workers import Response, WorkerEntrypoint


class Yield:
    # Hands control back to the event loop once, so concurrent requests interleave.
    def __await__(self):
        yield


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        query = parse_qs(urlparse(request.url).query)
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
        return [await self.env.OTHER.down(0) for _ in range(calls)]
"""


@pytest.fixture
def server(write_worker, make_server):
    ping = write_worker(
        "ping",
        {"src/entry.py": PING_PONG},
        config='name = "ping"\nmain = "src/entry.py"\nservices = [{ binding = "OTHER", service = "pong" }]\n',
    )
    pong = write_worker(
        "pong",
        {"src/entry.py": PING_PONG},
        config='name = "pong"\nmain = "src/entry.py"\nservices = [{ binding = "OTHER", service = "ping" }]\n',
    )
    return make_server(ping, pong)


def client_for(server) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app("ping")), base_url="http://localhost")


async def test_31_binding_calls_after_the_request_are_allowed(server):
    async with client_for(server) as client:
        reply = await client.get("/?depth=31")
    assert (reply.status_code, reply.text) == (200, "31")


async def test_the_33rd_invocation_raises_with_the_limit_and_the_chain(server, output):
    async with client_for(server) as client:
        reply = await client.get("/?depth=32")
    assert reply.status_code == 500
    chain = " -> ".join(["ping", "pong"] * 16 + ["ping"])
    assert reply.text == (
        "RuntimeError: Worker invocation limit reached: one request may pass through at most 32 worker "
        "invocations, as on Cloudflare, and this call to ping would be number 33. "
        f"Chain so far: {chain}. Look for a loop between workers, or make fewer binding calls per request."
    )
    # Printed where it was raised and by the request's own worker; not at every worker in between.
    tracebacks = [line for line in output.lines() if line.endswith("Traceback (most recent call last):")]
    assert tracebacks == ["[pong] Traceback (most recent call last):", "[ping] Traceback (most recent call last):"]


async def test_fetch_through_bindings_counts_too(server):
    async with client_for(server) as client:
        assert (await client.get("/?depth=31&via=fetch")).text == "0"
        reply = await client.get("/?depth=32&via=fetch")
    assert reply.status_code == 500
    assert "would be number 33" in reply.text


async def test_sequential_calls_in_one_request_share_the_budget(server):
    env = server.worker("pong").env
    assert await env.OTHER.fan_out(30) == [0] * 30  # 1 (pong) + 1 (fan_out) + 30
    with pytest.raises(RuntimeError, match=r"would be number 33\. Chain so far: pong -> ping -> pong\."):
        await env.OTHER.fan_out(31)


async def test_a_call_outside_any_request_counts_its_caller_first(server):
    assert limits.used() == 0
    assert await server.worker("ping").env.OTHER.down(30) == 30
    with pytest.raises(RuntimeError, match="at most 32"):
        await server.worker("ping").env.OTHER.down(31)
    assert limits.used() == 0


async def test_200_concurrent_requests_count_independently(server):
    depths = [i % 34 for i in range(200)]  # 0..31 succeed, 32 and 33 exceed the limit
    async with client_for(server) as client:
        replies = await asyncio.gather(*(client.get(f"/?depth={d}") for d in depths))
    for depth, reply in zip(depths, replies, strict=True):
        if depth <= 31:
            assert (reply.status_code, reply.text) == (200, str(depth))
        else:
            assert reply.status_code == 500
            assert "would be number 33" in reply.text
