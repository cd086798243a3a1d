"""Values a binding may carry, kept on disk: a structured clone, written as tagged JSON.

Workflow step results (and the payloads of events and instances) are stored between a
step and the next, across restarts of ``pyworker dev``. What is stored is the value as the
binding rules deliver it (:func:`pyworker.bindings.values.copy_value` ran first), so only
these kinds occur: ``None``, ``bool``, ``int``, ``float``, ``str``, ``list``, :class:`JsDict`,
``set``, ``datetime`` (naive local, to the millisecond), ``memoryview`` (bytes) and
``Exception`` (a JavaScript ``Error``). They come back as the same kinds.

Plain JSON values are written as themselves; everything else as a one-key object whose
key starts with ``"\\u0000"``, which no JavaScript object key written by user code can
collide with (an object whose keys happen to start that way is itself wrapped).
"""

from __future__ import annotations

import base64
import datetime
import json
import math
from typing import Any

from pyworker.runtime.jsvalues import JsDict

_TAG = "\0"


def dumps(value: Any) -> str:
    """``value`` as text; raises ``TypeError`` for a kind the binding rules never deliver."""
    return json.dumps(_encode(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def loads(text: str) -> Any:
    return _decode(json.loads(text))


def _encode(value: Any) -> Any:
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is str:
        return value
    if kind is float:
        return value if math.isfinite(value) else {_TAG + "f": repr(value)}
    if kind is list:
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        encoded = {key: _encode(item) for key, item in value.items()}
        return {_TAG + "o": encoded} if any(key.startswith(_TAG) for key in encoded) else encoded
    if kind is set:
        return {_TAG + "s": [_encode(item) for item in value]}
    if kind is datetime.datetime:
        return {_TAG + "d": round(value.timestamp() * 1000)}
    if kind is memoryview or kind is bytes:
        return {_TAG + "b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Exception):
        return {_TAG + "e": str(value)}
    raise TypeError(f"{kind.__name__} cannot be stored")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, inner),) = value.items()
        if key == _TAG + "o":
            return JsDict({k: _decode(v) for k, v in inner.items()})
        if key == _TAG + "f":
            return float(inner)
        if key == _TAG + "s":
            return {_decode(item) for item in inner}
        if key == _TAG + "d":
            return datetime.datetime.fromtimestamp(inner / 1000)
        if key == _TAG + "b":
            return memoryview(base64.b64decode(inner)).toreadonly()
        if key == _TAG + "e":
            return Exception(inner)
    return JsDict({key: _decode(item) for key, item in value.items()})
