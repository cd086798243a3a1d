"""The running invocation's state, in one ``ContextVar``: set once and reset once per invocation.

One plain tuple holds everything the frame and a binding call need to know of the invocation
they run in: the request's subrequest :class:`Budget`, the worker, the invocation that called it
(so the chain of workers can be named), its depth, its ``ExecutionContext``, the list that
times its binding calls at ``--log-level debug``, and the running generation of the worker's code
(its ``WorkerScope``). A tuple, read by index, because this is on every binding call's path; a
``ContextVar``, so concurrent requests never share it while the tasks a request starts inherit it.

:mod:`pyworker.runtime.limits` makes and checks it; ``current_context``
(:mod:`pyworker.runtime.entrypoint`) and ``current_worker`` (:mod:`pyworker.runtime.scope`) read
their part of it. Outside any request (a worker's modules being imported) only the scope is set:
the budget is None and the depth 0.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Final

from pyworker.runtime.call_trace import Traced


class Budget:
    """The subrequests one incoming request has made, and its limit (``source`` names where it is set;
    empty: the config of ``worker``, the worker the request arrived at)."""

    __slots__ = ("limit", "source", "used", "worker")

    def __init__(self, limit: int, source: str, worker: str) -> None:
        self.used = 0
        self.limit = limit
        self.source = source
        self.worker = worker


# (budget, worker, parent, depth, ctx, trace, scope): the parents make the chain of workers that led here;
# ctx is the invocation's ExecutionContext (None for the caller of a call made outside any request).
Invocation = tuple[Budget | None, str, "Invocation | None", int, Any, Traced | None, Any]
BUDGET: Final = 0
WORKER: Final = 1
PARENT: Final = 2
DEPTH: Final = 3
CTX: Final = 4
TRACE: Final = 5
SCOPE: Final = 6

current: ContextVar[Invocation | None] = ContextVar("pyworker_invocation", default=None)
