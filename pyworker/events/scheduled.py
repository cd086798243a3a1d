"""The ``scheduled`` handler: its controller, one run through the invocation frame, and wrangler's HTTP routes.

``GET /__scheduled?cron=...`` answers ``Ran scheduled event`` (wrangler's ``--test-scheduled``
route, on by default as in current wrangler); ``/cdn-cgi/handler/scheduled?cron=...&time=...``
answers Miniflare's outcome, ``ok`` or ``exception`` (with ``format=json``, as JSON).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from pyworker.runtime.http import Request, Response
from pyworker.runtime.responses import error_summary
from pyworker.types import Route, Target

SCHEDULED = Route("scheduled", "scheduled")
PATHS = ("/__scheduled", "/cdn-cgi/handler/scheduled")


class ScheduledController:
    """What ``scheduled(self, controller)`` gets: ``cron``, ``scheduledTime`` (ms since the epoch), ``noRetry()``."""

    __slots__ = ("_no_retry", "cron", "scheduledTime")

    type = "scheduled"

    def __init__(self, cron: str, scheduled_time: float) -> None:
        self.cron = cron
        self.scheduledTime = scheduled_time
        self._no_retry = False

    def noRetry(self) -> None:
        self._no_retry = True

    def __repr__(self) -> str:
        return f"ScheduledController(cron={self.cron!r}, scheduledTime={self.scheduledTime!r})"


@dataclass(frozen=True)
class Outcome:
    """How one run ended: ``ok`` or ``exception`` (the handler raised ``error``)."""

    outcome: str
    no_retry: bool
    error: BaseException | None = None


async def run_scheduled(target: Target, cron: str, scheduled_time: float | None = None) -> Outcome:
    """Run the worker's ``scheduled`` handler once; what it raised is printed by the frame, and returned."""
    controller = ScheduledController(cron, round(time.time() * 1000 if scheduled_time is None else scheduled_time))
    try:
        await target.invoke(SCHEDULED, (controller,), {})
    except Exception as exc:  # the handler's error (printed by the frame), no handler, or a broken load
        return Outcome("exception", controller._no_retry, exc)
    return Outcome("ok", controller._no_retry)


async def scheduled_route(target: Target, request: Request) -> Response | None:
    """The answer to one of wrangler's scheduled routes, or ``None`` for any other path."""
    url = urlsplit(request.url)
    if url.path not in PATHS:
        return None
    params = {key: values[0] for key, values in parse_qs(url.query, keep_blank_values=True).items()}
    when = params.get("time")
    scheduled_time = float(when) if when and when.lstrip("-").isdigit() else None
    result = await run_scheduled(target, params.get("cron", ""), scheduled_time)
    status = 200 if result.outcome == "ok" else 500
    if url.path == PATHS[0]:
        if result.error is not None:
            return Response(error_summary(result.error), 500)
        return Response("Ran scheduled event", 200)
    if params.get("format") == "json":
        body = json.dumps({"outcome": result.outcome, "noRetry": result.no_retry})
        return Response(body, status, headers={"content-type": "application/json"})
    return Response(result.outcome, status)
