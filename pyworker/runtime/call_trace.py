"""Binding calls a request makes, timed, for ``--log-level debug``'s lines under its request line.

The HTTP adapter sets :data:`call_trace` to a fresh list for each request only at debug
level; a binding call then wraps its coroutine with :func:`timed`. At other levels the
variable is None and a call costs one ``ContextVar.get``. Tasks a handler starts inherit
the list, and calls the callee makes in turn are listed too, in the order they started.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from contextvars import ContextVar
from typing import Any

Traced = list[list[Any]]  # [label, milliseconds or None while running, failed]

call_trace: ContextVar[Traced | None] = ContextVar("pyworker_call_trace", default=None)


async def timed(awaitable: Awaitable[Any], trace: Traced, label: str) -> Any:
    """Await ``awaitable``, noting in ``trace`` how long it took (and whether it raised)."""
    entry: list[Any] = [label, None, False]
    trace.append(entry)
    started = time.perf_counter()
    try:
        return await awaitable
    except BaseException:
        entry[2] = True
        raise
    finally:
        entry[1] = (time.perf_counter() - started) * 1000


def trace_lines(trace: Traced) -> list[str]:
    """``  → worker_b.add 0.03ms``, one per call, in the order they started."""
    lines = []
    for label, millis, failed in trace:
        took = "still running" if millis is None else f"{millis:.2f}ms"
        lines.append(f"  → {label} {took}" + (" (raised)" if failed else ""))
    return lines
