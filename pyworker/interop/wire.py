"""The values a call carries between pyworker processes, as bytes: a small tagged binary format.

Why this format: what crosses a binding is already copied by the binding rules
(:mod:`pyworker.bindings.values`), so the wire only has to carry the few kinds those rules
produce, exactly: ``None``, ``bool``, ``int`` (any size), ``float`` (NaN and infinities too),
``str`` (lone surrogates too, as JavaScript strings), read-only ``memoryview`` bytes, ``list``,
``JsDict`` with string keys, ``set``, ``datetime`` (an instant, in milliseconds, as a JavaScript
``Date``: each side reads it in its own local time), ``Exception`` (its message), ``Request``,
``Response`` (bodies inline or streamed), ``Blob``, ``File``, ``FormData``, and references to
functions and binding stubs, which stay in their owner's process. JSON cannot carry bytes,
sets or big ints without a second layer of tags; ``pickle`` and ``marshal`` run or build
arbitrary objects from what they read. Here decoding reads one tag byte, then a fixed layout
for that tag; an unknown tag, a short frame or a bad length is a :class:`WireError`, and the
only objects it builds are those listed (nothing is imported, called or evaluated).

Layout: one tag byte, then little-endian fields; lengths and counts are unsigned 32-bit.
References and streams are numbered by the connection (see :class:`Peer`).
"""

from __future__ import annotations

import datetime
import struct
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any, Protocol

from pyworker.errors import PyworkerError
from pyworker.runtime.body import Blob, BodySource, File, FormData
from pyworker.runtime.headers import Headers
from pyworker.runtime.http import Request, Response
from pyworker.runtime.jsobject import JsObjectProxy
from pyworker.runtime.jsvalues import JsDict
from pyworker.runtime.wrappers import _BindingWrapper, _FetcherWrapper, _RpcStubWrapper

_I64 = struct.Struct("<q")
_F64 = struct.Struct("<d")
_U32 = struct.Struct("<I")
_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1
MAX_DEPTH = 400  # nesting a frame may have; the binding rules refuse far less deep values long before

# The tags: one byte each.
NONE, TRUE, FALSE, INT, BIGINT, FLOAT, STR, BYTES = b"NTFiIdsb"
LIST, DICT, SET, DATE, ERROR, BLOB, FILE, FORM = b"lmetxBfD"
REQUEST, RESPONSE, REF, YOURS = b"QRry"
# Kinds of reference: a function, a service binding (or Durable Object stub), any other binding object.
CALLABLE, FETCHER, BINDING = b"cFO"
# Bodies: none, inline bytes, a stream the receiver pulls.
NO_BODY, INLINE, STREAM = 0, 1, 2


class WireError(PyworkerError):
    """A value that cannot be written for another process, or bytes from one that do not decode."""


class Peer(Protocol):
    """What the codec asks of the connection: numbers for what stays here, proxies for what stays there."""

    def export(self, obj: Any, sides: Any) -> int:
        """Keep ``obj`` (a function stub or binding) for the other side to call; its reference number."""
        ...

    def own_ref(self, obj: Any) -> int | None:
        """``obj``'s number when it is a proxy this connection made for the other side's object."""
        ...

    def proxy(self, ref: int, kind: int, sides: Any) -> Any:
        """A proxy for the other side's object ``ref``."""
        ...

    def exported(self, ref: int) -> Any:
        """The object this side exported as ``ref`` (sent back to us)."""
        ...

    def export_stream(self, chunks: AsyncIterator[bytes]) -> int: ...

    def import_stream(self, sid: int) -> AsyncIterable[bytes]: ...


