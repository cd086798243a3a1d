"""uvicorn's h11 protocol with the client limits (:mod:`.protocol_limits`): the fallback parser.

It relies on the h11 protocol's ``conn``, ``cycle``, ``headers``, ``data_received``,
``handle_events``, ``on_response_complete`` and ``send_400_response``;
``tests/test_uvicorn_server.py`` fails loudly if a uvicorn release changes them.
"""

from __future__ import annotations

import asyncio

import h11
from h11._readers import ChunkedReader
from uvicorn.protocols.http.h11_impl import H11Protocol

from pyworker.serving.framing import both_lengths
from pyworker.serving.protocol_limits import HeadLimits


class LimitedH11Protocol(HeadLimits, H11Protocol):
    """uvicorn's h11 protocol, plus what it has no option for (see :class:`HeadLimits`), and:

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

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self.start_limits()

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return
        if self.conn.their_state is not h11.IDLE:
            super().data_received(data)
            return
        super().data_received(self.head_data(data))
        if self.conn.their_state is not h11.IDLE:  # the head is in
            self.head_in()

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
            self.await_head()


def bare_lf_in_framing(conn: h11.Connection) -> bool:
    """Whether h11 waits for the end of a chunked body's framing line that already ended in a bare LF."""
    reader = getattr(conn, "_reader", None)
    if not isinstance(reader, ChunkedReader) or reader._bytes_in_chunk or reader._bytes_to_discard:
        return False  # not chunked, or inside a chunk's data (where any byte goes) or its CRLF (h11 checks it)
    pending = bytes(conn._receive_buffer)
    end = pending.find(b"\n")
    return end != -1 and (end == 0 or pending[end - 1] != 0x0D)
