"""What an incoming request meets before the worker's ``fetch``: wrangler's local event routes, then the assets."""

from __future__ import annotations

from collections.abc import Callable

from pyworker.assets.server import AssetServer
from pyworker.events.scheduled import scheduled_route
from pyworker.runtime.http import Request, Response
from pyworker.types import Target


class Front:
    """Answers ``/__scheduled`` and ``/cdn-cgi/handler/scheduled``, then asks the worker's assets.

    ``assets`` is read on every request, so a reloaded config's assets take over at once.
    ``None`` from :meth:`__call__` means: run the worker.
    """

    def __init__(self, worker: Target, assets: Callable[[], AssetServer | None]) -> None:
        self.worker = worker
        self.assets = assets

    async def __call__(self, request: Request) -> Response | None:
        url = request.url
        if "/__scheduled" in url or "/cdn-cgi/handler/" in url:
            answer = await scheduled_route(self.worker, request)
            if answer is not None:
                return answer
        assets = self.assets()
        return None if assets is None else await assets.route(request)
