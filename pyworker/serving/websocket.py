"""A WebSocket handshake on a worker's port: the worker's ``fetch`` decides, the client end of its pair
is connected to the real socket.

uvicorn (with the ``websockets`` library's sans-I/O protocol) does the handshake and framing. The
upgrade request reaches the worker's ``fetch`` as any request does (a ``GET`` with ``Upgrade:
websocket``); a ``101`` response whose ``web_socket`` is the client end of a ``WebSocketPair``
accepts the connection, and from then on what the client sends arrives at the server end (its
listeners, or a Durable Object's ``webSocketMessage``) and what the server end sends goes to the
client, in order both ways. Any other response is sent to the client as the handshake's answer.
A client that leaves closes the server end (``close`` event, or ``webSocketClose``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.runtime.http import Response
from pyworker.runtime.responses import respond
from pyworker.runtime.websocket import WebSocket
from pyworker.serving.requests import raw_target, read_request
from pyworker.types import FETCH, Receive, Route, Scope, Send, Target

_INCOMING = Route(FETCH, "fetch")
ABNORMAL = 1006  # the connection dropped without a close frame
NO_STATUS = 1005  # a close frame without a code


async def _no_body() -> AsyncIterator[bytes]:
    empty: tuple[bytes, ...] = ()  # an upgrade request has no body
    for chunk in empty:
        yield chunk


async def serve_websocket(
    worker: Target, printer: Printer, options: DevOptions, scope: Scope, receive: Receive, send: Send
) -> None:
    """One WebSocket connection, from handshake to close."""
    started = time.perf_counter()
    target = raw_target(scope)
    request = read_request({**scope, "type": "http", "method": "GET"}, target, options.limits, _no_body)
    if not isinstance(request, Response):
        request = await respond(worker, _INCOMING, request)
    response = request
    socket = response._web_socket  # the pair end a 101 carries (not an SDK attribute)
    if response.status != 101 or not isinstance(socket, WebSocket):
        await _refuse(response, scope, send)
        printer.request(worker.name, "GET", target, response.status, response.status_text, _ms(started))
        return
    outgoing: asyncio.Queue[tuple[str, tuple[Any, ...]]] = asyncio.Queue()
    socket.attach(lambda end, kind, args: outgoing.put_nowait((kind, args)))  # with what was sent before
    await receive()  # websocket.connect
    await send({"type": "websocket.accept", "subprotocol": response.headers.get("sec-websocket-protocol")})
    printer.request(worker.name, "GET", target, 101, response.status_text, _ms(started))
    writer = asyncio.ensure_future(_write(outgoing, send))
    try:
        await _read(socket, receive)
    finally:
        if not writer.done():
            writer.cancel()
        with contextlib.suppress(asyncio.CancelledError, OSError, RuntimeError):
            await writer


async def _read(socket: WebSocket, receive: Receive) -> None:
    """What the client sends, handed to the server end until the client closes or leaves."""
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "websocket.receive":
            data = message.get("text")
            if data is None:
                data = message.get("bytes") or b""
            if socket.readyState == WebSocket.OPEN:
                socket.send(data)
        elif kind == "websocket.disconnect":
            # uvicorn passes "reason" only when a close frame came; a connection lost says 1005 without one,
            # which a worker hears as Cloudflare reports it: 1006, not clean. (Shutdown says 1012.)
            code = int(message.get("code") or NO_STATUS)
            if "reason" not in message and code == NO_STATUS:
                code = ABNORMAL
            socket.disconnected(code, str(message.get("reason") or ""), code != ABNORMAL)
            return


async def _write(outgoing: asyncio.Queue[tuple[str, tuple[Any, ...]]], send: Send) -> None:
    """What the server end sends, to the client, in order; a close ends it."""
    while True:
        kind, args = await outgoing.get()
        if kind == "message":
            data = args[0]
            await send({"type": "websocket.send", "text": data} if isinstance(data, str) else
                       {"type": "websocket.send", "bytes": bytes(data)})  # fmt: skip
        elif kind == "close":
            code, reason = args[0], args[1]
            await send({"type": "websocket.close", "code": code, "reason": reason})
            return


async def _refuse(response: Response, scope: Scope, send: Send) -> None:
    """The worker did not accept: its response is the handshake's answer (uvicorn says 403 without the extension)."""
    if "websocket.http.response" not in scope.get("extensions", {}):
        await send({"type": "websocket.close", "code": 1008})
        return
    status = 500 if response.status == 101 else response.status
    body = b"" if response.status == 101 else await response.bytes()
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.headers.items()]
    if response.status == 101:
        body = b"The worker answered 101 without a web_socket: pass web_socket=client (a WebSocketPair end)."
        headers = [(b"content-type", b"text/plain; charset=utf-8")]
    await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
    await send({"type": "websocket.http.response.body", "body": body})


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
