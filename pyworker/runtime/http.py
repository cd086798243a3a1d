"""``Request`` and ``Response`` with the semantics of Cloudflare's Python Workers."""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from pyworker.runtime.body import Body, BodyInit, BodySource, BodyUsedError, make_source
from pyworker.runtime.headers import Headers

NULL_BODY_STATUSES = frozenset({101, 204, 205, 304})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


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


class Request(Body):
    """An HTTP request: ``url``, ``method``, ``headers``, and a body readable once."""

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
            inherited = None if "body" in merged else input._take_source()
        else:
            base_url, base_method, base_headers, inherited = str(input), "GET", None, None
        parts = urlsplit(base_url)
        if not parts.scheme or not parts.netloc:
            raise TypeError(f'Invalid URL: "{base_url}". A request needs an absolute URL such as "https://example.com/".')
        self.url = base_url
        self.method = str(merged.get("method") or base_method).upper()
        self.headers = Headers(merged.get("headers", base_headers))
        self.cf: dict[str, Any] = dict(merged.get("cf") or {})
        self.redirect = str(merged.get("redirect", "follow"))
        self._source = inherited if "body" not in merged else make_source(merged["body"], self.headers)
        self._used = False
        if self._source is not None and self.method in ("GET", "HEAD") and "body" in merged:
            raise TypeError("Request with GET/HEAD method cannot have body.")

    @classmethod
    def _from_parts(
        cls, url: str, method: str, headers: Headers, source: BodySource | None
    ) -> Request:
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

    def clone(self) -> Request:
        if self._used:
            raise BodyUsedError("Body already used. A body can be read once; call clone() before reading it.")
        return Request._from_parts(self.url, self.method, self.headers.copy(), self._source)

    @property
    def body(self) -> BodySource | None:
        return self._source

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url}>"


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
        statusText: str | None = None,  # noqa: N803 - accepted as in JS
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
        self.status = status
        self.status_text = str(statusText if statusText is not None else status_text or "")
        self.headers = Headers(headers)
        self.web_socket = web_socket
        self.url = ""
        self.redirected = False
        self._source = make_source(body, self.headers)
        self._used = False
        if self._source is not None and status in NULL_BODY_STATUSES:
            raise TypeError(f"Response with null body status ({status}) cannot have body.")

    def _json_response(  # noqa: D417
        cls,
        data: Any,
        status: int = 200,
        status_text: Any = "",
        headers: Any = None,
    ) -> Response:
        """A response whose body is ``data`` as JSON, with ``content-type: application/json``.

        Called on an instance (``await response.json()``) it parses the body instead.
        """
        if _headers_like(status_text) and headers is None:
            status_text, headers = "", status_text
        merged = Headers(headers)
        if not merged.has("content-type"):
            merged.set("content-type", "application/json")
        return cls(jsonlib.dumps(data), status, status_text, merged)

    json = _ClassOrInstanceMethod(_json_response, Body.json)  # type: ignore[assignment]

    @classmethod
    def redirect(cls, url: str, status: int = 302) -> Response:
        if status not in REDIRECT_STATUSES:
            raise ValueError(f"Invalid redirect status {status}: use one of 301, 302, 303, 307, 308.")
        return cls(None, status, headers={"location": str(url)})

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def reason(self) -> str:
        """The status text, or the standard phrase for the status."""
        if self.status_text:
            return self.status_text
        try:
            return HTTPStatus(self.status).phrase
        except ValueError:
            return ""

    @property
    def body(self) -> BodySource | None:
        return self._source

    def clone(self) -> Response:
        if self._used:
            raise BodyUsedError("Body already used. A body can be read once; call clone() before reading it.")
        copy = Response.__new__(Response)
        copy.__dict__.update(self.__dict__)
        copy.headers = self.headers.copy()
        return copy

    def __repr__(self) -> str:
        return f"Response(status={self.status}, status_text={self.reason!r})"
