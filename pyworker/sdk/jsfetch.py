"""The JavaScript ``Headers``, ``Request`` and ``Response`` objects, and ``js.fetch``.

On Cloudflare, ``from js import fetch`` is the runtime's own ``fetch``: it answers a
JavaScript ``Response`` (``status``, ``ok``, ``headers.get(name)``, ``await text()``,
``await json()`` giving a JavaScript object, ``await arrayBuffer()``). A module-level
``on_fetch(request, env)`` of a worker on legacy handlers gets the JavaScript ``Request``
too. These classes wrap pyworker's :class:`~pyworker.runtime.http.Request` and
:class:`~pyworker.runtime.http.Response` with JavaScript's names and values; ``js.fetch``
goes through the same outbound path as ``workers.fetch`` (one subrequest each).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pyworker.runtime.blob import Blob
from pyworker.runtime.formdata import FormData
from pyworker.runtime.headers import Headers
from pyworker.runtime.http import Request, Response
from pyworker.runtime.jsvalues import JsBuffer, JsException, JsProxy
from pyworker.runtime.jswrapped import JsWrapped, unwrap
from pyworker.runtime.outbound import fetch as outbound_fetch
from pyworker.sdk import jsjson
from pyworker.sdk.jsobjects import JsArray, JsURLSearchParams


class JsHeaders(JsProxy):
    """A JavaScript ``Headers``: ``get`` (``None`` for null), ``has``, ``set``, ``append``, ``delete``,
    ``entries()``/``keys()``/``values()``, ``forEach``, ``getSetCookie``; iterating yields ``[name, value]``."""

    __slots__ = ("_headers",)

    def __init__(self, headers: Headers) -> None:
        self._headers = headers

    def get(self, name: str) -> str | None:
        return self._headers.get(str(name))

    def has(self, name: str) -> bool:
        return self._headers.has(str(name))

    def set(self, name: str, value: Any) -> None:
        self._headers.set(str(name), jsjson.js_string(value))

    def append(self, name: str, value: Any) -> None:
        self._headers.append(str(name), jsjson.js_string(value))

    def delete(self, name: str) -> None:
        self._headers.delete(str(name))

    def getSetCookie(self) -> JsArray:
        return JsArray(self._headers.get_all("set-cookie"))

    def entries(self) -> Iterator[JsArray]:
        return (JsArray(pair) for pair in self._headers.items())

    def keys(self) -> Iterator[str]:
        return iter(self._headers.keys())

    def values(self) -> Iterator[str]:
        return iter(self._headers.values())

    def forEach(self, callback: Callable[..., Any]) -> None:
        for name, value in self._headers.items():
            callback(value, name, self)

    def __iter__(self) -> Iterator[JsArray]:
        return self.entries()

    def to_py(self) -> JsHeaders:
        return self

    def __repr__(self) -> str:
        return f"[object Headers] {dict(self._headers.items())!r}"


class _JsBody(JsWrapped):
    """What JavaScript's ``Request`` and ``Response`` share: the body, read once."""

    __slots__ = ()
    _message: Request | Response

    @property
    def headers(self) -> JsHeaders:
        return JsHeaders(self._message._headers)  # the live JavaScript Headers, not the SDK's copy

    @property
    def bodyUsed(self) -> bool:
        return self._message.body_used

    @property
    def body(self) -> Any:
        return self._message.body

    async def text(self) -> str:
        return await self._message.text()

    async def json(self) -> Any:
        return jsjson.parse(await self._message.text())

    async def arrayBuffer(self) -> JsBuffer:
        return JsBuffer(await self._message.bytes())

    bytes = arrayBuffer  # a Uint8Array: the same bytes with .buffer

    async def formData(self) -> FormData:
        return await self._message.form_data()

    async def blob(self) -> Blob:
        return await self._message.blob()

    def to_py(self) -> Any:
        return self


class JsRequest(_JsBody):
    """A JavaScript ``Request``: ``url``, ``method`` (a plain string), ``headers`` (a :class:`JsHeaders`),
    ``redirect``, ``cf``, and the body methods."""

    __slots__ = ()

    def __init__(self, request: Request) -> None:
        super().__init__(request)

    @property
    def url(self) -> str:
        return self._request.url

    @property
    def method(self) -> str:
        return str(self._request.method)

    @property
    def redirect(self) -> str:
        return self._request.redirect

    @property
    def cf(self) -> Any:
        return self._request.cf

    @property
    def _request(self) -> Request:
        assert isinstance(self._message, Request)
        return self._message

    def clone(self) -> JsRequest:
        return JsRequest(self._request.clone())

    def __repr__(self) -> str:
        return f"[object Request] {self.method} {self.url}"


