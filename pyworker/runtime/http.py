"""``Request`` and ``Response`` with the semantics of Cloudflare's Python Workers."""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, overload
from urllib.parse import urlsplit

from pyworker.runtime.body import BODY_USED, Body, BodyInit, BodySource, BodyUsedError, make_source
from pyworker.runtime.headers import Headers

NULL_BODY_STATUSES = frozenset({101, 204, 205, 304})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
REDIRECT_MODES = ("follow", "manual")


def _headers_like(value: Any) -> bool:
    return isinstance(value, Headers | Mapping | list)


def _is_absolute(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme and parts.netloc)


class _ClassOrInstanceMethod:
    """``Response.json(data)`` builds a response; ``await response.json()`` parses one, as on Cloudflare."""

    def __init__(self, on_class: Any, on_instance: Any) -> None:
        self._on_class, self._on_instance = on_class, on_instance

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return self._on_class.__get__(owner, owner)
        return self._on_instance.__get__(instance, owner)


class Request(Body):
    """An HTTP request: ``url``, ``method``, ``headers``, and a body readable once."""

    url: str
    method: str
    cf: dict[str, Any]
    redirect: str

    def __init__(
        self,
        input: str | Request,
        init: Mapping[str, Any] | None = None,
        *,
        method: str | None = None,
        headers: Any = None,
        body: BodyInit = None,
        **options: Any,
    ) -> None:
        merged: dict[str, Any] = dict(init or {})
        merged.update({k: v for k, v in (("method", method), ("headers", headers)) if v is not None})
        if body is not None:
            merged["body"] = body
        merged.update(options)
        if isinstance(input, Request):
            base_url, base_method, base_headers = input.url, input.method, input.headers
            base_cf, base_redirect = input.cf, input.redirect
        else:
            base_url, base_method, base_headers = str(input), "GET", None
            base_cf, base_redirect = {}, "follow"
        if not _is_absolute(base_url):
            raise TypeError(
                f'Invalid URL: "{base_url}". A request needs an absolute URL such as "https://example.com/".'
            )
        redirect = str(merged.get("redirect", base_redirect))
        if redirect not in REDIRECT_MODES:
            raise TypeError(f'Invalid redirect value "{redirect}": use "follow" or "manual".')
        self.url = base_url
        self.method = str(merged.get("method") or base_method).upper()
        self.headers = Headers(merged.get("headers", base_headers))
        self.cf = dict(merged.get("cf") or base_cf)
        self.redirect = redirect
        if "body" in merged:
            self._source = make_source(merged["body"], self.headers)
        else:  # taken last, so a request that fails the checks above leaves the original's body alone
            self._source = input._take_source() if isinstance(input, Request) else None
        self._used = False
        # As in workerd: only a new method or body is checked, so a GET with a body can still be proxied.
        rewritten = "method" in merged or "body" in merged
        if self._source is not None and self.method in ("GET", "HEAD") and rewritten:
            raise TypeError("Request with GET/HEAD method cannot have body.")

    @classmethod
    def _from_parts(cls, url: str, method: str, headers: Headers, source: BodySource | None) -> Request:
        """Build a request the server received, skipping the checks a user-made one needs."""
        request = cls.__new__(cls)
        request.url, request.method, request.headers = url, method, headers
        request.cf, request.redirect = {}, "follow"
        request._source, request._used = source, False
        return request

    def _take_source(self) -> BodySource | None:
        """Hand this request's body to a new request; this one counts as read, as in JS."""
        if self._used:
            raise TypeError("Cannot construct a Request with a Request object that has already been used.")
        source, self._source = self._source, None
        if source is not None:
            self._used = True
        return source

    def _transfer(self) -> Request:
        """This request as the other side of a binding gets it: a new object the body moves to."""
        return Request(self)

    def clone(self) -> Request:
        if self._used:
            raise BodyUsedError(BODY_USED)
        source = None if self._source is None else self._source.share()
        copy = type(self)._from_parts(self.url, self.method, self.headers.copy(), source)
        copy.cf, copy.redirect = dict(self.cf), self.redirect
        return copy

    @property
    def body(self) -> BodySource | None:
        return self._source

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url}>"


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
    merged = Headers(headers)
    if not merged.has("content-type"):
        merged.set("content-type", "application/json")
    return cls(jsonlib.dumps(data), status, status_text, merged)


class Response(Body):
    """An HTTP response. A ``str`` body defaults to ``text/plain;charset=UTF-8``.

    Mirrors Cloudflare's ``Response(body, status, status_text, headers, web_socket)``.
    """

    def __init__(
        self,
        body: BodyInit = None,
        status: int | None = 200,
        status_text: Any = "",
        headers: Any = None,
        web_socket: Any = None,
        *,
        statusText: str | None = None,
    ) -> None:
        if _headers_like(status_text) and headers is None:
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
        text = str(statusText if statusText is not None else status_text or "")
        if any(ord(c) < 0x20 for c in text):
            raise TypeError(f"Invalid statusText {text!r}: control characters are not allowed.")
        self.status = status
        # workerd fills in the standard reason phrase when none is given.
        self.status_text = text or _phrase(status)
        self.headers = Headers(headers)
        self.web_socket = web_socket
        self.url = ""
        self.redirected = False
        self._source = make_source(body, self.headers)
        self._used = False
        if self._source is not None and status in NULL_BODY_STATUSES:
            raise TypeError(f"Response with null body status ({status}) cannot have body.")

    json = _ClassOrInstanceMethod(_json_response, Body.json)

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
        """This response as the other side of a binding gets it: a new object the body moves to."""
        copy = self._copy()
        if self._source is not None:
            self._source, self._used = None, True
        return copy

    def _copy(self) -> Response:
        copy = type(self).__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.headers = self.headers.copy()
        return copy

    def __repr__(self) -> str:
        return f"Response(status={self.status}, status_text={self.status_text!r})"


def incoming_request(url: str, method: str, headers: Headers, source: BodySource | None) -> Request:
    """A request the server received, built without the checks a user-made one needs."""
    return Request._from_parts(url, method, headers, source)


@overload
def transfer(message: Request) -> Request: ...
@overload
def transfer(message: Response) -> Response: ...
@overload
def transfer(message: Request | Response) -> Request | Response: ...
def transfer(message: Request | Response) -> Request | Response:
    """``message`` as the other side of a binding gets it: a new object the body moves to."""
    return message._transfer()


def _phrase(status: int) -> str:
    return _PHRASES.get(status, "")


_PHRASES = {status.value: status.phrase for status in HTTPStatus}
