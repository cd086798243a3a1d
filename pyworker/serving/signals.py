"""Signals belong to the dev server: Ctrl-C, SIGTERM and SIGHUP shut it down, and worker code cannot take them.

Workers have no signals on Cloudflare, so ``signal.signal``, ``signal.alarm``,
``signal.setitimer`` and ``signal.pthread_sigmask`` called from worker code change nothing
here: each is refused with one line under the worker's name (once per worker and
signal), and returns what the real call would report for an unchanged state.

The server's handlers are plain ``signal.signal`` handlers, not the loop's: Python runs
them between two bytecodes even while worker code holds the event loop, so a Ctrl-C
then raises :class:`~pyworker.serving.watchdog.HandlerInterrupted` in that code (it
becomes the worker's error) and the shutdown proceeds as soon as the loop runs again.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable, Generator
from types import FrameType
from typing import Any

from pyworker.runtime.scope import current_worker
from pyworker.serving.watchdog import HandlerInterrupted, LoopWatchdog

SHUTDOWN_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_GUARDED = ("signal", "alarm", "setitimer", "pthread_sigmask")
INTERRUPTED = "the handler was interrupted by Ctrl-C (or SIGTERM) while it held the event loop."


@contextlib.contextmanager
def shutdown_signals(stop: Callable[[], None], watchdog: LoopWatchdog) -> Generator[None, None, None]:
    """Until the block ends, SIGINT, SIGTERM and SIGHUP call ``stop`` on the loop (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    original = _ORIGINALS["signal"]

    def handle(signum: int, frame: FrameType | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(stop)
        if watchdog.blocked_in_worker_code():
            raise HandlerInterrupted(INTERRUPTED)

    previous = {sig: original(sig, handle) for sig in SHUTDOWN_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            original(sig, handler)


@contextlib.contextmanager
def refusing_worker_signals() -> Generator[None, None, None]:
    """While the block runs, the ``signal`` functions refuse worker code (see the module's docstring)."""
    replaced = {name: getattr(signal, name) for name in _GUARDED if hasattr(signal, name)}
    for name, function in replaced.items():
        setattr(signal, name, _guarded(name, function))
    try:
        yield
    finally:
        for name, function in replaced.items():
            setattr(signal, name, function)


def _guarded(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        scope = current_worker.get()
        if scope is None:
            return function(*args, **kwargs)
        what = _named(args[0]) if name == "signal" and args else ""
        if scope.printer is not None:
            text = (
                f"signal.{name}({what}) was ignored: Workers have no signals, and pyworker dev keeps "
                "SIGINT, SIGTERM and SIGHUP to shut down."
            )
            scope.printer.hint(scope.name, ("signal", name, what), text)
        return _unchanged(name, args)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = function.__doc__
    return call


def _unchanged(name: str, args: tuple[Any, ...]) -> Any:
    """What the call returns when nothing changes: the current handler, no alarm, no timer, the current mask."""
    if name == "signal":
        return signal.getsignal(args[0])
    if name == "alarm":
        return 0
    if name == "setitimer":
        return signal.getitimer(args[0])
    return _ORIGINALS["pthread_sigmask"](signal.SIG_BLOCK, [])


def _named(signum: object) -> str:
    with contextlib.suppress(ValueError, TypeError):
        return signal.Signals(signum).name  # type: ignore[arg-type]
    return repr(signum)


# The real functions, taken once at import (before any guard replaces them).
_ORIGINALS: dict[str, Callable[..., Any]] = {name: getattr(signal, name) for name in _GUARDED if hasattr(signal, name)}
