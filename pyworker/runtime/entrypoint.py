"""``WorkerEntrypoint`` and ``self.ctx``: what a worker class sees of its invocation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import Any

# The invocation running in this task, so `workers.waitUntil` and `workers.env`
# (module-level helpers in the SDK) can find their context. A ContextVar is per
# task, so concurrent requests never see each other's.
current_context: ContextVar[ExecutionContext | None] = ContextVar("pyworker_context", default=None)


class ExecutionContext:
    """``self.ctx``: ``wait_until``/``waitUntil``, ``props``, ``pass_through_on_exception``."""

    __slots__ = ("_schedule", "env", "props")

    def __init__(
        self,
        props: Mapping[str, Any] | None,
        schedule: Callable[[Awaitable[Any]], None],
        env: Any = None,
    ) -> None:
        self.props: dict[str, Any] = dict(props) if props else {}
        self.env = env
        self._schedule = schedule

    def wait_until(self, awaitable: Awaitable[Any]) -> None:
        """Keep ``awaitable`` running after the response is sent; errors are logged, not raised."""
        self._schedule(awaitable)

    waitUntil = wait_until

    def pass_through_on_exception(self) -> None:
        """Accepted for compatibility; there is no origin to fall back to locally."""

    passThroughOnException = pass_through_on_exception

    def __repr__(self) -> str:
        return f"ExecutionContext(props={self.props!r})"


class WorkerEntrypoint:
    """Base class of a worker's entrypoints. A new instance serves each invocation.

    The class named ``Default`` is the worker's default entrypoint (its ``fetch``
    answers HTTP); every other subclass is a named entrypoint a binding can select.
    """

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


class DurableObject:
    """Importable so Durable Object code loads; pyworker does not run Durable Objects yet."""

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


class WorkflowEntrypoint:
    """Importable so Workflow code loads; pyworker does not run Workflows yet."""

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


def handler(func: Callable[..., Any]) -> Callable[..., Any]:
    """The legacy ``@handler`` decorator; requests are already Python objects here."""
    return func
