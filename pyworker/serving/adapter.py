"""The one small adapter that turns a worker into an ASGI app.

One request: refused before the worker runs if it must be (:mod:`.requests`), else the
worker's fetch runs under the request's time limit while :class:`~.link.ClientLink`
watches the client, and the response goes out through :class:`~.sending.Sender`. A
client that leaves cancels the invocation and everything it awaits (binding calls
included) and closes a streaming body, so ``finally`` blocks run; a fetch that has
not answered within ``--request-timeout`` is cancelled the same way and answered 504.
"""

from __future__ import annotations

import asyncio
import time

from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.runtime.http import Response
from pyworker.runtime.responses import respond
from pyworker.serving.link import ClientLink, Ending
from pyworker.serving.requests import raw_target, refusal, to_request, too_large
from pyworker.serving.sending import Sender, send_response
from pyworker.types import FETCH, Receive, Route, Scope, Send, Target

_INCOMING = Route(FETCH, "fetch")  # an HTTP request from outside: the default entrypoint's fetch


class WorkerApp:
    """Serves one worker: ASGI request -> ``Request`` -> its fetch invocation -> ASGI response, logged."""

    def __init__(self, worker: Target, printer: Printer, options: DevOptions | None = None) -> None:
        self.worker = worker
        self.printer = printer
        self.options = options or DevOptions()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        if scope["type"] != "http":
            # WebSockets are not emulated yet: refuse the handshake cleanly.
            await send({"type": "websocket.close", "code": 1003})
            return
        started = time.perf_counter()
        head = scope["method"] == "HEAD"
        refused = refusal(scope, self.options.limits)
        if refused is not None:
            await send_response(refused, send, head)
            self._log(scope, refused.status, refused.status_text, started)
            return
        sender = Sender(self.worker.name, self.printer, f"{scope['method']} {raw_target(scope)}", head)
        link = ClientLink(receive, self.options.limits, asyncio.current_task())
        try:
            await self._exchange(scope, link, sender, send)
        except asyncio.CancelledError:
            if link.reason is None:
                raise  # not the client's doing: the server is stopping
            asyncio.current_task().uncancel()  # type: ignore[union-attr]
            await self._ended(scope, link.reason, sender, send, started)
            return
        finally:
            link.close()
        self._log(scope, sender.status, sender.status_text, started)

    async def _exchange(self, scope: Scope, link: ClientLink, sender: Sender, send: Send) -> None:
        request = to_request(scope, link.body())
        limit = self.options.request_timeout
        try:
            async with asyncio.timeout(limit) as deadline:
                response = await respond(self.worker, _INCOMING, request)
        except TimeoutError:
            if not deadline.expired():
                raise
            self.printer.worker(
                self.worker.name,
                f"{sender.request_line}: no response within {limit:g} s (--request-timeout); "
                "the invocation was cancelled.",
                "error",
            )
            message = (
                f'Worker "{self.worker.name}" did not answer within {limit:g} s (the --request-timeout), '
                "so its work was cancelled."
            )
            response = Response(message, 504)
        await sender.send(response, send)

    async def _ended(self, scope: Scope, reason: Ending, sender: Sender, send: Send, started: float) -> None:
        """The link ended the exchange: answer if the client can still hear it, log either way."""
        if reason is Ending.DISCONNECTED:
            if sender.started:
                note = "then the client disconnected: the response stream was closed"
                self._log(scope, sender.status, sender.status_text, started, note)
            else:
                self._log(scope, 0, "", started, "the client disconnected")
            return
        if sender.started:  # the answer is under way: only closing the connection can say it
            sender.abort(reason.value)
        answer = too_large(self.options.limits) if reason is Ending.TOO_LARGE else _timed_out(self.options)
        await send_response(answer, send, sender.head)
        self._log(scope, answer.status, answer.status_text, started)

    def _log(self, scope: Scope, status: int, reason: str, started: float, note: str = "") -> None:
        if self.printer.logs_requests:
            millis = (time.perf_counter() - started) * 1000
            self.printer.request(self.worker.name, scope["method"], raw_target(scope), status, reason, millis, note)


def _timed_out(options: DevOptions) -> Response:
    seconds = f"{options.limits.body_timeout:g}"
    return Response(
        f"Request Timeout: the request body stopped arriving for {seconds} s.", 408, headers={"connection": "close"}
    )
