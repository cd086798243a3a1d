"""The glue to uvicorn: one server for every worker's socket, sockets added and removed while it runs.

This module and the two protocols (``h11_protocol.py``, ``httptools_protocol.py``, which add
the limits uvicorn has no option for) are the only ones that know uvicorn's internals:
``Server.servers``, ``server_state``, ``lifespan.state`` and ``Config.http_protocol_class``
(what uvicorn's own ``startup`` uses to serve a socket). ``tests/test_uvicorn_server.py``
fails loudly if a uvicorn release changes them; ``pyproject.toml`` bounds the versions known to work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Generator
from typing import Any

import uvicorn

from pyworker.errors import was_reported
from pyworker.options import ClientLimits
from pyworker.printer import Printer, escape
from pyworker.serving.protocol_limits import head_limit, with_limits
from pyworker.types import ASGIApp


def uvicorn_config(app: ASGIApp, limits: ClientLimits | None = None, http: str = "h11") -> uvicorn.Config:
    """uvicorn serving ``app`` quietly: no lifespan, no access log; its warnings go to the printer.

    ``http`` is the parser (``"httptools"`` or ``"h11"``, see :mod:`.stack`). The client limits
    uvicorn has options for are set here (keep-alive idle time, h11's buffer for an incomplete
    head); the protocol class adds the others.
    """
    limits = limits or ClientLimits()
    return uvicorn.Config(
        app,
        http=limited_protocol(limits, http),
        interface="asgi3",  # PortDispatch returns its worker's coroutine from a plain __call__
        ws=WebSocketProtocol,  # the `websockets` library, through its sans-I/O protocol (no deprecated API)
        lifespan="off",
        log_config=None,
        log_level="warning",  # uvicorn traces per connection when its loggers are left at NOTSET
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=5,
        timeout_keep_alive=limits.keep_alive_timeout,  # type: ignore[arg-type]  # uvicorn types it int; a float works
        h11_max_incomplete_event_size=head_limit(limits),
    )


class WebSocketProtocol(asyncio.Protocol):
    """uvicorn's WebSocket protocol on the ``websockets`` library's sans-I/O API, imported on the first
    upgrade: a server that never serves a WebSocket starts without the library."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

        return WebSocketsSansIOProtocol(*args, **kwargs)


def limited_protocol(limits: ClientLimits, http: str = "h11") -> type[asyncio.Protocol]:
    """uvicorn's protocol for the parser ``http`` with ``limits``."""
    if http == "httptools":
        from pyworker.serving.httptools_protocol import LimitedHttpToolsProtocol

        return with_limits(LimitedHttpToolsProtocol, limits)
    from pyworker.serving.h11_protocol import LimitedH11Protocol

    return with_limits(LimitedH11Protocol, limits)


class UvicornServer(uvicorn.Server):
    """uvicorn's server, minus its signal handling (the dev server owns Ctrl-C).

    ``started`` is an event set once every socket listens; ``listen``/``unlisten``
    serve or drop one socket while running, as ``startup`` does for the first ones.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            self.listening.set()

    async def listen(self, sock: socket.socket) -> None:
        """Serve one more socket (a worker's port changed on reload)."""
        config = self.config

        def protocol() -> asyncio.Protocol:
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state
            )

        loop = asyncio.get_running_loop()
        self.servers.append(await loop.create_server(protocol, sock=sock, backlog=config.backlog))

    def unlisten(self, sock: socket.socket) -> None:
        """Stop accepting on ``sock``; connections already open finish."""
        for server in list(self.servers):
            if any(s.fileno() == sock.fileno() for s in server.sockets):
                server.close()
                self.servers.remove(server)


class _PrinterHandler(logging.Handler):
    def __init__(self, printer: Printer) -> None:
        super().__init__(logging.WARNING)
        self.printer = printer

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None and was_reported(record.exc_info[1]):
            return  # told under the worker's prefix already; uvicorn only closes the connection
        level = "error" if record.levelno >= logging.ERROR else "warn"
        self.printer.write(f"[uvicorn] {escape(record.getMessage())}", level)


@contextlib.contextmanager
def uvicorn_logs_to(printer: Printer) -> Generator[None, None, None]:
    """Route uvicorn's own warnings (malformed requests...) through the printer."""
    logger = logging.getLogger("uvicorn")
    handler = _PrinterHandler(printer)
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
