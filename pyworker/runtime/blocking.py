"""Synchronous worker code that waits for an awaitable: ``pyodide.ffi.run_sync``, and where WSGI apps run.

On Cloudflare, ``run_sync(awaitable)`` suspends the whole Python stack (JavaScript Promise
Integration) until the awaitable settles; other requests run meanwhile. CPython cannot
suspend a stack, so pyworker keeps synchronous code that may wait off the event loop's
thread where it can, and :func:`run_sync` does, depending on where it is called:

- **In a thread started by :func:`run_in_thread`** (the WSGI bridge runs every WSGI app
  there, so Django's ORM calling ``run_sync(stmt.all())`` lands here): it hands the awaitable
  to the server's event loop and waits. Everything else keeps running; the awaitable runs
  exactly as if awaited by an async handler (binding calls, ``wait_until``, anything bound to
  the loop). The pool is the worker generation's own (``WorkerScope.threads``): an idle thread
  is reused, so thread-locals such as Django's database connection last across requests as
  they do in the single-threaded runtime, and calls through bindings never wait for a free thread.
- **On the event loop's thread** (a synchronous helper called straight from an async
  handler): the loop cannot wait for itself, so the awaitable runs to the end on a private
  event loop in this thread, with the same context, and tasks it starts (``ctx.wait_until``)
  finish before ``run_sync`` returns. The server waits meanwhile, as on any blocking call.
  What the awaitable touches must not belong to the server's loop: an ``asyncio`` object
  made on it fails, and a request to pyworker's own address cannot be answered.
- **In any other thread** (``asyncio.to_thread`` from an async handler, a plain thread):
  on a private event loop in that thread.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from pyworker.runtime.scope import current_worker

T = TypeVar("T")

# The event loop that runs :func:`run_in_thread`'s caller, as seen from the thread it starts.
server_loop: contextvars.ContextVar[asyncio.AbstractEventLoop | None] = contextvars.ContextVar(
    "pyworker_server_loop", default=None
)

_MAX_THREADS = 64  # per worker generation: enough that chains of blocking calls never queue


async def run_in_thread(func: Callable[..., T], *args: Any) -> T:
    """Run synchronous ``func`` in the running worker generation's thread pool, with this context."""
    loop = asyncio.get_running_loop()
    token = server_loop.set(loop)
    try:
        context = contextvars.copy_context()
    finally:
        server_loop.reset(token)
    return await loop.run_in_executor(_pool(), context.run, func, *args)


def _pool() -> ThreadPoolExecutor | None:
    scope = current_worker.get()
    if scope is None:
        return None  # outside any worker: the loop's default pool
    if scope.threads is None:
        scope.threads = ThreadPoolExecutor(_MAX_THREADS, thread_name_prefix=f"pyworker-{scope.name}")
    pool: ThreadPoolExecutor = scope.threads
    return pool


def run_sync(awaitable: Awaitable[T]) -> T:
    """Wait for ``awaitable`` from synchronous code and return its result (or raise its error)."""
    checked: object = awaitable
    if not inspect.isawaitable(checked):
        kind = type(checked).__name__
        raise TypeError(f"run_sync() expects an awaitable (a coroutine, task or future), got {kind}.")
    running = asyncio._get_running_loop()
    if running is not None:
        return _run_nested(awaitable, running)
    home = server_loop.get()
    if home is not None and home.is_running():
        return asyncio.run_coroutine_threadsafe(_awaited(awaitable), home).result()
    return _run_private(awaitable)


async def _awaited(awaitable: Awaitable[T]) -> T:
    return await awaitable


def _run_nested(awaitable: Awaitable[T], outer: asyncio.AbstractEventLoop) -> T:
    asyncio._set_running_loop(None)
    try:
        return _run_private(awaitable)
    finally:
        asyncio._set_running_loop(outer)


def _run_private(awaitable: Awaitable[T]) -> T:
    loop = asyncio.new_event_loop()
    try:
        main: Coroutine[Any, Any, T] = _awaited(awaitable)
        return loop.run_until_complete(main)
    finally:
        _finish(loop)


def _finish(loop: asyncio.AbstractEventLoop) -> None:
    """Let tasks the awaitable started finish, run callbacks already due, then close."""
    try:
        pending = asyncio.all_tasks(loop)
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.call_soon(loop.stop)
        loop.run_forever()
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()
