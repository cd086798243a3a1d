"""``import js`` for worker code: the JavaScript globals Python Workers reach most, on plain Python values.

Provided, with JavaScript's semantics: ``fetch`` and ``Request`` / ``Response`` / ``Headers``
(:mod:`pyworker.sdk.jsfetch`), ``URL`` and ``URLSearchParams`` (WHATWG, via ada), ``Object``,
``JSON`` (:mod:`pyworker.sdk.jsjson`), ``Date``, ``Error`` (``Error.new(message)`` is a
``JsException``), ``console`` (printed under the worker's name), ``crypto``, ``setTimeout`` and
friends, ``Uint8Array``, ``ArrayBuffer``, ``TextEncoder``/``TextDecoder``, ``atob``/``btoa`` and the
URI functions (:mod:`pyworker.sdk.jsglobals`), ``WebSocketPair.new()`` and
``WebSocketRequestResponsePair.new`` (:mod:`pyworker.runtime.websocket`), and ``undefined`` (``None``,
as Pyodide converts it).
Any other name raises one ``AttributeError`` naming it and saying pyworker does not emulate it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import Any

from pyworker.printer import Printer
from pyworker.runtime.headers import Headers as _Headers
from pyworker.runtime.http import Response as _Response
from pyworker.runtime.jsvalues import JsBuffer, JsException, number_text
from pyworker.runtime.scope import current_worker
from pyworker.runtime.websocket import WebSocketPair as _WebSocketPair
from pyworker.runtime.websocket import WebSocketRequestResponsePair as _RequestResponsePair
from pyworker.sdk import jsfetch, jsjson
from pyworker.sdk.jsglobals import (
    TextDecoder,
    TextEncoder,
    Uint8Array,
    atob,
    btoa,
    clearInterval,
    clearTimeout,
    crypto,
    decodeURI,
    decodeURIComponent,
    encodeURI,
    encodeURIComponent,
    setInterval,
    setTimeout,
)
from pyworker.sdk.jsobjects import JsArray, JsDate, JsObject, JsURL, JsURLSearchParams, not_emulated

__all__ = [
    "JSON", "URL", "ArrayBuffer", "Date", "Error", "Headers", "Object", "Request", "Response", "TextDecoder",
    "TextEncoder", "URLSearchParams", "Uint8Array", "WebSocketPair", "WebSocketRequestResponsePair", "atob", "btoa",
    "clearInterval", "clearTimeout", "console",
    "crypto", "decodeURI", "decodeURIComponent", "encodeURI", "encodeURIComponent", "fetch", "setInterval",
    "setTimeout", "undefined",
]  # fmt: skip

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

    @staticmethod
    def new() -> JsObject:
        return JsObject()

    @staticmethod
    def keys(obj: Any) -> JsArray:
        return JsArray(str(key) for key in _own(obj))

    @staticmethod
    def values(obj: Any) -> JsArray:
        return JsArray(_own(obj).values())

    @staticmethod
    def entries(obj: Any) -> JsArray:
        return JsArray(JsArray([str(key), value]) for key, value in _own(obj).items())

    @staticmethod
    def assign(target: JsObject, *sources: Any) -> JsObject:
        for source in sources:
            if source is not None:
                target.update(_own(source))
        return target


def _own(obj: Any) -> dict[Any, Any]:
    """An object's own enumerable properties: a JavaScript object's keys; a Python value (a proxy) has none."""
    if isinstance(obj, JsObject):
        return obj
    if isinstance(obj, list):
        return {str(index): item for index, item in enumerate(obj)}
    return {}


class _JSON(_Global):
    parse = staticmethod(jsjson.parse)
    stringify = staticmethod(jsjson.stringify)


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
    """``Response.new(body, init)``, ``.json(data, init)``, ``.redirect(url, status)``: a ``workers.Response``.

    As in JavaScript, a body that is not a string, buffer, form data, blob or stream is ``String(body)``
    (a Python ``dict`` reads ``{'message': 'ok'}``), and ``json`` writes ``JSON.stringify``'s compact text.
    """

    @staticmethod
    def new(body: Any = None, init: Any = None, **options: Any) -> _Response:
        settings = jsfetch.response_init(init, options)
        body = None if body is None else jsfetch.js_body(body)
        return _Response(body, settings.get("status", 200), settings.get("statusText", ""), settings.get("headers"))

    @staticmethod
    def json(data: Any, init: Any = None, **options: Any) -> _Response:
        settings = jsfetch.response_init(init, options)
        headers = _Headers(settings.get("headers"))
        if not headers.has("content-type"):
            headers.set("content-type", "application/json")
        text = jsjson.stringify(data)
        return _Response(text, settings.get("status", 200), settings.get("statusText", ""), headers)

    @staticmethod
    def redirect(url: str, status: int = 302) -> _Response:
        return _Response.redirect(str(url), status)


class _RequestConstructor(_Global):
    """``Request.new(input, init)``: a JavaScript ``Request``."""

    @staticmethod
    def new(resource: Any, init: Any = None, **options: Any) -> jsfetch.JsRequest:
        return jsfetch.JsRequest(jsfetch.make_request(resource, init, **options))


class _HeadersConstructor(_Global):
    @staticmethod
    def new(init: Any = None) -> _Headers:
        return _Headers(init)


class _URLConstructor(_Global):
    @staticmethod
    def new(url: Any, base: Any = None) -> JsURL:
        return JsURL(str(url), None if base is None else str(base))


class _WebSocketPairConstructor(_Global):
    """``WebSocketPair.new()``: two connected ``WebSocket`` ends (:mod:`pyworker.runtime.websocket`)."""

    @staticmethod
    def new() -> _WebSocketPair:
        return _WebSocketPair()


class _RequestResponsePairConstructor(_Global):
    @staticmethod
    def new(request: str, response: str) -> _RequestResponsePair:
        return _RequestResponsePair(request, response)


Object = _Object("Object")
WebSocketPair = _WebSocketPairConstructor("WebSocketPair")
WebSocketRequestResponsePair = _RequestResponsePairConstructor("WebSocketRequestResponsePair")
JSON = _JSON("JSON")
Date = _DateConstructor("Date")
Error = _ErrorConstructor("Error")
console = _Console("console")
Response = _ResponseConstructor("Response")
Headers = _HeadersConstructor("Headers")
URL = _URLConstructor("URL")
Request = _RequestConstructor("Request")
URLSearchParams = JsURLSearchParams
ArrayBuffer = JsBuffer
fetch = jsfetch.fetch


def __getattr__(name: str) -> Any:
    raise not_emulated("js", name, __all__)
