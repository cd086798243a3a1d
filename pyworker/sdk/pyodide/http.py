"""``pyodide.http``: ``pyfetch`` and ``FetchResponse``, on top of ``workers.fetch`` (real outbound HTTP)."""

from __future__ import annotations

import json
from typing import Any

from pyworker.runtime.body import BodyUsedError, headers_of
from pyworker.runtime.http import Response
from pyworker.runtime.jsvalues import JsBuffer
from pyworker.runtime.outbound import fetch
from pyworker.sdk.jsobjects import not_emulated

__all__ = ["AbortError", "BodyUsedError", "FetchResponse", "HttpStatusError", "pyfetch"]


class HttpStatusError(OSError):
    """Raised by :meth:`FetchResponse.raise_for_status` for a 4xx or 5xx status."""

    def __init__(self, status: int, status_text: str, url: str) -> None:
        self.status = status
        self.status_text = status_text
        self.url = url
        kind = "Client" if 400 <= status < 500 else "Server" if 500 <= status < 600 else "Invalid"
        super().__init__(f"{status} {kind} Error: {status_text} for url: {url}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.status, self.status_text, self.url))


class AbortError(OSError):
    """The fetch was aborted."""


class FetchResponse:
    """A response from :func:`pyfetch`: ``status``, ``ok``, ``headers`` (a dict), and awaitable body readers."""

    def __init__(self, url: str, js_response: Response, abort_controller: Any = None, abort_signal: Any = None) -> None:
        self._url = url
        self.js_response = js_response
        self.abort_controller = abort_controller
        self.abort_signal = abort_signal

    @property
    def body_used(self) -> bool:
        return self.js_response.body_used

    @property
    def headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for name, value in headers_of(self.js_response).items():
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return headers

    @property
    def ok(self) -> bool:
        return self.js_response.ok

    @property
    def redirected(self) -> bool:
        return self.js_response.redirected

    @property
    def status(self) -> int:
        return self.js_response.status

    @property
    def status_text(self) -> str:
        return self.js_response.status_text

    @property
    def type(self) -> str:
        return "basic"

    @property
    def url(self) -> str:
        return self.js_response.url or self._url

    def raise_for_status(self) -> None:
        if 400 <= self.status < 600:
            raise HttpStatusError(self.status, self.status_text, self.url)

    def clone(self) -> FetchResponse:
        return FetchResponse(self._url, self.js_response.clone(), self.abort_controller, self.abort_signal)

    async def bytes(self) -> bytes:
        return await self.js_response.bytes()

    async def buffer(self) -> JsBuffer:
        return JsBuffer(await self.js_response.bytes())

    async def text(self) -> str:
        return await self.js_response.text()

    string = text

    async def json(self, **kwargs: Any) -> Any:
        return json.loads(await self.text(), **kwargs)

    async def memoryview(self) -> memoryview:
        return memoryview(await self.bytes())

    def abort(self, reason: Any = None) -> None:
        raise ValueError("abort_controller is not set")

    def __getattr__(self, name: str) -> Any:
        raise not_emulated("FetchResponse", name, [n for n in dir(FetchResponse) if not n.startswith("_")])


async def pyfetch(url: str, /, *, signal: Any = None, fetcher: Any = None, **kwargs: Any) -> FetchResponse:
    """Fetch ``url`` (``method=``, ``headers=``, ``body=``, ``redirect=``) and return a :class:`FetchResponse`.

    ``fetcher`` sends the request to another fetch function instead (a service binding's ``fetch``).
    """
    options = dict(kwargs)
    if fetcher is not None:
        options["fetcher"] = fetcher
    return FetchResponse(url, await fetch(url, **options))


def __getattr__(name: str) -> Any:
    raise not_emulated("pyodide.http", name, __all__)
