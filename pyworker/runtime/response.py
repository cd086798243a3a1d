"""``Response``, with the semantics of Cloudflare's Python Workers SDK (``workers.Response``)."""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from pyworker.runtime.body import BODY_USED, Body, BodyInit, BodySource, BodyUsedError, FormData, make_source
from pyworker.runtime.headers import Headers, to_js_headers
from pyworker.runtime.jsview import JsMessage, owner_of

NULL_BODY_STATUSES = frozenset({101, 204, 205, 304})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def _is_absolute(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme and parts.netloc)


def _headers_like(value: Any) -> bool:
    return isinstance(value, Headers | Mapping | list)


class _ClassOrInstanceMethod:
    """``Response.json(data)`` builds a response; ``await response.json()`` parses one, as on Cloudflare."""

    def __init__(self, on_class: Any, on_instance: Any) -> None:
        self._on_class, self._on_instance = on_class, on_instance

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return self._on_class.__get__(owner, owner)
        return self._on_instance.__get__(instance, owner)


def _json_response(
    cls: type[Response],
    data: Any,
    status: int = 200,
    status_text: Any = "",
    headers: Any = None,
) -> Response:
    """``Response.json(data)``: ``data`` as JSON, with ``content-type: application/json``.

    On an instance, ``await response.json()`` parses the body instead (see ``Response.json``).
    """
    if _headers_like(status_text) and headers is None:
        status_text, headers = "", status_text
    merged = to_js_headers(headers)
    if not merged.has("content-type"):
        merged.set("content-type", "application/json")
    return cls(jsonlib.dumps(data), status, status_text, merged)


