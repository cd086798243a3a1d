"""The client's side of one request: its body as it arrives, and whether the client is still there.

uvicorn's ``send`` after a disconnect silently does nothing, so a worker streaming to a
client that left would never find out. :class:`ClientLink` owns the request's
``receive`` for the whole exchange: it feeds body chunks to whoever reads the body
(reading ahead at most :data:`READ_AHEAD` bytes), and once the body is in it keeps
listening, so a disconnect is seen at any moment. What it sees that ends the exchange
(the client left, the body grew past its limit, the body stopped arriving) cancels the
task serving the request, with :attr:`ClientLink.reason` saying why.
"""

from __future__ import annotations

import asyncio
import collections
import enum
from collections.abc import AsyncIterator

from pyworker.errors import ClientDisconnected
from pyworker.options import ClientLimits
from pyworker.types import Receive

READ_AHEAD = 1024 * 1024  # body bytes received before the worker asks for them


class Ending(enum.Enum):
    """Why the link cancelled the request."""

    DISCONNECTED = "the client disconnected"
    TOO_LARGE = "the request body grew past its limit"
    BODY_TIMEOUT = "the request body stopped arriving"


class ClientLink:
    """Watches one request's client while a task serves it; see the module's docstring."""

    def __init__(self, receive: Receive, limits: ClientLimits, serving: asyncio.Task[object] | None) -> None:
        self.reason: Ending | None = None
        self._receive = receive
        self._limits = limits
        self._serving = serving
        self._chunks: collections.deque[bytes] = collections.deque()
        self._buffered = 0
        self._received = 0
        self._complete = False  # the whole body is in (or will never be)
        self._arrived = asyncio.Event()  # a chunk or the end arrived
        self._room = asyncio.Event()  # below READ_AHEAD again
        self._room.set()
        self._watcher = asyncio.ensure_future(self._watch())

    def close(self) -> None:
        """The exchange is over (answered or abandoned): stop listening."""
        self._serving = None
        self._watcher.cancel()

    async def body(self) -> AsyncIterator[bytes]:
        """The request body, chunk by chunk, as it arrives."""
        while True:
            while not self._chunks:
                if self._complete:
                    if self.reason is not None:
                        raise ClientDisconnected(f"The request body did not arrive in full: {self.reason.value}.")
                    return
                self._arrived.clear()
                await self._arrived.wait()
            chunk = self._chunks.popleft()
            self._buffered -= len(chunk)
            if self._buffered < READ_AHEAD:
                self._room.set()
            yield chunk

    async def _watch(self) -> None:
        try:
            while not self._complete:
                await self._room.wait()
                try:
                    async with asyncio.timeout(self._limits.body_timeout):
                        message = await self._receive()
                except TimeoutError:
                    return self._end(Ending.BODY_TIMEOUT)
                if message["type"] == "http.disconnect":
                    return self._end(Ending.DISCONNECTED)
                self._take(message.get("body", b""), bool(message.get("more_body", False)))
            # The body is in: what comes now is the client leaving (or uvicorn saying the response is done,
            # which cannot happen before close()).
            while (await self._receive())["type"] != "http.disconnect":
                pass
            self._end(Ending.DISCONNECTED)
        except asyncio.CancelledError:
            return

    def _take(self, chunk: bytes, more: bool) -> None:
        self._received += len(chunk)
        if self._received > self._limits.max_body_bytes:
            return self._end(Ending.TOO_LARGE)
        if chunk:
            self._chunks.append(chunk)
            self._buffered += len(chunk)
            if self._buffered >= READ_AHEAD:
                self._room.clear()
        self._complete = not more
        self._arrived.set()

    def _end(self, reason: Ending) -> None:
        self.reason, self._complete = reason, True
        self._chunks.clear()
        self._arrived.set()
        if self._serving is not None:
            self._serving.cancel()
