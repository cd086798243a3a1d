"""Calls across a binding, as the SDK makes them: started when made, awaited for their result.

``env.B.method(...)`` converts its arguments at once and returns a :class:`Call`. The
call starts on the next event-loop turn even if nobody awaits it, as a JavaScript
promise would (awaiting it first simply runs it in the awaiting task, so the common
``await env.B.method(...)`` costs no task and no loop turn). A call never awaited still
runs until the caller's invocation ends, then is cut short, and prints one warning.
Functions passed across arrive as :class:`CallbackStub` objects that run as their owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
from collections.abc import Callable, Coroutine, Generator
from dataclasses import dataclass
from typing import Any

from pyworker.bindings.errors import crossing_error
from pyworker.bindings.values import copy_args, copy_value
from pyworker.printer import Printer
from pyworker.runtime.entrypoint import current_context, track_running
from pyworker.runtime.wrappers import _RpcStubWrapper

# Calls made in this task and not started yet, in order: a dict shared by the task and the tasks
# it starts, so a call awaited first never overtakes one made before it.
_unstarted: contextvars.ContextVar[dict[Call, None] | None] = contextvars.ContextVar("pyworker_unstarted", default=None)
_get = object.__getattribute__
_set = object.__setattr__
_NEW, _DRIVEN, _RUNNING = 0, 1, 2


@dataclass(frozen=True)
class Side:
    """One end of a binding: the worker's name, for messages, and the printer it writes to."""

    name: str
    printer: Printer

    def callbacks_to(self, peer: Side) -> Callable[[Callable[..., Any]], CallbackStub]:
        """Turn this side's functions into stubs the ``peer`` can call (they run as this side)."""
        return lambda func: CallbackStub(func, self, peer)


class CallSite:
    """Where a call is written, for messages: ``prefix + name`` reads as in code
    (``self.env.WORKER_B.`` + ``add``). Made once per binding method, not per call."""

    __slots__ = ("name", "prefix", "side")

    def __init__(self, side: Side, prefix: str, name: str) -> None:
        self.side = side
        self.prefix = prefix
        self.name = name

    def never_awaited(self) -> None:
        call = f"{self.prefix}{self.name}(...)"
        self.side.printer.worker(
            self.side.name,
            f"{call} was never awaited: the call ran, but nothing waited for its result or error, and on "
            f"Cloudflare it may be cut short when the request ends. Write await {call}",
            "warn",
        )


_OWN = frozenset({"send", "throw", "close", "__await__", "__class__", "__repr__", "__del__", "__hash__", "__eq__"})


class Call(Coroutine[Any, Any, Any]):
    """What ``env.B.method(...)`` returns: a call under way. A real ``Coroutine``, so ``await``,
    ``asyncio.gather`` and ``create_task`` take it; its internals are out of reach of worker code."""

    __slots__ = ("_call_coro", "_call_ctx", "_call_gen", "_call_site", "_call_state", "_call_task", "_call_waited")

    def __init__(self, coro: Coroutine[Any, Any, Any], site: CallSite) -> None:
        for name, value in (("_call_coro", coro), ("_call_site", site), ("_call_ctx", current_context.get())):
            _set(self, name, value)
        for name, value in (("_call_gen", None), ("_call_state", _NEW), ("_call_task", None)):
            _set(self, name, value)
        _set(self, "_call_waited", False)
        pending = _unstarted.get()
        if pending is None:
            pending = {}
            _unstarted.set(pending)
        if not pending:
            with contextlib.suppress(RuntimeError):  # no event loop: the call starts when awaited
                asyncio.get_running_loop().call_soon(_start_all, pending)
        pending[self] = None

    def __getattribute__(self, name: str) -> Any:
        if name in _OWN:
            return _get(self, name)
        raise AttributeError(f"'Call' object has no attribute {name!r}")

    def __await__(self) -> Generator[Any, None, Any]:
        _set(self, "_call_waited", True)
        state = _get(self, "_call_state")
        if state == _RUNNING:
            return (yield from _get(self, "_call_task"))
        if state == _DRIVEN:
            raise RuntimeError("cannot reuse already awaited coroutine")
        _set(self, "_call_state", _DRIVEN)
        pending = _unstarted.get()
        if pending:
            if next(iter(pending)) is not self and self in pending:
                # Calls made earlier but not started yet start first, as they would on Cloudflare.
                for earlier in list(pending):
                    if earlier is self:
                        break
                    _start(earlier)
                yield  # one event-loop turn: they take their first step before this one
            pending.pop(self, None)
        return (yield from _get(self, "_call_coro").__await__())

    def send(self, value: Any) -> Any:
        return _generator(self).send(value)

    def throw(self, *args: Any) -> Any:
        return _generator(self).throw(*args)

    def close(self) -> None:
        gen = _get(self, "_call_gen")
        if gen is not None:
            gen.close()

    def __del__(self) -> None:
        if _get(self, "_call_waited"):
            return
        if _get(self, "_call_state") == _NEW:
            _get(self, "_call_coro").close()  # it never started (no event loop): nothing ran
        with contextlib.suppress(Exception):  # at interpreter exit the printer's stream may be gone
            _get(self, "_call_site").never_awaited()

    def __repr__(self) -> str:
        site = _get(self, "_call_site")
        return f"<call {site.prefix}{site.name}()>"


