"""Depth and subrequest limits of a request whose chain crosses processes: the same errors as in-process."""

from __future__ import annotations

import os

import httpx
import pytest

from tests.interop_pairs import joined
from tests.test_binding_limits import PING_PONG, config

pytestmark = pytest.mark.anyio


@pytest.fixture
async def ping(write_worker, make_server):
    """Worker ping in one dev server, pong in another; each one's OTHER reaches the other over loopback."""

    async def make(extra: str = ""):
        ping = make_server(write_worker("ping", {"src/entry.py": PING_PONG}, config=config("ping", "pong", extra)))
        pong = make_server(write_worker("pong", {"src/entry.py": PING_PONG}, config=config("pong", "ping")))
        await pairs.join(ping, pong, "pong")
        await pairs.join(pong, ping, "ping")
        return ping

    async with joined() as pairs:
        yield make


def client_for(server) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app("ping")), base_url="http://localhost")


async def test_a_chain_across_processes_may_recurse_31_calls_deep(ping):
    async with client_for(await ping()) as client:
        reply = await client.get("/?depth=31")
    assert (reply.status_code, reply.text) == (200, "31")


async def test_the_call_at_depth_33_fails_with_the_in_process_message_and_chain(ping):
    async with client_for(await ping()) as client:
        reply = await client.get("/?depth=32")
        through_fetch = await client.get("/?depth=32&via=fetch")
    chain = " -> ".join(["ping", "pong"] * 16 + ["ping"])
    assert (reply.status_code, reply.text) == (
        500,
        "JsException: Error: Subrequest depth limit exceeded: this call to ping would run at depth 33, and one "
        "request may recurse through at most 32 Worker invocations, as on Cloudflare. "
        f"Chain so far: {chain}. Look for a loop between workers.",
    )
    assert through_fetch.status_code == 500 and "would run at depth 33" in through_fetch.text


async def test_subrequests_made_in_the_other_process_count_against_the_request(ping, write_worker):
    server = await ping("[limits]\nsubrequests = 5\n")
    async with client_for(server) as client:
        assert (await client.get("/?loop=5")).text == "5"
        reply = await client.get("/?loop=6")
    assert reply.status_code == 500
    assert reply.text == (
        "JsException: Error: Too many subrequests: this request has already made 5, the limit, and this call to "
        "pong would be number 6. Binding calls and fetch() count one each. Raise the limit with "
        f"[limits] subrequests = N in wrangler.toml in {os.path.relpath(server.worker('ping').config.directory)} "
        "(worker ping), or make fewer calls per request."
    )