class Writer:
    """Appends encoded values to ``out``; ``sides`` is handed to the peer with every exported reference."""

    __slots__ = ("out", "peer", "sides")

    def __init__(self, peer: Peer, sides: Any = None) -> None:
        self.out = bytearray()
        self.peer = peer
        self.sides = sides

    def value(self, value: Any) -> None:
        out, kind = self.out, type(value)
        if value is None:
            out.append(NONE)
        elif kind is bool:
            out.append(TRUE if value else FALSE)
        elif kind is int:
            if _I64_MIN <= value <= _I64_MAX:
                out.append(INT)
                out += _I64.pack(value)
            else:
                data = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
                out.append(BIGINT)
                out += _U32.pack(len(data))
                out += data
        elif kind is str:
            self.text(value, STR)
        elif kind is list or kind is tuple:
            out.append(LIST)
            out += _U32.pack(len(value))
            for item in value:
                self.value(item)
        elif kind is JsDict or kind is dict:
            self.mapping(value)
        elif kind is float:
            out.append(FLOAT)
            out += _F64.pack(value)
        elif kind is memoryview or kind is bytes:
            self.blob(value, BYTES)
        else:
            self.other(value)

    def text(self, value: str, tag: int | None = None) -> None:
        data = value.encode("utf-8", "surrogatepass")
        if tag is not None:
            self.out.append(tag)
        self.out += _U32.pack(len(data))
        self.out += data

    def blob(self, value: bytes | memoryview, tag: int | None = None) -> None:
        if tag is not None:
            self.out.append(tag)
        self.out += _U32.pack(value.nbytes if isinstance(value, memoryview) else len(value))
        self.out += value

    def mapping(self, value: dict[str, Any]) -> None:
        self.out.append(DICT)
        self.out += _U32.pack(len(value))
        for key, item in value.items():
            if type(key) is not str:
                raise WireError(f"A dict key sent to another process must be a str, not {type(key).__name__}.")
            self.text(key)
            self.value(item)

    def other(self, value: Any) -> None:
        out = self.out
        if isinstance(value, datetime.datetime):
            out.append(DATE)
            out += _F64.pack(round(value.timestamp() * 1000))
        elif isinstance(value, set | frozenset):
            out.append(SET)
            out += _U32.pack(len(value))
            for item in value:
                self.value(item)
        elif isinstance(value, Request | Response):
            self.message(value)
        elif isinstance(value, File):
            out.append(FILE)
            self.text(value.name)
            self.text(value.content_type)
            self.value(value.last_modified)
            self.blob(value._content)
        elif isinstance(value, Blob):
            out.append(BLOB)
            self.text(value.content_type)
            self.blob(value._content)
        elif isinstance(value, FormData):
            out.append(FORM)
            out += _U32.pack(len(value._items))
            for name, item in value._items:
                self.text(name)
                self.value(item)
        elif isinstance(value, _BindingWrapper):
            self.reference(value)
        elif isinstance(value, BaseException):
            self.text(str(value), ERROR)
        else:
            raise WireError(f"A {type(value).__name__} cannot be sent to another process.")

    def reference(self, value: _BindingWrapper) -> None:
        ref = self.peer.own_ref(value)
        if ref is not None:  # the other side's own object, coming home
            self.out.append(YOURS)
            self.out += _U32.pack(ref)
            return
        kind = (
            CALLABLE
            if isinstance(value, _RpcStubWrapper)
            else FETCHER
            if isinstance(value, _FetcherWrapper)
            else BINDING
        )
        self.out.append(REF)
        self.out += _U32.pack(self.peer.export(value, self.sides))
        self.out.append(kind)

    def message(self, value: Request | Response) -> None:
        if isinstance(value, Request):
            self.out.append(REQUEST)
            self.text(value.url)
            self.text(str(value.method))
            self.headers(value._headers)
            cf = value._cf
            self.value(cf.to_py() if isinstance(cf, JsObjectProxy) else cf)
            self.text(value.redirect)
        else:
            if value._web_socket is not None:
                raise WireError("A WebSocket response cannot be sent to another process yet.")
            self.out.append(RESPONSE)
            self.value(value.status)
            self.text(value.status_text)
            self.headers(value._headers)
            self.text(value.url)
            self.value(value.redirected)
        self.body(value._source)

    def headers(self, headers: Headers) -> None:
        items = headers._items
        self.out += _U32.pack(len(items))
        for name, item in items:
            self.text(name)
            self.text(item)

    def body(self, source: BodySource | None) -> None:
        if source is None:
            self.out.append(NO_BODY)
        elif source.buffered:
            self.out.append(INLINE)
            self.blob(source._data)
        else:
            self.out.append(STREAM)
            self.out += _U32.pack(self.peer.export_stream(source.chunks()))