def _generator(call: Call) -> Generator[Any, None, Any]:
    """The generator ``send``/``throw`` drive when a task (``create_task``, ``gather``) runs the call."""
    gen = _get(call, "_call_gen")
    if gen is None:
        gen = _get(call, "__await__")()
        _set(call, "_call_gen", gen)
    return gen  # type: ignore[no-any-return]


def _start(call: Call) -> None:
    """Run ``call`` on its own (nobody awaited it first); its invocation cuts it short at the end."""
    if _get(call, "_call_state") != _NEW:
        return
    _set(call, "_call_state", _RUNNING)
    task = asyncio.ensure_future(_get(call, "_call_coro"))
    task.add_done_callback(_retrieve)
    _set(call, "_call_task", task)
    pending = _unstarted.get()
    if pending:
        pending.pop(call, None)
    ctx = _get(call, "_call_ctx")
    if ctx is not None:
        track_running(ctx, task)


def _start_all(pending: dict[Call, None]) -> None:
    """The event loop's next turn after calls were made: those nobody awaited yet start on their own."""
    for call in list(pending):
        pending.pop(call, None)
        _start(call)


def _retrieve(task: asyncio.Future[Any]) -> None:
    # The callee printed what it raised; an unawaited call's error must not also warn "never retrieved".
    if not task.cancelled():
        task.exception()


class CallbackStub(_RpcStubWrapper):
    """A function that crossed a binding. Calling it returns a :class:`Call`.

    It runs as its owner, the worker that sent it: in the context (``workers.env``,
    ``self.ctx``, the request's budget) where it was sent, printing errors under the
    owner's name. Arguments and results cross under the usual rules.
    """

    __slots__ = ("_stub_context", "_stub_func", "_stub_owner", "_stub_peer")

    def __init__(self, func: Callable[..., Any], owner: Side, peer: Side) -> None:
        for name, value in (("_stub_func", func), ("_stub_owner", owner), ("_stub_peer", peer)):
            _set(self, name, value)
        _set(self, "_stub_context", contextvars.copy_context())

    def __getattribute__(self, name: str) -> Any:
        if name in _STUB_OWN:
            return _get(self, name)
        raise AttributeError(f"'{type(self).JS_NAME}' object has no attribute {name!r}")

    def __call__(self, *args: Any, **kwargs: Any) -> Call:
        owner, peer = _get(self, "_stub_owner"), _get(self, "_stub_peer")
        if kwargs:
            args = (*args, kwargs)  # as for any RPC: keyword arguments arrive as one trailing dict
        copied = copy_args(args, peer.callbacks_to(owner))  # at the call site, as for RPC
        func = _get(self, "_stub_func")
        site = CallSite(peer, "", getattr(func, "__name__", "callback"))
        context = _get(self, "_stub_context").copy()
        return Call(_in_context(context, _run_callback(func, copied, owner, peer)), site)

    def __repr__(self) -> str:
        return f"<callback from {_get(self, '_stub_owner').name}>"


_STUB_OWN = frozenset({"__call__", "__class__", "__repr__", "__hash__", "__eq__", "__bool__", "__iter__", "__len__"})


async def _run_callback(func: Callable[..., Any], args: tuple[Any, ...], owner: Side, peer: Side) -> Any:
    try:
        result = func(*args)
        if inspect.isawaitable(result):
            result = await result
    except (Exception, SystemExit) as exc:
        owner.printer.exception(owner.name, exc)
        error = crossing_error(exc, owner.name)
    else:
        return copy_value(result, "the callback's return value", owner.callbacks_to(peer))
    raise error  # outside the except block, so the owner's frames do not travel as __context__


async def _in_context(context: contextvars.Context, coro: Coroutine[Any, Any, Any]) -> Any:
    """Drive ``coro`` with every step inside ``context``, whichever task drives it."""
    return await _Stepper(context, coro)


class _Stepper:
    __slots__ = ("context", "coro")

    def __init__(self, context: contextvars.Context, coro: Coroutine[Any, Any, Any]) -> None:
        self.context, self.coro = context, coro

    def __await__(self) -> Generator[Any, None, Any]:
        run, coro = self.context.run, self.coro
        step: Callable[..., Any] = coro.send
        value: Any = None
        while True:
            try:
                yielded = run(step, value)
            except StopIteration as stop:
                return stop.value
            try:
                value, step = (yield yielded), coro.send
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:
                value, step = exc, coro.throw
