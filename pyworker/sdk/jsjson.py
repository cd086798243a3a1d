"""JavaScript's ``JSON.parse``, ``JSON.stringify`` and ``String(value)`` on the values Python code hands JavaScript.

Shared by ``js.JSON``, ``js.Response`` and the JavaScript ``Request``/``Response`` objects
(``await response.json()`` is ``JSON.parse`` of the body). A Python value that Pyodide does
not convert (a ``dict``, a ``list``, ``bytes``, any object) reaches JavaScript as a proxy,
whose ``String()`` is Python's ``str()``: that is what ``String(value)`` gives here too.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pyworker.runtime.jsvalues import JsBuffer, JsException, number_text
from pyworker.sdk.jsobjects import JsArray, JsDate, JsNull, JsObject, JsURL
from pyworker.sdk.jsonerrors import v8_message


def parse(text: str | bytes) -> Any:
    """``JSON.parse(text)``: objects as :class:`JsObject`, arrays as :class:`JsArray`; ``SyntaxError`` as V8's."""
    if isinstance(text, bytes | bytearray | memoryview):
        text = bytes(text).decode("utf-8", errors="replace")
    try:
        return _arrays(json.loads(text, object_hook=JsObject, parse_constant=_no_constant))
    except json.JSONDecodeError as exc:
        raise JsException("SyntaxError", v8_message(text, exc)) from None
    except _Constant:
        raise JsException("SyntaxError", v8_message(text, None)) from None


class _Constant(ValueError):
    """NaN or Infinity, which Python's json accepts and JSON does not."""


def _no_constant(name: str) -> Any:
    raise _Constant(name)


def _arrays(value: Any) -> Any:
    """JSON arrays as :class:`JsArray` (lists with ``to_py()``), all the way down."""
    if isinstance(value, list):
        return JsArray(_arrays(item) for item in value)
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, list | dict):
                value[key] = _arrays(item)
    return value


def stringify(value: Any, replacer: Any = None, space: int | str | None = None) -> str | None:
    """``JSON.stringify``: compact (``[{"id":1}]``), raw UTF-8, integral floats as integers, NaN as null."""
    if replacer is not None:
        raise TypeError("pyworker's JSON.stringify takes no replacer: pass None, and shape the value first.")
    if value is None:
        return None  # JSON.stringify(undefined) is undefined
    indent = (space[:10] if isinstance(space, str) else " " * min(int(space), 10)) if space else None
    separators = None if indent else (",", ":")
    return json.dumps(_jsonable(value), ensure_ascii=False, indent=indent or None, separators=separators)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, JsNull):
        return None
    if isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return None if not math.isfinite(value) else int(value) if value.is_integer() and abs(value) < 1e21 else value
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, JsDate | JsURL):
        return value.toJSON()
    raise JsException("TypeError", f"JSON.stringify cannot serialize a value of type {type(value).__name__}.")


def js_string(value: Any) -> str:
    """``String(value)`` for a value Python code passed to JavaScript."""
    if value is None:
        return "undefined"
    if isinstance(value, JsNull):
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, JsObject):
        return "[object Object]"
    if isinstance(value, JsArray):  # Array.prototype.toString: items joined, null and undefined empty
        return ",".join("" if item is None or isinstance(item, JsNull) else js_string(item) for item in value)
    if isinstance(value, JsBuffer):
        return ",".join(str(byte) for byte in value)
    return str(value)  # a Python object is a proxy in JavaScript: String() calls its str()
