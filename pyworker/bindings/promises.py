"""Storage operations as the JavaScript promises they are on Cloudflare: started when called.

``env.KV.put(...)`` without ``await`` still writes on Cloudflare (the promise runs); a
Python coroutine would not run at all. :func:`promise` makes such a method return a
:class:`~pyworker.bindings.started.Call` instead, with the same rules as a service binding
call: it starts on the next event-loop turn unless awaited first, and one left unawaited
prints a warning under the worker whose code made it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from pyworker.bindings.calls import Call, CallSite, Side
from pyworker.runtime.call_trace import call_trace, timed
from pyworker.runtime.scope import current_worker

F = TypeVar("F", bound=Callable[..., Coroutine[Any, Any, Any]])


def promise(method: F) -> F:
    """Wrap ``method`` (which returns a coroutine) so that calling it starts the operation."""

    @functools.wraps(method)
    def started(self: Any, *args: Any, **kwargs: Any) -> Call:
        binding = getattr(self, "_binding", None)
        prefix = f"self.env.{binding}." if binding else f"{type(self).__name__}."
        operation = method(self, *args, **kwargs)
        trace = call_trace.get()
        if trace is not None:  # --log-level debug: listed under the request line, timed
            operation = timed(operation, trace, f"{binding or type(self).__name__}.{method.__name__}")
        # Once sent, a storage operation completes even if the request ends: not cut short.
        return Call(operation, CallSite(_side(), prefix, method.__name__), cut_short=False)

    return started  # type: ignore[return-value]


def _side() -> Side | None:
    scope = current_worker.get()
    if scope is None or scope.printer is None:
        return None  # called outside worker code (a test, a tool): nobody to warn
    return Side(scope.name, scope.printer)
