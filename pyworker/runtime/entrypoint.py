"""``WorkerEntrypoint`` and ``self.ctx``: what a worker class sees of its invocation."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pyworker.runtime.invocation import CTX, current
from pyworker.runtime.sealed import seal_methods

Schedule = Callable[[Awaitable[Any]], "asyncio.Future[Any]"]


class _CurrentContext:
    """``current_context.get()``: the ``ExecutionContext`` of the invocation running in this task (None
    outside one), so ``workers.wait_until`` and binding calls can find it. It is part of the invocation's
    one state (:mod:`pyworker.runtime.invocation`), per task, so concurrent requests never see each other's."""

    __slots__ = ()

    def get(self) -> ExecutionContext | None:
        invocation = current.get()
        return None if invocation is None else invocation[CTX]


current_context = _CurrentContext()

# What worker code may read on ``self.ctx``; every other name is refused, so no attribute path
# leads from a context to the server or to another worker (see ``__getattribute__``).
_PUBLIC = frozenset(
    {"props", "wait_until", "waitUntil", "pass_through_on_exception", "passThroughOnException", "__class__",
     "__repr__", "__str__", "__eq__", "__ne__", "__hash__", "__format__", "__sizeof__", "__dir__", "__doc__",
     "__init_subclass__", "__subclasshook__", "__reduce__", "__reduce_ex__", "__getstate__"}
)  # fmt: skip


class ExecutionContext:
    """``self.ctx`` of one invocation: ``wait_until``/``waitUntil``, ``props``, ``pass_through_on_exception``.

    It also records, out of worker code's reach, what the invocation started: binding calls
    not yet awaited, calls running on their own, and ``wait_until`` work, so the invocation
    frame can let them run until the invocation ends and then cut short what is left, as
    Cloudflare does (see :func:`finish`).
    """

    __slots__ = ("_ended", "_props", "_running", "_schedule", "_waiting")

    def __init__(self, props: Mapping[str, Any] | None, schedule: Schedule) -> None:
        self._props: dict[str, Any] = dict(props) if props else {}
        self._schedule = schedule
        self._running: set[asyncio.Future[Any]] | None = None  # calls running on their own (nobody awaited first)
        self._waiting: set[asyncio.Future[Any]] | None = None  # wait_until tasks
        self._ended = False

    def __getattribute__(self, name: str) -> Any:
        if name in _PUBLIC:
            return object.__getattribute__(self, name)
        raise AttributeError(f"'ExecutionContext' object has no attribute {name!r}")

    @property
    def props(self) -> dict[str, Any]:
        return _slot(self, "_props")  # type: ignore[no-any-return]

    def wait_until(self, awaitable: Awaitable[Any]) -> None:
        """Keep ``awaitable`` running after the response is sent; errors are logged, not raised."""
        task = _slot(self, "_schedule")(awaitable)
        waiting = _slot(self, "_waiting")
        if waiting is None:
            waiting = self._waiting = set()
        waiting.add(task)

    waitUntil = wait_until

    def pass_through_on_exception(self) -> None:
        """Accepted for compatibility; there is no origin to fall back to locally."""

    passThroughOnException = pass_through_on_exception

    def __repr__(self) -> str:
        return f"ExecutionContext(props={self.props!r})"


# The slot's own descriptor: reads it past the guard without a Python-level call.
RUNNING: Callable[[ExecutionContext], set[asyncio.Future[Any]] | None] = vars(ExecutionContext)["_running"].__get__


def _slot(ctx: ExecutionContext, name: str) -> Any:
    return object.__getattribute__(ctx, name)


def track_running(ctx: ExecutionContext, task: asyncio.Future[Any]) -> None:
    """A call runs on its own (nobody awaited it before it started); cut short when the invocation ends."""
    running = _slot(ctx, "_running")
    if running is None:
        running = ctx._running = set()
    running.add(task)
    task.add_done_callback(running.discard)
    if _slot(ctx, "_ended"):  # started after the handler returned (made just before): cut short too
        _slot(ctx, "_schedule")(_end(ctx))


def finish(ctx: ExecutionContext) -> None:
    """The handler returned. Once its ``wait_until`` work is done, calls still running unawaited are cancelled."""
    ctx._ended = True
    if RUNNING(ctx):
        _slot(ctx, "_schedule")(_end(ctx))  # a worker task: shutdown waits for it too


async def _end(ctx: ExecutionContext) -> None:
    waiting = _slot(ctx, "_waiting")
    if waiting:
        await asyncio.gather(*list(waiting), return_exceptions=True)
    for task in list(_slot(ctx, "_running") or ()):
        task.cancel()


class WorkerEntrypoint:
    """Base class of a worker's entrypoints. A new instance serves each invocation.

    The class named ``Default`` is the worker's default entrypoint (its ``fetch``
    answers HTTP); every other subclass is a named entrypoint a binding can select.
    """

    ctx: Any
    env: Any

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


class DurableObject:
    """Base class of a Durable Object: one instance per id, built with ``(ctx, env)`` on first use and
    kept across calls; ``ctx`` is its :class:`DurableObjectContext` (``ctx.storage``, ``ctx.id``...)."""

    ctx: Any
    env: Any

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


class DurableObjectAbort(BaseException):
    """Raised by ``ctx.abort()``: a BaseException, so ``except Exception`` in user code does not stop it."""


class DurableObjectContext:
    """``self.ctx`` of a Durable Object (the SDK wraps the JavaScript ``DurableObjectState`` in this class)."""

    __slots__ = ()


class WorkflowEntrypoint:
    """Base class of a Workflow: ``async def run(self, event, step)``, run by its engine
    (:mod:`pyworker.bindings.workflows`) once per instance, and replayed after interruptions."""

    ctx: Any
    env: Any

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


# self.ctx.wait_until.__func__.__globals__ and self.__init__.__func__.__globals__ lead nowhere
seal_methods(ExecutionContext, WorkerEntrypoint, DurableObject, WorkflowEntrypoint)