class Response(Body):
    """An HTTP response. A ``str`` body defaults to ``text/plain;charset=UTF-8``.

    Mirrors Cloudflare's ``Response(body, status, status_text, headers, web_socket)``; like the
    SDK's, ``status``, ``status_text``, ``headers``, ``url``, ``ok``... are read-only properties.
    """

    _JS_NAME = "Response"

    def __init__(
        self,
        body: BodyInit = None,
        status: int | None = 200,
        status_text: Any = "",
        headers: Any = None,
        web_socket: Any = None,
    ) -> None:
        if isinstance(body, JsMessage) and body.constructor.name == "Response":
            if status not in (None, 200) or status_text or headers is not None:
                raise ValueError("Expected no options when constructing Response from a js.Response")
            self.__dict__.update(owner_of(body).__dict__)  # the same response, as the SDK wraps it
            return
        if status_text and headers is None and _headers_like(status_text):
            # Response(body, 200, {"x": "y"}): a third positional that is clearly headers.
            status_text, headers = "", status_text
        if isinstance(body, bytearray | memoryview):
            raise TypeError(f"Unsupported type in Response: {type(body).__name__}. Pass bytes(...) instead.")
        status = int(status or 200)
        if not 200 <= status <= 599 and status != 101:
            raise ValueError(
                f"Responses may only be constructed with status codes in the range 200 to 599, got {status}."
            )
        if status in NULL_BODY_STATUSES and isinstance(body, str | bytes) and not body:
            body = None  # workerd accepts an empty body here and treats it as none
        text = str(status_text or "")
        if text and any(ord(c) < 0x20 for c in text):
            raise TypeError(f"Invalid statusText {text!r}: control characters are not allowed.")
        self._status = status
        # workerd fills in the standard reason phrase when none is given.
        self._status_text = text or _phrase(status)
        self._headers = to_js_headers(headers)
        self._web_socket = web_socket
        self._url = ""
        self._redirected = False
        self._source = make_source(body, self._headers)
        self._used = False
        if self._source is not None and status in NULL_BODY_STATUSES:
            raise TypeError(f"Response with null body status ({status}) cannot have body.")

    json = _ClassOrInstanceMethod(_json_response, Body.json)

    @property
    def status(self) -> int:
        return self._status

    @property
    def status_text(self) -> str:
        return self._status_text

    @property
    def url(self) -> str:
        return self._url

    @property
    def redirected(self) -> bool:
        return self._redirected

    _type = "default"
    _encode_body = "automatic"  # "manual": the body is sent as it is, already encoded per Content-Encoding

    @property
    def type(self) -> str:
        """JavaScript's ``Response.type``: ``"default"`` for one code made, ``"basic"`` for one ``fetch()`` returned."""
        return self._type

    @property
    def js_response(self) -> Any:
        """Pyodide's ``FetchResponse.js_response``: the JavaScript ``Response`` (what ``js_object`` is)."""
        return self.js_object

    async def memoryview(self) -> memoryview:
        """The body as a ``memoryview``, as Pyodide's ``FetchResponse.memoryview()``."""
        return memoryview(await self.bytes())

    async def string(self) -> str:
        """The body as text, as Pyodide's ``FetchResponse.string()``."""
        return await self.text()

    async def formData(self) -> FormData:
        """The SDK's ``FetchResponse.formData()`` (kept there until a compatibility date): ``form_data()``."""
        return await self.form_data()

    def abort(self, reason: Any = None) -> None:
        """Pyodide's ``FetchResponse.abort()``: stop reading the body; reading it afterwards raises."""
        if self._source is not None:
            self._source, self._used = None, True

    async def unpack_archive(self, *, extract_dir: str | None = None, format: str | None = None) -> None:
        """Pyodide's ``FetchResponse.unpack_archive()``: unpack the body (a zip or tar) into ``extract_dir``."""
        import shutil
        import tempfile

        data = await self.bytes()
        with tempfile.NamedTemporaryFile(suffix=_archive_suffix(self._url, format)) as archive:
            archive.write(data)
            archive.flush()
            shutil.unpack_archive(archive.name, extract_dir, format)

    @classmethod
    def from_json(cls, data: Any, status: int = 200, status_text: str = "", headers: Any = None) -> Response:
        """``data`` as a JSON response (``content-type: application/json`` unless ``headers`` set one)."""
        return _json_response(cls, data, status, status_text, headers)

    def replace_body(self, body: BodyInit) -> Response:
        """A new response with this one's status, status text and headers, and ``body``."""
        return Response(body, self._status, self._status_text, self._headers.copy())

    def raise_for_status(self) -> None:
        """Raise ``OSError`` for a 4xx or 5xx status, as Pyodide's ``FetchResponse.raise_for_status``."""
        if 400 <= self.status < 600:
            side = "Client" if self.status < 500 else "Server"
            raise OSError(f"{self.status} {side} Error: {self.status_text} for url: {self.url}")

    @classmethod
    def redirect(cls, url: str, status: int = 302) -> Response:
        if status not in REDIRECT_STATUSES:
            raise ValueError(f"Invalid redirect status {status}: use one of 301, 302, 303, 307, 308.")
        if not _is_absolute(str(url)):
            raise TypeError(f'Unable to parse URL: "{url}". Response.redirect needs an absolute URL.')
        return cls(None, status, headers={"location": str(url)})

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def body(self) -> BodySource | None:
        return self._source

    def clone(self) -> Response:
        if self._used:
            raise BodyUsedError(BODY_USED)
        copy = self._copy()
        if self._source is not None:
            copy._source = self._source.share()
        return copy

    def _transfer(self) -> Response:
        """This response as the other side of a binding gets it: a plain ``Response`` with the status,
        headers and body only (never the sender's subclass or attributes); the body moves to it."""
        copy = Response.__new__(Response)
        copy._status, copy._status_text, copy._headers = self._status, self._status_text, self._headers.copy()
        copy._web_socket, copy._url, copy._redirected = (
            self._web_socket,
            self._url,
            self._redirected,
        )  # a 101's socket moves
        copy._source, copy._used = None if self._source is None else self._source.sealed(), False
        if self._source is not None:
            self._source, self._used = None, True
        return copy

    def _copy(self) -> Response:
        copy = type(self).__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy._headers = self._headers.copy()
        return copy

    def __repr__(self) -> str:
        return f"Response(status={self.status}, status_text={self.status_text!r})"


def _archive_suffix(url: str, format: str | None) -> str:
    if format is not None:
        return ""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return name[name.index(".") :] if "." in name else ""


def _phrase(status: int) -> str:
    return _PHRASES.get(status, "")


_PHRASES = {status.value: status.phrase for status in HTTPStatus}
