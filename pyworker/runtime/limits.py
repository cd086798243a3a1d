"""The per-request invocation limit: one request may pass through at most 32 worker invocations.

As on Cloudflare, the incoming request is the first invocation and every call through
a service binding (RPC or ``fetch``, chains and recursion alike) is one more. The count
lives in a ``ContextVar``, so concurrent requests never share it, while calls a request
fans out (``asyncio.gather``, ``ctx.wait_until``) share that request's budget.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

from pyworker.errors import InvocationLimit

MAX_INVOCATIONS = 32


# (budget, worker, parent): ``budget`` is a one-item list shared by the whole request;
# the parents make the chain of workers that led to this invocation. Plain tuples,
# because this is on every binding call's path.
_Invocation = tuple[list[int], str, "_Invocation | None"]

_current: ContextVar[_Invocation | None] = ContextVar("pyworker_invocation", default=None)


def incoming(worker: str) -> Token[_Invocation | None]:
    """An HTTP request arrived at ``worker``: a fresh budget, with this invocation counted.

    Returns a token for :func:`leave`, like :func:`enter`.
    """
    return _current.set(([1], worker, None))


def enter(caller: str, callee: str) -> Token[_Invocation | None]:
    """Count a binding call from ``caller`` to ``callee``; return a token for :func:`leave`.

    Raises :class:`InvocationLimit`, a ``RuntimeError`` (it crosses bindings as itself), naming the chain when the
    budget is spent. A call made outside any request (a test, start-up code) starts a
    budget of its own, counting the caller.
    """
    invocation = _current.get() or ([1], caller, None)
    budget = invocation[0]
    if budget[0] >= MAX_INVOCATIONS:
        raise InvocationLimit(
            f"Worker invocation limit reached: one request may pass through at most {MAX_INVOCATIONS} worker "
            f"invocations, as on Cloudflare, and this call to {callee} would be number {budget[0] + 1}. "
            f"Chain so far: {' -> '.join([*chain(invocation), callee])}. "
            "Look for a loop between workers, or make fewer binding calls per request."
        )
    budget[0] += 1
    return _current.set((budget, callee, invocation))


def leave(token: Token[_Invocation | None]) -> None:
    _current.reset(token)


def chain(invocation: _Invocation | None = None) -> list[str]:
    """The workers the current request went through to reach this invocation, first to last."""
    node = invocation if invocation is not None else _current.get()
    names: list[str] = []
    while node is not None:
        names.append(node[1])
        node = node[2]
    return names[::-1]


def used() -> int:
    """Invocations the current request has used so far (0 outside any request)."""
    invocation = _current.get()
    return 0 if invocation is None else invocation[0][0]
