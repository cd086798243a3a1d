"""A message body by its content type, as workerd serializes it: ``text``, ``bytes``, ``json``, ``v8``.

``v8`` (the default) is the structured clone of JavaScript; locally it is JSON extended with
bytes, enough for what Python code sends (dicts, lists, strings, numbers, booleans, ``None``,
bytes). A body the type cannot hold is refused with workerd's ``TypeError``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from pyworker.runtime.jsvalues import JsDict, JsException

TYPES = ("text", "bytes", "json", "v8")
MAX_MESSAGE_BYTES = 128 * 1000
_BYTES_TAG = "__pyworker_bytes__"


def content_type(value: Any) -> str:
    """workerd's check: a known type, case-insensitively."""
    text = str(value).lower()
    if text not in TYPES:
        raise JsException("TypeError", f"Unsupported queue message content type: {value}")
    return text


def _type_of(value: Any) -> str:
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "undefined" if value is None else "object"


def _tagged(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {_BYTES_TAG: base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dict):
        return {str(k): _tagged(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_tagged(v) for v in value]
    return value


def _untagged(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_BYTES_TAG}:
            return memoryview(base64.b64decode(value[_BYTES_TAG]))
        return JsDict({k: _untagged(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_untagged(v) for v in value]
    return value


def encode(body: Any, kind: str) -> bytes:
    """The stored form of ``body``; the errors workerd raises for a body its type cannot hold."""
    if kind == "text":
        if not isinstance(body, str):
            message = f'Content Type "text" requires a value of type string, but received: {_type_of(body)}'
            raise JsException("TypeError", message)
        data = body.encode()
    elif kind == "bytes":
        if not isinstance(body, bytes | bytearray | memoryview):
            message = f'Content Type "bytes" requires a value of type ArrayBufferView, but received: {_type_of(body)}'
            raise JsException("TypeError", message)
        data = bytes(body)
    else:
        try:
            data = json.dumps(body if kind == "json" else _tagged(body), allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise JsException("TypeError", f"Could not serialize the message body: {exc}") from None
    if len(data) > MAX_MESSAGE_BYTES:
        raise JsException(
            "Error", f"Queue send failed: message length of {len(data)} bytes exceeds limit of {MAX_MESSAGE_BYTES}"
        )
    return data


def decode(data: bytes, kind: str) -> Any:
    """What the consumer's ``message.body`` is: ``str``, ``memoryview`` (an ArrayBuffer), or JSON's values."""
    if kind == "text":
        return data.decode()
    if kind == "bytes":
        return memoryview(data)
    value = json.loads(data)
    return _untagged(value) if kind == "v8" else _untagged_plain(value)


def _untagged_plain(value: Any) -> Any:
    if isinstance(value, dict):
        return JsDict({k: _untagged_plain(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_untagged_plain(v) for v in value]
    return value
