"""Per-request limits, as on Cloudflare: how deep a request recurses, and how many subrequests it makes.

- **Depth.** The incoming request runs at depth 1; a binding call made at depth *d* runs at
  *d + 1*, and one that would run at depth 33 fails. Sibling calls, ``asyncio.gather``
  fan-out and loops do not add depth: only a call made *from inside* a callee does.
- **Subrequests.** Every binding call and every outbound ``fetch`` is one subrequest of the
  incoming request, shared by everything it fans out to (callees included). The limit is
  Cloudflare's paid-plan default, 10,000, or ``[limits] subrequests`` of the worker that
  received the request.

The state is the invocation's one tuple (:mod:`pyworker.runtime.invocation`): entering an
invocation checks both limits, counts the subrequest and sets the state in one step.
"""

from __future__ import annotations

from contextvars import Token
from typing import Any

from pyworker.errors import InvocationLimit
from pyworker.runtime.call_trace import call_trace
from pyworker.runtime.invocation import BUDGET, DEPTH, PARENT, TRACE, WORKER, Budget, Invocation, current

MAX_DEPTH = 32
DEFAULT_SUBREQUESTS = 10_000

_get = current.get
_set = current.set


def incoming(
    worker: str, subrequests: int = DEFAULT_SUBREQUESTS, source: str = "", ctx: Any = None, scope: Any = None
) -> Token[Invocation | None]:
    """An event arrived at ``worker`` from outside (an HTTP request): depth 1, a fresh budget.

    It runs with ``ctx`` and ``scope``; its binding calls are timed when the request is traced
    (``call_trace``). Returns a token for :func:`leave`, like :func:`enter`.
    """
    return _set((Budget(subrequests, source, worker), worker, None, 1, ctx, call_trace.get(), scope))


def enter(caller: str, callee: str, ctx: Any = None, scope: Any = None) -> Token[Invocation | None]:
    """A binding call from ``caller`` to ``callee``, run with ``ctx`` and ``scope``: one level deeper
    and one subrequest more.

    Raises :class:`InvocationLimit` naming the chain (depth) or the count and the config key
    (subrequests). A call made outside any request (a test, start-up code) starts a
    budget of its own, with its caller at depth 1. The invocation frame (``Worker.invoke``) inlines the
    common case (within both limits, inside a request) and calls this for the rest: keep the two alike.
    """
    parent = _get()
    if parent is None or parent[BUDGET] is None:
        parent = (Budget(DEFAULT_SUBREQUESTS, "", caller), caller, None, 1, None, None, None)
    budget = parent[BUDGET]
    assert budget is not None
    depth = parent[DEPTH] + 1
    if depth <= MAX_DEPTH and budget.used < budget.limit:  # both limits, one test on the common path
        budget.used += 1
        return _set((budget, callee, parent, depth, ctx, parent[TRACE], scope))
    if depth > MAX_DEPTH:
        raise InvocationLimit(
            f"Subrequest depth limit exceeded: this call to {callee} would run at depth {depth}, and one request "
            f"may recurse through at most {MAX_DEPTH} Worker invocations, as on Cloudflare. "
            f"Chain so far: {' -> '.join([*chain(parent), callee])}. Look for a loop between workers."
        )
    raise _too_many(f"this call to {callee}", budget)


def subrequest(what: str) -> None:
    """Count one subrequest that is not a binding call (an outbound ``fetch``); no-op outside a request."""
    invocation = _get()
    if invocation is not None and invocation[BUDGET] is not None:
        count(what, invocation[BUDGET])


def count(what: str, budget: Budget) -> None:
    if budget.used >= budget.limit:
        raise _too_many(what, budget)
    budget.used += 1


def _too_many(what: str, budget: Budget) -> InvocationLimit:
    return InvocationLimit(
        f"Too many subrequests: this request has already made {budget.used}, the limit, and {what} would be "
        f"number {budget.used + 1}. Binding calls and fetch() count one each. Raise the limit with "
        f"[limits] subrequests = N in {budget.source or f'the config of {budget.worker}'}, or make fewer calls "
        "per request."
    )


leave = current.reset  # the token from incoming() or enter(); bound directly, it is on every call's path


def chain(invocation: Invocation | None = None) -> list[str]:
    """The workers the current request went through to reach this invocation, first to last."""
    node = invocation if invocation is not None else _get()
    names: list[str] = []
    while node is not None and node[BUDGET] is not None:
        names.append(node[WORKER])
        node = node[PARENT]
    return names[::-1]


def used() -> int:
    """Subrequests the current request has made so far (0 outside any request)."""
    invocation = _get()
    budget = None if invocation is None else invocation[BUDGET]
    return 0 if budget is None else budget.used


def depth() -> int:
    """How deep the running invocation is (1: the incoming request; 0 outside any request)."""
    invocation = _get()
    return 0 if invocation is None else invocation[DEPTH]


# -- across processes: the state a call to another pyworker process carries, and what comes back ------------
Carried = tuple[list[str], int, int, str]  # the chain of workers, subrequests used, the limit, where it is set


def carried() -> Carried | None:
    """The running request's state, for a call to a worker of another process (``None`` outside any request)."""
    invocation = _get()
    budget = None if invocation is None else invocation[BUDGET]
    if budget is None:
        return None
    return chain(invocation), budget.used, budget.limit, budget.source


def resume(state: Carried) -> tuple[Token[Invocation | None], Budget]:
    """Continue a request that arrived from another process: its chain (so its depth) and its budget so far.

    Returns the token for :func:`leave` and the budget, whose ``used`` tells what this process added."""
    names, used_so_far, limit, source = state
    budget = Budget(limit, source, names[0] if names else "")
    budget.used = used_so_far
    node: Invocation | None = None
    for level, name in enumerate(names, 1):
        node = (budget, name, node, level, None, None, None)
    return _set(node), budget


def spend(spent: int) -> None:
    """Subrequests a call to another process made on the running request's behalf, counted here too."""
    invocation = _get()
    budget = None if invocation is None else invocation[BUDGET]
    if budget is not None:
        budget.used += spent
