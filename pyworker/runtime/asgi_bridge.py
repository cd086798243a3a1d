"""``asgi.fetch(app, request, env)``: run an ASGI app (FastAPI, Starlette) as the worker, in memory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from pyworker.runtime.body import headers_of
from pyworker.runtime.headers import Headers
from pyworker.runtime.http import Request, Response
from pyworker.runtime.jswrapped import unwrap
from pyworker.types import ASGIApp, Message, Scope

ASGI_VERSION = {"version": "3.0", "spec_version": "2.3"}
_LIFESPAN_ATTR = "_pyworker_lifespan_state"


async def fetch(app: ASGIApp, request: Request, env: Any, ctx: Any = None, encode_body: str = "automatic") -> Response:
    """Hand ``request`` to ``app`` and return its reply; ``env`` is at ``scope["env"]``.

    Lifespan startup runs once per app object and its state is shared by later
    requests (``request.state``), as in Cloudflare's current SDK. A reply sent in
    one body message is complete: like Cloudflare, we wait for the app to finish
    before returning it, so an exception the app raises after replying (Starlette
    replies 500, then re-raises) reaches the caller instead of being lost.
    """
    request = unwrap(request)  # a legacy on_fetch hands over the JavaScript Request
    state = await _lifespan_state(app)
    scope = _scope(request, env, state)
    body = await request.bytes() if request.body is not None else b""
    exchange = _Exchange(body)
    task = asyncio.ensure_future(exchange.run(app, scope))
    waiting: set[asyncio.Future[Any]] = {task, exchange.streaming}
    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    if not exchange.streaming.done():
        task.result()  # re-raises the app's exception
        raise RuntimeError("The ASGI app returned without sending a response.")
    if not exchange.start:
        raise RuntimeError("The ASGI app sent a response body before http.response.start.")
    status, headers = exchange.start
    headers.delete("content-length")
    no_body = status in (101, 204, 205, 304) or request.method == "HEAD"
    if no_body or not exchange.streaming.result():
        await task
        payload = b"".join(iter(exchange.chunks.get_nowait, None))
        response = Response(None if no_body else payload, status, headers=headers)
    else:
        response = Response(exchange.stream(task), status, headers=headers)
    response._encode_body = encode_body
    return response


class _Exchange:
    """One request/response between the bridge and the app: ASGI ``receive`` and ``send``."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.request_sent = False
        self.response_done = asyncio.Event()
        self.start: list[Any] = []  # [status, headers] once http.response.start arrives
        # Resolves at the first body message: True if more is coming (stream it), False if complete.
        self.streaming: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.chunks: asyncio.Queue[bytes | None] = asyncio.Queue()

    async def run(self, app: ASGIApp, scope: Scope) -> None:
        try:
            await app(scope, self.receive, self.send)
        finally:
            self.response_done.set()
            self.chunks.put_nowait(None)

    async def receive(self) -> Message:
        if not self.request_sent:
            self.request_sent = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        await self.response_done.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start[:] = [message["status"], Headers.from_raw(message.get("headers", []))]
        elif message["type"] == "http.response.body":
            more = bool(message.get("more_body", False))
            if message.get("body"):
                self.chunks.put_nowait(bytes(message["body"]))
            if not self.streaming.done():
                self.streaming.set_result(more)
            if not more:
                self.chunks.put_nowait(None)
                self.response_done.set()

    async def stream(self, task: asyncio.Future[None]) -> AsyncIterator[bytes]:
        while (chunk := await self.chunks.get()) is not None:
            yield chunk
        await task


def _scope(request: Request, env: Any, state: dict[str, Any]) -> Scope:
    url = urlsplit(request.url)
    port = url.port or (443 if url.scheme == "https" else 80)
    return {
        "type": "http",
        "asgi": dict(ASGI_VERSION),
        "http_version": "1.1",
        "method": request.method,
        "scheme": url.scheme,
        "path": unquote(url.path) or "/",
        "raw_path": (url.path or "/").encode(),
        "query_string": url.query.encode(),
        "root_path": "",
        "headers": headers_of(request).raw(),
        "client": ("127.0.0.1", 0),
        "server": (url.hostname or "localhost", port),
        "env": env,
        "state": dict(state),
    }


@dataclass
class _Lifespan:
    """A started lifespan: the state requests see, and the task holding the app's lifespan open.

    Keeping the task here matters: asyncio holds tasks weakly, and a collected
    lifespan task would close the app's lifespan (its shutdown code) at random.
    """

    state: dict[str, Any]
    task: asyncio.Future[Any] | None = None


async def _lifespan_state(app: ASGIApp) -> dict[str, Any]:
    """Run ``app``'s lifespan startup once; concurrent first requests share that one startup."""
    loop = asyncio.get_running_loop()
    cached = getattr(app, _LIFESPAN_ATTR, None)
    if isinstance(cached, _Lifespan):
        return cached.state
    if isinstance(cached, asyncio.Future) and cached.get_loop() is loop:
        started: _Lifespan = await asyncio.shield(cached)
        return started.state
    pending: asyncio.Future[_Lifespan] = loop.create_future()
    _remember(app, pending)
    try:
        started = await _start_lifespan(app)
    except BaseException as exc:
        _remember(app, None)  # a failed startup is tried again by the next request
        if isinstance(exc, Exception):
            pending.set_exception(exc)
            pending.exception()  # the waiters, if any, see it; nobody else must
        else:
            pending.cancel()
        raise
    pending.set_result(started)
    _remember(app, started)
    return started.state


def _remember(app: Any, value: Any) -> None:
    # An app we cannot annotate runs its lifespan per request, as workerd does.
    with contextlib.suppress(AttributeError, TypeError):
        setattr(app, _LIFESPAN_ATTR, value)


async def _start_lifespan(app: ASGIApp) -> _Lifespan:
    state: dict[str, Any] = {}
    messages: asyncio.Queue[Message] = asyncio.Queue()
    messages.put_nowait({"type": "lifespan.startup"})
    outcome: asyncio.Future[Message] = asyncio.get_running_loop().create_future()

    async def receive() -> Message:
        return await messages.get()

    async def send(message: Message) -> None:
        if not outcome.done():
            outcome.set_result(message)

    scope: Scope = {"type": "lifespan", "asgi": dict(ASGI_VERSION), "state": state}
    task = asyncio.ensure_future(app(scope, receive, send))
    waiting: set[asyncio.Future[Any]] = {task, outcome}
    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    if not outcome.done():
        # The app returned or raised on "lifespan": it does not support it. That is fine.
        if not task.cancelled():
            task.exception()
        return _Lifespan({})
    message = outcome.result()
    if message["type"] == "lifespan.startup.failed":
        cause = None
        if task.done():
            cause = None if task.cancelled() else task.exception()
        else:
            task.cancel()
        detail = message.get("message") or "no message"
        raise RuntimeError(f"The ASGI app's lifespan startup failed: {detail}") from cause
    return _Lifespan(state, task)
