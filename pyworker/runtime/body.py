"""Request/Response bodies: read once, clonable, buffered or streamed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from pyworker.runtime.blob import Blob, File
from pyworker.runtime.formdata import FormData
from pyworker.runtime.headers import Headers
from pyworker.runtime.jsvalues import ArrayBuffer
from pyworker.runtime.jsview import JsMessage, owner_of
from pyworker.runtime.message import HTTPMessageMapping, message_of

__all__ = [
    "BODY_USED",
    "Blob",
    "Body",
    "BodyInit",
    "BodySource",
    "BodyUsedError",
    "File",
    "FormData",
    "headers_of",
    "make_source",
]

BodyInit = str | bytes | bytearray | memoryview | Blob | FormData | AsyncIterable[bytes] | None


BODY_USED = "Body already used. A body can be read once; call clone() before reading it."


class BodyUsedError(OSError):
    """Reading a body a second time; Cloudflare raises an ``OSError`` here too."""


class StreamTypeError(TypeError):
    """A body stream yielded something other than bytes."""

    def __init__(self, type_name: str) -> None:
        super().__init__(f"A body stream must yield bytes, not {type_name}.")
        self.type_name = type_name


class BodySource:
    """The bytes behind a body. A stream is read at most once, then cached, so clones can share it."""

    __slots__ = ("_data", "_lock", "_shared", "_stream")

    def __init__(self, data: bytes = b"", stream: AsyncIterable[bytes] | None = None) -> None:
        self._data = data
        self._stream = stream
        self._shared = False
        self._lock: asyncio.Lock | None = None

    @property
    def buffered(self) -> bool:
        return self._stream is None

    def share(self) -> BodySource:
        """Mark this source as read by more than one body (a clone), so nobody may drain it alone."""
        self._shared = True
        return self

    async def read(self) -> bytes:
        if self._stream is not None:
            # Two clones may read at once; only one of them may drain the stream.
            self._lock = self._lock or asyncio.Lock()
            async with self._lock:
                if self._stream is not None:
                    chunks = [bytes(chunk) async for chunk in self._stream]
                    self._data, self._stream = b"".join(chunks), None
        return self._data

    async def chunks(self) -> AsyncIterator[bytes]:
        """Yield the body as it arrives, without buffering it when nobody else shares it."""
        if self._stream is None or self._shared:
            data = await self.read()
            if data:
                yield data
            return
        stream, self._stream = self._stream, None
        try:
            async for chunk in stream:
                if not isinstance(chunk, bytes | bytearray | memoryview):
                    raise StreamTypeError(type(chunk).__name__)
                yield bytes(chunk)
        finally:
            await _aclose(stream)  # stopped early (the client left, an error): the stream's finally runs now

    async def aclose(self) -> None:
        """Close a stream nobody will read, so its ``finally`` blocks run now rather than at garbage collection."""
        stream, self._stream = self._stream, None
        if stream is not None:
            await _aclose(stream)

    def sealed(self) -> BodySource:
        """This body as the other side of a binding gets it: the same bytes, and no way back to the sender's
        stream (a generator's frame would lead to the sender's locals and module)."""
        if self._stream is None:
            return BodySource(self._data)
        return BodySource(stream=SealedStream(self.chunks()))


async def _aclose(stream: AsyncIterable[bytes]) -> None:
    close = getattr(stream, "aclose", None)
    if close is not None:
        await close()


_SEALED_OWN = frozenset({"__aiter__", "__anext__", "aclose", "__class__", "__repr__"})


class SealedStream:
    """An async iterable of chunks from another worker: iterating it is all that can be done with it."""

    __slots__ = ("_sealed",)

    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        object.__setattr__(self, "_sealed", stream.__aiter__())

    def __getattribute__(self, name: str) -> Any:
        if name in _SEALED_OWN:
            return object.__getattribute__(self, name)
        raise AttributeError(f"'SealedStream' object has no attribute {name!r}")

    def __aiter__(self) -> SealedStream:
        return self

    async def __anext__(self) -> bytes:
        chunk: bytes = await object.__getattribute__(self, "_sealed").__anext__()
        return chunk

    async def aclose(self) -> None:
        await _aclose(object.__getattribute__(self, "_sealed"))


def make_source(body: BodyInit, headers: Headers) -> BodySource | None:
    """Turn a user-supplied body into a source, setting the content-type a ``str`` body implies."""
    if body is None:
        return None
    if type(body) is not str:
        body = owner_of(body)  # form.js_object, blob.js_object: the form or blob itself
    if isinstance(body, str):
        if not headers.has("content-type"):
            headers.append("content-type", "text/plain;charset=UTF-8")
        return BodySource(body.encode())
    if isinstance(body, bytes | bytearray | memoryview):
        return BodySource(bytes(body))
    if isinstance(body, FormData):
        return BodySource(body._encode(headers))
    if isinstance(body, Blob):
        if body.content_type and not headers.has("content-type"):
            headers.append("content-type", body.content_type)
        return BodySource(body._content)
    if isinstance(body, AsyncIterable):
        return BodySource(stream=body)
    raise TypeError(
        f"Unsupported body type {type(body).__name__}: pass str, bytes, an async iterable of bytes, or None."
    )


def headers_of(message: Body | JsMessage) -> Headers:
    """The live header list of a request or response (what ``message.js_object.headers`` is)."""
    return message.headers if isinstance(message, JsMessage) else message._headers


class Body:
    """Methods shared by Request and Response: a body can be read once.

    ``headers`` is what the SDK returns: a new ``HTTPMessage`` copy on each access
    (:func:`pyworker.runtime.message.message_of`); the live list is ``js_object.headers``.
    """

    _JS_NAME = "Body"
    _headers: Headers
    _source: BodySource | None
    _used: bool

    @property
    def headers(self) -> HTTPMessageMapping:
        return message_of(self._headers, self._JS_NAME)

    @property
    def body_used(self) -> bool:
        return self._used

    @property
    def js_object(self) -> JsMessage:
        """The JavaScript object the SDK wraps: JavaScript names, and the live ``Headers``."""
        return JsMessage(self)

    async def bytes(self) -> bytes:
        if self._used:
            raise BodyUsedError(BODY_USED)
        self._used = True
        return b"" if self._source is None else await self._source.read()

    async def buffer(self) -> ArrayBuffer:
        """The body as an ``ArrayBuffer`` (``.to_bytes()``, ``.to_memoryview()``), as ``FetchResponse.buffer()``."""
        return ArrayBuffer(await self.bytes())

    async def blob(self) -> Blob:
        content_type = self._headers.get("content-type") or ""
        return Blob([await self.bytes()], content_type)

    async def text(self) -> str:
        return (await self.bytes()).decode("utf-8", errors="replace")

    async def json(self, **kwargs: Any) -> Any:
        """Parse the body as JSON; keyword arguments go to ``json.loads``, as on Cloudflare."""
        return json.loads(await self.bytes(), **kwargs)

    async def form_data(self) -> FormData:
        content_type = self._headers.get("content-type") or ""
        return FormData._parse(await self.bytes(), content_type)
