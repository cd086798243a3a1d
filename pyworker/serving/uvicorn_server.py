"""The glue to uvicorn: one server for every worker's socket, sockets added and removed while it runs.

This is the only module that knows uvicorn's internals: ``Server.servers``,
``server_state``, ``lifespan.state`` and ``Config.http_protocol_class`` (what uvicorn's
own ``startup`` uses to serve a socket), and the h11 protocol's ``conn``,
``data_received``, ``on_response_complete`` and ``send_400_response``, which
:class:`LimitedH11Protocol` extends with the limits uvicorn has no option for.
``tests/test_uvicorn_server.py`` fails loudly if a uvicorn release changes them;
``pyproject.toml`` bounds the versions known to work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Generator

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import STATUS_PHRASES, H11Protocol

from pyworker.errors import was_reported
from pyworker.options import ClientLimits
from pyworker.printer import Printer, escape
from pyworker.serving.framing import bare_lf_in_framing, both_lengths, percent_encode_non_ascii
from pyworker.types import ASGIApp

# Room in h11's buffer for a head at the limits: the headers, the target, the request line and CRLFs.
_HEAD_SLACK = 1024
_LINGER = 2.0  # seconds a refused connection is read (and dropped) before it closes


def uvicorn_config(app: ASGIApp, limits: ClientLimits | None = None) -> uvicorn.Config:
    """uvicorn serving ``app`` quietly: no lifespan, no access log; its warnings go to the printer.

    The client limits uvicorn has options for are set here (keep-alive idle time, h11's
    buffer for an incomplete head); the protocol class adds the others.
    """
    limits = limits or ClientLimits()
    return uvicorn.Config(
        app,
        http=limited_protocol(limits),
        ws="websockets-sansio",  # the `websockets` library, through its sans-I/O protocol (no deprecated API)
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


def head_limit(limits: ClientLimits) -> int:
    """The most bytes a request head may take on the wire."""
    return limits.max_header_bytes + limits.max_target_bytes + _HEAD_SLACK


def limited_protocol(limits: ClientLimits) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with ``limits`` (a class per server: uvicorn builds protocols from a class)."""
    namespace = {"limits": limits, "heads": _HeadDeadlines(limits.header_timeout)}
    return type("LimitedH11Protocol", (LimitedH11Protocol,), namespace)


class _HeadDeadlines:
    """The connections waiting for a request head, and since when: one timer looks at all of them.

    A timer per connection and per request would cost every request a timer to arm and cancel.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.every = min(0.5, timeout / 4)  # how late a slow client may be cut off
        self._waiting: dict[LimitedH11Protocol, float] = {}
        self._timer: asyncio.TimerHandle | None = None

    def wait(self, protocol: LimitedH11Protocol) -> None:
        self._waiting[protocol] = time.monotonic()
        if self._timer is None:
            self._timer = protocol.loop.call_later(self.every, self._look, protocol.loop)

    def arrived(self, protocol: LimitedH11Protocol) -> None:
        self._waiting.pop(protocol, None)

    def _look(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        now = time.monotonic()
        for protocol, since in list(self._waiting.items()):
            if now - since >= self.timeout:
                del self._waiting[protocol]
                protocol.head_timed_out()
        if self._waiting:
            self._timer = loop.call_later(self.every, self._look, loop)


class LimitedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, plus what it has no option for.

    - A request's head must arrive within ``header_timeout`` of the connection being ready
      for it (opened, or the previous response sent), however it trickles in: slowloris
      connections are answered 408 (or closed, when they sent nothing) and dropped.
    - A head past :func:`head_limit` bytes is a 431 whether it came in one piece or many
      (h11 alone would say 400 when split and accept it in one piece; the ASGI layer
      checks the exact header limits on a complete head).
    - When the response is done but the request body is not, the connection closes
      instead of waiting for the rest of the body.
    - A request with both ``Content-Length`` and ``Transfer-Encoding`` is read by its
      ``Transfer-Encoding`` (as h11 does) and its connection closes after the response
      (RFC 9112 6.1), so bytes after its body never run as a request of their own.
    - A client that half-closes (``shutdown(SHUT_WR)``) after a whole request still gets
      its response; the connection closes after it.
    - A bare LF where a chunked body's framing (a chunk's size line, a trailer) needs CRLF
      is a 400 at once, where h11 would wait for a CRLF until the body timeout.
    """

    limits = ClientLimits()
    heads = _HeadDeadlines(ClientLimits().header_timeout)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._head_bytes = 0
        self._lingering = False
        self._request_line = True  # the next bytes start a request line
        self._half_closed = False
        self.heads.wait(self)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return
        if self.conn.their_state is not h11.IDLE:
            super().data_received(data)
            return
        self._head_bytes += len(data)
        super().data_received(self._encode_target(data) if self._request_line else data)
        if self.conn.their_state is not h11.IDLE:  # the head is in
            self.heads.arrived(self)
            self._head_bytes = 0

    def _encode_target(self, data: bytes) -> bytes:
        """Percent-encode raw non-ASCII bytes in the request line (``GET /?word=カレー``), as wrangler and
        Cloudflare accept them and as the WHATWG URL parser writes them into ``request.url``; h11 alone
        refuses them with a 400."""
        end = data.find(b"\n")
        line, rest = (data, b"") if end < 0 else (data[:end], data[end:])
        if end >= 0:
            self._request_line = False
        return data if line.isascii() else percent_encode_non_ascii(line) + rest

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()
        if self.cycle is not cycle and self.cycle is not None and both_lengths(self.headers):
            self.cycle.keep_alive = False  # closed after the response: what follows the body is not a request
            self.cycle.default_headers = [*self.cycle.default_headers, (b"connection", b"close")]
        if self.conn.their_state is h11.SEND_BODY and bare_lf_in_framing(self.conn):
            self.send_400_response("Invalid HTTP request received: a bare LF in the chunked body's framing.")

    def eof_received(self) -> bool | None:  # type: ignore[override]  # asyncio.Protocol allows a bool
        if self.cycle is not None and not self.cycle.response_complete and self.conn.their_state is h11.DONE:
            self._half_closed = True
            return True  # the request is whole: keep the connection open to send its response
        return None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if self._half_closed and self.conn.their_state is not h11.DONE:  # nothing more can arrive
            self.transport.close()
            return
        if self.conn.their_state is h11.SEND_BODY:  # answered before the body was in: don't wait for the rest
            self.transport.close()
        elif self.conn.their_state is h11.IDLE:
            self._request_line = True
            self.heads.wait(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.heads.arrived(self)
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        if self._head_bytes > head_limit(self.limits):
            self._refuse(431, b"Request Header Fields Too Large: the request head is too big.")
        else:
            super().send_400_response(msg)

    def head_timed_out(self) -> None:
        if self.transport.is_closing():
            return
        if self._head_bytes:
            self._refuse(408, b"Request Timeout: the request head did not arrive in time.")
        else:
            self.transport.close()

    def _refuse(self, status: int, body: bytes) -> None:
        """Answer ``status`` in plain text and close, before any ASGI app ran.

        Written directly: h11 will not send a response to a request it has not (fully) read.
        The connection lingers, reading and dropping what the client still sends, so that
        closing does not reset it before the client read the answer.
        """
        reason = STATUS_PHRASES[status]
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
            b"content-length: %d\r\n\r\n%s" % (status, reason, len(body), body)
        )
        self.heads.arrived(self)
        self._lingering = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(_LINGER, self.transport.close)


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
