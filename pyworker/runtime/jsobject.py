"""Plain JavaScript objects as Pyodide hands them to Python: ``request.cf``, a JSON ``var``.

On Cloudflare, ``request.cf`` and a var whose value is a table (``vars = { CONFIG = { region =
"eu" } }``) reach Python as a ``pyodide.ffi.JsProxy`` of a JavaScript object: fields are
attributes (``env.CONFIG.region``, nested too), a missing one raises ``AttributeError``, and it
is not subscriptable, iterable or sized. ``to_py()`` turns it into a ``dict``. Arrays are lists
(subscriptable, iterable, sized, as Pyodide's array proxies); numbers, strings, booleans and
``null`` are Python values already.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from pyworker.runtime.jsvalues import JsProxy

_NAME = "pyodide.ffi.JsProxy"  # the type name Pyodide's errors show


class AttributeOnly(JsProxy):
    """A ``JsProxy`` of a JavaScript object that is no array, map or set: subscripting, iterating,
    ``in`` and ``len()`` raise Pyodide's ``TypeError``s."""

    __slots__ = ()

    def __getitem__(self, key: Any) -> NoReturn:
        raise TypeError(f"'{_NAME}' object is not subscriptable")

    def __iter__(self) -> NoReturn:
        raise TypeError(f"'{_NAME}' object is not iterable")

    def __contains__(self, key: Any) -> NoReturn:
        raise TypeError(f"argument of type '{_NAME}' is not iterable")

    def __len__(self) -> NoReturn:
        raise TypeError(f"object of type '{_NAME}' has no len()")


class JsObjectProxy(AttributeOnly):
    """A JavaScript object: attribute access only, as a ``JsProxy`` of one is."""

    __slots__ = ("_fields",)

    def __init__(self, fields: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_fields", {str(key): js_value(value) for key, value in fields.items()})

    def __getattr__(self, name: str) -> Any:
        try:
            return object.__getattribute__(self, "_fields")[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        object.__getattribute__(self, "_fields")[name] = value

    def __delattr__(self, name: str) -> None:
        object.__getattribute__(self, "_fields").pop(name, None)

    def __dir__(self) -> list[str]:
        return sorted(object.__getattribute__(self, "_fields"))

    def __eq__(self, other: object) -> bool:
        return self is other

    __hash__ = object.__hash__

    def to_py(self, *, depth: int = -1) -> dict[str, Any]:
        """A ``dict`` (nested objects too, ``depth`` levels; -1: all), as ``JsProxy.to_py()``."""
        return {key: _to_py(value, depth - 1) for key, value in object.__getattribute__(self, "_fields").items()}

    def as_object_map(self) -> dict[str, Any]:
        """The fields as a mapping (``obj.as_object_map()["a-b"]``), for names that are not identifiers."""
        return dict(object.__getattribute__(self, "_fields"))

    def object_keys(self) -> list[str]:
        return list(object.__getattribute__(self, "_fields"))

    def object_values(self) -> list[Any]:
        return list(object.__getattribute__(self, "_fields").values())

    def object_entries(self) -> list[list[Any]]:
        return [[key, value] for key, value in object.__getattribute__(self, "_fields").items()]

    def __repr__(self) -> str:
        return "[object Object]"


def js_value(value: Any) -> Any:
    """``value`` (parsed JSON, a TOML table) as Python code on Cloudflare receives it from JavaScript."""
    if isinstance(value, JsObjectProxy):
        return value
    if isinstance(value, Mapping):
        return JsObjectProxy(value)
    if isinstance(value, list | tuple):
        return [js_value(item) for item in value]
    return value


def js_object_of(value: Any) -> Any:
    """``request.cf`` from what code gave ``Request(..., cf=...)``: a dict becomes a JavaScript object."""
    return js_value(value)


def _to_py(value: Any, depth: int) -> Any:
    if depth == 0:
        return value
    if isinstance(value, JsObjectProxy):
        return value.to_py(depth=depth)
    if isinstance(value, list):
        return [_to_py(item, depth - 1) for item in value]
    return value
