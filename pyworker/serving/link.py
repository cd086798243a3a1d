"""The client's side of one request: its body as it arrives, whether the client is still there, its deadline.

uvicorn's ``send`` after a disconnect silently does nothing, so a worker streaming to a
client that left would never find out. :class:`ClientLink` owns the request's
``receive`` for the whole exchange. The body is received when the worker reads it; and
a request still running after :data:`WATCH_EVERY` (the :class:`Watchman` looks that often)
gets a watcher that keeps receiving (reading ahead at most :data:`READ_AHEAD` body
bytes), so a disconnect is seen at any moment. Requests that finish sooner (nearly all)
never pay for a watcher task, nor for a timer of their own.

What ends the exchange early (the client left, the body grew past its limit or stopped
arriving, the response did not start within the request's time limit) cancels the task
serving the request, with :attr:`ClientLink.reason` saying why.
"""

from __future__ import annotations

import asyncio
import collections
import enum
import time
from collections.abc import AsyncIterator
from typing import Any

from pyworker.errors import ClientDisconnected
from pyworker.options import ClientLimits
from pyworker.types import Message, Receive

READ_AHEAD = 1024 * 1024  # body bytes the watcher receives before the worker asks for them
WATCH_EVERY = 0.05  # seconds between the watchman's looks at the requests in flight


class Ending(enum.Enum):
    """Why the link cancelled the request."""

    DISCONNECTED = "the client disconnected"
    TOO_LARGE = "the request body grew past its limit"
    BODY_TIMEOUT = "the request body stopped arriving"
    TIMED_OUT = "the response did not start in time"


class Watchman:
    """Looks at every request in flight every :data:`WATCH_EVERY` seconds: one timer for all of them."""

    def __init__(self) -> None:
        self._links: set[ClientLink] = set()
        self._timer: asyncio.TimerHandle | None = None

    def add(self, link: ClientLink) -> None:
        self._links.add(link)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(WATCH_EVERY, self._look)

    def discard(self, link: ClientLink) -> None:
        self._links.discard(link)

    def _look(self) -> None:
        self._timer = None
        now = time.monotonic()
        for link in list(self._links):
            link.check(now)
        if self._links:
            self._timer = asyncio.get_running_loop().call_later(WATCH_EVERY, self._look)


class ClientLink:
    """Watches one request's client while ``serving`` (a task) serves it; see the module's docstring."""

    __slots__ = ("_arrived", "_buffered", "_chunks", "_complete", "_deadline", "_last_arrival", "_limits",
                 "_receive", "_received", "_receiving", "_serving", "_since", "_watcher", "_watchman",
                 "reason")  # fmt: skip

    def __init__(
        self, receive: Receive, limits: ClientLimits, serving: asyncio.Task[Any], timeout: float, watchman: Watchman
    ) -> None:
        self.reason: Ending | None = None
        self._receive = receive
        self._limits = limits
        self._serving: asyncio.Task[Any] | None = serving
        self._watchman = watchman
        self._since = self._last_arrival = time.monotonic()
        self._deadline: float | None = self._since + timeout
        self._chunks: collections.deque[bytes] = collections.deque()
        self._buffered = 0
        self._received = 0
        self._complete = False  # the whole body is in (or will never be)
        self._receiving = False  # a receive() is under way (only one at a time)
        self._arrived: asyncio.Event | None = None  # made when someone has to wait for a chunk
        self._watcher: asyncio.Task[None] | None = None
        watchman.add(self)

    def responding(self) -> None:
        """The response is ready: the time limit no longer applies (a stream may last)."""
        self._deadline = None

    def close(self) -> None:
        """The exchange is over (answered or abandoned): stop listening."""
        self._serving = None
        self._watchman.discard(self)
        if self._watcher is not None:
            self._watcher.cancel()

    async def body(self) -> AsyncIterator[bytes]:
        """The request body, chunk by chunk, as it arrives."""
        while True:
            if self._chunks:
                chunk = self._chunks.popleft()
                self._buffered -= len(chunk)
                yield chunk
                continue
            if self._complete:
                if self.reason is not None:
                    if self._serving is asyncio.current_task():
                        await asyncio.sleep(0)  # this task was just cancelled: let the cancellation land here
                    raise ClientDisconnected(f"The request body did not arrive in full: {self.reason.value}.")
                return
            if self._receiving:
                await self._wait_for_arrival()
            else:
                await self._receive_one()

    # -- receiving: one receive() at a time, from the body's reader or the watcher --------------
    async def _receive_one(self) -> None:
        self._receiving = True
        try:
            message = await self._receive()
        finally:
            self._receiving = False
        self._take(message)

    def _take(self, message: Message) -> None:
        if message["type"] == "http.disconnect":
            return self._end(Ending.DISCONNECTED)
        chunk = message.get("body", b"")
        self._received += len(chunk)
        self._last_arrival = time.monotonic()
        if self._received > self._limits.max_body_bytes:
            return self._end(Ending.TOO_LARGE)
        if chunk:
            self._chunks.append(chunk)
            self._buffered += len(chunk)
        self._complete = self._complete or not message.get("more_body", False)
        self._signal()

    async def _wait_for_arrival(self) -> None:
        if self._arrived is None:
            self._arrived = asyncio.Event()
        self._arrived.clear()
        await self._arrived.wait()

    def _signal(self) -> None:
        if self._arrived is not None:
            self._arrived.set()

    async def _watch(self) -> None:
        """Keep receiving: body chunks (up to :data:`READ_AHEAD` ahead), then the client leaving."""
        try:
            while self.reason is None:
                if self._receiving or (not self._complete and self._buffered >= READ_AHEAD):
                    await self._wait_for_arrival()
                elif not self._complete:
                    await self._receive_one()
                else:
                    # The body is in: all that can come now is the client leaving (uvicorn says the same
                    # once the response is complete, but close() stops this watcher before that).
                    message = await self._receive()
                    if message["type"] == "http.disconnect":
                        self._end(Ending.DISCONNECTED)
        except asyncio.CancelledError:
            return

    # -- deadlines ---------------------------------------------------------------------------
    def check(self, now: float) -> None:
        """The watchman's look: end the exchange past a deadline, else make sure the client is watched."""
        if self._serving is None or self.reason is not None:
            return
        if self._deadline is not None and now >= self._deadline:
            return self._end(Ending.TIMED_OUT)
        if not self._complete and self._receiving and now - self._last_arrival >= self._limits.body_timeout:
            return self._end(Ending.BODY_TIMEOUT)
        if self._watcher is None and now - self._since >= WATCH_EVERY:  # most requests are over before this
            self._watcher = asyncio.ensure_future(self._watch())

    def _end(self, reason: Ending) -> None:
        self.reason, self._complete = reason, True
        self._chunks.clear()
        self._signal()
        if self._serving is not None:
            self._serving.cancel()
