"""``WebSocketPair`` and ``WebSocket``: the two ends of a socket, as workerd gives them to a worker.

``client, server = js.WebSocketPair.new().object_values()``: what one end ``send``\\s, the other
receives. The worker keeps ``server`` (``accept()``, ``addEventListener``, ``send``, ``close``) and
answers ``Response(None, status=101, web_socket=client)``; the dev server then attaches the
client end to the real connection (:mod:`pyworker.serving.websocket`). A Durable Object may
instead hand ``server`` to ``ctx.acceptWebSocket``: its events then go to a *handler* (the
object's ``webSocketMessage``...) instead of listeners. Events reach one end in order: one
task per end runs its listeners one after another, in the context the end was accepted in.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
from collections.abc import Callable
from typing import Any

from pyworker.runtime.jsvalues import JsBuffer, JsDict, JsException, JsProxy
from pyworker.runtime.scope import current_worker
from pyworker.storage.structured import decode, encode

CONNECTING, OPEN, CLOSING, CLOSED = 0, 1, 2, 3
_RESERVED = frozenset({1004, 1005, 1006, 1015})  # codes a close frame may not carry
Handler = Callable[["WebSocket", str, tuple[Any, ...]], None]


class WebSocket(JsProxy):
    """One end. ``readyState`` is ``WebSocket.OPEN`` once the pair exists (workerd's pairs are open)."""

    CONNECTING, OPEN, CLOSING, CLOSED = CONNECTING, OPEN, CLOSING, CLOSED

    def __init__(self) -> None:
        self.readyState = OPEN
        self._peer: WebSocket | None = None
        self._listeners: dict[str, list[Callable[..., Any]]] = {}
        self._accepted = False
        self._waiting: list[tuple[str, tuple[Any, ...]]] = []  # events before accept()
        self._queue: asyncio.Queue[tuple[str, tuple[Any, ...]]] | None = None
        self._context: contextvars.Context | None = None
        self._task: asyncio.Task[None] | None = None
        self.handler: Handler | None = None  # see attach(): ctx.acceptWebSocket, or the dev server's connection
        self._attachment: Any = None
        self.tags: tuple[str, ...] = ()

    # -- the API -----------------------------------------------------------------------
    def accept(self) -> None:
        if self._accepted or self.handler is not None:
            raise JsException("TypeError", "Can't accept() WebSocket more than once.")
        self._accepted = True
        self._context = contextvars.copy_context()
        for kind, args in self._waiting:
            self._enqueue(kind, args)
        self._waiting.clear()

    def addEventListener(self, kind: str, listener: Callable[..., Any]) -> None:
        self._listeners.setdefault(str(kind), []).append(listener)

    def removeEventListener(self, kind: str, listener: Callable[..., Any]) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.get(str(kind), []).remove(listener)

    def send(self, message: Any) -> None:
        if self.readyState != OPEN:
            raise JsException("TypeError", "Can't call WebSocket send() after close().")
        if not self._accepted and self.handler is None:
            raise JsException("TypeError", "You must call one of accept() or state.acceptWebSocket() on this WebSocket"
                              " before sending messages.")  # fmt: skip
        if isinstance(message, memoryview | bytearray):
            message = bytes(message)
        elif not isinstance(message, str | bytes):
            raise JsException("TypeError", f"WebSocket send() takes a string or bytes, got {type(message).__name__}.")
        assert self._peer is not None
        self._peer.arrive("message", (message,))

    def close(self, code: int = 1000, reason: str = "") -> None:
        if self.readyState in (CLOSING, CLOSED):
            return  # closing an end the other side already closed completes the close
        code = int(code)
        if not 1000 <= code <= 4999 or code in _RESERVED:
            raise JsException("TypeError", f"Invalid WebSocket close code: {code}.")
        if len(str(reason).encode()) > 123:
            raise JsException("SyntaxError", "The close reason may be at most 123 bytes (UTF-8).")
        self.readyState = CLOSED
        if self._peer is not None and self._peer.readyState != CLOSED:
            self._peer.arrive("close", (code, str(reason), True))

    def attach(self, handler: Handler) -> None:
        """Send this end's events to ``handler`` from now on, starting with those that arrived before."""
        self.handler = handler
        waiting, self._waiting = self._waiting, []
        for kind, args in waiting:
            handler(self, kind, args)

    def disconnected(self, code: int, reason: str, clean: bool) -> None:
        """The real connection behind this end closed (the dev server calls this): the other end hears it."""
        if self.readyState == CLOSED:
            return
        self.readyState = CLOSED
        if self._peer is not None and self._peer.readyState != CLOSED:
            self._peer.arrive("close", (code, reason, clean))

    def serializeAttachment(self, value: Any) -> None:
        self._attachment = None if value is None else decode(encode(value), "a WebSocket attachment")

    def deserializeAttachment(self) -> Any:
        return self._attachment

    # -- events arriving at this end -----------------------------------------------------
    def arrive(self, kind: str, args: tuple[Any, ...]) -> None:
        """An event for this end (``message``, ``close``, ``error``): to its handler, or its listeners in order."""
        if kind == "close" and self.readyState == OPEN:
            self.readyState = CLOSED  # the other end closed: this one is done too
        if self.handler is not None:
            self.handler(self, kind, args)
        elif self._accepted:
            self._enqueue(kind, args)
        else:
            self._waiting.append((kind, args))

    def _enqueue(self, kind: str, args: tuple[Any, ...]) -> None:
        if self._queue is None:
            self._queue = asyncio.Queue()
            assert self._context is not None
            self._task = asyncio.get_running_loop().create_task(self._dispatch(), context=self._context)
        self._queue.put_nowait((kind, args))

    async def _dispatch(self) -> None:
        assert self._queue is not None
        while True:
            kind, args = await self._queue.get()
            event = _event(kind, args)
            for listener in list(self._listeners.get(kind, ())):
                try:
                    result = listener(event)
                    if inspect.isawaitable(result):
                        await result
                except Exception as exc:
                    _report(exc, kind)
            if kind == "close":
                return

    def __repr__(self) -> str:
        return f"<WebSocket readyState={self.readyState}>"


def _event(kind: str, args: tuple[Any, ...]) -> JsDict:
    if kind == "message":
        data = args[0]
        return JsDict(type="message", data=JsBuffer(data) if isinstance(data, bytes) else data)  # an ArrayBuffer
    if kind == "close":
        code, reason, clean = args
        return JsDict(type="close", code=code, reason=reason, wasClean=clean)
    return JsDict(type="error", error=args[0] if args else None, message=str(args[0]) if args else "")


def _report(exc: BaseException, kind: str) -> None:
    scope = current_worker.get()
    if scope is not None and scope.printer is not None:
        scope.printer.worker(scope.name, f'a WebSocket "{kind}" listener raised:', "error")
        scope.printer.exception(scope.name, exc)


class WebSocketPair(JsProxy):
    """``WebSocketPair.new()``: two connected ends; ``object_values()`` (or iterating) gives ``client, server``."""

    def __init__(self) -> None:
        client, server = WebSocket(), WebSocket()
        client._peer, server._peer = server, client
        self._ends = (client, server)

    def object_values(self) -> list[WebSocket]:
        return list(self._ends)

    def __iter__(self) -> Any:
        return iter(self._ends)

    def __getitem__(self, index: int | str) -> WebSocket:
        return self._ends[int(index)]


class WebSocketRequestResponsePair(JsProxy):
    """``WebSocketRequestResponsePair.new(request, response)``, for ``ctx.setWebSocketAutoResponse``."""

    def __init__(self, request: str, response: str) -> None:
        self.request = str(request)
        self.response = str(response)
