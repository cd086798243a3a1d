"""What may cross a binding, and how it arrives: as Cloudflare's Python SDK converts it.

In production a value goes through the SDK's ``python_to_rpc`` (Pyodide's ``to_js``), the
structured clone across the isolate boundary, and ``python_from_rpc`` on the other side.
Here the call is in memory, so each value is copied straight into what that round trip
delivers (see ``workers/rpc.py`` in the ``workers-runtime-sdk`` wheel):

- ``None``, ``bool``, ``int``, ``str`` as they are; a ``float`` with an integral value as ``int``
  (a JavaScript number); subclasses (``IntEnum``...) as the plain type.
- ``list`` as ``list``; ``set``/``frozenset`` as ``set``; ``dict`` as :class:`JsDict` with string
  keys (``{1: "a"}`` arrives as ``{"1": "a"}``); ``bytes``/``memoryview`` as a ``memoryview``.
- ``datetime`` as a naive local ``datetime``, to the millisecond (a JavaScript ``Date``).
- An ``Exception`` used as a value as ``Exception("Error: message")``.
- ``Request``, ``Response``, ``Blob``, ``File`` and ``FormData`` as new objects of those classes.
- Functions (any callable but a class) as stubs the other side awaits; binding stubs as themselves.
- ``tuple``, ``bytearray`` and awaitables raise ``TypeError`` (the SDK refuses them); anything
  else (class instances, classes, ``complex``, ``range``, ``date``, ``Decimal``, ``timedelta``...)
  raises ``JsException`` ``DataCloneError`` (the structured clone refuses it). Both at the
  call site, naming where the value sits (``args[1]["items"][0]``).

Immutable values are shared rather than copied: nobody can change them.
"""

from __future__ import annotations

import datetime
import inspect
from collections.abc import Callable
from typing import Any

from pyworker.bindings.refusals import refused as sdk_refused
from pyworker.runtime.body import Blob, FormData
from pyworker.runtime.http import Request, Response, transfer
from pyworker.runtime.jsvalues import JsDict, JsException, number_text
from pyworker.runtime.wrappers import _BindingWrapper

ALLOWED = "str, int, float, bool, None, list, dict, set, datetime, bytes or memoryview"
SHARED: frozenset[type] = frozenset({str, int, bool, type(None)})
_SAFE_INTEGER = 2**53
Wrap = Callable[[Callable[..., Any]], Any]


class _Refused(Exception):
    """Raised deep in a value; each container on the way out adds its step to the path."""

    def __init__(self, value: Any, clone: bool) -> None:
        self.value = value
        self.clone = clone  # True: the structured clone refuses it (DataCloneError); False: the SDK (TypeError)
        self.steps: list[str] = []


def copy_value(value: Any, root: str, wrap: Wrap) -> Any:
    """``value`` as the other side of a binding receives it; raise ``TypeError`` or ``DataCloneError``.

    ``root`` names the value in messages (``args[1]``, ``the value m() returned``); ``wrap``
    turns a function into the stub the other side calls.
    """
    try:
        return _copy(value, wrap)
    except _Refused as refused:
        if refused.clone:  # the SDK's own check runs first over the whole value: its TypeError wins
            found = sdk_refused(value)
            if found is not None:
                first = _Refused(found[0], clone=False)
                first.steps.append(found[1])
                raise _error(first, root) from None
        raise _error(refused, root) from None
    except RecursionError:
        raise TypeError(f"{root} cannot be sent over RPC: it is nested too deeply or contains itself.") from None


def _unstorable(function: Callable[..., Any]) -> Any:
    raise JsException("DataCloneError", f"DataCloneError: {function!r} could not be cloned.")


def stored_copy(value: Any, root: str) -> Any:
    """``value`` as storage keeps it (Durable Object storage, Workflow steps and events): the binding
    rules' copy, where a function, which the structured clone cannot store, is a ``DataCloneError``."""
    return copy_value(value, root, _unstorable)


def copy_args(args: tuple[Any, ...], wrap: Wrap) -> tuple[Any, ...]:
    """Positional arguments, copied; refusals name ``args[i]``. Shares the tuple when nothing needs copying."""
    for value in args:
        if type(value) not in SHARED:
            return tuple(copy_value(value, f"args[{i}]", wrap) for i, value in enumerate(args))
    return args


def _copy(value: Any, wrap: Wrap) -> Any:
    kind = type(value)
    if kind in SHARED:
        return value
    if kind is float:
        return int(value) if value.is_integer() and -_SAFE_INTEGER <= value <= _SAFE_INTEGER else value
    if kind is list:
        return _copy_list(value, wrap)
    if kind is dict or kind is JsDict:
        return _copy_dict(value, wrap)
    if kind is bytes:
        return memoryview(value).toreadonly()
    if kind is memoryview:
        # Share a view over immutable bytes; copy one over a buffer its owner may still change.
        return value.toreadonly() if isinstance(value.obj, bytes) and value.contiguous else memoryview(value.tobytes())
    if kind is datetime.datetime:
        return _date(value)
    if kind is set or kind is frozenset:
        return _copy_set(value, wrap)
    return _copy_other(value, wrap)


