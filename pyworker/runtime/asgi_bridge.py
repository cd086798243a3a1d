"""``asgi.fetch(app, request, env)``: run an ASGI app (FastAPI, Starlette) as the worker, in memory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote, urlsplit

from pyworker.runtime.headers import Headers
from pyworker.runtime.http import Request, Response

ASGI_VERSION = {"version": "3.0", "spec_version": "2.3"}
_LIFESPAN_ATTR = "_pyworker_lifespan_state"


async def fetch(app: Any, request: Request, env: Any, ctx: Any = None) -> Response:
    """Hand ``request`` to ``app`` and return its reply; ``env`` is at ``scope["env"]``.

    Lifespan startup runs once per app object and its state is shared by later
    requests (``request.state``), as in Cloudflare's current SDK.
    """
    state = await _lifespan_state(app)
    scope = _scope(request, env, state)
    body = await request.bytes() if request.body is not None else b""
    response_done = asyncio.Event()
    request_sent = False

    async def receive() -> dict[str, Any]:
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await response_done.wait()
        return {"type": "http.disconnect"}

    started: asyncio.Future[tuple[int, Headers]] = asyncio.get_running_loop().create_future()
    chunks: asyncio.Queue[bytes | None] = asyncio.Queue()

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.set_result((message["status"], Headers.from_raw(message.get("headers", []))))
        elif message["type"] == "http.response.body":
            if message.get("body"):
                chunks.put_nowait(message["body"])
            if not message.get("more_body", False):
                chunks.put_nowait(None)
                response_done.set()

    async def run_app() -> None:
        try:
            await app(scope, receive, send)
        finally:
            response_done.set()
            chunks.put_nowait(None)

    task = asyncio.ensure_future(run_app())
    waiter = asyncio.ensure_future(asyncio.shield(started))
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if not started.done():
        waiter.cancel()
        task.result()  # re-raises the app's exception
        raise RuntimeError("The ASGI app returned without sending a response.")
    status, headers = started.result()
    headers.delete("content-length")

    async def stream() -> AsyncIterator[bytes]:
        while (chunk := await chunks.get()) is not None:
            yield chunk
        await task

    no_body = status in (101, 204, 205, 304) or request.method == "HEAD"
    if no_body:
        await task
    return Response(None if no_body else stream(), status, headers=headers)


def _scope(request: Request, env: Any, state: dict[str, Any]) -> dict[str, Any]:
    url = urlsplit(request.url)
    port = url.port or (443 if url.scheme == "https" else 80)
    return {
        "type": "http",
        "asgi": ASGI_VERSION,
        "http_version": "1.1",
        "method": request.method,
        "scheme": url.scheme,
        "path": unquote(url.path) or "/",
        "raw_path": (url.path or "/").encode(),
        "query_string": url.query.encode(),
        "root_path": "",
        "headers": request.headers.raw(),
        "client": ("127.0.0.1", 0),
        "server": (url.hostname or "localhost", port),
        "env": env,
        "state": dict(state),
    }


async def _lifespan_state(app: Any) -> dict[str, Any]:
    cached: dict[str, Any] | None = getattr(app, _LIFESPAN_ATTR, None)
    if cached is not None:
        return cached
    state: dict[str, Any] = {}
    messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    messages.put_nowait({"type": "lifespan.startup"})
    outcome: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def receive() -> dict[str, Any]:
        return await messages.get()

    async def send(message: dict[str, Any]) -> None:
        if not outcome.done():
            outcome.set_result(message["type"])
            if message["type"] == "lifespan.startup.failed":
                raise RuntimeError(f"ASGI lifespan startup failed: {message.get('message', '')}")

    scope = {"type": "lifespan", "asgi": ASGI_VERSION, "state": state}
    task = asyncio.ensure_future(app(scope, receive, send))
    await asyncio.wait({task, outcome}, return_when=asyncio.FIRST_COMPLETED)  # type: ignore[type-var]
    if outcome.done() and outcome.result() == "lifespan.startup.failed":
        raise RuntimeError("The ASGI app's lifespan startup failed.")
    if not outcome.done():
        # The app returned or raised on "lifespan": it does not support it. That is fine.
        task.exception() if task.done() and not task.cancelled() else None
        state = {}
    try:
        setattr(app, _LIFESPAN_ATTR, state)
    except (AttributeError, TypeError):
        pass  # an app we cannot annotate runs its lifespan per request, as workerd does
    return state
