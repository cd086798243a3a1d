"""What may cross a service binding, and how it arrives: copied, as Cloudflare's Python RPC delivers it.

In production every argument and return value is serialised across an isolate
boundary. Here the call is in memory, so values are copied instead, with the same
rules: ``str``, ``int``, ``float``, ``bool``, ``None``, ``list``, ``dict``, ``set``,
``datetime`` and ``bytes`` (nested freely) cross; ``bytes`` arrive as a read-only
``memoryview`` and dicts as :class:`RpcDict` (keys and attributes). ``tuple``,
``bytearray``, generators, un-awaited coroutines and instances of user classes are
refused with a ``TypeError`` naming the type and where it sits in the arguments.

Immutable values (numbers, strings, ``bytes``, ``datetime``) are shared rather than
copied: nobody can change them, so sharing is indistinguishable from a copy.
"""

from __future__ import annotations

import datetime
import functools
import inspect
import json
import types
from collections.abc import Callable
from typing import Any

from pyworker.bindings.exceptions import crossed_exception
from pyworker.runtime.http import Request, Response, transfer

ALLOWED = "str, int, float, bool, None, list, dict, set, datetime or bytes"

# Exact types returned as they are: immutable, and delivered unchanged in production.
SHARED: frozenset[type] = frozenset({str, int, float, bool, type(None), datetime.datetime})
_FUNCTIONS = (types.FunctionType, types.MethodType, types.BuiltinFunctionType, functools.partial)


class RpcDict(dict[Any, Any]):
    """A dict that arrived over RPC: keys work, and so do attributes (``d.name``), as in workers-py."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"This dict has no key {name!r}.") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(f"This dict has no key {name!r}.") from None


class _Refused(Exception):
    """Raised deep in a value; each container on the way out adds its step to the path."""

    def __init__(self, value: Any) -> None:
        self.value = value
        self.steps: list[str] = []


def copy_value(value: Any, root: str, wrap_callable: Callable[[Callable[..., Any]], Any]) -> Any:
    """Copy ``value`` as it arrives on the other side of a binding, or raise ``TypeError``.

    ``root`` names the value in messages (``args[1]``, ``kwargs["x"]``, ``the return value``).
    ``wrap_callable`` turns a function into the stub the other side calls.
    """
    try:
        return _copy(value, wrap_callable)
    except _Refused as refused:
        path = root + "".join(reversed(refused.steps))
        raise TypeError(_refusal(refused.value, path)) from None
    except RecursionError:
        raise TypeError(f"{root} cannot be sent over RPC: it is nested too deeply or contains itself.") from None


def copy_args(args: tuple[Any, ...], wrap: Callable[[Callable[..., Any]], Any]) -> tuple[Any, ...]:
    """Positional arguments, copied; refusals name ``args[i]``. Shares the tuple when nothing needs copying."""
    for value in args:
        if type(value) not in SHARED:
            return tuple(copy_value(value, f"args[{i}]", wrap) for i, value in enumerate(args))
    return args


def copy_kwargs(kwargs: dict[str, Any], wrap: Callable[[Callable[..., Any]], Any]) -> dict[str, Any]:
    """Keyword arguments, copied; refusals name ``kwargs["name"]``."""
    return {key: copy_value(value, f"kwargs[{json.dumps(key)}]", wrap) for key, value in kwargs.items()}


def _copy(value: Any, wrap: Callable[[Callable[..., Any]], Any]) -> Any:
    kind = type(value)
    if kind in SHARED:
        return value
    if kind is list:
        return _copy_items(value, wrap, list)
    if kind is dict or kind is RpcDict:
        return _copy_dict(value, wrap)
    if kind is bytes:
        return memoryview(value)
    if kind is memoryview:
        # Share a view over immutable bytes; copy one over a buffer its owner may still change.
        return value if isinstance(value.obj, bytes) and value.contiguous else memoryview(value.tobytes())
    if kind is set or kind is frozenset:
        return _copy_items(value, wrap, set)
    return _copy_other(value, wrap)


# A shallow copy in C first, then only the elements that are not immutable leaves are
# replaced: copying a large payload is mostly these loops.
def _copy_items(items: Any, wrap: Callable[[Callable[..., Any]], Any], into: type) -> Any:
    shared = SHARED
    if into is list:
        copied = list(items)
        for index, item in enumerate(copied):
            if type(item) not in shared:
                try:
                    copied[index] = _copy(item, wrap)
                except _Refused as refused:
                    refused.steps.append(f"[{index}]")
                    raise
        return copied
    elements = []
    for item in items:
        try:
            elements.append(item if type(item) in shared else _copy(item, wrap))
        except _Refused as refused:
            refused.steps.append(" (an element of a set)")
            raise
    return set(elements)


def _copy_dict(value: dict[Any, Any], wrap: Callable[[Callable[..., Any]], Any]) -> RpcDict:
    shared = SHARED
    copied = RpcDict(value)
    for key, item in value.items():
        if type(key) in shared and type(item) in shared:
            continue
        try:
            new_key = key
            if type(key) not in shared:
                del copied[key]
                new_key = _copy(key, wrap)
            copied[new_key] = _copy(item, wrap)
        except _Refused as refused:
            refused.steps.append(_key_step(key))
            raise
    return copied


def _copy_other(value: Any, wrap: Callable[[Callable[..., Any]], Any]) -> Any:
    kind = type(value)
    # Subclasses of the allowed scalars (IntEnum, StrEnum...) arrive as the plain type.
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, datetime.datetime):
        return datetime.datetime.fromisoformat(value.isoformat())
    if isinstance(value, dict):
        return _copy_dict(value, wrap)
    if isinstance(value, list):
        return _copy_items(value, wrap, list)
    if isinstance(value, Request | Response):
        return transfer(value)
    if isinstance(value, BaseException):
        return crossed_exception(value)
    if isinstance(value, _FUNCTIONS):
        return wrap(value)
    if getattr(kind, "_pyworker_rpc_passthrough", False):  # on the class: a stub's attributes are RPC methods
        return value  # a binding or callback stub: it is already a handle to the other side
    raise _Refused(value)


def _key_step(key: Any) -> str:
    return f"[{json.dumps(key)}]" if isinstance(key, str) else f"[{key!r}]"


def _refusal(value: Any, path: str) -> str:
    kind = type(value)
    name = kind.__qualname__
    if isinstance(value, tuple):
        advice = "Send a list instead."
    elif isinstance(value, bytearray):
        advice = "Send bytes(...) instead."
    elif inspect.isgenerator(value) or inspect.isasyncgen(value):
        advice = "Send a list of its items instead."
    elif inspect.isawaitable(value):
        advice = "Await it first and send the result."
    elif isinstance(value, type):
        advice = f"Classes cannot be sent; send one of: {ALLOWED}."
    elif kind.__module__ not in ("builtins", "datetime", "decimal", "fractions"):
        advice = f"Send its data as a dict instead (dataclasses.asdict() for a dataclass), using: {ALLOWED}."
    else:
        advice = f"Send one of: {ALLOWED}."
    return f"{path} cannot be sent over RPC: {name} is not a type that can cross a service binding. {advice}"
