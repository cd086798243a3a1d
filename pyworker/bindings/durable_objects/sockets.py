"""The WebSocket hibernation API of one Durable Object: ``ctx.acceptWebSocket(ws, tags)`` and what follows.

An accepted socket's events go to the object's ``webSocketMessage(ws, message)``,
``webSocketClose(ws, code, reason, wasClean)`` and ``webSocketError(ws, error)``, each one
invocation of the object's frame, started in the order the events arrive. The sockets belong to
the object, not to its instance: after a reload of the worker, the new instance gets their events.
``setWebSocketAutoResponse`` answers a matching message without invoking the object at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pyworker.runtime.jsvalues import JsBuffer, JsException
from pyworker.runtime.websocket import OPEN, WebSocket, WebSocketRequestResponsePair
from pyworker.sdk.jsobjects import JsDate

HANDLERS = {"message": "webSocketMessage", "close": "webSocketClose", "error": "webSocketError"}
MAX_TAGS = 10
Deliver = Callable[[str, tuple[Any, ...]], None]


class Sockets:
    """The object's accepted sockets; ``deliver(handler, args)`` starts one invocation of the object."""

    def __init__(self, deliver: Deliver) -> None:
        self._deliver = deliver
        self._open: list[WebSocket] = []
        self.auto: WebSocketRequestResponsePair | None = None
        self._answered: dict[WebSocket, int] = {}

    def accept(self, ws: Any, tags: Any = None) -> None:
        if not isinstance(ws, WebSocket):
            raise JsException("TypeError", f"acceptWebSocket() takes a WebSocket, got {type(ws).__name__}.")
        if ws.handler is not None or ws._accepted:
            raise JsException("TypeError", "Can't accept() WebSocket more than once.")
        names = [str(tag) for tag in tags or ()]
        if len(names) > MAX_TAGS:
            raise JsException("Error", f"A WebSocket can have at most {MAX_TAGS} tags, got {len(names)}.")
        ws.tags = tuple(names)
        self._open.append(ws)
        ws.attach(self._event)

    def get(self, tag: Any = None) -> list[WebSocket]:
        return [ws for ws in self._open if ws.readyState == OPEN and (tag is None or str(tag) in ws.tags)]

    def tags(self, ws: Any) -> list[str]:
        if not isinstance(ws, WebSocket) or ws not in self._open:
            raise JsException("TypeError", "getTags() takes a WebSocket accepted with ctx.acceptWebSocket().")
        return list(ws.tags)

    def answered_at(self, ws: Any) -> Any:
        millis = self._answered.get(ws)
        if millis is None:
            return None
        return JsDate(millis)  # a Date, as workerd returns

    def _event(self, ws: WebSocket, kind: str, args: tuple[Any, ...]) -> None:
        if kind == "message" and self.auto is not None and args[0] == self.auto.request:
            ws.send(self.auto.response)
            self._answered[ws] = time.time_ns() // 1_000_000
            return
        if kind == "close" and ws in self._open:
            self._open.remove(ws)
            self._answered.pop(ws, None)
        if kind == "message" and isinstance(args[0], bytes):
            args = (JsBuffer(args[0]),)  # an ArrayBuffer, as Pyodide hands it over
        self._deliver(HANDLERS[kind], (ws, *args))
