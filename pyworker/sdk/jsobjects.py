"""JavaScript values as pyworker hands them to worker code: plain Python values with the methods Pyodide adds.

In Pyodide a JavaScript object reaches Python as a ``JsProxy``; here there is no JavaScript,
so ``to_js``, ``JSON.parse``, ``Date.new``, ``URL.new``... return Python values that behave
like those proxies where code relies on it (``.to_py()``, ``.buffer``, attribute access).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from typing import Any
from urllib.parse import SplitResult, urlsplit

from ada_url import URLSearchParams as _SearchParams

from pyworker.runtime.jsvalues import JsDict, JsException, JsProxy
from pyworker.runtime.urls import whatwg_url

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def not_emulated(owner: str, name: str, offered: Iterable[str]) -> AttributeError:
    """The one error for a JavaScript name pyworker does not provide: names it and what there is instead."""
    if name.startswith("__"):
        return AttributeError(f"{owner!r} has no attribute {name!r}")
    names = ", ".join(sorted(offered))
    return AttributeError(
        f"{owner}.{name} is not emulated by pyworker, which provides only: {names}. "
        f"Code that uses {owner}.{name} runs in the Workers runtime only (wrangler dev, or deployed)."
    )


class JsObject(JsDict, JsProxy):
    """A JavaScript object: keys and attributes (``obj.name``), and ``to_py()`` for a plain dict."""

    __slots__ = ()

    def to_py(self, *, depth: int = -1) -> Any:
        return to_py(self, depth)

    def as_object_map(self, *, hereditary: bool = False) -> JsObject:
        return self

    def object_keys(self) -> JsArray:
        return JsArray(self.keys())

    def object_values(self) -> JsArray:
        return JsArray(self.values())

    def object_entries(self) -> JsArray:
        return JsArray(JsArray(item) for item in self.items())


class JsArray(list[Any], JsProxy):
    """A JavaScript array: a list, with ``to_py()``."""

    __slots__ = ()

    def to_py(self, *, depth: int = -1) -> Any:
        return to_py(self, depth)


def to_py(value: Any, depth: int = -1) -> Any:
    """Plain Python containers all the way down (``depth`` levels; -1: all)."""
    if depth == 0:
        return value
    if isinstance(value, dict):
        return {key: to_py(item, depth - 1) for key, item in value.items()}
    if isinstance(value, list):
        return [to_py(item, depth - 1) for item in value]
    if isinstance(value, JsDate):
        return value.to_py()
    return value


class JsNull:
    """``pyodide.ffi.jsnull``: JavaScript's ``null`` where it must differ from ``None`` (``undefined``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "jsnull"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "jsnull"


jsnull = JsNull()


class JsDate(JsProxy):
    """A JavaScript ``Date``: milliseconds since the epoch, ``getTime()``, ``toISOString()``, ``to_py()``."""

    __slots__ = ("_ms",)

    def __init__(self, ms: float) -> None:
        self._ms = float(ms)

    def getTime(self) -> float:
        return self._ms

    valueOf = getTime

    def toISOString(self) -> str:
        if math.isnan(self._ms):
            raise JsException("RangeError", "Invalid time value")
        moment = _EPOCH + datetime.timedelta(milliseconds=self._ms)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

    toJSON = toISOString

    def to_py(self) -> datetime.datetime:
        return _EPOCH + datetime.timedelta(milliseconds=self._ms)

    def __repr__(self) -> str:
        return "Invalid Date" if math.isnan(self._ms) else self.toISOString()


class JsURLSearchParams(JsProxy):
    """``URLSearchParams`` (also ``url.searchParams``), serialised as the WHATWG urlencoded serializer does."""

    __slots__ = ("_params",)

    def __init__(self, init: Any = "") -> None:
        if isinstance(init, str):
            self._params = _SearchParams(init[1:] if init.startswith("?") else init)
            return
        self._params = _SearchParams("")
        pairs = init.items() if isinstance(init, dict) else init if init is not None else ()
        for pair in pairs:
            name, value = pair
            self._params.append(str(name), str(value))

    @classmethod
    def new(cls, init: Any = "") -> JsURLSearchParams:
        return cls(init)

    def get(self, name: str) -> str | None:
        return self._params.get(name) if self._params.has(name) else None

    def getAll(self, name: str) -> JsArray:
        return JsArray(self._params.get_all(name))

    def has(self, name: str) -> bool:
        return bool(self._params.has(name))

    def append(self, name: str, value: Any) -> None:
        self._params.append(str(name), str(value))

    def set(self, name: str, value: Any) -> None:
        self._params.set(str(name), str(value))

    def delete(self, name: str) -> None:
        self._params.delete(name)

    def sort(self) -> None:
        self._params.sort()  # type: ignore[no-untyped-call]

    @property
    def size(self) -> int:
        return int(self._params.size)

    def entries(self) -> JsArray:
        return JsArray(JsArray(pair) for pair in self._params.items())

    def keys(self) -> JsArray:
        return JsArray(self._params.keys())

    def values(self) -> JsArray:
        return JsArray(self._params.values())

    def __iter__(self) -> Any:
        return iter(self.entries())

    def toString(self) -> str:
        return str(self._params)

    __str__ = toString


class JsURL(JsProxy):
    """A WHATWG ``URL`` for absolute URLs: its parts as JavaScript names them (``pathname``, ``searchParams``...)."""

    __slots__ = ("_parts",)

    _DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

    def __init__(self, url: str, base: str | None = None) -> None:
        try:
            text = whatwg_url(url, base)
        except TypeError:
            raise JsException("TypeError", f"Invalid URL: {url}") from None
        parts = urlsplit(text)
        self._parts: SplitResult = parts._replace(path=parts.path or "/")

    @property
    def protocol(self) -> str:
        return self._parts.scheme + ":"

    @property
    def username(self) -> str:
        return self._parts.username or ""

    @property
    def password(self) -> str:
        return self._parts.password or ""

    @property
    def hostname(self) -> str:
        return self._parts.hostname or ""

    @property
    def port(self) -> str:
        port = self._parts.port
        return "" if port is None or port == self._DEFAULT_PORTS.get(self._parts.scheme) else str(port)

    @property
    def host(self) -> str:
        return self.hostname + (f":{self.port}" if self.port else "")

    @property
    def origin(self) -> str:
        return f"{self.protocol}//{self.host}"

    @property
    def pathname(self) -> str:
        return self._parts.path

    @property
    def search(self) -> str:
        return "?" + self._parts.query if self._parts.query else ""

    @property
    def hash(self) -> str:
        return "#" + self._parts.fragment if self._parts.fragment else ""

    @property
    def searchParams(self) -> JsURLSearchParams:
        return JsURLSearchParams(self._parts.query)

    @property
    def href(self) -> str:
        user = self.username + (f":{self.password}" if self.password else "")
        credentials = f"{user}@" if user else ""
        return f"{self.protocol}//{credentials}{self.host}{self.pathname}{self.search}{self.hash}"

    def toString(self) -> str:
        return self.href

    toJSON = toString
    __str__ = toString

    def __repr__(self) -> str:
        return f"URL({self.href!r})"
