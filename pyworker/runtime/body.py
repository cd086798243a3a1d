"""Request/Response bodies: read once, clonable, buffered or streamed."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

from pyworker.runtime.headers import Headers

BodyInit = str | bytes | bytearray | memoryview | AsyncIterable[bytes] | None


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


async def _aclose(stream: AsyncIterable[bytes]) -> None:
    close = getattr(stream, "aclose", None)
    if close is not None:
        await close()


def make_source(body: BodyInit, headers: Headers) -> BodySource | None:
    """Turn a user-supplied body into a source, setting the content-type a ``str`` body implies."""
    if body is None:
        return None
    if isinstance(body, str):
        if not headers.has("content-type"):
            headers.append("content-type", "text/plain;charset=UTF-8")
        return BodySource(body.encode())
    if isinstance(body, bytes | bytearray | memoryview):
        return BodySource(bytes(body))
    if isinstance(body, FormData):
        return BodySource(body.encode(headers))
    if isinstance(body, AsyncIterable):
        return BodySource(stream=body)
    raise TypeError(
        f"Unsupported body type {type(body).__name__}: pass str, bytes, an async iterable of bytes, or None."
    )


class Body:
    """Methods shared by Request and Response: a body can be read once."""

    headers: Headers
    _source: BodySource | None
    _used: bool

    @property
    def body_used(self) -> bool:
        return self._used

    @property
    def js_object(self) -> Any:
        """Cloudflare code passes ``request.js_object`` to ``asgi.fetch``; here there is no JS side."""
        return self

    bodyUsed = body_used

    async def bytes(self) -> bytes:
        if self._used:
            raise BodyUsedError(BODY_USED)
        self._used = True
        return b"" if self._source is None else await self._source.read()

    array_buffer = bytes
    arrayBuffer = bytes

    async def text(self) -> str:
        return (await self.bytes()).decode("utf-8", errors="replace")

    async def json(self, **kwargs: Any) -> Any:
        """Parse the body as JSON; keyword arguments go to ``json.loads``, as on Cloudflare."""
        return json.loads(await self.bytes(), **kwargs)

    async def form_data(self) -> FormData:
        content_type = self.headers.get("content-type") or ""
        return FormData.parse(await self.bytes(), content_type)

    formData = form_data


class File:
    """An uploaded file in a :class:`FormData`."""

    def __init__(self, content: bytes, name: str, type: str = "application/octet-stream") -> None:
        self.content, self.name, self.type = content, name, type

    @property
    def size(self) -> int:
        return len(self.content)

    async def bytes(self) -> bytes:
        return self.content

    async def text(self) -> str:
        return self.content.decode()

    def __repr__(self) -> str:
        return f"File(name={self.name!r}, type={self.type!r}, size={self.size})"


class FormData:
    """Parsed form fields: ``get``, ``get_all``/``getAll``, ``has``, ``items``, ``append``."""

    def __init__(self, items: list[tuple[str, str | File]] | None = None) -> None:
        self._items = list(items or [])

    @classmethod
    def parse(cls, data: bytes, content_type: str) -> FormData:
        if content_type.startswith("application/x-www-form-urlencoded"):
            return cls([(k, v) for k, v in parse_qsl(data.decode(), keep_blank_values=True)])
        if content_type.startswith("multipart/form-data"):
            header = f"Content-Type: {content_type}\r\n\r\n".encode()
            from email.parser import BytesParser  # here: the email package costs ~10 ms at start-up
            from email.policy import HTTP

            message = BytesParser(policy=HTTP).parsebytes(header + data)
            items: list[tuple[str, str | File]] = []
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                filename = part.get_filename()
                decoded = part.get_payload(decode=True)
                payload = decoded if isinstance(decoded, bytes) else b""
                if filename is None:
                    items.append((str(name), payload.decode()))
                else:
                    items.append((str(name), File(payload, filename, part.get_content_type())))
            return cls(items)
        raise TypeError(f'Cannot parse form data from content-type "{content_type}".')

    def encode(self, headers: Headers) -> bytes:
        """Encode as ``multipart/form-data``, as fetch does with a FormData body (files keep their bytes)."""
        boundary = f"----pyworker-{secrets.token_hex(12)}"
        if not headers.has("content-type"):
            headers.set("content-type", f"multipart/form-data; boundary={boundary}")
        parts: list[bytes] = []
        for name, value in self._items:
            disposition = f'Content-Disposition: form-data; name="{_escape(name)}"'
            if isinstance(value, File):
                head = f'{disposition}; filename="{_escape(value.name)}"\r\nContent-Type: {value.type}'
                data = value.content
            else:
                head, data = disposition, value.encode()
            parts.append(f"--{boundary}\r\n{head}\r\n\r\n".encode() + data + b"\r\n")
        return b"".join(parts) + f"--{boundary}--\r\n".encode()

    def get(self, name: str, default: Any = None) -> str | File | None:
        return next((v for k, v in self._items if k == name), default)

    def get_all(self, name: str) -> list[str | File]:
        return [v for k, v in self._items if k == name]

    getAll = get_all

    def has(self, name: str) -> bool:
        return any(k == name for k, _ in self._items)

    def append(self, name: str, value: str | File) -> None:
        self._items.append((name, value))

    def items(self) -> list[tuple[str, str | File]]:
        return list(self._items)

    def __getitem__(self, name: str) -> str | File:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return any(k == name for k, _ in self._items)

    def __iter__(self) -> Any:
        return iter(self._items)


def _escape(name: str) -> str:
    # The HTML spec's escaping for names in a multipart/form-data header.
    return name.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")
