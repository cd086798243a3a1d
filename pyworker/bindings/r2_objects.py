"""What R2 methods return: ``R2Object`` (metadata), ``R2ObjectBody`` (with the value), checksums, uploads.

Attributes are those of workerd's objects as Python sees them through the SDK: ``uploaded``
is a naive local ``datetime`` (the SDK's conversion of a JavaScript ``Date``), metadata
dicts allow attribute access, binary values are ``memoryview``.
"""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from pyworker.bindings.jsapi import ReadableStream, json_parse
from pyworker.bindings.results import JsResult
from pyworker.runtime.jsvalues import JsDict, JsException
from pyworker.storage.r2 import StoredObject

ALGORITHMS = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha384": "SHA-384", "sha512": "SHA-512"}
HTTP_FIELDS = {
    "contentType": "content-type",
    "contentLanguage": "content-language",
    "contentDisposition": "content-disposition",
    "contentEncoding": "content-encoding",
    "cacheControl": "cache-control",
}
BODY_USED = "Body has already been used. It can only be used once. Use tee() first if you need to read it twice."


def r2_error(action: str, message: str, code: int) -> JsException:
    """An R2 error as workerd throws it: ``get: The requested range is not satisfiable (10039)``."""
    return JsException("Error", f"{action}: {message} ({code})")


def _date(ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ms / 1000)  # the SDK's Date conversion: naive, local time


class R2Checksums(JsResult):
    """``obj.checksums``: each algorithm's digest as a ``memoryview`` (or ``None``); ``toJSON()`` gives hex."""

    JS_NAME = "R2Checksums"
    __slots__ = ("_hex",)

    def __init__(self, hex_digests: dict[str, str]) -> None:
        self._hex = hex_digests

    def __getattr__(self, name: str) -> Any:
        if name in ALGORITHMS:
            digest = self._hex.get(name)
            return None if digest is None else memoryview(bytes.fromhex(digest))
        raise AttributeError(name)

    def toJSON(self) -> JsDict:
        return JsDict(self._hex)


class R2Object(JsResult):
    """An object's metadata (``head``, ``put``, ``list``, or a ``get`` whose ``onlyIf`` did not hold)."""

    JS_NAME = "R2Object"
    __slots__ = ("checksums", "customMetadata", "etag", "httpEtag", "httpMetadata", "key", "range", "size",
                 "ssecKeyMd5", "storageClass", "uploaded", "version")  # fmt: skip

    def __init__(self, obj: StoredObject, range: JsDict | None = None, include: tuple[str, ...] = ("http", "custom")):
        self.key = obj.key
        self.version = obj.version
        self.size = obj.size
        self.etag = obj.etag
        self.httpEtag = f'"{obj.etag}"'
        self.uploaded = _date(obj.uploaded)
        self.httpMetadata = _http_metadata(obj.http_metadata) if "http" in include else None
        self.customMetadata = JsDict(obj.custom_metadata) if "custom" in include else None
        self.range = range
        self.checksums = R2Checksums(obj.checksums)
        self.storageClass = "Standard"
        self.ssecKeyMd5 = None

    def writeHttpMetadata(self, headers: Any) -> None:
        """Set ``content-type``, ``cache-control``... on ``headers`` from the object's HTTP metadata."""
        fields: dict[str, Any] = self.httpMetadata or {}
        for field, header in HTTP_FIELDS.items():
            value = fields.get(field)
            if value is not None:
                headers.set(header, value)
        expiry = fields.get("cacheExpiry")
        if expiry is not None:
            headers.set("expires", expiry.strftime("%a, %d %b %Y %H:%M:%S GMT"))

    def __repr__(self) -> str:
        return f"<{type(self).JS_NAME} {self.key!r} size={self.size}>"


def _http_metadata(stored: dict[str, Any]) -> JsDict:
    if not stored:
        return JsDict()
    fields = JsDict({key: value for key, value in stored.items() if key != "cacheExpiry"})
    if "cacheExpiry" in stored:
        fields["cacheExpiry"] = datetime.datetime.fromtimestamp(stored["cacheExpiry"] / 1000, datetime.UTC)
    return fields


class R2ObjectBody(R2Object):
    """``get``'s result: metadata and the value, readable once (``text()``, ``json()``, ``arrayBuffer()``,
    ``bytes()``, or ``body`` as a stream)."""

    JS_NAME = "R2ObjectBody"
    __slots__ = ("_data", "_used")

    def __init__(self, obj: StoredObject, data: bytes, range: JsDict | None) -> None:
        super().__init__(obj, range)
        self._data = data
        self._used = False

    @property
    def bodyUsed(self) -> bool:
        return self._used

    @property
    def body(self) -> ReadableStream:
        return ReadableStream(self._take())

    def _take(self) -> bytes:
        if self._used:
            raise JsException("TypeError", BODY_USED)
        self._used = True
        return self._data

    async def arrayBuffer(self) -> memoryview:
        return memoryview(self._take())

    async def bytes(self) -> memoryview:
        return memoryview(self._take())

    async def text(self) -> str:
        return self._take().decode("utf-8", errors="replace")

    async def json(self) -> Any:
        return json_parse(self._take().decode("utf-8", errors="replace"))


def digest(name: str, data: bytes) -> str:
    return hashlib.new(name, data).hexdigest()
