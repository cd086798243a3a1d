"""A ``wrangler dev`` worker as a binding's :class:`~pyworker.types.Target`: ``env.JS.fetch()``
goes to its process through workerd's debug port; RPC is refused with one line (see :mod:`.messages`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

from pyworker.errors import BindingError
from pyworker.interop.wrangler.heads import header_list, headers_from, method_enumerant
from pyworker.interop.wrangler.link import CapnpLink
from pyworker.interop.wrangler.messages import rpc_to_wrangler
from pyworker.interop.wrangler.streams import ByteQueue, body_size, pump, sink_class
from pyworker.runtime.body import headers_of
from pyworker.runtime.http import Request, Response
from pyworker.types import FETCH, Route

Head = tuple[int, str, Any, "ByteQueue | None"]  # status, status text, headers, body (None: no body)


class WranglerTarget:
    """The worker ``name`` of a ``wrangler dev`` whose debug port is ``address`` (``127.0.0.1:PORT``).

    One connection per target, opened on the first call and anew after a call found it broken. Each
    fetch is one event (``getEntrypoint`` -> ``startEvent`` -> ``getHttpService`` -> ``request``), sent
    pipelined: one round trip before the body streams, both ways."""

    def __init__(self, name: str, address: str, link: CapnpLink, default_service: str | None = None) -> None:
        self._name = name
        self.address = address
        self.link = link
        self.user_service = f"core:user:{name}"
        self.default_service = default_service or self.user_service
        self._debug_port: Any = None
        self._classes: tuple[type, type] | None = None

    @property
    def name(self) -> str:
        return self._name

    def exports(self, entrypoint: str | None, durable: bool = False) -> bool:
        # A wrangler entry does not list its worker's entrypoints; the default one always exists.
        return not durable and entrypoint in (None, "default")

    def close(self) -> None:
        """The entry changed or left: drop the connection (the next target of that name opens its own)."""
        self._debug_port = None

    async def invoke(self, route: Route, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
        if route.kind != FETCH:
            error = BindingError(rpc_to_wrangler(route.method, self._name))
            raise error if route.raises is None else route.raises(error)
        try:
            return await self._fetch(args[0], route.entrypoint)
        except BindingError:
            raise
        except Exception as exc:  # KjException, OSError: the other process went away or refused
            self._debug_port = None  # the next call connects anew
            raise BindingError(
                f'The wrangler dev worker "{self._name}" at {self.address} cannot be reached: {_reason(exc)}'
            ) from exc

    async def _connect(self) -> Any:
        if self._debug_port is None:
            link = await self.link.ready()
            host, port = self.address.rsplit(":", 1)
            stream = await link.capnp.AsyncIoStream.create_connection(host=host, port=int(port))
            client = link.capnp.TwoPartyClient(stream)
            self._debug_port = client.bootstrap().cast_as(link.schema.WorkerdDebugPort)
            self._classes = (_context_class(link.schema), sink_class(link.schema))
        return self._debug_port

    def _http(self, debug_port: Any, entrypoint: str | None, cf: Any) -> Any:
        if entrypoint in (None, "default"):
            bootstrap = debug_port.getEntrypoint(service=self.default_service).entrypoint
        else:
            bootstrap = debug_port.getEntrypoint(service=self.user_service, entrypoint=entrypoint).entrypoint
        blob = "" if cf is None else json.dumps(cf)
        return bootstrap.startEvent(cfBlobJson=blob).dispatcher.getHttpService().http

    async def _fetch(self, request: Request, entrypoint: str | None) -> Response:
        debug_port = await self._connect()
        method = method_enumerant(request.method)
        if method is None:
            raise BindingError(f'fetch() to the wrangler dev worker "{self._name}": HTTP over Cap\'n Proto has no '
                               f"method {request.method}.")  # fmt: skip
        assert self._classes is not None
        context_class, sink = self._classes
        head = self.link.schema.HttpRequest.new_message(
            method=method, url=request.url, headers=header_list(headers_of(request))
        )
        source = request.body
        size, length = body_size(source, headers_of(request).get("content-length"))
        if size == "fixed":
            head.bodySize.fixed = length
        else:
            head.bodySize.unknown = None
        loop = asyncio.get_running_loop()
        started: asyncio.Future[Head] = loop.create_future()
        dropped = f'The wrangler dev worker "{self._name}" stopped sending its response body before the end.'
        call = self._http(debug_port, entrypoint, request.cf).request(head, context_class(started, sink, dropped))
        done = asyncio.ensure_future(_settled(call))
        sending = None if source is None or (length == 0 and size == "fixed") else pump(source, call.requestBody)
        upload = None if sending is None else asyncio.ensure_future(sending)
        await asyncio.wait({done, started}, return_when=asyncio.FIRST_COMPLETED)
        if not started.done():
            await _cancel(upload)
            await done  # raises what the other side raised
            raise BindingError(f'The wrangler dev worker "{self._name}" ended the request without a response.')
        status, status_text, headers, queue = started.result()
        return Response(
            None if queue is None else _body(f'The wrangler dev worker "{self._name}"', queue, done, upload),
            status,
            status_text,
            headers,
        )


def _context_class(schema: Any) -> type:
    """The ``ClientRequestContext`` pyworker serves for one request: the other side calls ``startResponse``
    once, with the head; the body then arrives in a :class:`ByteQueue`."""

    class Context(schema.HttpService.ClientRequestContext.Server):  # type: ignore[misc]
        def __init__(self, started: asyncio.Future[Head], sink: type, dropped: str) -> None:
            self.started, self.sink, self.dropped = started, sink, dropped

        async def startResponse(self, response: Any, _context: Any, **params: Any) -> Any:
            size = response.bodySize
            queue = None if size.which() == "fixed" and size.fixed == 0 else ByteQueue(self.dropped)
            head = (response.statusCode, response.statusText, headers_from(response.headers), queue)
            self.started.set_result(head)
            return None if queue is None else self.sink(queue)

    return Context


async def _settled(call: Any) -> Any:
    return await call


async def _cancel(task: asyncio.Future[Any] | None) -> None:
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(BaseException):
            await task


async def _body(
    worker: str, queue: ByteQueue, done: asyncio.Future[Any], upload: asyncio.Future[Any] | None
) -> AsyncIterator[bytes]:
    try:
        async for chunk in queue.chunks():
            yield chunk
        try:
            await done  # the request failed after its body: the reader learns it here
        except Exception as exc:
            raise BindingError(f"{worker} failed after sending its response body: {_reason(exc)}") from exc
    finally:
        await _cancel(upload)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if text.endswith(".") else text + "."
