"""The one small adapter that turns a worker into an ASGI app."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from pyworker.printer import Printer
from pyworker.runtime.body import BodySource
from pyworker.runtime.headers import Headers
from pyworker.runtime.http import Request, Response, incoming_request
from pyworker.runtime.responses import respond
from pyworker.types import FETCH, Receive, Route, Scope, Send, Target

_INCOMING = Route(FETCH, "fetch")  # an HTTP request from outside: the default entrypoint's fetch


class WorkerApp:
    """Serves one worker: ASGI request -> ``Request`` -> its fetch invocation -> ASGI response, logged."""

    def __init__(self, worker: Target, printer: Printer) -> None:
        self.worker = worker
        self.printer = printer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        if scope["type"] != "http":
            # WebSockets are not emulated yet: refuse the handshake cleanly.
            await send({"type": "websocket.close", "code": 1003})
            return
        started = time.perf_counter()
        request = to_request(scope, receive)
        response = await respond(self.worker, _INCOMING, request)
        await send_response(response, send, head=request.method == "HEAD")
        if not self.printer.logs_requests:
            return
        self.printer.request(
            self.worker.name,
            request.method,
            logged_target(scope),
            response.status,
            response.status_text,
            (time.perf_counter() - started) * 1000,
        )


def logged_target(scope: Scope) -> str:
    """The target as the client sent it (still percent-encoded: ``%0a`` stays three characters)."""
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else scope["path"]
    query = scope.get("query_string", b"")
    return path + (f"?{query.decode('latin-1')}" if query else "")


def to_request(scope: Scope, receive: Receive) -> Request:
    headers = Headers.from_raw(scope["headers"])
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("localhost", None)
        host = f"{server[0]}:{server[1]}" if server[1] else server[0]
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else scope["path"]
    query = scope.get("query_string", b"")
    url = f"{scope.get('scheme', 'http')}://{host}{path}" + (f"?{query.decode('latin-1')}" if query else "")
    length = headers.get("content-length")
    has_body = headers.has("transfer-encoding") or (length is not None and length.strip() != "0")
    source = BodySource(stream=_receive_body(receive)) if has_body else None
    return incoming_request(url, scope["method"], headers, source)


async def _receive_body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def send_response(response: Response, send: Send, head: bool = False) -> None:
    headers = response.headers.raw()
    source = response.body
    if source is None or source.buffered:
        body = b"" if source is None else await source.read()
        if not response.headers.has("content-length") and response.status not in (204, 304):
            headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else body})
        return
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    if not head:
        async for chunk in source.chunks():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
