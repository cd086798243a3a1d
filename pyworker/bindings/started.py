"""A call across a binding, as the SDK makes it: started when made, awaited for its result.

``env.B.method(...)`` converts its arguments at once and returns a :class:`Call`. The
call starts on the next event-loop turn even if nobody awaits it, as a JavaScript
promise would (awaiting it first simply runs it in the awaiting task, so the common
``await env.B.method(...)`` costs no task and no loop turn). A call never awaited still
runs until the caller's invocation ends, then is cut short, and prints one warning.
What a call raises reaches the caller with no frame of the callee nor of pyworker's
internals (as :func:`~pyworker.bindings.errors.crossing` does it), and the methods of a
call are sealed (:mod:`pyworker.runtime.sealed`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import weakref
from collections.abc import Coroutine, Generator
from contextvars import copy_context
from typing import Any, Protocol

from pyworker.bindings.errors import crossing, without_frames
from pyworker.printer import Printer
from pyworker.runtime.entrypoint import track_running
from pyworker.runtime.invocation import CTX
from pyworker.runtime.invocation import current as invocation
from pyworker.runtime.sealed import seal_methods

# Calls made in this task and not started yet, in order (shared by the task and the tasks it starts,
# so a call awaited first never overtakes one made before it).
_unstarted: contextvars.ContextVar[_Unstarted | None] = contextvars.ContextVar("pyworker_unstarted", default=None)
_get = object.__getattribute__
_new = object.__new__
_invocation = invocation.get
_NEW, _DRIVEN, _RUNNING = 0, 1, 2


class Caller(Protocol):
    """The side that makes a call (:class:`~pyworker.bindings.calls.Side`): who is warned, and where."""

    @property
    def name(self) -> str: ...

    @property
    def printer(self) -> Printer: ...


class CallSite:
    """Where a call is written, for messages: ``prefix + name`` reads as in code
    (``self.env.WORKER_B.`` + ``add``). Made once per binding method, not per call."""

    __slots__ = ("name", "prefix", "side")

    def __init__(self, side: Caller | None, prefix: str, name: str) -> None:
        self.side = side
        self.prefix = prefix
        self.name = name

    def never_awaited(self) -> None:
        if self.side is None:
            return
        call = f"{self.prefix}{self.name}(...)"
        self.side.printer.worker(
            self.side.name,
            f"{call} was never awaited: the call ran, but nothing waited for its result or error, and on "
            f"Cloudflare it may be cut short when the request ends. Write await {call}",
            "warn",
        )


_OWN = frozenset({"send", "throw", "close", "__await__", "__class__", "__repr__", "__hash__", "__eq__", "__weakref__"})


class Call(Coroutine[Any, Any, Any]):
    """What ``env.B.method(...)`` returns: a call under way. A real ``Coroutine``, so ``await``,
    ``asyncio.gather`` and ``create_task`` take it; its internals are out of reach of worker code."""

    __slots__ = (
        "__weakref__", "_call_awaited", "_call_context", "_call_coro", "_call_ctx", "_call_gen", "_call_site",
        "_call_state", "_call_task",
    )  # fmt: skip
    _call_gen: Generator[Any, None, Any]  # set when a task drives it (send/throw)
    _call_task: asyncio.Future[Any]  # set when it starts on its own
    _call_awaited: list[bool]  # likewise: was it awaited after?

    def __init__(self, coro: Coroutine[Any, Any, Any], site: CallSite, cut_short: bool = True) -> None:
        self._call_coro = coro  # what it raises crosses without frames (see __await__ and _start)
        self._call_site = site
        # The invocation that cuts it short when it ends (a call to another worker); None for an
        # operation that, once sent, completes anyway (a storage write).
        invocation = _invocation()
        self._call_ctx = invocation[CTX] if cut_short and invocation is not None else None
        self._call_context = copy_context()  # where it was made: it starts there if nobody awaits it
        self._call_state = _NEW
        unstarted = _unstarted.get()
        if unstarted is None:
            unstarted = _Unstarted()
            _unstarted.set(unstarted)
        unstarted.calls[self] = None
        if not unstarted.scheduled:
            unstarted.schedule()

    @classmethod
    def made(cls, coro: Coroutine[Any, Any, Any], site: CallSite, invocation: Any) -> Call:
        """``Call(coro, site)`` for a call to another worker made in ``invocation`` (the current one, already
        read), without the constructor's frames: what every binding call makes."""
        self = _new(cls)
        self._call_coro = coro
        self._call_site = site
        self._call_ctx = None if invocation is None else invocation[CTX]
        self._call_context = copy_context()
        self._call_state = _NEW
        unstarted = _unstarted.get()
        if unstarted is None:
            unstarted = _Unstarted()
            _unstarted.set(unstarted)
        unstarted.calls[self] = None
        if not unstarted.scheduled:
            unstarted.schedule()
        return self

    def __getattribute__(self, name: str) -> Any:
        if name in _OWN:
            return _get(self, name)
        raise AttributeError(f"'Call' object has no attribute {name!r}")

    def __await__(self) -> Generator[Any, None, Any]:
        # One generator both drives the call and is where what it raises crosses (bindings.errors.crossing):
        # the error goes on with no frame of the callee nor of pyworker's internals, and holds no reference.
        state = _get(self, "_call_state")
        if state == _RUNNING:
            _get(self, "_call_awaited")[0] = True
            awaited: Any = _get(self, "_call_task")
        elif state != _NEW:
            raise RuntimeError("cannot reuse already awaited coroutine")
        else:
            self._call_state = _DRIVEN
            unstarted = _unstarted.get()
            if unstarted is not None:
                calls = unstarted.calls
                if len(calls) == 1 and self in calls:  # the common `await env.B.method(...)`
                    calls.clear()
                elif self in calls and next(iter(calls)) is not self:
                    _start_earlier(self, unstarted)
                    unstarted = calls = None  # type: ignore[assignment]  # held by nothing while it waits
                    yield  # one event-loop turn: the calls made earlier take their first step before this one
                else:
                    calls.pop(self, None)
            awaited = _get(self, "_call_coro")
        del self
        try:
            return (yield from awaited.__await__())
        except BaseException as exc:
            error = exc
        del awaited
        unstarted = calls = None  # type: ignore[assignment]  # the frame travels with the error: it holds only it
        raise without_frames(error)

    def send(self, value: Any) -> Any:
        return _generator(self).send(value)

    def throw(self, *args: Any) -> Any:
        try:
            gen = _get(self, "_call_gen")
        except AttributeError:  # thrown into before its first step (a task cancelled at once): never driven
            gen = _generator(self)
            _claim(self)
        return gen.throw(*args)

    def close(self) -> None:
        try:
            gen = _get(self, "_call_gen")
        except AttributeError:  # never driven by a task
            return
        gen.close()

    def __repr__(self) -> str:
        site = _get(self, "_call_site")
        return f"<call {site.prefix}{site.name}()>"


