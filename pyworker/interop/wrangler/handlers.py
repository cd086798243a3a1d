"""The debug port's capabilities, as pycapnp servers: ``WorkerdDebugPort`` -> ``WorkerdBootstrap`` ->
``EventDispatcher`` -> ``HttpService``, for the workers of this process. A request runs through
:func:`~pyworker.runtime.responses.respond`, as one from a binding of this process would."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from pyworker.interop.wrangler.heads import header_list, headers_from, method_name
from pyworker.interop.wrangler.messages import rpc_from_wrangler
from pyworker.interop.wrangler.streams import ByteQueue, body_size, sink_class
from pyworker.runtime.body import BodySource, headers_of
from pyworker.runtime.http import Request, Response, incoming_request

Serve = Callable[[str | None, str | None, Request], Coroutine[Any, Any, Response]]  # (worker, entrypoint, request)
Refused = Callable[[str, str], None]  # (worker, method): an RPC call was refused
PREFIX = "core:user:"
WRITES_IN_FLIGHT = 4  # the service name workerd gives a worker, as the registry entries say


class _Refusal(Exception):
    """Formats as ``jsg.Error: <message>`` alone (pycapnp sends workerd the formatted exception): workerd
    throws such a text as a JavaScript ``Error`` with that message (see :mod:`.relay`), where a traceback
    of pyworker's frames would be an "internal error"."""

    __module__ = "builtins"
    __qualname__ = "jsg.Error"
    __traceback__ = property(lambda self: None, lambda self, value: None)


def debug_port_class(schema: Any, serve: Serve, refused: Refused, tasks: set[asyncio.Task[Any]]) -> type:
    """The bootstrap class of ``schema``'s debug port. ``serve`` answers one request; ``tasks`` keeps the
    running answers (each outlives its ``request()`` call, see :mod:`.relay`)."""
    http = _http_class(schema, serve, tasks)
    refusal = _refusal_class(schema, refused)

    class Dispatcher(schema.EventDispatcher.Server):  # type: ignore[misc]
        def __init__(self, worker: str | None, entrypoint: str | None, cf: Any) -> None:
            self.worker, self.entrypoint, self.cf = worker, entrypoint, cf

        async def getHttpService(self, _context: Any, **params: Any) -> Any:
            return http(self.worker, self.entrypoint, self.cf)

        async def jsRpcSession(self, _context: Any, **params: Any) -> Any:
            # No session capability: the Return ends the session, and the relay holds it until the one
            # call on topLevel (refused, with the method's name) has returned.
            _context.results.topLevel = refusal(self.worker or "?")

    class Bootstrap(schema.WorkerdBootstrap.Server):  # type: ignore[misc]
        def __init__(self, worker: str | None, entrypoint: str | None) -> None:
            self.worker, self.entrypoint = worker, entrypoint

        async def startEvent(self, cfBlobJson: str, _context: Any, **params: Any) -> Any:
            cf = None
            if cfBlobJson:
                try:
                    cf = json.loads(cfBlobJson)
                except ValueError:
                    cf = None
            return Dispatcher(self.worker, self.entrypoint, cf)

    class DebugPort(schema.WorkerdDebugPort.Server):  # type: ignore[misc]
        async def getEntrypoint(self, service: str, entrypoint: str, _context: Any, **params: Any) -> Any:
            worker = service[len(PREFIX) :] if service.startswith(PREFIX) else None
            return Bootstrap(worker, entrypoint if entrypoint not in ("", "default") else None)

    return DebugPort


def _http_class(schema: Any, serve: Serve, tasks: set[asyncio.Task[Any]]) -> type:
    sink = sink_class(schema)

    class Http(schema.HttpService.Server):  # type: ignore[misc]
        def __init__(self, worker: str | None, entrypoint: str | None, cf: Any) -> None:
            self.worker, self.entrypoint, self.cf = worker, entrypoint, cf

        async def request(self, request: Any, context: Any, _context: Any, **params: Any) -> Any:
            size = request.bodySize
            queue = None
            if not (size.which() == "fixed" and size.fixed == 0):
                queue = ByteQueue(f"The request body from wrangler dev for {self.worker} stopped before the end.")
            source = None if queue is None else BodySource(stream=queue.chunks())
            url, method = request.url, method_name(str(request.method))
            incoming = incoming_request(url, method, headers_from(request.headers), source, self.cf)
            answering = serve(self.worker, self.entrypoint, incoming)
            task = asyncio.ensure_future(_answer(schema, answering, context, method == "HEAD"))
            tasks.add(task)
            task.add_done_callback(lambda done: _settle(done, tasks))
            return None if queue is None else sink(queue)

    return Http


def _refusal_class(schema: Any, refused: Refused) -> type:
    class Refusal(schema.JsRpcTarget.Server):  # type: ignore[misc]
        def __init__(self, worker: str) -> None:
            self.worker = worker

        async def call_context(self, context: Any) -> Any:  # "_context": the params are a union, read as one
            params = context.params
            method = params.methodName if params.which() == "methodName" else ".".join(params.methodPath)
            method = method or "call"
            refused(self.worker, method)
            raise _Refusal(rpc_from_wrangler(self.worker, method)) from None

    return Refusal


def _settle(task: asyncio.Task[Any], tasks: set[asyncio.Task[Any]]) -> None:
    """An answer ended. One that failed could not reach wrangler (it left mid-answer): nobody is left to tell."""
    tasks.discard(task)
    if not task.cancelled():
        task.exception()


async def _answer(schema: Any, answering: Coroutine[Any, Any, Response], context: Any, head_only: bool) -> None:
    """Send the response: its head through ``startResponse``, then its body to the stream that returns.
    Something always goes back, so the relay releases the call (a head that cannot be sent becomes a 500)."""
    try:
        response = await answering
    except Exception as exc:  # a bug of pyworker's: still an answer, or workerd would wait for ever
        response = Response(f"pyworker could not answer this request: {type(exc).__name__}: {exc}", 500)
    source = None if head_only else response.body
    try:
        head = await _head(schema, response, source)
    except Exception as exc:  # a header the protocol cannot carry
        source, response = None, Response(f"pyworker could not send this response to wrangler dev: {exc}", 500)
        head = await _head(schema, response, None)
    started = context.startResponse(head)
    if source is None or (head.bodySize.which() == "fixed" and head.bodySize.fixed == 0):
        await started  # no body stream comes back
        return
    # Pipelined on the head's answer, a few writes in flight: a short body costs one round trip, not three.
    stream, writes = started.body, deque[Any]()
    async for chunk in source.chunks():
        writes.append(stream.write(bytes=chunk))
        if len(writes) > WRITES_IN_FLIGHT:
            await writes.popleft()
    ended = stream.end()
    for write in writes:
        await write
    await ended
    await started


async def _head(schema: Any, response: Response, source: BodySource | None) -> Any:
    size, length = body_size(source, headers_of(response).get("content-length"))
    if source is not None and source.buffered:
        size, length = "fixed", len(await source.read())
    head = schema.HttpResponse.new_message(
        statusCode=response.status, statusText=response.status_text, headers=header_list(headers_of(response))
    )
    if size == "fixed":
        head.bodySize.fixed = length
    else:
        head.bodySize.unknown = None
    return head
