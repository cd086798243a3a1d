"""While serving, worker code cannot stop or replace the one event loop every worker shares.

``loop.stop()`` from a handler would end the whole dev server (``Event loop stopped before
Future completed``): on Cloudflare the runtime's loop (Pyodide's ``WebLoop``) has no
``stop`` (``NotImplementedError``), so here it raises that, as the worker's own error.
``asyncio.set_event_loop`` on the loop's thread is refused the same way. ``run_forever``
does nothing, as on Cloudflare (CPython 3.13's would raise and leave the loop marked as
not running). ``close`` already raises on a running loop, and ``run_until_complete`` raises
asyncio's ``This event loop is already running`` on uvloop too. An error in a
callback worker code scheduled (``loop.call_soon(loop.stop)``) is printed under that
worker's name instead of going to asyncio's logger.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Generator
from typing import Any

from pyworker.printer import Printer
from pyworker.runtime.scope import WorkerScope, current_worker, scope_in

STOP_REFUSED = (
    "worker code cannot stop the event loop: it runs every worker of pyworker dev "
    "(and on Cloudflare the runtime's loop has no stop() either)."
)
REPLACE_REFUSED = "worker code cannot replace the event loop: it runs every worker of pyworker dev."


@contextlib.contextmanager
def guarding_loop(printer: Printer) -> Generator[None, None, None]:
    """Refuse ``loop.stop()`` and ``asyncio.set_event_loop`` on the loop's thread until the block ends."""
    loop = asyncio.get_running_loop()
    policy = asyncio.get_event_loop_policy()
    home = threading.get_ident()
    replace = policy.set_event_loop

    def stop() -> None:
        raise NotImplementedError(STOP_REFUSED)

    def run_forever() -> None:
        return  # Pyodide's WebLoop.run_forever: the loop already runs, for ever

    def run_until_complete(future: object) -> None:
        raise RuntimeError("This event loop is already running")  # asyncio's own words; uvloop would return

    def set_event_loop(new: asyncio.AbstractEventLoop | None) -> None:
        if threading.get_ident() == home and new is not loop:
            raise RuntimeError(REPLACE_REFUSED)
        replace(new)

    def callback_failed(failed: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        scope = _scope_of(context)
        exc = context.get("exception")
        if scope is None or not isinstance(exc, BaseException):
            failed.default_exception_handler(context)
            return
        printer.worker(scope.name, f"{context.get('message') or 'Exception in callback'}:", "error")
        printer.exception(scope.name, exc)

    previous = loop.get_exception_handler()
    setattr(loop, "stop", stop)  # noqa: B010  # instance attributes, removed below
    setattr(loop, "run_forever", run_forever)  # noqa: B010
    setattr(loop, "run_until_complete", run_until_complete)  # noqa: B010
    setattr(policy, "set_event_loop", set_event_loop)  # noqa: B010
    loop.set_exception_handler(callback_failed)
    try:
        yield
    finally:
        loop.set_exception_handler(previous)
        with contextlib.suppress(AttributeError):
            delattr(policy, "set_event_loop")
        for name in ("stop", "run_forever", "run_until_complete"):
            with contextlib.suppress(AttributeError):
                delattr(loop, name)


def _scope_of(context: dict[str, Any]) -> WorkerScope | None:
    """The worker whose code scheduled the failed callback or task, if any."""
    for key in ("handle", "task", "future"):
        holder = context.get(key)
        get_context = getattr(holder, "get_context", None)
        ctx = get_context() if callable(get_context) else getattr(holder, "_context", None)
        if ctx is not None:
            scope = scope_in(ctx)
            if isinstance(scope, WorkerScope):
                return scope
    scope = current_worker.get()  # uvloop: its handles keep their context to themselves, but run the handler in it
    return scope if isinstance(scope, WorkerScope) else None
