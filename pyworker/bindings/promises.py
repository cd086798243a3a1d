"""Storage operations as the JavaScript promises they are on Cloudflare: started when called.

``env.KV.put(...)`` without ``await`` still writes on Cloudflare (the promise runs); a
Python coroutine would not run at all. :func:`promise` makes such a method start at once,
in the caller's task, as the JavaScript call sends its request: the operation runs until it
first waits. Most finish there (SQLite answers inline in microseconds), and the method returns
a :class:`Settled` promise holding the result or the error, so ``await`` costs one step and no
event-loop turn. One that waits (the database's thread, a file opening) continues as a
:class:`~pyworker.bindings.started.Call`: on the next event-loop turn unless awaited first. Either
way an operation never awaited prints a warning under the worker whose code made it, and what it
raises reaches the caller without pyworker's frames. Called where no event loop runs (a thread
handing it to ``run_sync``), or with ``--log-level debug`` (its time is listed under the request
line), the operation starts as a :class:`Call` does, where it is awaited.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable, Coroutine, Generator
from typing import Any, TypeVar

from pyworker.bindings.calls import Call, CallSite, Side
from pyworker.bindings.errors import without_frames
from pyworker.runtime.call_trace import call_trace, timed
from pyworker.runtime.scope import WorkerScope, current_worker
from pyworker.runtime.sealed import seal_methods

F = TypeVar("F", bound=Callable[..., Coroutine[Any, Any, Any]])
_get = object.__getattribute__
_set = object.__setattr__
_running_loop = asyncio._get_running_loop  # C function: None outside a running loop's thread


def promise(method: F) -> F:
    """Wrap ``method`` (which returns a coroutine) so that calling it starts the operation."""
    name = method.__name__

    @functools.wraps(method)
    def started(self: Any, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, Any]:
        operation = method(self, *args, **kwargs)
        if call_trace.get() is not None or _running_loop() is None:
            return _call(self, name, operation)
        scope = current_worker.get()
        try:
            waiting_on = operation.send(None)
        except StopIteration as done:
            return Settled(done.value, None, self, name, scope)
        except Exception as exc:  # a rejected promise: raised where it is awaited, without pyworker's frames
            return Settled(None, without_frames(exc), self, name, scope)
        return _call(self, name, _resumed(operation, waiting_on))

    return started  # type: ignore[return-value]


def _call(owner: Any, name: str, operation: Coroutine[Any, Any, Any]) -> Call:
    binding = getattr(owner, "_binding", None)
    trace = call_trace.get()
    if trace is not None:  # --log-level debug: listed under the request line, timed
        operation = timed(operation, trace, f"{binding or type(owner).__name__}.{name}")
    # Once sent, a storage operation completes even if the request ends: not cut short.
    return Call(operation, CallSite(_side(current_worker.get()), _prefix(owner), name), cut_short=False)


def _prefix(owner: Any) -> str:
    binding = getattr(owner, "_binding", None)
    return f"self.env.{binding}." if binding else f"{type(owner).__name__}."


def _side(scope: WorkerScope | None) -> Side | None:
    if scope is None or scope.printer is None:
        return None  # called outside worker code (a test, a tool): nobody to warn
    return Side(scope.name, scope.printer)


async def _resumed(operation: Coroutine[Any, Any, Any], waiting_on: Any) -> Any:
    """The rest of an operation whose first step waits on ``waiting_on`` (what it yielded)."""
    return await _Rest(operation, waiting_on)


class _Rest:
    __slots__ = ("operation", "waiting_on")

    def __init__(self, operation: Coroutine[Any, Any, Any], waiting_on: Any) -> None:
        self.operation, self.waiting_on = operation, waiting_on

    def __await__(self) -> Generator[Any, None, Any]:
        operation, yielded = self.operation, self.waiting_on
        while True:
            try:
                value = yield yielded
            except GeneratorExit:
                operation.close()
                raise
            except BaseException as exc:
                step: Callable[[], Any] = functools.partial(operation.throw, exc)
            else:
                step = functools.partial(operation.send, value)
            try:
                yielded = step()
            except StopIteration as stop:
                return stop.value


_OWN = frozenset({"send", "throw", "close", "__await__", "__class__", "__repr__", "__hash__", "__eq__"})


class Settled(Coroutine[Any, Any, Any]):
    """An operation that finished when it was made: its result or error, handed over when awaited.

    A real ``Coroutine`` (``asyncio.gather`` and ``create_task`` take it) whose internals are out of
    reach of worker code; awaited once, as a coroutine is; never awaited, it warns when dropped.
    """

    __slots__ = ("_p_awaited", "_p_error", "_p_name", "_p_owner", "_p_scope", "_p_steps", "_p_value")

    def __init__(self, value: Any, error: BaseException | None, owner: Any, name: str, scope: Any) -> None:
        # Plain assignments: only reading goes through __getattribute__.
        self._p_value = value
        self._p_error = error
        self._p_owner = owner
        self._p_name = name
        self._p_scope = scope
        self._p_awaited = False
        self._p_steps: Generator[Any, None, Any] | None = None

    def __getattribute__(self, name: str) -> Any:
        if name in _OWN:
            return _get(self, name)
        raise AttributeError(f"'Call' object has no attribute {name!r}")

    def __await__(self) -> Generator[Any, None, Any]:
        return _outcome(self)

    def send(self, value: Any) -> Any:
        return _steps(self).send(value)

    def throw(self, *args: Any) -> Any:
        return _steps(self).throw(*args)

    def close(self) -> None:
        steps = _get(self, "_p_steps")
        if steps is not None:
            steps.close()

    def __repr__(self) -> str:
        return f"<call {_prefix(_get(self, '_p_owner'))}{_get(self, '_p_name')}()>"

    def __del__(self) -> None:
        if _get(self, "_p_awaited"):
            return
        with contextlib.suppress(Exception):  # at interpreter exit the printer's stream may be gone
            site = CallSite(_side(_get(self, "_p_scope")), _prefix(_get(self, "_p_owner")), _get(self, "_p_name"))
            site.never_awaited()


def _outcome(settled: Settled) -> Generator[Any, None, Any]:
    if _get(settled, "_p_awaited"):
        raise RuntimeError("cannot reuse already awaited coroutine")
    _set(settled, "_p_awaited", True)
    error = _get(settled, "_p_error")
    if error is not None:
        _set(settled, "_p_error", None)  # raised once: no cycle through its traceback
        raise error
    yield from ()  # a generator that never yields: its first step ends with the value
    return _get(settled, "_p_value")


def _steps(settled: Settled) -> Generator[Any, None, Any]:
    """The generator ``send``/``throw`` drive when a task (``create_task``, ``gather``) runs the promise."""
    steps = _get(settled, "_p_steps")
    if steps is None:
        steps = _outcome(settled)
        _set(settled, "_p_steps", steps)
    return steps  # type: ignore[no-any-return]


seal_methods(Settled, _Rest)
