"""What a connection keeps for the other side: the objects and bodies it exported, and the bodies it reads.

The codec (:mod:`pyworker.interop.wire`) asks a :class:`Exchange` for reference numbers when it
writes and for proxies when it reads; numbers are never reused on one connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from typing import Any

from pyworker.interop.wire import WireError, Writer
from pyworker.interop.wire_frames import ABORT, CANCEL, PULL, RELEASE, body_gone
from pyworker.interop.wire_proxies import RemoteStream, make_proxy, proxy_ref


class Exchange:
    """The tables of one connection; :class:`~pyworker.interop.wire_link.Link` adds the frames."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.closed = False
        self.peer_pid = 0
        self._next = 0  # our call, reference and stream numbers
        self._refs: dict[int, tuple[Any, Any]] = {}  # what we exported: (object, sides)
        self._streams: dict[int, AsyncIterator[bytes]] = {}  # bodies we export
        self._pulls: dict[int, asyncio.Future[Any]] = {}  # bodies we read: the chunk awaited

    # The frames, which the connection sends (what proxies call through this object).
    def send(self, kind: int, ident: int, out: bytearray | bytes) -> None:
        raise NotImplementedError

    def writer(self, sides: Any = None) -> Writer:
        raise NotImplementedError

    def request(self, kind: int, writer: Writer, sides: Any, name: str) -> tuple[int, asyncio.Future[Any]]:
        raise NotImplementedError

    def stop(self, ident: int) -> None:
        raise NotImplementedError

    def export(self, obj: Any, sides: Any) -> int:
        self._next += 1
        self._refs[self._next] = (obj, sides)
        return self._next

    def own_ref(self, obj: Any) -> int | None:
        return proxy_ref(obj, self)

    def proxy(self, ref: int, kind: int, sides: Any) -> Any:
        proxy = make_proxy(self, ref, kind, sides)
        weakref.finalize(proxy, self._release, ref)
        return proxy

    def _release(self, ref: int) -> None:
        self._threadsafe(RELEASE, ref)

    def _threadsafe(self, kind: int, ident: int) -> None:
        if not self.closed:
            # From a finalizer, which may run in any thread; a closed loop means a closed connection.
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.send, kind, ident, b"")

    def exported(self, ref: int) -> Any:
        entry = self._refs.get(ref)
        if entry is None:
            raise WireError(f"the other process named reference {ref}, which this one does not hold")
        return entry[0]

    def export_stream(self, chunks: AsyncIterator[bytes]) -> int:
        self._next += 1
        self._streams[self._next] = chunks
        return self._next

    def import_stream(self, sid: int) -> RemoteStream:
        return RemoteStream(self, sid)

    def pull(self, sid: int) -> asyncio.Future[Any]:
        """Ask for the next chunk of stream ``sid``: ``(CHUNK, bytes)``, ``(END, "")`` or ``(ABORT, reason)``."""
        future = self.loop.create_future()
        if self.closed:
            future.set_result((ABORT, body_gone(self.peer_pid)))
        else:
            self._pulls[sid] = future
            self.send(PULL, sid, b"")
        return future

    def cancel_stream(self, sid: int) -> None:
        self._threadsafe(CANCEL, sid)
