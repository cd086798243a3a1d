"""What the ASGI and WSGI adapters share: the ``Default`` entrypoint class they make for an app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pyworker.runtime.entrypoint import WorkerEntrypoint
from pyworker.runtime.http import Request, Response

Fetch = Callable[[Any, Request, Any, Any, str], Awaitable[Response]]


def entrypoint_for(fetch: Fetch, app: Any, encode_body: str = "automatic") -> type[WorkerEntrypoint]:
    """The default entrypoint serving ``app`` through ``fetch`` (the ASGI or WSGI bridge)."""

    class Default(WorkerEntrypoint):
        async def fetch(self, request: Request) -> Response:
            return await fetch(app, request, self.env, self.ctx, encode_body)

    return Default
