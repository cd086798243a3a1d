"""One ASGI app for every socket: the local port says which worker a request is for."""

from __future__ import annotations

from collections.abc import Awaitable

from pyworker.runtime.http import Response
from pyworker.serving.sending import send_response
from pyworker.types import ASGIApp, Receive, Scope, Send


class PortDispatch:
    """Sends each request to the worker on its port, and always answers.

    A port a worker just left (a config edit moved it) answers 503 naming the new address;
    any other unknown port answers 503 too, so uvicorn never sees a request go unanswered.
    """

    def __init__(self) -> None:
        self.apps: dict[int, ASGIApp] = {}
        self.moved: dict[int, str] = {}  # old port -> where its worker listens now ("" if internal)

    def add(self, port: int, app: ASGIApp) -> None:
        self.apps[port] = app
        self.moved.pop(port, None)

    def remove(self, port: int, now: str) -> None:
        """``port`` no longer serves; ``now`` names where its worker went (``""`` if nowhere)."""
        self.apps.pop(port, None)
        self.moved[port] = now

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        """The worker's app's coroutine itself, not one awaiting it: one frame less on every request
        (uvicorn is told it is an ASGI 3 app, which it cannot tell from a plain ``__call__``)."""
        server = scope.get("server")
        port = server[1] if server else None
        app = self.apps.get(port) if port is not None else None
        if app is not None:
            return app(scope, receive, send)
        return self._unknown(port, scope, send)

    async def _unknown(self, port: int | None, scope: Scope, send: Send) -> None:
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1013})
            return
        await send_response(self._gone(port), send, head=scope.get("method") == "HEAD")

    def _gone(self, port: int | None) -> Response:
        now = self.moved.get(port) if port is not None else None
        if now:
            text = f"This worker moved to {now} (its [dev] port changed). Send requests there."
        elif now == "":
            text = "This worker no longer has a URL (its config made it internal); reach it through a binding."
        else:
            text = f"No worker listens on port {port}."
        return Response(text, 503)
