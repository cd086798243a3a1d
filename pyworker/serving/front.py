"""What an incoming request meets before the worker's ``fetch``: wrangler's local event routes, then the assets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pyworker.printer import Printer
from pyworker.runtime.http import Request, Response
from pyworker.types import Target

if TYPE_CHECKING:
    from pyworker.assets.server import AssetServer


class Front:
    """Answers ``/__scheduled``, ``/cdn-cgi/handler/scheduled`` and ``/cdn-cgi/handler/email``, then asks the assets.

    ``assets`` is read on every request, so a reloaded config's assets take over at once.
    :meth:`__call__` runs on every request: it is a plain call that returns ``None`` at once
    (run the worker) unless a route or the assets may answer; then it returns the awaitable
    answer, which may itself be ``None``.
    """

    def __init__(self, worker: Target, printer: Printer, assets: Callable[[], AssetServer | None]) -> None:
        self.worker = worker
        self.printer = printer
        self.assets = assets

    def __call__(self, request: Request) -> Awaitable[Response | None] | None:
        url = request.url
        if "/__scheduled" in url or "/cdn-cgi/handler/" in url:
            return self._routes(request)
        assets = self.assets()
        return None if assets is None else assets.route(request)

    async def _routes(self, request: Request) -> Response | None:
        from pyworker.events.email import PATH as EMAIL_PATH  # here: most requests are for neither route
        from pyworker.events.email import email_route
        from pyworker.events.scheduled import scheduled_route

        if urlsplit(request.url).path == EMAIL_PATH and str(request.method).upper() == "POST":
            return await email_route(self.worker, self.printer, request)
        answer = await scheduled_route(self.worker, request)
        if answer is not None:
            return answer
        assets = self.assets()
        return None if assets is None else await assets.route(request)