def _copy_list(items: list[Any], wrap: Wrap) -> list[Any]:
    # A shallow copy in C first, then only the elements that are not immutable leaves are replaced.
    copied = list(items)
    shared = SHARED
    for index, item in enumerate(copied):
        if type(item) not in shared:
            try:
                copied[index] = _copy(item, wrap)
            except _Refused as refused:
                refused.steps.append(f"[{index}]")
                raise
    return copied


def _copy_set(items: set[Any] | frozenset[Any], wrap: Wrap) -> set[Any]:
    elements = []
    for item in items:
        try:
            elements.append(item if type(item) in SHARED else _copy(item, wrap))
        except _Refused as refused:
            refused.steps.append(" (an element of a set)")
            raise
    return set(elements)


def _copy_dict(value: dict[Any, Any], wrap: Wrap) -> JsDict:
    # A JavaScript object: keys become strings, as Object.fromEntries makes them.
    copied = JsDict()
    for key, item in value.items():
        try:
            copied[key if type(key) is str else _key(key)] = item if type(item) in SHARED else _copy(item, wrap)
        except _Refused as refused:
            refused.steps.append(f"[{_show(key)}]")
            raise
    return copied


def _key(key: Any) -> str:
    if key is None or isinstance(key, bool):
        return {None: "null", True: "true", False: "false"}[key]
    if isinstance(key, int):
        return str(int(key))
    if isinstance(key, float):
        return number_text(key)
    if isinstance(key, str):
        return str.__str__(key)
    raise _Refused(key, clone=not isinstance(key, tuple | bytearray))


def _date(value: datetime.datetime) -> datetime.datetime:
    # A JavaScript Date holds whole milliseconds since the epoch; the SDK rebuilds a naive local datetime.
    millis = int(value.timestamp() * 1000)
    return datetime.datetime.fromtimestamp(millis / 1000)


def _copy_other(value: Any, wrap: Wrap) -> Any:
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _copy(float(value), wrap)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, datetime.datetime):
        return _date(value)
    if isinstance(value, dict):
        return _copy_dict(value, wrap)
    if isinstance(value, list):
        return _copy_list(value, wrap)
    if isinstance(value, bytes):  # a JsBuffer (to_js(b"..."), request.buffer()): a typed array
        return memoryview(bytes(value)).toreadonly()
    if isinstance(value, Request | Response):
        return transfer(value)
    if isinstance(value, Blob | FormData):
        return value._copy()
    if isinstance(value, _BindingWrapper):
        return value  # a binding or callback stub: already a handle to the other side
    if isinstance(value, JsException):
        return Exception(str(value))  # a JavaScript error crosses as itself: Error.toString()
    if isinstance(value, Exception):
        return Exception(f"Error: {value}" if str(value) else "Error")
    if isinstance(value, tuple | bytearray) or inspect.isawaitable(value):
        raise _Refused(value, clone=False)
    if callable(value) and not isinstance(value, type):
        return wrap(value)
    raise _Refused(value, clone=True)


def _show(key: Any) -> str:
    return '"' + key.replace('"', '\\"') + '"' if isinstance(key, str) else repr(key)


def _error(refused: _Refused, root: str) -> Exception:
    value = refused.value
    path = root + "".join(reversed(refused.steps))
    if not refused.clone:
        if isinstance(value, tuple):
            advice = "send a list instead."
        elif isinstance(value, bytearray):
            advice = "send bytes(...) instead."
        else:
            return TypeError(f"Awaitable {type(value)} cannot be sent over RPC. It is {path}; await it first.")
        return TypeError(f"{type(value)} cannot be sent over RPC. It is {path}; {advice}")
    kind = type(value)
    if isinstance(value, type):
        advice = f"Classes cannot be sent; send one of: {ALLOWED}."
    elif inspect.isgenerator(value) or inspect.isasyncgen(value):
        advice = "Send a list of its items instead."
    elif kind.__module__ not in ("builtins", "datetime", "decimal", "fractions"):
        advice = f"Send its data as a dict instead (dataclasses.asdict() for a dataclass), using: {ALLOWED}."
    else:
        advice = f"Send one of: {ALLOWED}."
    return JsException(
        "DataCloneError",
        f'DataCloneError: Could not serialize object of type "{kind.__qualname__}" ({path}). {advice}',
    )
