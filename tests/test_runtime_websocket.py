"""``WebSocketPair`` in memory: what one end sends the other receives, in order; workerd's refusals."""

from __future__ import annotations

import asyncio

import pytest

from pyworker.runtime.jsvalues import JsBuffer, JsException
from pyworker.runtime.websocket import WebSocket, WebSocketPair

pytestmark = pytest.mark.anyio


async def test_messages_reach_the_other_end_in_order_and_close_ends_them() -> None:
    client, server = WebSocketPair().object_values()
    seen: list[object] = []
    closed = asyncio.Event()

    async def on_message(event):
        await asyncio.sleep(0)  # an async listener: the next event waits for it
        seen.append(event.data)

    server.addEventListener("message", on_message)
    server.addEventListener("close", lambda event: (seen.append([event.code, event.reason, event.wasClean]),
                                                    closed.set()))  # fmt: skip
    client.accept()
    for i in range(100):
        client.send(str(i))  # sent before the server end accepted: kept for it
    client.send(b"\x00")
    server.accept()
    client.close(4000, "done")
    await asyncio.wait_for(closed.wait(), 5)
    assert seen == [*map(str, range(100)), b"\x00", [4000, "done", True]]
    assert isinstance(seen[100], JsBuffer)
    assert (client.readyState, server.readyState) == (WebSocket.CLOSED, WebSocket.CLOSED)


def refused(action) -> str:
    with pytest.raises(JsException) as caught:
        action()
    return str(caught.value)


async def test_refusals_are_workerds() -> None:
    _, server = WebSocketPair()
    assert refused(lambda: server.send("x")) == (
        "TypeError: You must call one of accept() or state.acceptWebSocket() on this WebSocket before sending messages."
    )
    server.accept()
    assert refused(server.accept) == "TypeError: Can't accept() WebSocket more than once."
    assert refused(lambda: server.send({"a": 1})) == "TypeError: WebSocket send() takes a string or bytes, got dict."
    assert refused(lambda: server.close(1006)) == "TypeError: Invalid WebSocket close code: 1006."
    server.close()
    assert refused(lambda: server.send("late")) == "TypeError: Can't call WebSocket send() after close()."
    server.close(1006)  # closing again is nothing
