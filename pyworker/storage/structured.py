"""Durable Object storage values on disk: what the structured clone keeps, as bytes.

On Cloudflare ``ctx.storage.put`` stores a V8-serialized value. pyworker stores the values a
binding may carry (see :mod:`pyworker.bindings.values`, which copies them first) in a small
tagged format of its own: the first byte says the kind, so a plain string or number costs no
JSON; lists, dicts, sets, dates and bytes inside containers are tagged JSON.
"""

from __future__ import annotations

import datetime
import json
import math
from typing import Any

from pyworker.errors import StorageError
from pyworker.runtime.jsvalues import JsDict

_TAG = "\x00t"  # the key of a tagged value inside JSON: {"\x00t": kind, "v": payload}


def encode(value: Any) -> bytes:
    """``value`` (already a structured-clone copy) as stored bytes."""
    kind = type(value)
    if kind is str:
        return b"s" + str.encode(value, "utf-8", "surrogatepass")
    if kind is int:
        return b"i" + str(value).encode()
    if kind is bool:
        return b"T" if value else b"F"
    if value is None:
        return b"n"
    if kind is float:
        return b"f" + repr(value).encode()
    if kind is memoryview or kind is bytes:
        return b"b" + bytes(value)
    return b"j" + json.dumps(_tree(value), separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def _tree(value: Any) -> Any:
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is int:
        return value
    if kind is float:
        return value if math.isfinite(value) else {_TAG: "f", "v": repr(value)}
    if isinstance(value, list):
        return [_tree(item) for item in value]
    if isinstance(value, dict):
        return {"\x00o": {key: _tree(item) for key, item in value.items()}}
    if isinstance(value, set):
        return {_TAG: "set", "v": [_tree(item) for item in value]}
    if isinstance(value, memoryview | bytes):
        return {_TAG: "b", "v": bytes(value).hex()}
    if isinstance(value, datetime.datetime):
        return {_TAG: "d", "v": value.timestamp()}
    if isinstance(value, Exception):
        return {_TAG: "e", "v": str(value)}
    raise TypeError(f"{type(value).__name__} cannot be stored")


def decode(data: bytes, where: str) -> Any:
    """Stored bytes back as the value the SDK hands to Python; ``where`` names the key in errors."""
    tag, body = data[:1], data[1:]
    try:
        if tag == b"s":
            return body.decode("utf-8", "surrogatepass")
        if tag == b"i":
            return int(body)
        if tag == b"T" or tag == b"F":
            return tag == b"T"
        if tag == b"n":
            return None
        if tag == b"f":
            return float(body)
        if tag == b"b":
            return memoryview(body)
        if tag == b"j":
            return _value(json.loads(body))
    except (ValueError, KeyError, TypeError) as exc:
        raise StorageError(f"{where} holds a value pyworker cannot read ({exc}).") from None
    raise StorageError(f"{where} holds a value written by another tool, which pyworker cannot read.")


def _value(tree: Any) -> Any:
    if isinstance(tree, list):
        return [_value(item) for item in tree]
    if not isinstance(tree, dict):
        return tree
    if "\x00o" in tree:
        return JsDict({key: _value(item) for key, item in tree["\x00o"].items()})
    kind, payload = tree[_TAG], tree["v"]
    if kind == "set":
        return {_value(item) for item in payload}
    if kind == "b":
        return memoryview(bytes.fromhex(payload))
    if kind == "d":
        return datetime.datetime.fromtimestamp(payload)
    if kind == "f":
        return float(payload)
    return Exception(payload)
