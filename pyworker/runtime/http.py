"""``Request`` (and, from ``response.py``, ``Response``) with the semantics of Cloudflare's Python Workers."""

from __future__ import annotations

from http import HTTPMethod
from typing import Any, overload

from pyworker.runtime.body import BODY_USED, Body, BodySource, BodyUsedError, make_source
from pyworker.runtime.headers import Headers, to_js_headers
from pyworker.runtime.jsobject import js_object_of
from pyworker.runtime.jsview import JsMessage, owner_of
from pyworker.runtime.jswrapped import unwrap
from pyworker.runtime.response import Response
from pyworker.runtime.urls import whatwg_url

REDIRECT_MODES = ("follow", "manual")


__all__ = ["Request", "Response", "incoming_request", "method_of", "transfer"]


class Request(Body):
    """An HTTP request: ``url``, ``method`` (an ``http.HTTPMethod`` for the standard ones, as in the
    SDK), ``headers``, ``cf`` (``None`` unless given or received), and a body readable once.
    Like the SDK's, every field is a read-only property."""

    _JS_NAME = "Request"
    _url: str
    _method: str
    _cf: Any
    _redirect: str

    def __init__(self, input: str | Request | JsMessage, **other_options: Any) -> None:
        # As the SDK's: keyword options only (method, headers, body, redirect, cf); None means not given.
        merged = (
            other_options
            if None not in other_options.values()
            else {key: value for key, value in other_options.items() if value is not None}
        )
        if type(input) is not str:  # a URL (the common case) has nothing to unwrap
            input = unwrap(input)  # a JavaScript Request of pyworker.sdk.jsfetch stands for one of ours
        if isinstance(input, JsMessage):  # Request(js_request): the same request, as the SDK wraps it
            if merged:
                raise ValueError("Expected no options when constructing Request from a js.Request")
            self.__dict__.update(owner_of(input).__dict__)
            return
        if isinstance(input, Request):
            base_url, base_method, base_headers = input.url, input.method, input._headers
            base_cf, base_redirect = input._cf, input.redirect
        else:
            # As ``new Request()`` parses it (WHATWG): every outbound path builds its Request here.
            base_url, base_method, base_headers = whatwg_url(str(input)), "GET", None
            base_cf, base_redirect = None, "follow"
        redirect = str(merged.get("redirect", base_redirect))
        if redirect not in REDIRECT_MODES:
            raise TypeError(f'Invalid redirect value "{redirect}": use "follow" or "manual".')
        self._url = base_url
        self._method = method_of(str(merged.get("method") or base_method).upper())
        self._headers = to_js_headers(merged["headers"]) if "headers" in merged else Headers(base_headers)
        cf = merged.get("cf", base_cf)
        self._cf = js_object_of(cf) if cf is not None else None
        self._redirect = redirect
        if "body" in merged:
            self._source = make_source(merged["body"], self._headers)
        else:  # taken last, so a request that fails the checks above leaves the original's body alone
            self._source = input._take_source() if isinstance(input, Request) else None
        self._used = False
        # As in workerd: only a new method or body is checked, so a GET with a body can still be proxied.
        rewritten = "method" in merged or "body" in merged
        if self._source is not None and self._method in ("GET", "HEAD") and rewritten:
            raise TypeError("Request with GET/HEAD method cannot have body.")

    @property
    def url(self) -> str:
        return self._url

    @property
    def method(self) -> str:
        return self._method

    @property
    def cf(self) -> Any:
        """Cloudflare's properties of the incoming request (a JavaScript object: ``request.cf.colo``)."""
        cf = self._cf
        if type(cf) is dict:  # an incoming request's shared template: its own object, made on first use
            cf = self._cf = js_object_of(cf)
        return cf

    @property
    def redirect(self) -> str:
        return self._redirect

    @classmethod
    def _from_parts(cls, url: str, method: str, headers: Headers, source: BodySource | None, cf: Any = None) -> Request:
        """Build a request the server received, skipping the checks a user-made one needs."""
        request = cls.__new__(cls)
        request._url, request._method, request._headers = url, method_of(method), headers
        request._cf, request._redirect = cf, "follow"
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
        """This request as the other side of a binding gets it: a plain ``Request``, the body moved to it.

        What ``Request(self)`` makes, built directly: on every fetch through a binding, one per hop."""
        copy = Request.__new__(Request)
        copy._url, copy._method, copy._headers = self._url, method_of(str(self._method).upper()), Headers(self._headers)
        cf = self._cf
        copy._cf, copy._redirect = js_object_of(cf) if cf is not None else None, self._redirect
        source = self._take_source()
        copy._source, copy._used = None if source is None else source.sealed(), False
        return copy

    def clone(self) -> Request:
        if self._used:
            raise BodyUsedError(BODY_USED)
        source = None if self._source is None else self._source.share()
        copy = type(self)._from_parts(self._url, self._method, self._headers.copy(), source, self._cf)
        copy._redirect = self._redirect
        return copy

    @property
    def body(self) -> BodySource | None:
        return self._source

    # The rest of JavaScript's Request, as the SDK exposes it: constants for a server-side request.
    cache = "default"
    credentials = "same-origin"
    destination = ""
    integrity = ""
    is_history_navigation = False
    keepalive = False
    mode = "cors"
    referrer = "about:client"
    referrer_policy = ""

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url}>"


def incoming_request(url: str, method: str, headers: Headers, source: BodySource | None, cf: Any = None) -> Request:
    """A request the server received, built without the checks a user-made one needs."""
    return Request._from_parts(url, method, headers, source, cf)


@overload
def transfer(message: Request) -> Request: ...
@overload
def transfer(message: Response) -> Response: ...
@overload
def transfer(message: Request | Response) -> Request | Response: ...
def transfer(message: Request | Response) -> Request | Response:
    """``message`` as the other side of a binding gets it: a new object the body moves to."""
    return message._transfer()


_METHODS: dict[str, str] = {method.value: method for method in HTTPMethod}


def method_of(name: str) -> str:
    """``HTTPMethod.GET`` for ``"GET"`` (a ``str`` too); a non-standard method stays a plain string."""
    return _METHODS.get(name, name)
