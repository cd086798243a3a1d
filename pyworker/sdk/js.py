"""``import js`` for worker code: the JavaScript globals Python Workers reach most, on plain Python values.

Provided: ``Object.fromEntries``, ``JSON.parse`` / ``JSON.stringify``, ``Date`` (``Date.now()``,
``Date.new(ms or ISO string)``), ``Error`` (``Error.new(message)`` is a ``JsException``),
``console.log/info/warn/error/debug`` (printed under the worker's name), ``Response.new``,
``Headers.new``, ``URL.new`` and ``undefined`` (``None``, as Pyodide converts it). Any other
name raises one ``AttributeError`` naming it and saying pyworker does not emulate it.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable
from typing import Any

from pyworker.printer import Printer
from pyworker.runtime.headers import Headers as _Headers
from pyworker.runtime.http import Response as _Response
from pyworker.runtime.jsvalues import JsBuffer, JsException, number_text
from pyworker.runtime.scope import current_worker
from pyworker.sdk.jsobjects import JsArray, JsDate, JsNull, JsObject, JsURL, not_emulated

__all__ = ["JSON", "URL", "Date", "Error", "Headers", "Object", "Response", "console", "undefined"]

undefined = None


class _Global:
    """A JavaScript global: the listed members, and the not-emulated error for anything else."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, name: str) -> Any:
        raise not_emulated(f"js.{self._name}", name, [n for n in dir(type(self)) if not n.startswith("_")])

    def __repr__(self) -> str:
        return f"<js.{self._name} (pyworker)>"


class _Object(_Global):
    @staticmethod
    def fromEntries(entries: Any) -> JsObject:
        pairs = entries.items() if isinstance(entries, dict) else entries
        return JsObject((key, value) for key, value in pairs)


class _JSON(_Global):
    @staticmethod
    def parse(text: str | bytes) -> Any:
        try:
            return _arrays(json.loads(text, object_hook=JsObject, parse_constant=_no_constant))
        except ValueError as exc:
            raise JsException("SyntaxError", f"JSON.parse: {exc}") from None

    @staticmethod
    def stringify(value: Any, replacer: Any = None, space: int | str | None = None) -> str | None:
        if replacer is not None:
            raise TypeError("pyworker's JSON.stringify takes no replacer: pass None, and shape the value first.")
        if value is None:
            return None  # JSON.stringify(undefined) is undefined
        indent = (space[:10] if isinstance(space, str) else " " * min(int(space), 10)) if space else None
        separators = None if indent else (",", ":")
        return json.dumps(_jsonable(value), ensure_ascii=False, indent=indent or None, separators=separators)


def _no_constant(name: str) -> Any:
    raise ValueError(f"unexpected token {name}")


def _arrays(value: Any) -> Any:
    """JSON arrays as :class:`JsArray` (lists with ``to_py()``), all the way down."""
    if isinstance(value, list):
        return JsArray(_arrays(item) for item in value)
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, list | dict):
                value[key] = _arrays(item)
    return value


def _jsonable(value: Any) -> Any:
    """``value`` as JavaScript would serialise it: integral floats as integers, NaN and infinities as null."""
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


class _DateConstructor(_Global):
    @staticmethod
    def now() -> int:
        return time.time_ns() // 1_000_000

    @staticmethod
    def new(value: float | str | None = None) -> JsDate:
        if value is None:
            return JsDate(time.time_ns() // 1_000_000)
        if isinstance(value, str):
            from datetime import UTC, datetime

            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                return JsDate(math.nan)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return JsDate(moment.timestamp() * 1000)
        return JsDate(value)


class _ErrorConstructor(_Global):
    """``Error(message)`` and ``Error.new(message)``: a :class:`JsException` named ``"Error"``, with ``.stack``."""

    stackTraceLimit: float = 10

    def __call__(self, message: str = "") -> JsException:
        return self.new(message)

    @staticmethod
    def new(message: str = "") -> JsException:
        error = JsException("Error", str(message))
        error.stack = f"Error: {message}\n    at <python> (pyworker)"  # type: ignore[attr-defined]
        return error


class _Console(_Global):
    def log(self, *values: Any) -> None:
        _print("always", values)  # shown at every --log-level, as print() is

    def info(self, *values: Any) -> None:
        _print("info", values)

    def warn(self, *values: Any) -> None:
        _print("warn", values)

    def error(self, *values: Any) -> None:
        _print("error", values)

    def debug(self, *values: Any) -> None:
        _print("debug", values)


def _print(level: str, values: Iterable[Any]) -> None:
    scope = current_worker.get()
    printer = scope.printer if scope is not None and scope.printer is not None else Printer()
    printer.worker(scope.name if scope is not None else "js", " ".join(_shown(value) for value in values), level)


def _shown(value: Any) -> str:
    """How ``console.log`` shows a value that came from Python: JavaScript's numbers, Python's ``str`` for the rest."""
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return number_text(value)
    return str(value)


class _ResponseConstructor(_Global):
    """``Response.new(body, init)``, ``.json(data, init)``, ``.redirect(url, status)``: a ``workers.Response``."""

    @staticmethod
    def new(body: Any = None, init: Any = None, **options: Any) -> _Response:
        settings = {**dict(init or {}), **options}
        if isinstance(body, JsBuffer):
            body = bytes(body)
        return _Response(body, settings.get("status", 200), settings.get("statusText", ""), settings.get("headers"))

    @staticmethod
    def json(data: Any, init: Any = None, **options: Any) -> _Response:
        settings = {**dict(init or {}), **options}
        status, status_text = settings.get("status", 200), settings.get("statusText", "")
        response: _Response = _Response.json(data, status, status_text, settings.get("headers"))
        return response

    @staticmethod
    def redirect(url: str, status: int = 302) -> _Response:
        return _Response.redirect(str(url), status)


class _HeadersConstructor(_Global):
    @staticmethod
    def new(init: Any = None) -> _Headers:
        return _Headers(init)


class _URLConstructor(_Global):
    @staticmethod
    def new(url: Any, base: Any = None) -> JsURL:
        return JsURL(str(url), None if base is None else str(base))


Object = _Object("Object")
JSON = _JSON("JSON")
Date = _DateConstructor("Date")
Error = _ErrorConstructor("Error")
console = _Console("console")
Response = _ResponseConstructor("Response")
Headers = _HeadersConstructor("Headers")
URL = _URLConstructor("URL")


def __getattr__(name: str) -> Any:
    raise not_emulated("js", name, __all__)
