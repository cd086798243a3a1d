"""Decoding the format of :mod:`pyworker.interop.wire`: one tag, one fixed layout, nothing else built or run."""

from __future__ import annotations

import datetime
from typing import Any

from pyworker.interop.wire import (
    _F64,
    _I64,
    _U32,
    BIGINT,
    BLOB,
    BYTES,
    DATE,
    DICT,
    ERROR,
    FALSE,
    FILE,
    FLOAT,
    FORM,
    INLINE,
    INT,
    LIST,
    MAX_DEPTH,
    NO_BODY,
    NONE,
    REF,
    REQUEST,
    RESPONSE,
    SET,
    STR,
    STREAM,
    TRUE,
    YOURS,
    Peer,
    WireError,
)  # fmt: skip
from pyworker.runtime.body import Blob, BodySource, File, FormData, SealedStream
from pyworker.runtime.headers import Headers
from pyworker.runtime.http import Request, Response, method_of
from pyworker.runtime.jsvalues import JsDict

_unpack_i64 = _I64.unpack_from
_unpack_f64 = _F64.unpack_from
_unpack_u32 = _U32.unpack_from


class Reader:
    """Reads values from ``data`` starting at ``pos``; ``sides`` goes to every proxy it makes."""

    __slots__ = ("data", "depth", "peer", "pos", "sides")

    def __init__(self, data: bytes | bytearray | memoryview, pos: int, peer: Peer, sides: Any = None) -> None:
        self.data = data
        self.pos = pos
        self.peer = peer
        self.sides = sides
        self.depth = 0

    def value(self) -> Any:
        data, pos = self.data, self.pos
        try:
            tag = data[pos]
        except IndexError:
            raise WireError("A frame from another process ended in the middle of a value.") from None
        self.pos = pos + 1
        if tag == INT:
            self.pos = pos + 9
            return _unpack_i64(data, pos + 1)[0]
        if tag == STR:
            return self.text()
        if tag == NONE:
            return None
        if tag == TRUE:
            return True
        if tag == FALSE:
            return False
        if tag == LIST:
            return self._items([])
        if tag == DICT:
            return self._dict()
        if tag == FLOAT:
            self.pos = pos + 9
            return _unpack_f64(data, pos + 1)[0]
        if tag == BYTES:
            return memoryview(self.raw()).toreadonly()
        return self._other(tag)

    def count(self) -> int:
        pos = self.pos
        self.pos = pos + 4
        if self.pos > len(self.data):
            raise WireError("A frame from another process ended in the middle of a value.")
        return int(_unpack_u32(self.data, pos)[0])

    def raw(self) -> bytes:
        size = self.count()
        pos = self.pos
        end = self.pos = pos + size
        if end > len(self.data):
            raise WireError("A frame from another process is shorter than a length it gives.")
        return bytes(self.data[pos:end])

    def text(self) -> str:
        try:
            return self.raw().decode("utf-8", "surrogatepass")
        except UnicodeDecodeError as exc:
            raise WireError(f"A string from another process is not UTF-8: {exc}.") from None

    def _nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise WireError(f"A value from another process is nested deeper than {MAX_DEPTH} levels.")

    def _items(self, into: list[Any]) -> list[Any]:
        self._nested()
        for _ in range(self.count()):
            into.append(self.value())
        self.depth -= 1
        return into

    def _dict(self) -> JsDict:
        self._nested()
        result = JsDict()
        for _ in range(self.count()):
            key = self.text()
            result[key] = self.value()
        self.depth -= 1
        return result

    def _other(self, tag: int) -> Any:
        if tag == BIGINT:
            return int.from_bytes(self.raw(), "little", signed=True)
        if tag == SET:
            return set(self._items([]))
        if tag == DATE:
            millis = self._f64()
            return datetime.datetime.fromtimestamp(millis / 1000)
        if tag == ERROR:
            return Exception(self.text())
        if tag in (REQUEST, RESPONSE):
            return self._message(tag)
        if tag == BLOB:
            content_type = self.text()
            return Blob([self.raw()], content_type)
        if tag == FILE:
            name, content_type, modified = self.text(), self.text(), self.value()
            return File([self.raw()], name, content_type, last_modified=modified)
        if tag == FORM:
            return self._form()
        if tag == REF:
            ref = self.count()
            kind = self._byte()
            return self.peer.proxy(ref, kind, self.sides)
        if tag == YOURS:
            return self.peer.exported(self.count())
        raise WireError(f"A value from another process has the unknown tag {tag!r}.")

    def _f64(self) -> float:
        pos = self.pos
        self.pos = pos + 8
        if self.pos > len(self.data):
            raise WireError("A frame from another process ended in the middle of a value.")
        return float(_unpack_f64(self.data, pos)[0])

    def _byte(self) -> int:
        try:
            byte = self.data[self.pos]
        except IndexError:
            raise WireError("A frame from another process ended in the middle of a value.") from None
        self.pos += 1
        return int(byte)

    def _form(self) -> FormData:
        form = FormData()
        for _ in range(self.count()):
            name = self.text()
            item = self.value()
            if not isinstance(item, str | Blob):
                raise WireError("A form field from another process is neither text nor a file.")
            form._items.append((name, item))
        return form

    def headers(self) -> Headers:
        headers = Headers()
        headers._items = [(self.text(), self.text()) for _ in range(self.count())]
        return headers

    def _message(self, tag: int) -> Request | Response:
        if tag == REQUEST:
            url, method, headers, cf, redirect = self.text(), self.text(), self.headers(), self.value(), self.text()
            request = Request._from_parts(url, method_of(method), headers, self.body(), cf)
            request._redirect = redirect
            return request
        response = Response.__new__(Response)
        response._status, response._status_text, response._headers = self.value(), self.text(), self.headers()
        response._url, response._redirected = self.text(), self.value()
        response._web_socket, response._used = None, False
        response._source = self.body()
        return response

    def body(self) -> BodySource | None:
        kind = self._byte()
        if kind == NO_BODY:
            return None
        if kind == INLINE:
            return BodySource(self.raw())
        if kind == STREAM:
            return BodySource(stream=SealedStream(self.peer.import_stream(self.count())))
        raise WireError(f"A body from another process has the unknown kind {kind}.")
