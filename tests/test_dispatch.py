"""The port dispatcher always answers, even on a port its worker just left."""

from __future__ import annotations

import httpx
import pytest

from pyworker.serving.dispatch import PortDispatch
from pyworker.types import Receive, Scope, Send

pytestmark = pytest.mark.anyio


class OnPort:
    """Calls the dispatcher as uvicorn would for a connection to ``port``."""

    def __init__(self, dispatch: PortDispatch, port: int) -> None:
        self.dispatch, self.port = dispatch, port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.dispatch({**scope, "server": ("127.0.0.1", self.port)}, receive, send)


async def get(dispatch: PortDispatch, port: int, method: str = "GET") -> httpx.Response:
    transport = httpx.ASGITransport(app=OnPort(dispatch, port))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        return await client.request(method, "/")


async def test_a_moved_worker_s_old_port_answers_503_naming_the_new_address():
    dispatch = PortDispatch()
    dispatch.remove(8787, "http://127.0.0.1:9000")
    reply = await get(dispatch, 8787)
    assert (reply.status_code, reply.text) == (
        503,
        "This worker moved to http://127.0.0.1:9000 (its [dev] port changed). Send requests there.",
    )


async def test_a_worker_made_internal_says_so():
    dispatch = PortDispatch()
    dispatch.remove(8787, "")
    reply = await get(dispatch, 8787)
    assert reply.status_code == 503
    assert reply.text == "This worker no longer has a URL (its config made it internal); reach it through a binding."


async def test_an_unknown_port_answers_too_and_head_gets_no_body():
    reply = await get(PortDispatch(), 1234)
    assert (reply.status_code, reply.text) == (503, "No worker listens on port 1234.")
    head = await get(PortDispatch(), 1234, "HEAD")
    assert (head.status_code, head.content) == (503, b"")
