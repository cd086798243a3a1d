"""Calls across a binding, as the SDK makes them (:class:`Call`, see :mod:`pyworker.bindings.started`),
and what crosses with them: the two ends of a binding, and functions sent across.

Functions passed across arrive as :class:`CallbackStub` objects that run as their owner; calling
one makes a :class:`Call` like any other. The methods of what worker code holds here are sealed
(:mod:`pyworker.runtime.sealed`).
"""

from __future__ import annotations

import contextvars
import inspect
from collections.abc import Callable, Coroutine, Generator
from dataclasses import dataclass
from typing import Any

from pyworker.bindings.errors import crossing_error
from pyworker.bindings.started import Call, CallSite
from pyworker.bindings.values import copy_args, copy_value
from pyworker.printer import Printer
from pyworker.runtime.sealed import seal_methods
from pyworker.runtime.wrappers import _RpcStubWrapper

__all__ = ["Call", "CallSite", "CallbackStub", "Side"]

_get = object.__getattribute__
_set = object.__setattr__


@dataclass(frozen=True)
class Side:
    """One end of a binding: the worker's name, for messages, and the printer it writes to."""

    name: str
    printer: Printer

    def callbacks_to(self, peer: Side) -> Callable[[Callable[..., Any]], CallbackStub]:
        """Turn this side's functions into stubs the ``peer`` can call (they run as this side)."""
        return lambda func: CallbackStub(func, self, peer)


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


seal_methods(CallbackStub, _Stepper)
