"""``workers.fetch``: real outbound HTTP, done with httpx."""

from __future__ import annotations

from typing import Any

from pyworker.runtime.headers import Headers
from pyworker.runtime.http import Request, Response

# httpx decodes bodies for us, so these no longer describe what we hand back.
_DROPPED = ("content-encoding", "content-length", "transfer-encoding")


async def fetch(resource: str | Request, **options: Any) -> Response:
    """Fetch ``resource`` over the network and return a :class:`Response`.

    ``fetcher=`` sends the request to another fetch function instead (service
    bindings use it), as in Cloudflare's SDK.
    """
    fetcher = options.pop("fetcher", None)
    request = resource if isinstance(resource, Request) and not options else Request(resource, **options)
    if fetcher is not None:
        result: Response = await fetcher(request)
        return result
    import httpx  # imported on first use: it costs start-up time most workers never need

    body = await request.bytes() if request.body is not None else None
    async with httpx.AsyncClient(follow_redirects=request.redirect == "follow") as client:
        reply = await client.request(request.method, request.url, headers=request.headers.raw(), content=body)
    headers = Headers.from_raw(reply.headers.raw)
    for name in _DROPPED:
        headers.delete(name)
    response = Response(reply.content or None, reply.status_code, reply.reason_phrase, headers)
    response.url = str(reply.url)
    response.redirected = bool(reply.history)
    return response
