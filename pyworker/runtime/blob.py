"""``Blob`` and ``File``, with the SDK's constructors and methods (``workers.Blob``, ``workers.File``)."""

from __future__ import annotations

import builtins
import time
from collections.abc import Iterable
from typing import Any

from pyworker.runtime.jsview import JsBlob, owner_of


def _part(part: Any) -> bytes:
    part = owner_of(part)  # a JavaScript Blob (blob.js_object) is the blob
    if isinstance(part, str):
        return part.encode()
    if isinstance(part, Blob):
        return part._data
    try:
        with memoryview(part) as view:
            return view.tobytes()
    except TypeError:
        raise TypeError(f"Don't know how to handle {type(part)} for Blob()") from None


class Blob:
    """Immutable bytes with a content type: ``Blob(parts, content_type=None)``; ``parts`` is one
    value or an iterable of ``str``, ``bytes``, buffers and other blobs."""

    _JS_NAME = "Blob"

    def __init__(self, blob_parts: Any = (), content_type: str | None = None, endings: str | None = None) -> None:
        single = isinstance(blob_parts, str | bytes | bytearray | memoryview | Blob) or not isinstance(
            blob_parts, Iterable
        )
        if single and not content_type and isinstance(blob_parts, Blob):
            content_type = blob_parts.content_type
        parts = [blob_parts] if single else list(blob_parts)
        self._data = b"".join(_part(part) for part in parts)
        self._type = (content_type or "").lower()

    @property
    def size(self) -> int:
        return len(self._data)

    @property
    def content_type(self) -> str:
        return self._type

    @property
    def _content(self) -> bytes:
        return self._data

    @property
    def js_object(self) -> JsBlob:
        """The JavaScript ``Blob`` the SDK wraps (``size``, ``type``, ``arrayBuffer()``...)."""
        return JsBlob(self)

    async def text(self) -> str:
        return self._data.decode("utf-8", errors="replace")

    async def bytes(self) -> builtins.bytes:
        return self._data

    async def _array_buffer(self) -> builtins.bytes:
        return self._data

    def slice(self, start: int | None = None, end: int | None = None, content_type: str | None = None) -> Blob:
        return Blob([self._data[slice(start, end)]], content_type)

    def _copy(self) -> Blob:
        """This blob as the other side of a binding gets it (a new object; blobs are immutable)."""
        return Blob([self._data], self._type)

    def __repr__(self) -> str:
        return f"Blob(size={self.size}, type={self._type!r})"


class File(Blob):
    """A named blob: ``File(parts, filename, content_type=None, last_modified=None)``."""

    _JS_NAME = "File"

    def __init__(
        self,
        blob_parts: Any,
        filename: str,
        content_type: str | None = None,
        endings: str | None = None,
        last_modified: int | None = None,
    ) -> None:
        if not last_modified and isinstance(blob_parts, File):
            last_modified = blob_parts.last_modified
        super().__init__(blob_parts, content_type, endings)
        self._name = filename
        self._last_modified = last_modified if last_modified is not None else int(time.time() * 1000)

    @property
    def name(self) -> str:
        return self._name

    @property
    def last_modified(self) -> int:
        return self._last_modified

    def _copy(self) -> File:
        return File([self._data], self._name, self._type, last_modified=self._last_modified)

    def __repr__(self) -> str:
        return f"File(name={self._name!r}, type={self._type!r}, size={self.size})"
