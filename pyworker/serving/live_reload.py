"""``--live-reload``: HTML pages reload themselves when their worker reloads.

Each HTML response a worker sends (buffered, not streamed) gets a small script after its
body. The script listens on ``/__pyworker/live-reload`` (Server-Sent Events, served by
the dev server on the worker's own port, never by the worker) and reloads the page when
the server says that worker reloaded, or when it finds a restarted server. Only in
dev: the script never reaches a deployed worker's pages.
"""

from __future__ import annotations

import asyncio
import uuid

from pyworker.runtime.http import Response
from pyworker.types import Receive, Send

PATH = "/__pyworker/live-reload"
_SCRIPT = (
    '\n<script>(() => {{ const events = new EventSource("{path}?since={token}");'
    " events.onmessage = () => {{ events.close(); location.reload(); }}; }})();</script>\n"
)


class LiveReload:
    """Counts each worker's reloads and tells the pages that listen."""

    def __init__(self) -> None:
        self._boot = uuid.uuid4().hex[:8]  # a restarted server has another: pages reload on reconnecting
        self._generations: dict[str, int] = {}
        self._changed: asyncio.Event | None = None
        self._closed = False
        self.listening = 0  # streams waiting for a change now (tests wait on it)

    def token(self, worker: str) -> str:
        return f"{self._boot}-{self._generations.get(worker, 0)}"

    def reloaded(self, worker: str) -> None:
        self._generations[worker] = self._generations.get(worker, 0) + 1
        self._wake()

    def close(self) -> None:
        """Shutting down: end every listening stream, so none holds the server up."""
        self._closed = True
        self._wake()

    def _wake(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def inject(self, worker: str, response: Response) -> Response:
        """``response`` with the script after its body when it is a buffered HTML page."""
        source = response.body
        if source is None or not source.buffered or "text/html" not in (response.headers.get("content-type") or ""):
            return response
        body = await source.read()
        headers = [(name, value) for name, value in response.headers.items() if name != "content-length"]
        script = _SCRIPT.format(path=PATH, token=self.token(worker)).encode()
        return Response(body + script, response.status, response.status_text, headers)

    async def serve(self, worker: str, query: str, receive: Receive, send: Send) -> None:
        """The event stream a page listens on: one ``reload`` event when ``worker`` changed, then the end."""
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-store")],
            }
        )
        since = query.partition("since=")[2].partition("&")[0]
        disconnected = asyncio.ensure_future(_disconnect(receive))
        self.listening += 1
        try:
            while since == self.token(worker) and not self._closed and not disconnected.done():
                if self._changed is None:
                    self._changed = asyncio.Event()
                changed = asyncio.ensure_future(self._changed.wait())
                await asyncio.wait([changed, disconnected], return_when=asyncio.FIRST_COMPLETED)
                changed.cancel()
            if not disconnected.done() and not self._closed:
                await send({"type": "http.response.body", "body": b"data: reload\n\n", "more_body": True})
            if not disconnected.done():
                await send({"type": "http.response.body", "body": b""})
        finally:
            self.listening -= 1
            disconnected.cancel()


async def _disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
