"""Worker code and asyncio's tasks: whose cancellation is it, and tasks that cannot stop the loop.

asyncio re-raises ``KeyboardInterrupt`` and ``SystemExit`` out of the event loop when a
task raises them, which would stop the whole dev server; the task factory installed
while serving turns them into an ordinary error of the task for every task worker
code starts (``asyncio.gather``, ``create_task``, ``ctx.wait_until``).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Callable, Coroutine, Generator
from typing import Any, TypeVar

from pyworker.errors import UncaughtBaseException
from pyworker.runtime.scope import current_worker, scope_in

T = TypeVar("T")


def cancelled_by_caller(exc: BaseException) -> bool:
    """Whether ``exc`` is the running task being cancelled (a client gone, a time limit, shutdown),
    rather than a ``CancelledError`` that worker code raised itself."""
    if not isinstance(exc, asyncio.CancelledError):
        return False
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def task_factory(
    loop: asyncio.AbstractEventLoop,
    coro: Coroutine[Any, Any, Any] | Generator[Any, None, Any],
    context: contextvars.Context | None = None,
    **options: Any,
) -> asyncio.Task[Any]:
    """``loop.set_task_factory`` hook: tasks started while worker code runs are contained.

    ``options``: what the loop passes on besides (uvloop on Python 3.13 passes ``eager_start``).
    """
    running = scope_in(context) if context is not None else current_worker.get()
    if running is not None and isinstance(coro, Coroutine):
        coro = _contained(coro)
    return asyncio.Task(coro, loop=loop, context=context, **options)


async def _contained(coro: Coroutine[Any, Any, Any]) -> Any:
    try:
        return await coro
    except (KeyboardInterrupt, SystemExit) as exc:  # the two that asyncio would re-raise out of the loop
        raise UncaughtBaseException.wrapping(exc) from exc


async def in_thread(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a thread of its own, with this task's context (as ``asyncio.to_thread``).

    A daemon thread rather than the loop's executor: a worker's import stuck in a loop
    must not keep the process from exiting when the user presses Ctrl-C.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    context = contextvars.copy_context()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def run() -> None:
        try:
            result = context.run(function, *args)
        except BaseException as exc:  # handed to the awaiting task; never one asyncio would re-raise out of the loop
            error = exc if isinstance(exc, Exception) else UncaughtBaseException.wrapping(exc)
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(settle, lambda: future.set_exception(error))
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, lambda: future.set_result(result))

    threading.Thread(target=run, name=f"pyworker-{getattr(function, '__name__', 'call')}", daemon=True).start()
    return await future


@contextlib.contextmanager
def containing_tasks() -> Generator[None, None, None]:
    """While serving, tasks started by worker code cannot stop the loop (see :func:`task_factory`)."""
    loop = asyncio.get_running_loop()
    previous = loop.get_task_factory()
    loop.set_task_factory(task_factory)
    try:
        yield
    finally:
        loop.set_task_factory(previous)
