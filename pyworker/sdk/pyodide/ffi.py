"""``pyodide.ffi``: converting values for JavaScript, proxies, and ``run_sync``.

There is no JavaScript here, so ``to_js`` returns a plain copy of its argument (dicts through
``dict_converter`` when one is given, ``bytes`` as a :class:`JsBuffer` with ``.buffer``),
proxies are the Python objects themselves with a no-op ``destroy()``, and ``run_sync``
waits for an awaitable as :mod:`pyworker.runtime.blocking` describes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from pyworker.runtime.blocking import run_sync
from pyworker.runtime.jsvalues import JsBuffer, JsException, JsProxy
from pyworker.sdk.jsobjects import JsArray, JsNull, jsnull, not_emulated

__all__ = [
    "ConversionError",
    "JsArray",
    "JsBuffer",
    "JsDoubleProxy",
    "JsException",
    "JsNull",
    "JsProxy",
    "can_run_sync",
    "create_once_callable",
    "create_proxy",
    "destroy_proxies",
    "jsnull",
    "run_sync",
    "to_js",
]

_SCALARS = (str, int, float, bool, type(None), JsNull, JsProxy)  # JsProxy: already JavaScript-like


class ConversionError(Exception):
    """``to_js`` was asked to convert a value it has no conversion for (``create_pyproxies=False``)."""


def to_js(
    obj: Any,
    /,
    *,
    depth: int = -1,
    pyproxies: list[Any] | None = None,
    create_pyproxies: bool = True,
    dict_converter: Callable[[Iterable[JsArray]], Any] | None = None,
    default_converter: Callable[[Any, Callable[[Any], Any], Callable[[Any, Any], None]], Any] | None = None,
) -> Any:
    """A copy of ``obj`` as JavaScript would hold it: lists stay lists, ``bytes`` become a :class:`JsBuffer`,
    dicts go through ``dict_converter`` (``js.Object.fromEntries`` makes an object) or stay dicts (a ``Map``).

    Other objects are returned as they are (a proxy), listed in ``pyproxies`` if given, or raise
    :class:`ConversionError` with ``create_pyproxies=False``; ``default_converter`` is asked first.
    """
    cache: dict[int, Any] = {}

    def convert(value: Any, remaining: int = -1) -> Any:
        if isinstance(value, _SCALARS) or remaining == 0:
            return value
        if id(value) in cache:
            return cache[id(value)]
        if isinstance(value, bytes | bytearray | memoryview):
            return JsBuffer(value)
        if isinstance(value, dict):
            if dict_converter is None:  # a Map: the dict itself, copied
                copied = cache[id(value)] = {}
                copied.update((convert(k, remaining - 1), convert(v, remaining - 1)) for k, v in value.items())
                return copied
            pairs = (JsArray([convert(k, remaining - 1), convert(v, remaining - 1)]) for k, v in value.items())
            return dict_converter(pairs)
        if isinstance(value, list | tuple):
            result = cache[id(value)] = JsArray()
            result.extend(convert(item, remaining - 1) for item in value)
            return result
        if isinstance(value, set | frozenset):
            return {convert(item, remaining - 1) for item in value}
        if default_converter is not None:
            return default_converter(value, convert, lambda original, result: cache.__setitem__(id(original), result))
        if not create_pyproxies:
            raise ConversionError(f"No conversion known for {value!r}, and create_pyproxies is False.")
        if pyproxies is not None:
            pyproxies.append(value)
        return value

    return convert(obj, depth)


class JsDoubleProxy(JsProxy):
    """What ``create_proxy`` returns: the object, kept alive; ``destroy()`` and ``unwrap()`` as in Pyodide."""

    __slots__ = ()

    def destroy(self) -> None:
        """Nothing to release: there is no JavaScript side holding the object."""

    def unwrap(self) -> Any:
        raise NotImplementedError


class _CallableProxy(functools.partial[Any], JsDoubleProxy):
    """A proxied function: a ``functools.partial``, so it also crosses a service binding as a callback."""

    def unwrap(self) -> Any:
        return self.func


class _OnceCallable(_CallableProxy):
    def __call__(self, /, *args: Any, **kwargs: Any) -> Any:
        if getattr(self, "_called", False):
            raise JsException("Error", "This function was made by create_once_callable() and was already called.")
        self._called = True
        return super().__call__(*args, **kwargs)


class _Buffer:
    """``proxy.getBuffer()``: the bytes as a memoryview in ``.data``; ``release()`` does nothing."""

    def __init__(self, obj: Any) -> None:
        self.data = memoryview(obj)

    def release(self) -> None:
        self.data.release()


class _ObjectProxy(JsDoubleProxy):
    __slots__ = ("_obj",)

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    def unwrap(self) -> Any:
        return self._obj

    def getBuffer(self, type: str | None = None) -> _Buffer:
        return _Buffer(self._obj)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._obj, name)


def create_proxy(obj: Any, /, *, capture_this: bool = False, roundtrip: bool = True) -> Any:
    """The object, ready to hand to JavaScript: callables stay callable; ``destroy()`` is a no-op."""
    return _CallableProxy(obj) if callable(obj) else _ObjectProxy(obj)


def create_once_callable(obj: Callable[..., Any], /, *, _may_syncify: bool = False) -> Any:
    """A callable that may be called once, as Pyodide's is; a second call raises ``JsException``."""
    return _OnceCallable(obj)


def destroy_proxies(pyproxies: Iterable[Any], /) -> None:
    """Destroy each proxy in ``pyproxies`` (each ``destroy()`` is a no-op here)."""
    for proxy in pyproxies:
        destroy = getattr(proxy, "destroy", None)
        if callable(destroy):
            destroy()


def can_run_sync() -> bool:
    """Whether :func:`run_sync` works here: always, in pyworker (see :mod:`pyworker.runtime.blocking`)."""
    return True


def __getattr__(name: str) -> Any:
    raise not_emulated("pyodide.ffi", name, __all__)
