"""How the SDK's ``_BindingWrapper`` hands Python values to a JavaScript binding and back.

Storage bindings (KV, D1, R2) are JavaScript objects in production, reached through
``workers.rpc``: arguments go through ``python_to_rpc`` (``None`` becomes ``null``, a
``tuple`` or ``bytearray`` is refused, keyword arguments become one trailing JavaScript
object) and results through ``python_from_rpc`` (objects become dicts with attribute access,
``ArrayBuffer`` a ``memoryview``, ``null`` ``None``, and a JavaScript number an ``int`` when
it is a safe integer). These helpers apply the same rules, so code sees the same values.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

from pyworker.bindings.refusals import refused
from pyworker.runtime.jsvalues import JsDict, JsException, number_text

MAX_SAFE_INTEGER = 2**53 - 1
_PLAIN = frozenset({str, int, float, bool, bytes, type(None)})  # values the SDK never refuses
CHUNK = 64 * 1024


def call_args(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> list[Any]:
    """The JavaScript arguments of a call: keyword arguments become one trailing object, as in the SDK."""
    if not kwargs and _PLAIN.issuperset(map(type, args)):  # the common case: keys, text, numbers
        return list(args)
    for value in args:
        _refuse(value)
    values = list(args)
    if kwargs:
        for value in kwargs.values():
            _refuse(value)
        values.append(dict(kwargs))
    return values


def _refuse(value: Any) -> None:
    # The SDK's _raise_on_disabled_type, with its message.
    found = refused(value)
    if found is not None:
        kind = type(found[0])
        raise TypeError(f"Awaitable {kind} cannot be sent over RPC." if inspect.isawaitable(found[0])
                        else f"{kind} cannot be sent over RPC.")  # fmt: skip


def arg(values: list[Any], index: int) -> Any:
    """Argument ``index``, or ``None`` when it was not passed (``undefined``)."""
    return values[index] if index < len(values) else None


def options(value: Any, method: str) -> dict[str, Any]:
    """An options argument: a dict (or nothing); anything else is JavaScript's TypeError."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise JsException("TypeError", f"Failed to execute '{method}': the options argument must be an object.")


def kind_of(value: Any) -> str:
    """``dict``, ``list`` or the type's name, for messages (a dict that crossed a binding is still a dict)."""
    return "dict" if isinstance(value, dict) else "list" if isinstance(value, list) else type(value).__name__


def js_number(value: int | float) -> int | float:
    """A JavaScript number as Pyodide gives it to Python: an ``int`` when it is a safe integer."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
            return int(value)
        return value
    return value if abs(value) <= MAX_SAFE_INTEGER else float(value)


def js_string(value: Any) -> str:
    """JavaScript's ``String(value)`` for what Python code may pass where a string is expected."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, list):
        return ",".join("" if item is None else js_string(item) for item in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def to_python(value: Any) -> Any:
    """A JavaScript value (parsed JSON, a row...) as the SDK hands it to Python."""
    if isinstance(value, dict):
        return JsDict({key: to_python(item) for key, item in value.items()})
    if isinstance(value, list):
        return [to_python(item) for item in value]
    if isinstance(value, bytes):
        return memoryview(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return js_number(value)
    return value


def json_stringify(value: Any) -> str:
    """``JSON.stringify(value)``: compact, non-ASCII kept; a value JSON cannot hold is JavaScript's TypeError."""
    try:
        return json.dumps(_integral(value), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise JsException("TypeError", f"Cannot serialize the value to JSON: {exc}.") from None


def _integral(value: Any) -> Any:
    """``2.0`` as ``2``: a JavaScript number that is an integer is written without a fraction."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {k: _integral(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_integral(v) for v in value]
    return value


def json_parse(text: str) -> Any:
    """``JSON.parse(text)``, with V8's ``SyntaxError`` wording."""
    try:
        return to_python(json.loads(text))
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text):
            raise JsException("SyntaxError", "Unexpected end of JSON input") from None
        shown = text if len(text) <= 32 else text[:10] + "..." + text[-10:]
        token = text[exc.pos]
        raise JsException("SyntaxError", f"Unexpected token '{token}', \"{shown}\" is not valid JSON") from None


def as_bytes(value: Any) -> bytes | None:
    """The bytes of an ``ArrayBuffer``-like value (``bytes``, ``memoryview``), else ``None``."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, memoryview):
        return value.tobytes()
    return None


class ReadableStream:
    """A ``ReadableStream`` of bytes, read once: iterate it (``async for chunk in stream``) or hand
    it to ``Response(stream)``."""

    __slots__ = ("_data", "_used")

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._used = False

    @property
    def locked(self) -> bool:
        return self._used

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        if self._used:
            raise JsException("TypeError", "This ReadableStream is currently locked to a reader.")
        self._used = True
        data, self._data = self._data, b""
        for start in range(0, len(data), CHUNK):
            yield data[start : start + CHUNK]

    async def read_all(self) -> bytes:
        return b"".join([chunk async for chunk in self])

    def __repr__(self) -> str:
        return "<ReadableStream>"
