"""JavaScript values as Python code on Cloudflare sees them, shared by bindings, storage and the SDK modules.

:class:`JsException` is ``pyodide.ffi.JsException``: what a JavaScript error (an RPC
failure, a ``DataCloneError``, a D1 SQL error...) is when it reaches Python code.
:class:`JsDict` is the dict the SDK's conversion of a JavaScript object gives: keys, and
attributes too (``row.name``).
"""

from __future__ import annotations

from typing import Any


def number_text(number: float) -> str:
    """A float as JavaScript's ``String(number)`` writes it (``2`` for 2.0, ``NaN``, ``Infinity``)."""
    if number != number:
        return "NaN"
    if number in (float("inf"), float("-inf")):
        return "Infinity" if number > 0 else "-Infinity"
    if number.is_integer() and abs(number) < 1e21:
        return str(int(number))
    from decimal import Decimal  # here: decimal costs ~1.5 ms at start-up, for non-integral numbers only

    sign, digits, exponent = Decimal(repr(number)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    point = len(digits) + int(exponent)  # the decimal point sits after this many digits
    if 0 < point <= 21:
        body = text[:point] + "." + text[point:] if len(text) > point else text + "0" * (point - len(text))
    elif -6 < point <= 0:
        body = "0." + "0" * -point + text
    else:  # JavaScript's exponential form: 1e-7, 1.5e+21
        body = (text[0] + "." + text[1:] if len(text) > 1 else text) + f"e{point - 1:+d}"
    return ("-" if sign else "") + body


class JsException(Exception):
    """A JavaScript error reaching Python code: ``.name`` (``"Error"``, ``"TypeError"``,
    ``"DataCloneError"``...) and ``.message``; ``str()`` reads like JavaScript's ``String(error)``."""

    def __init__(self, name: str = "Error", message: str = "") -> None:
        super().__init__(message)
        self.name = name
        self.message = message

    def __str__(self) -> str:
        if self.message.startswith(f"{self.name}:"):
            return self.message
        return f"{self.name}: {self.message}" if self.message else self.name

    def __repr__(self) -> str:
        return f"JsException({self.name!r}, {self.message!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.name, self.message))


class JsDict(dict[Any, Any]):
    """A dict that came from a JavaScript object: keys work, and so do attributes (``d.name``), as in the SDK."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None


class JsProxy:
    """Base class of the JavaScript-like values pyworker returns (``pyodide.ffi.JsProxy``), for ``isinstance``."""

    __slots__ = ()

    @property
    def typeof(self) -> str:
        return "object"


class JsBuffer(bytes, JsProxy):
    """A ``Uint8Array`` / ``ArrayBuffer`` (``pyodide.ffi.JsBuffer``): the bytes themselves, with ``.buffer``
    and Pyodide's ``to_*`` methods. What ``await request.buffer()`` and ``to_js(b"...")`` return."""

    @property
    def buffer(self) -> JsBuffer:
        return self

    @property
    def byteLength(self) -> int:
        return len(self)

    @property
    def length(self) -> int:
        return len(self)

    def to_bytes(self) -> bytes:
        return bytes(self)

    def to_memoryview(self) -> memoryview:
        return memoryview(self)

    def to_py(self) -> memoryview:
        return memoryview(self)

    def to_string(self, encoding: str | None = None) -> str:
        return bytes(self).decode(encoding or "utf-8")


ArrayBuffer = JsBuffer