class JsResponse(_JsBody):
    """A JavaScript ``Response``: ``status``, ``statusText``, ``ok``, ``headers``, ``url``, ``redirected``,
    ``type``, and the body methods. A handler may return it."""

    __slots__ = ()

    def __init__(self, response: Response) -> None:
        super().__init__(response)

    @property
    def status(self) -> int:
        return self.js_response.status

    @property
    def statusText(self) -> str:
        return self.js_response.status_text

    @property
    def ok(self) -> bool:
        return self.js_response.ok

    @property
    def url(self) -> str:
        return self.js_response.url

    @property
    def redirected(self) -> bool:
        return self.js_response.redirected

    @property
    def type(self) -> str:
        return str(self.js_response.type)

    @property
    def js_response(self) -> Response:
        """The response itself (what pyworker serves when a handler returns this object)."""
        assert isinstance(self._message, Response)
        return self._message

    def clone(self) -> JsResponse:
        return JsResponse(self.js_response.clone())

    def __repr__(self) -> str:
        return f"[object Response] {self.status} {self.statusText}"


def _options(init: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    if isinstance(init, Mapping):
        merged.update(init)
    elif init is not None:
        raise JsException("TypeError", f"The init argument must be an object, not {type(init).__name__}.")
    merged.update(options)
    return merged


def response_init(init: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    """``new Response(body, init)``'s ``status``, ``statusText`` and ``headers``, read as :func:`request_init` reads."""
    merged = _options(init, options)
    settings: dict[str, Any] = {name: merged[name] for name in ("status", "statusText") if merged.get(name) is not None}
    if merged.get("headers") is not None:
        settings["headers"] = _headers(merged["headers"])
    return settings


def request_init(init: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    """The options a JavaScript ``fetch``/``new Request`` reads from ``init`` and keyword arguments.

    Keyword arguments are one object, as Pyodide passes them. A Python ``dict`` (or ``to_js``'s
    ``Map``) is read like an object too, as the issue's ``fetch(url, to_js({...}))`` expects,
    although JavaScript sees no properties on a Map: ``to_js(init, dict_converter=Object.fromEntries)``
    is what works on Cloudflare.
    """
    merged = _options(init, options)
    settings: dict[str, Any] = {}
    for name in ("method", "redirect"):
        if merged.get(name) is not None:
            settings[name] = str(merged[name])
    if merged.get("headers") is not None:
        settings["headers"] = _headers(merged["headers"])
    if merged.get("body") is not None:
        settings["body"] = js_body(merged["body"])
    if isinstance(merged.get("cf"), Mapping):
        settings["cf"] = dict(merged["cf"])
    return settings


def _headers(value: Any) -> Any:
    if isinstance(value, JsHeaders):
        return value._headers
    if isinstance(value, Headers | Mapping):
        return value
    return [tuple(pair) for pair in value]


def js_body(value: Any) -> Any:
    """A body as JavaScript takes it: strings, buffers, form data, blobs, streams as they are; the rest as String()."""
    if isinstance(value, str | FormData | Blob):
        return value
    if isinstance(value, JsProxy) and isinstance(value, bytes | bytearray):  # an ArrayBuffer or Uint8Array
        return bytes(value)
    if isinstance(value, JsURLSearchParams):
        return str(value)
    if hasattr(value, "__aiter__"):
        return value
    return jsjson.js_string(value)


def make_request(resource: Any, init: Any = None, **options: Any) -> Request:
    """``new Request(resource, init)``: ``resource`` a URL (string or ``URL``) or a Request."""
    settings = request_init(init, options)
    resource = unwrap(resource)
    if isinstance(resource, Request):
        return Request(resource, **settings)
    try:
        return Request(jsjson.js_string(resource), **settings)
    except TypeError as exc:
        raise JsException("TypeError", str(exc)) from None


async def fetch(resource: Any, init: Any = None, **options: Any) -> JsResponse:
    """``js.fetch``: real outbound HTTP through pyworker's one outbound path; a :class:`JsResponse`."""
    request = make_request(resource, init, **options)
    try:
        response = await outbound_fetch(request)
    except OSError as exc:  # the network failed: JavaScript's fetch rejects with a TypeError
        raise JsException("TypeError", str(exc)) from exc
    return JsResponse(response)


def handler(func: Callable[..., Any]) -> Callable[..., Any]:
    """The SDK's ``@handler`` for a module-level ``on_fetch``: the JavaScript ``Request`` it would get
    becomes the SDK's ``Request``, as ``workers.entrypoints.handler`` does on Cloudflare."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], JsRequest):
            args = (args[0]._request, *args[1:])
        return func(*args, **kwargs)

    return wrapper
