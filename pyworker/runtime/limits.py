"""Per-request limits, as on Cloudflare: how deep a request recurses, and how many subrequests it makes.

- **Depth.** The incoming request runs at depth 1; a binding call made at depth *d* runs at
  *d + 1*, and one that would run at depth 33 fails. Sibling calls, ``asyncio.gather``
  fan-out and loops do not add depth: only a call made *from inside* a callee does.
- **Subrequests.** Every binding call and every outbound ``fetch`` is one subrequest of the
  incoming request, shared by everything it fans out to (callees included). The limit is
  Cloudflare's paid-plan default, 10,000, or ``[limits] subrequests`` of the worker that
  received the request.

The state lives in a ``ContextVar`` holding plain tuples (this is on every binding call's
path), so concurrent requests never share it, while tasks a request starts inherit it.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

from pyworker.errors import InvocationLimit

MAX_DEPTH = 32
DEFAULT_SUBREQUESTS = 10_000


class Budget:
    """The subrequests one incoming request has made, and its limit (``source`` names where it is set)."""

    __slots__ = ("limit", "source", "used")

    def __init__(self, limit: int, source: str) -> None:
        self.used = 0
        self.limit = limit
        self.source = source


# (budget, worker, parent, depth): the parents make the chain of workers that led here.
_Invocation = tuple[Budget, str, "_Invocation | None", int]

_current: ContextVar[_Invocation | None] = ContextVar("pyworker_invocation", default=None)


def incoming(worker: str, subrequests: int = DEFAULT_SUBREQUESTS, source: str = "") -> Token[_Invocation | None]:
    """An event arrived at ``worker`` from outside (an HTTP request): depth 1, a fresh budget.

    Returns a token for :func:`leave`, like :func:`enter`.
    """
    return _current.set((Budget(subrequests, source or f"the config of {worker}"), worker, None, 1))


def enter(caller: str, callee: str) -> Token[_Invocation | None]:
    """A binding call from ``caller`` to ``callee``: one level deeper and one subrequest more.

    Raises :class:`InvocationLimit` naming the chain (depth) or the count and the config key
    (subrequests). A call made outside any request (a test, start-up code) starts a
    budget of its own, with its caller at depth 1.
    """
    invocation = _current.get() or (Budget(DEFAULT_SUBREQUESTS, f"the config of {caller}"), caller, None, 1)
    budget, depth = invocation[0], invocation[3] + 1
    if depth > MAX_DEPTH:
        raise InvocationLimit(
            f"Subrequest depth limit exceeded: this call to {callee} would run at depth {depth}, and one request "
            f"may recurse through at most {MAX_DEPTH} Worker invocations, as on Cloudflare. "
            f"Chain so far: {' -> '.join([*chain(invocation), callee])}. Look for a loop between workers."
        )
    if budget.used >= budget.limit:
        count(f"this call to {callee}", budget)  # raises
    budget.used += 1
    return _current.set((budget, callee, invocation, depth))


def subrequest(what: str) -> None:
    """Count one subrequest that is not a binding call (an outbound ``fetch``); no-op outside a request."""
    invocation = _current.get()
    if invocation is not None:
        count(what, invocation[0])


def count(what: str, budget: Budget) -> None:
    if budget.used >= budget.limit:
        raise InvocationLimit(
            f"Too many subrequests: this request has already made {budget.used}, the limit, and {what} would be "
            f"number {budget.used + 1}. Binding calls and fetch() count one each. Raise the limit with "
            f"[limits] subrequests = N in {budget.source}, or make fewer calls per request."
        )
    budget.used += 1


leave = _current.reset  # the token from incoming() or enter(); bound directly, it is on every call's path


def chain(invocation: _Invocation | None = None) -> list[str]:
    """The workers the current request went through to reach this invocation, first to last."""
    node = invocation if invocation is not None else _current.get()
    names: list[str] = []
    while node is not None:
        names.append(node[1])
        node = node[2]
    return names[::-1]


def used() -> int:
    """Subrequests the current request has made so far (0 outside any request)."""
    invocation = _current.get()
    return 0 if invocation is None else invocation[0].used


def depth() -> int:
    """How deep the running invocation is (1: the incoming request; 0 outside any request)."""
    invocation = _current.get()
    return 0 if invocation is None else invocation[3]


# -- across processes: the state a call to another pyworker process carries, and what comes back ------------
Carried = tuple[list[str], int, int, str]  # the chain of workers, subrequests used, the limit, where it is set


def carried() -> Carried | None:
    """The running request's state, for a call to a worker of another process (``None`` outside any request)."""
    invocation = _current.get()
    if invocation is None:
        return None
    budget = invocation[0]
    return chain(invocation), budget.used, budget.limit, budget.source


def resume(state: Carried) -> tuple[Token[_Invocation | None], Budget]:
    """Continue a request that arrived from another process: its chain (so its depth) and its budget so far.

    Returns the token for :func:`leave` and the budget, whose ``used`` tells what this process added."""
    names, used, limit, source = state
    budget = Budget(limit, source)
    budget.used = used
    node: _Invocation | None = None
    for level, name in enumerate(names, 1):
        node = (budget, name, node, level)
    return _current.set(node), budget


def spend(count: int) -> None:
    """Subrequests a call to another process made on the running request's behalf, counted here too."""
    invocation = _current.get()
    if invocation is not None:
        invocation[0].used += count
