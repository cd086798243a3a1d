"""``workers.fetch``: real outbound HTTP, done with httpx."""

from __future__ import annotations

from typing import Any

from pyworker.errors import InvocationLimit
from pyworker.runtime import limits
from pyworker.runtime.body import headers_of
from pyworker.runtime.headers import Headers
from pyworker.runtime.http import Request, Response
from pyworker.runtime.jsvalues import JsException

# httpx decodes bodies for us, so these no longer describe what we hand back.
_DROPPED = ("content-encoding", "content-length", "transfer-encoding")
# Set from the URL and the body, as workerd does; a proxied request's own values would be wrong.
_COMPUTED = ("host", "content-length", "transfer-encoding")


async def fetch(resource: str | Request, **other_options: Any) -> Response:
    """Fetch ``resource`` over the network and return a :class:`Response`.

    ``fetcher=`` sends the request to another fetch function instead (service
    bindings use it), as in Cloudflare's SDK.
    """
    options = dict(other_options)
    fetcher = options.pop("fetcher", None)
    request = resource if isinstance(resource, Request) and not options else Request(resource, **options)
    if fetcher is not None:  # a binding's fetch: the binding counts it
        result: Response = await fetcher(request)
        return result
    try:
        limits.subrequest(f"this fetch() to {request.url}")
    except InvocationLimit as exc:
        raise JsException("Error", str(exc)) from None
    import httpx  # imported on first use: it costs start-up time most workers never need

    body = await request.bytes() if request.body is not None else None
    outgoing = headers_of(request).copy()
    for name in _COMPUTED:
        outgoing.delete(name)
    # No client-side timeout: Workers have none either, and slow APIs must work locally.
    async with httpx.AsyncClient(follow_redirects=request.redirect == "follow", timeout=None) as client:
        try:
            reply = await client.request(request.method, request.url, headers=outgoing.raw(), content=body)
        except httpx.TransportError as exc:
            # Cloudflare raises OSError for network failures; keep `except OSError` working.
            raise OSError(f"fetch() to {request.url} failed: {str(exc) or type(exc).__name__}") from exc
    headers = Headers.from_raw(reply.headers.raw)
    for name in _DROPPED:
        headers.delete(name)
    response = Response(reply.content or None, reply.status_code, reply.reason_phrase, headers)
    response._url, response._redirected, response._type = str(reply.url), bool(reply.history), "basic"
    return response
