"""The debug port this process serves, so wrangler dev's JavaScript workers reach its workers.

Its address is the ``debugPortAddress`` of this process's registry entries. Listening costs a socket;
pycapnp is imported when the first connection arrives (wrangler connects when a JavaScript worker
first calls a binding to one of ours). Each connection goes through :mod:`.relay`. Like workerd's
own debug port, it is open to any local process: it listens on loopback only, and wrangler, which
holds no secret of ours, must be able to use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from typing import Any

from pyworker.interop.wrangler.handlers import debug_port_class
from pyworker.interop.wrangler.link import CapnpLink, CapnpMissing
from pyworker.interop.wrangler.messages import rpc_from_wrangler
from pyworker.interop.wrangler.relay import relay
from pyworker.printer import Printer, escape
from pyworker.runtime.http import Request, Response
from pyworker.runtime.responses import respond
from pyworker.types import FETCH, Directory, Route


class DebugPortServer:
    """Serves ``local`` (this process's workers, never the registry's) on ``127.0.0.1:<free port>``."""

    def __init__(self, local: Directory, printer: Printer, link: CapnpLink) -> None:
        self.local = local
        self.printer = printer
        self.link = link
        self.address = ""
        self._server: asyncio.Server | None = None
        self._bootstrap: type | None = None
        self._rpc: Any = None
        self._routes: dict[str | None, Route] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._said_missing = False
        self._connections: dict[asyncio.Task[Any], asyncio.StreamWriter] = {}

    async def start(self) -> str:
        """Listen; returns the address for the registry entries."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        host, port = self._server.sockets[0].getsockname()[:2]
        self.address = f"{host}:{port}"
        return self.address

    async def aclose(self) -> None:
        """Stop listening and close every connection (the relay then ends); answers still running stop."""
        if self._server is not None:
            self._server.close()
        for task in self._tasks:
            task.cancel()
        for writer in self._connections.values():
            writer.close()
        for task in [*self._tasks, *self._connections]:
            with contextlib.suppress(BaseException):
                await task

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            await self._connection(reader, writer)
        finally:
            self._connections.pop(task, None)
            writer.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            link = await self.link.ready()
        except CapnpMissing as exc:
            if not self._said_missing:  # once: wrangler connects again on every call
                self._said_missing = True
                self.printer.write(escape(f"wrangler dev called a worker of this process: {exc}"), "warn")
            return
        if self._bootstrap is None:
            self._bootstrap = debug_port_class(link.schema, self._serve, self._refused, self._tasks)
            rpc_schema = os.path.join(os.path.dirname(link.capnp.__file__), "rpc.capnp")
            self._rpc = link.capnp.load(rpc_schema, imports=[os.path.dirname(os.path.dirname(link.capnp.__file__))])
        ours, theirs = socket.socketpair()
        stream = await link.capnp.AsyncIoStream.create_connection(sock=ours)
        server = link.capnp.TwoPartyServer(stream, bootstrap=self._bootstrap())
        inner = await asyncio.open_connection(sock=theirs)
        try:
            await relay(self._rpc, (reader, writer), inner)
        finally:
            server.close()

    async def _serve(self, worker: str | None, entrypoint: str | None, request: Request) -> Response:
        target = None if worker is None else self.local.get(worker)
        if target is None:
            name = worker or "(none)"
            return Response(f'Worker "{name}" is not running in this pyworker dev (pid {os.getpid()}).', 503)
        route = self._routes.get(entrypoint)
        if route is None:
            route = self._routes[entrypoint] = Route(FETCH, "fetch", entrypoint)
        try:
            return await respond(target, route, request)
        except Exception as exc:  # past the invocation limit: the caller in wrangler gets a 500 that says so
            return Response(f"{type(exc).__name__}: {exc}", 500)

    def _refused(self, worker: str, method: str) -> None:
        self.printer.hint(worker, ("wrangler", "rpc", method), rpc_from_wrangler(worker, method))