def _start_earlier(call: Call, unstarted: _Unstarted) -> None:
    """Calls made earlier but not started yet start first, as they would on Cloudflare."""
    for earlier in list(unstarted.calls):
        if earlier is call:
            break
        _start(earlier)
    unstarted.calls.pop(call, None)


def _claim(call: Call) -> None:
    """What awaiting ``call`` claims before its first step (as ``__await__`` does when driven)."""
    state = _get(call, "_call_state")
    if state == _RUNNING:
        _get(call, "_call_awaited")[0] = True
    elif state != _NEW:
        raise RuntimeError("cannot reuse already awaited coroutine")
    else:
        call._call_state = _DRIVEN
        unstarted = _unstarted.get()
        if unstarted is not None:
            unstarted.calls.pop(call, None)


def _generator(call: Call) -> Generator[Any, None, Any]:
    """The generator ``send``/``throw`` drive when a task (``create_task``, ``gather``) runs the call."""
    try:
        return _get(call, "_call_gen")  # type: ignore[no-any-return]
    except AttributeError:
        gen = call._call_gen = _get(call, "__await__")()
        return gen  # type: ignore[no-any-return]


class _Unstarted:
    """The calls made and not started yet; on the next event-loop turn, those nobody awaited start alone."""

    __slots__ = ("calls", "scheduled")

    def __init__(self) -> None:
        self.calls: dict[Call, None] = {}
        self.scheduled = False

    def schedule(self) -> None:
        try:
            asyncio.get_running_loop().call_soon(self.flush)
        except RuntimeError:  # no event loop: the call starts when awaited
            return
        self.scheduled = True

    def flush(self) -> None:
        self.scheduled = False
        calls, self.calls = self.calls, {}
        for call in calls:
            _start(call)


def _start(call: Call) -> None:
    """Run ``call`` on its own (nobody awaited it first); its invocation cuts it short at the end."""
    if _get(call, "_call_state") != _NEW:
        return
    call._call_state = _RUNNING
    coro = crossing(_get(call, "_call_coro"))
    task = asyncio.get_running_loop().create_task(coro, context=_get(call, "_call_context"))
    task.add_done_callback(_retrieve)
    call._call_task = task
    awaited = call._call_awaited = [False]
    weakref.finalize(call, _unawaited, awaited, _get(call, "_call_site"))
    ctx = _get(call, "_call_ctx")
    if ctx is not None:
        track_running(ctx, task)


def _unawaited(awaited: list[bool], site: CallSite) -> None:
    """A call that ran on its own is gone: if nobody ever awaited it, say so."""
    if not awaited[0]:
        with contextlib.suppress(Exception):  # at interpreter exit the printer's stream may be gone
            site.never_awaited()


def _retrieve(task: asyncio.Future[Any]) -> None:
    # The callee printed what it raised; an unawaited call's error must not also warn "never retrieved".
    if not task.cancelled():
        task.exception()


seal_methods(Call, _Unstarted)
