"""What a worker's URL answers while its own process is not running (it crashed; it restarts on the next save)."""

from __future__ import annotations

import time
from collections.abc import Callable

from pyworker.printer import Printer
from pyworker.types import Receive, Scope, Send


class DownApp:
    """An ASGI app: 503 with ``why()``, logged under the worker's name; the connection closes, so the
    client's next request reaches the restarted process, not this one."""

    def __init__(self, worker: str, printer: Printer, why: Callable[[], str]) -> None:
        self.worker = worker
        self.printer = printer
        self.why = why

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1013})
            return
        started = time.perf_counter()
        body = self.why().encode()
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else body})
        millis = (time.perf_counter() - started) * 1000
        path = (scope.get("raw_path") or b"").decode("latin-1") or scope.get("path", "/")
        if scope.get("query_string"):
            path += "?" + scope["query_string"].decode("latin-1")
        self.printer.request(self.worker, scope.get("method", "GET"), path, 503, "Service Unavailable", millis)
