"""Bodies over Cap'n Proto: a ``ByteStream`` pyworker serves becomes an async iterator of chunks,
and a body pyworker sends is written to the other side's ``ByteStream``, both with flow control."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from pyworker.errors import BindingError
from pyworker.runtime.body import BodySource

LIMIT = 8  # chunks held for a slow reader before the writer waits (the other side's write() returns later)


class ByteQueue:
    """Chunks written by the other process, read once in order; :meth:`finish` ends it (with an error
    when the other side dropped the stream unfinished)."""

    def __init__(self, dropped: str) -> None:
        self.dropped = dropped  # the sentence a reader gets if the stream is dropped before end()
        self._items: deque[bytes] = deque()
        self._ended = False
        self._error: str | None = None
        self._readable = asyncio.Event()
        self._writable = asyncio.Event()
        self._writable.set()

    async def put(self, data: bytes) -> None:
        await self._writable.wait()
        self._items.append(data)
        self._readable.set()
        if len(self._items) >= LIMIT:
            self._writable.clear()

    def finish(self, error: str | None = None) -> None:
        if not self._ended:
            self._ended, self._error = True, error
            self._readable.set()

    async def chunks(self) -> AsyncIterator[bytes]:
        while True:
            if self._items:
                data = self._items.popleft()
                if len(self._items) < LIMIT:
                    self._writable.set()
                if data:
                    yield data
                continue
            if self._ended:
                if self._error is not None:
                    raise BindingError(self._error)
                return
            self._readable.clear()
            await self._readable.wait()


def sink_class(schema: Any) -> type:
    """The ``ByteStream`` server class of ``schema``: what the other side writes a body into."""

    class Sink(schema.ByteStream.Server):  # type: ignore[misc]
        def __init__(self, queue: ByteQueue) -> None:
            self.queue = queue

        async def write(self, _context: Any, **params: Any) -> None:
            await self.queue.put(bytes(params["bytes"]))

        async def end(self, _context: Any, **params: Any) -> None:
            self.queue.finish()

        def __del__(self) -> None:  # released without end(): the writer stopped or its process left
            self.queue.finish(self.queue.dropped)

    return Sink


async def pump(source: BodySource, stream: Any) -> None:
    """Write ``source`` to the other side's ``ByteStream`` ``stream``, then end it."""
    async for chunk in source.chunks():
        await stream.write(bytes=chunk)
    await stream.end()


def body_size(source: BodySource | None, length: str | None) -> tuple[str, int]:
    """``("fixed", n)`` when the body's length is known before it is sent, else ``("unknown", 0)``."""
    if source is None:
        return "fixed", 0
    if length is not None and length.isdigit():
        return "fixed", int(length)
    return "unknown", 0
