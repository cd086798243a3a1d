"""The client limits uvicorn has no option for, shared by both HTTP parsers' protocols.

:class:`HeadLimits` holds what does not depend on the parser: the deadline for a request's
head (one timer for every connection waiting for one), the byte limit on a head that
arrives in pieces, raw UTF-8 in the request line, and answering a refused connection
directly and lingering. ``h11_protocol.py`` and ``httptools_protocol.py`` mix it into
uvicorn's two protocols and say when a head is awaited and when it arrived.
"""

from __future__ import annotations

import asyncio
import time
from http import HTTPStatus
from typing import Any

from pyworker.options import ClientLimits
from pyworker.serving.framing import percent_encode_non_ascii

# Room for a head at the limits: the headers, the target, the request line and CRLFs.
_HEAD_SLACK = 1024
_LINGER = 2.0  # seconds a refused connection is read (and dropped) before it closes


def head_limit(limits: ClientLimits) -> int:
    """The most bytes a request head may take on the wire."""
    return limits.max_header_bytes + limits.max_target_bytes + _HEAD_SLACK


class HeadDeadlines:
    """The connections waiting for a request head, and since when: one timer looks at all of them.

    A timer per connection and per request would cost every request a timer to arm and cancel.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.every = min(0.5, timeout / 4)  # how late a slow client may be cut off
        self._waiting: dict[HeadLimits, float] = {}
        self._timer: asyncio.TimerHandle | None = None

    def wait(self, protocol: HeadLimits) -> None:
        self._waiting[protocol] = time.monotonic()
        if self._timer is None:
            self._timer = protocol.loop.call_later(self.every, self._look, protocol.loop)

    def arrived(self, protocol: HeadLimits) -> None:
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


class HeadLimits:
    """The parser-independent half of a limited protocol (a mixin before uvicorn's protocol class).

    - A request's head must arrive within ``header_timeout`` of the connection being ready
      for it (opened, or the previous response sent), however it trickles in: slowloris
      connections are answered 408 (or closed, when they sent nothing) and dropped.
    - A head past :func:`head_limit` bytes is a 431 whether it came in one piece or many
      (the ASGI layer checks the exact header limits on a complete head).
    - Raw non-ASCII bytes in the request line are percent-encoded before the parser sees them.
    """

    limits = ClientLimits()
    most_head_bytes = head_limit(limits)
    heads = HeadDeadlines(ClientLimits().header_timeout)
    transport: asyncio.Transport
    loop: asyncio.AbstractEventLoop

    def start_limits(self) -> None:
        """Call in ``connection_made``: the connection now waits for its first head."""
        self._head_bytes = 0
        self._lingering = False
        self._request_line = True  # the next bytes start a request line
        self._half_closed = False
        self._awaiting = True  # a head is awaited (not yet complete)
        self.heads.wait(self)

    def head_data(self, data: bytes) -> bytes:
        """``data`` of a head still arriving, counted, its request line made ASCII."""
        self._head_bytes += len(data)
        return self._encode_target(data) if self._request_line else data

    def head_in(self) -> None:
        """The head being awaited is complete."""
        self.heads.arrived(self)
        self._head_bytes = 0
        self._awaiting = False

    def await_head(self) -> None:
        """The previous response is out and the next request has not begun: its head is awaited now."""
        self._request_line = True
        self._awaiting = True
        self.heads.wait(self)

    def head_too_big(self) -> bool:
        return self._head_bytes > self.most_head_bytes

    def _encode_target(self, data: bytes) -> bytes:
        """Percent-encode raw non-ASCII bytes in the request line (``GET /?word=カレー``), as wrangler and
        Cloudflare accept them and as the WHATWG URL parser writes them into ``request.url``; both
        parsers alone refuse them with a 400."""
        if data.isascii():  # the usual case, in one C call
            if b"\n" in data:
                self._request_line = False
            return data
        end = data.find(b"\n")
        line, rest = (data, b"") if end < 0 else (data[:end], data[end:])
        if end >= 0:
            self._request_line = False
        return data if line.isascii() else percent_encode_non_ascii(line) + rest

    def head_timed_out(self) -> None:
        if self.transport.is_closing():
            return
        if self._head_bytes:
            self.refuse(408, b"Request Timeout: the request head did not arrive in time.")
        else:
            self.transport.close()

    # Both parsers' protocols: the mixin comes first in their MRO, so super() is uvicorn's protocol.
    def connection_lost(self, exc: Exception | None) -> None:
        self.heads.arrived(self)
        super().connection_lost(exc)  # type: ignore[misc]

    def send_400_response(self, msg: str) -> None:
        if self.head_too_big():
            self.refuse_too_big()
        else:
            super().send_400_response(msg)  # type: ignore[misc]

    def refuse_too_big(self) -> None:
        self.refuse(431, b"Request Header Fields Too Large: the request head is too big.")

    def refuse(self, status: int, body: bytes) -> None:
        """Answer ``status`` in plain text and close, before any ASGI app ran.

        Written directly: a parser will not send a response to a request it has not (fully) read.
        The connection lingers, reading and dropping what the client still sends, so that
        closing does not reset it before the client read the answer.
        """
        reason = HTTPStatus(status).phrase.encode()
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
            b"content-length: %d\r\n\r\n%s" % (status, reason, len(body), body)
        )
        self.heads.arrived(self)
        self._lingering = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(_LINGER, self.transport.close)


def with_limits(protocol: type[Any], limits: ClientLimits) -> type[asyncio.Protocol]:
    """``protocol`` (a :class:`HeadLimits` one) with ``limits``: a class per server, as uvicorn builds from a class."""
    namespace = {"limits": limits, "most_head_bytes": head_limit(limits), "heads": HeadDeadlines(limits.header_timeout)}
    return type(protocol.__name__, (protocol,), namespace)
