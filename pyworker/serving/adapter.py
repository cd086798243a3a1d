"""The one small adapter that turns a worker into an ASGI app.

One request: refused before the worker runs if it must be (:mod:`.requests`), else the
worker's fetch runs under the request's time limit while :class:`~.link.ClientLink`
watches the client, and the response goes out through :class:`~.sending.Sender`. A
client that leaves cancels the invocation and everything it awaits (binding calls
included) and closes a streaming body, so ``finally`` blocks run; a fetch that has
not answered within ``--request-timeout`` is cancelled the same way and answered 504.
A WebSocket handshake goes to :mod:`.websocket` instead.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from pyworker.config.cf import FALLBACK_CF
from pyworker.errors import mark_reported
from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.runtime.call_trace import call_trace, trace_lines
from pyworker.runtime.http import Request, Response
from pyworker.runtime.responses import respond
from pyworker.serving.error_page import error_page
from pyworker.serving.link import ClientLink, Ending, Watchman
from pyworker.serving.live_reload import PATH as LIVE_PATH
from pyworker.serving.live_reload import LiveReload
from pyworker.serving.requests import raw_target, read_request, too_large
from pyworker.serving.sending import Sender, send_response
from pyworker.types import FETCH, Receive, Route, Scope, Send, Target

Before = Callable[[Request], Awaitable[Response | None] | None]  # None at once: no answer, run the worker

_INCOMING = Route(FETCH, "fetch")  # an HTTP request from outside: the default entrypoint's fetch


class WorkerApp:
    """Serves one worker: ASGI request -> ``Request`` -> its fetch invocation -> ASGI response, logged."""

    def __init__(
        self,
        worker: Target,
        printer: Printer,
        options: DevOptions | None = None,
        before: Before | None = None,
        live: LiveReload | None = None,
    ) -> None:
        self.worker = worker
        self.before = before  # answers some requests before the worker runs (assets, event routes)
        self.live = live  # --live-reload
        self.printer = printer
        self.options = options or DevOptions()
        self.watchman = Watchman()
        self._trace_calls = self.options.log_level == "debug"  # --log-level debug lists binding calls
        self._page = functools.partial(error_page, worker.name)  # made once: it is on every request's path

    def _cf(self) -> dict[str, Any]:
        """``request.cf`` for this worker: ``--cf``, else its ``[dev] cf`` file, else wrangler's offline values."""
        if self.options.cf is not None:
            return self.options.cf
        config = getattr(self.worker, "config", None)
        own = None if config is None else config.dev.cf
        return FALLBACK_CF if own is None else own

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http":  # a WebSocket handshake (uvicorn sends no lifespan: it is off)
            if kind == "websocket":
                from pyworker.serving.websocket import serve_websocket  # here: most sessions open none

                await serve_websocket(self.worker, self.printer, self.options, scope, receive, send)
            return
        if self.live is not None and scope["path"] == LIVE_PATH:
            await self.live.serve(self.worker.name, scope["query_string"].decode("latin-1"), receive, send)
            return
        started = time.perf_counter()
        method, target = scope["method"], raw_target(scope)
        head = method == "HEAD"
        task: asyncio.Task[Any] = asyncio.current_task()  # type: ignore[assignment]
        link = ClientLink(receive, self.options.limits, task, self.options.request_timeout, self.watchman)
        request = read_request(scope, target, self.options.limits, link.body, self._cf())
        if isinstance(request, Response):  # refused before any worker runs
            link.close()
            await send_response(request, send, head)
            self._log(method, target, request.status, request.status_text, started)
            return
        sender = Sender(self.worker.name, self.printer, method, target, head)
        traced = call_trace.set([]) if self._trace_calls else None
        try:
            answering = None if self.before is None else self.before(request)
            response = None if answering is None else await answering
            if response is None:
                response = await respond(self.worker, _INCOMING, request, self._page)
            if self.live is not None:
                response = await self.live.inject(self.worker.name, response)
            link.responding()
            await sender.send(response, send)
        except asyncio.CancelledError as exc:
            if link.reason is None:  # not the client's doing: the server is stopping, past its grace period
                self._log(method, target, 0, "", started, "the server stopped")
                raise mark_reported(exc) from None  # said here: uvicorn's "Exception in ASGI application" is not shown
            task.uncancel()
            await self._ended(link.reason, sender, send, started)
            return
        finally:
            link.close()
            if traced is not None:
                trace = call_trace.get()
                call_trace.reset(traced)
        self._log(method, target, sender.status, sender.status_text, started)
        if traced is not None and trace:
            self.printer.worker(self.worker.name, "\n".join(trace_lines(trace)), "debug")

    async def _ended(self, reason: Ending, sender: Sender, send: Send, started: float) -> None:
        """The link ended the exchange: answer if the client can still hear it, log either way."""
        method, target = sender.method, sender.target
        if reason is Ending.DISCONNECTED:
            if sender.started:
                note = "then the client disconnected: the response stream was closed"
                self._log(method, target, sender.status, sender.status_text, started, note)
            else:
                self._log(method, target, 0, "", started, "the client disconnected")
            return
        if sender.started:  # the answer is under way: only closing the connection can say it
            sender.abort(reason.value)
        answer = self._answer(reason, sender)
        await send_response(answer, send, sender.head)
        self._log(method, target, answer.status, answer.status_text, started)

    def _answer(self, reason: Ending, sender: Sender) -> Response:
        limits = self.options.limits
        if reason is Ending.TOO_LARGE:
            return too_large(limits)
        if reason is Ending.BODY_TIMEOUT:
            text = f"Request Timeout: the request body stopped arriving for {limits.body_timeout:g} s."
            return Response(text, 408, headers={"connection": "close"})
        limit = self.options.request_timeout
        self.printer.worker(
            self.worker.name,
            f"{sender.request_line}: no response within {limit:g} s (--request-timeout); the invocation was cancelled.",
            "error",
        )
        name = self.worker.name
        text = f'Worker "{name}" did not answer within {limit:g} s (the --request-timeout), so its work was cancelled.'
        return Response(text, 504)

    def _log(self, method: str, target: str, status: int, reason: str, started: float, note: str = "") -> None:
        if self.printer.logs_requests:
            millis = (time.perf_counter() - started) * 1000
            self.printer.request(self.worker.name, method, target, status, reason, millis, note)
