"""uvicorn's httptools protocol with the client limits (:mod:`.protocol_limits`): the default parser when installed.

httptools (llhttp, Node's parser) already answers a bare LF in a chunked body's framing with a
400 at once. It relies on the protocol's ``parser``, ``cycle``, ``headers``, ``data_received``,
``on_headers_complete``, ``on_response_complete`` and ``send_400_response``, and the cycle's
``more_body``, ``keep_alive`` and ``response_complete``; ``tests/test_uvicorn_server.py`` fails
loudly if a uvicorn release changes them.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from pyworker.serving.framing import both_lengths
from pyworker.serving.protocol_limits import HeadLimits
from pyworker.serving.requests import server_refusal

_REFUSED = (b"CONNECT ", b"PRI ")


class OneWrite:
    """The transport a response is written to: its head is held until its body's first bytes, so that a
    response in one piece leaves in one system call (uvicorn writes the head and the body apart).

    A head with no body write right behind it (a stream still starting) goes out on the loop's next turn.
    """

    __slots__ = ("_held", "_loop", "transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self.transport.write(held + data)
        elif data.startswith(b"HTTP/1.1 "):  # a head (or body bytes that look like one: held too, order kept)
            self._held = data
            self._loop.call_soon(self.flush)
        else:
            self.transport.write(data)

    def flush(self) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self.transport.write(held)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        self.flush()
        return getattr(self.transport, name)


class LimitedHttpToolsProtocol(HeadLimits, HttpToolsProtocol):
    """uvicorn's httptools protocol, plus what it has no option for (see :class:`HeadLimits`), and:

    - When the response is done but the request body is not, the connection closes
      instead of reading the rest of the body.
    - A request with both ``Content-Length`` and ``Transfer-Encoding`` is read by its
      ``Transfer-Encoding`` (llhttp refuses it unless told otherwise; h11 reads it so) and its
      connection closes after the response (RFC 9112 6.1), so bytes after its body never run
      as a request of their own.
    - A client that half-closes (``shutdown(SHUT_WR)``) after a whole request still gets
      its response; the connection closes after it.
    - ``CONNECT`` and ``PRI`` get the server's own answers (501, or 505 for the HTTP/2 preface),
      as they do through h11 and the ASGI layer, not llhttp's upgrade or 400.
    - An absolute-form target stays whole in ``raw_path`` (uvicorn keeps only its path).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parser.set_dangerous_leniencies(lenient_data_after_close=True, lenient_chunked_length=True)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.start_limits()
        self._writes = OneWrite(transport, self.loop)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return
        if not self._awaiting:
            super().data_received(data)
            return
        if self._request_line and data.startswith(_REFUSED):
            self._refuse_method(data)
            return
        super().data_received(self.head_data(data))
        if self._awaiting and self.head_too_big() and not self.transport.is_closing():
            self.refuse_too_big()

    def _refuse_method(self, data: bytes) -> None:
        """``CONNECT`` and ``PRI`` (llhttp takes them as an upgrade and the HTTP/2 preface), answered as h11's are."""
        method, _, rest = data.partition(b"\n")[0].rstrip(b"\r").decode("latin-1").partition(" ")
        target, _, version = rest.rpartition(" ")
        status, text = server_refusal(version.removeprefix("HTTP/"), method, target)
        self.refuse(status, text.encode())

    def on_headers_complete(self) -> None:
        self.head_in()
        cycle = self.cycle
        super().on_headers_complete()
        if self.url[:1] != b"/":  # absolute form or "*": the target as sent, as h11 gives it (not just its path)
            self.scope["raw_path"] = self.url.partition(b"?")[0]
        if self.cycle is cycle:
            return  # an upgrade
        self.cycle.transport = self._writes  # type: ignore[assignment]
        if both_lengths(self.headers):
            self.cycle.keep_alive = False  # closed after the response: what follows the body is not a request

    def eof_received(self) -> bool | None:  # type: ignore[override]  # asyncio.Protocol allows a bool
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and not cycle.more_body:
            self._half_closed = True
            return True  # the request is whole: keep the connection open to send its response
        return None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        cycle = self.cycle
        if self.transport.is_closing() or not cycle.response_complete:
            return  # closed, or the next request's head is in already (pipelined)
        if self._half_closed or cycle.more_body:  # nothing more can arrive, or the body is not in: don't wait
            self.transport.close()
        else:
            self.await_head()
