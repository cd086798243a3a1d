"""One authenticated connection between two pyworker processes, multiplexed by call id.

Either side may call the other over it: the caller's side sends calls into the endpoint's
workers (``CALL``), and both sides call the functions and binding stubs the other exported
(``CALLREF``: callbacks run in their owner's process). Streamed bodies are pulled a chunk at
a time by the reader (``PULL`` -> ``CHUNK``/``END``/``ABORT``), so a body is read only as fast
as its reader reads it. A frame is ``u32 length | u8 type | u32 id | payload``, written in one
``write``; an answer is one frame. When the connection closes, every call still waiting on it
fails at once with one :class:`~pyworker.errors.BindingError` naming the worker and its pid.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import socket
import struct
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

from pyworker.errors import BindingError
from pyworker.interop.wire import _I64_MAX, _I64_MIN, INT, WireError, Writer
from pyworker.interop.wire_auth import AuthError, Handshake
from pyworker.interop.wire_errors import error_fields, error_from
from pyworker.interop.wire_frames import (
    ABORT,
    AUTH_TIMEOUT,
    BLANK,
    CALL,
    CALLREF,
    CANCEL,
    CHUNK,
    END,
    ERROR,
    HEAD,
    MAX_FRAME,
    PULL,
    RELEASE,
    RESULT,
    STOP,
    body_gone,
    gone,
)  # fmt: skip
from pyworker.interop.wire_peer import Exchange
from pyworker.interop.wire_read import Reader
from pyworker.interop.wire_serve import run_ref, serve_pull

Serve = Callable[["Link", int, bytes], None]
SMALL = struct.Struct("<BqBq")  # the commonest answer, read and written without a codec: an int, then what it used
_SMALL_FRAME = HEAD.size + SMALL.size


class Link(Exchange, asyncio.Protocol):
    """One side of a connection. ``serve`` answers incoming ``CALL`` frames (the endpoint's side only);
    ``lost`` is told when the connection closes; ``refused`` gets the reason a handshake failed."""

    def __init__(
        self,
        secret: bytes,
        endpoint: bool,
        serve: Serve | None = None,
        lost: Callable[[Link], None] | None = None,
        refused: Callable[[Link, str], None] | None = None,
    ) -> None:
        super().__init__()
        self.ready: asyncio.Future[None] = self.loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.peer_address = ""
        self._handshake: Handshake | None = Handshake(secret, endpoint)
        self._serve, self._lost, self._refused = serve, lost, refused
        self._buffer = bytearray()
        self._pending: dict[int, tuple[asyncio.Future[Any], Any, str]] = {}
        self.serving: dict[int, asyncio.Future[Any]] = {}  # calls from the other side under way, by id
        self._timer: asyncio.TimerHandle | None = None

    # -- connection -------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not derive from asyncio's
        # First, so whatever goes wrong below, a connection that does not authenticate is refused in time.
        self._timer = self.loop.call_later(AUTH_TIMEOUT, self._refuse, "it did not authenticate in time")
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # one frame is one packet, now
        peer = transport.get_extra_info("peername")
        self.peer_address = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        assert self._handshake is not None
        if self._handshake.endpoint:
            self.transport.write(self._handshake.hello())

    def _refuse(self, reason: str) -> None:
        if self._handshake is None or self.closed:
            return
        if self._refused is not None:
            self._refused(self, reason)
        self._not_ready(reason)
        assert self.transport is not None
        self.transport.abort()

    def _not_ready(self, reason: str) -> None:
        if not self.ready.done():
            self.ready.set_exception(AuthError(reason))
            self.ready.exception()  # retrieved: on the endpoint's side nobody waits for it

    def close(self) -> None:
        """Close the connection; from now on it takes no new call (the next one opens a new connection)."""
        if self.transport is not None and not self.closed:
            self.closed = True
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
        self._not_ready("it closed the connection before authenticating")
        pending, self._pending = self._pending, {}
        for future, _sides, name in pending.values():
            if not future.done():
                future.set_result((False, BindingError(gone(name, self.peer_pid)), 0))
        pulls, self._pulls = self._pulls, {}
        for future in pulls.values():
            if not future.done():
                future.set_result((ABORT, body_gone(self.peer_pid)))
        for task in list(self.serving.values()):
            task.cancel()  # nobody is waiting for their answers any more
        streams, self._streams = self._streams, {}
        for stream in streams.values():
            self.loop.create_task(_aclose(stream))
        self._refs.clear()
        if self._lost is not None:
            self._lost(self)

    # -- frames in --------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self._handshake is not None:
            data = self._authenticate(data)
            if not data:
                return
        buffer = self._buffer
        if not buffer and len(data) >= 9 and int.from_bytes(data[:4], "big") == len(data) - 4:
            self._frame(data)  # the common case: exactly one frame
            return
        buffer += data
        start = 0
        while len(buffer) - start >= 4:
            size = int.from_bytes(buffer[start : start + 4], "big")
            if size > MAX_FRAME or size < 5:
                self._broken(f"a frame of {size} bytes")
                return
            if len(buffer) - start - 4 < size:
                break
            self._frame(bytes(buffer[start : start + 4 + size]))
            start += 4 + size
        del buffer[:start]

    def _authenticate(self, data: bytes) -> bytes:
        handshake = self._handshake
        assert handshake is not None and self.transport is not None
        try:
            reply, rest = handshake.feed(data)
        except AuthError as exc:
            self._refuse(str(exc))
            return b""
        if reply:
            self.transport.write(reply)
        if rest is None:
            return b""
        self.peer_pid, self._handshake = handshake.peer_pid, None
        if self._timer is not None:
            self._timer.cancel()
        self.ready.set_result(None)
        return rest

    def _broken(self, what: str) -> None:
        if self._refused is not None:
            self._refused(self, f"it sent {what}, which pyworker cannot read")
        if self.transport is not None:
            self.transport.abort()

    def _frame(self, data: bytes) -> None:
        _size, kind, ident = HEAD.unpack_from(data, 0)
        try:
            if kind in (RESULT, ERROR):
                self._answered(kind, ident, data)
            elif kind == CALL and self._serve is not None:
                self._serve(self, ident, data)
            elif kind == CALLREF:
                self._called(ident, data)
            else:
                self._control(kind, ident, data)
        except (WireError, struct.error, RecursionError, IndexError, KeyError, TypeError, ValueError) as exc:
            self._broken(f"an unreadable frame ({exc})")

    def _answered(self, kind: int, ident: int, data: bytes) -> None:
        entry = self._pending.pop(ident, None)
        if entry is None or entry[0].done():
            return  # the caller stopped waiting
        future, sides, _name = entry
        if len(data) == _SMALL_FRAME and kind == RESULT and data[9] == INT and data[18] == INT:
            future.set_result((True, *SMALL.unpack_from(data, 9)[1::2]))  # (True, the int, what it used)
            return
        reader = Reader(data, 9, self, sides)
        if kind == RESULT:
            future.set_result((True, reader.value(), reader.value()))
        else:
            future.set_result((False, error_from(reader.value()), reader.value()))

    def _called(self, ident: int, data: bytes) -> None:
        reader = Reader(data, 9, self)
        ref, method = reader.value(), reader.value()
        obj, reader.sides = self.exported(ref), self._refs[ref][1]
        args = reader.value()
        # In an empty context, not the transport's (a copy of whichever invocation opened the connection).
        call = run_ref(self, ident, obj, method, args, reader.sides)
        self.track(ident, self.loop.create_task(call, context=contextvars.Context()))

    def track(self, ident: int, task: asyncio.Future[Any]) -> None:
        self.serving[ident] = task
        task.add_done_callback(lambda _: self.serving.pop(ident, None))

    def _control(self, kind: int, ident: int, data: bytes) -> None:
        if kind == RELEASE:
            self._refs.pop(ident, None)
        elif kind == PULL:
            self.loop.create_task(serve_pull(self, ident, self._streams), context=contextvars.Context())
        elif kind in (CHUNK, END, ABORT):
            future = self._pulls.pop(ident, None)
            if future is not None and not future.done():
                future.set_result((kind, data[9:] if kind == CHUNK else data[9:].decode(errors="replace")))
        elif kind == CANCEL:
            stream = self._streams.pop(ident, None)
            if stream is not None:
                self.loop.create_task(_aclose(stream))
        elif kind == STOP:
            task = self.serving.pop(ident, None)
            if task is not None:
                task.cancel()
        else:
            raise WireError(f"unknown frame type {kind}")

    # -- frames out -------------------------------------------------------------------
    def writer(self, sides: Any = None) -> Writer:
        """A writer for one frame's payload (its header is filled in when sent)."""
        writer = Writer(self, sides)
        writer.out += BLANK
        return writer

    def send(self, kind: int, ident: int, out: bytearray | bytes) -> None:
        if self.closed or self.transport is None:
            return
        if type(out) is bytearray:
            HEAD.pack_into(out, 0, len(out) - 4, kind, ident)
            self.transport.write(out)
        else:
            self.transport.write(HEAD.pack(len(out) + 5, kind, ident) + out)

    def request(self, kind: int, writer: Writer, sides: Any, name: str) -> tuple[int, asyncio.Future[Any]]:
        """Send a ``CALL`` or ``CALLREF``; the future gets ``(ok, value or error, subrequests used)``."""
        future = self.loop.create_future()
        if self.closed:
            future.set_result((False, BindingError(gone(name, self.peer_pid)), 0))
            return 0, future
        self._next += 1
        ident = self._next
        self._pending[ident] = (future, sides, name)
        self.send(kind, ident, writer.out)
        return ident, future

    def stop(self, ident: int) -> None:
        """The caller stopped waiting for call ``ident``: the other side cancels it."""
        if self._pending.pop(ident, None) is not None:
            self.send(STOP, ident, b"")

    def answer(self, ident: int, value: Any, used: int, sides: Any) -> None:
        if type(value) is int and _I64_MIN <= value <= _I64_MAX:
            out = bytearray(_SMALL_FRAME)
            SMALL.pack_into(out, HEAD.size, INT, value, INT, used)
            self.send(RESULT, ident, out)
            return
        writer = self.writer(sides)
        try:
            writer.value(value)
        except WireError as exc:
            self.answer_error(ident, exc, used)
            return
        writer.value(used)
        self.send(RESULT, ident, writer.out)

    def answer_error(self, ident: int, exc: BaseException, used: int) -> None:
        writer = self.writer()
        writer.value(error_fields(exc))
        writer.value(used)
        self.send(ERROR, ident, writer.out)


async def _aclose(stream: AsyncIterator[bytes]) -> None:
    close = getattr(stream, "aclose", None)
    if close is not None:
        with contextlib.suppress(Exception):  # the body's own error: its reader is gone, nobody to tell
            await close()
