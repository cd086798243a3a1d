"""What worker code holds of another process's objects: functions, binding stubs and body streams.

A function that crossed arrives as :class:`RemoteFunction` (a ``workers.rpc`` ``_RpcStubWrapper``,
as a :class:`~pyworker.bindings.calls.CallbackStub` is); a service binding or Durable Object
stub as :class:`RemoteFetcher` (a ``_FetcherWrapper``); any other binding object as
:class:`RemoteBinding`. Calling one sends the call to its owner's process, which runs it
there, in the owner's context, and answers; arguments are copied at the call site, as for
any binding call. Their attributes lead nowhere (they are guarded and their methods sealed).
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any, Protocol

from pyworker.bindings.calls import Call, CallSite, Side
from pyworker.bindings.values import copy_args
from pyworker.interop.wire import CALLABLE, FETCHER, Writer
from pyworker.interop.wire_frames import ABORT, CALLREF, END
from pyworker.runtime.http import Request, transfer
from pyworker.runtime.sealed import seal_methods
from pyworker.runtime.wrappers import _BindingWrapper, _FetcherWrapper, _RpcStubWrapper

Sides = tuple[Side, Side]  # (this side, the other side): who calls, and who owns what is called
_get = object.__getattribute__
_set = object.__setattr__


class Connection(Protocol):
    """What a proxy needs of its connection (:class:`~pyworker.interop.wire_link.Link`)."""

    def writer(self, sides: Any = None) -> Writer: ...
    def request(self, kind: int, writer: Writer, sides: Any, name: str) -> tuple[int, asyncio.Future[Any]]: ...
    def stop(self, ident: int) -> None: ...
    def pull(self, sid: int) -> asyncio.Future[Any]: ...
    def cancel_stream(self, sid: int) -> None: ...


async def call_ref(link: Connection, ref: int, method: str | None, args: tuple[Any, ...], sides: Sides) -> Any:
    """Call the other side's object ``ref`` (its method ``method``, or itself), and wait for its answer."""
    writer = link.writer(sides)
    writer.value(ref)
    writer.value(method)
    writer.value(args)
    ident, future = link.request(CALLREF, writer, sides, sides[1].name)
    try:
        ok, value, _used = await future
    except asyncio.CancelledError:
        link.stop(ident)
        raise
    if ok:
        return value
    raise value


def _arguments(sides: Sides, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    if kwargs:
        args = (*args, kwargs)  # as for any RPC: keyword arguments arrive as one trailing dict
    local, remote = sides
    return copy_args(args, local.callbacks_to(remote)) if args else args


class RemoteFunction(_RpcStubWrapper):
    """A function of another process; calling it returns a :class:`~pyworker.bindings.calls.Call`."""

    __slots__ = ("__weakref__", "_link", "_ref", "_sides")

    def __getattribute__(self, name: str) -> Any:
        if name in _FUNCTION_OWN:
            return _get(self, name)
        raise AttributeError(f"'{type(self).JS_NAME}' object has no attribute {name!r}")

    def __call__(self, *args: Any, **kwargs: Any) -> Call:
        sides: Sides = _get(self, "_sides")
        copied = _arguments(sides, args, kwargs)
        site = CallSite(sides[0], "", "callback")
        return Call(call_ref(_get(self, "_link"), _get(self, "_ref"), None, copied, sides), site)

    def __repr__(self) -> str:
        return f"<callback from {_get(self, '_sides')[1].name}>"


_FUNCTION_OWN = frozenset(
    {"__call__", "__class__", "__repr__", "__hash__", "__eq__", "__bool__", "__iter__", "__len__"}
)


class RemoteBinding(_BindingWrapper):
    """A binding object of another process: any attribute is a method called there."""

    __slots__ = ("__weakref__", "_link", "_ref", "_sides")

    def __getattribute__(self, name: str) -> Any:
        if name in _BINDING_OWN:
            return _get(self, name)
        return RemoteMethod(self, name)

    def __repr__(self) -> str:
        return f"<binding from {_get(self, '_sides')[1].name}>"


class RemoteFetcher(RemoteBinding, _FetcherWrapper):
    """A service binding or Durable Object stub of another process: ``fetch`` and RPC methods."""

    __slots__ = ()

    def fetch(self, input: str | Request, **options: Any) -> Call:
        sides: Sides = _get(self, "_sides")
        request = transfer(Request(input, **options))  # made now: a bad URL or body fails where the call is written
        site = CallSite(sides[0], "", "fetch")
        return Call(call_ref(_get(self, "_link"), _get(self, "_ref"), "fetch", (request,), sides), site)


_BINDING_OWN = frozenset(
    {"fetch", "__class__", "__repr__", "__str__", "__eq__", "__ne__", "__hash__", "__bool__", "__iter__", "__len__",
     "__getitem__", "__format__", "__dir__"}
)  # fmt: skip


class RemoteMethod:
    """``proxy.name`` of a :class:`RemoteBinding`: calling it makes the call."""

    __slots__ = ("_name", "_proxy")

    def __init__(self, proxy: RemoteBinding, name: str) -> None:
        _set(self, "_proxy", proxy)
        _set(self, "_name", name)

    def __getattribute__(self, name: str) -> Any:
        if name in ("__call__", "__class__", "__repr__"):
            return _get(self, name)
        raise AttributeError(f"'function' object has no attribute {name!r}")

    def __call__(self, *args: Any, **kwargs: Any) -> Call:
        proxy, name = _get(self, "_proxy"), _get(self, "_name")
        sides: Sides = _get(proxy, "_sides")
        copied = _arguments(sides, args, kwargs)
        return Call(
            call_ref(_get(proxy, "_link"), _get(proxy, "_ref"), name, copied, sides), CallSite(sides[0], "", name)
        )

    def __repr__(self) -> str:
        return f"<RPC method {_get(self, '_name')}>"


def make_proxy(link: Connection, ref: int, kind: int, sides: Sides) -> Any:
    cls = RemoteFunction if kind == CALLABLE else RemoteFetcher if kind == FETCHER else RemoteBinding
    proxy = object.__new__(cls)
    for name, value in (("_link", link), ("_ref", ref), ("_sides", sides)):
        _set(proxy, name, value)
    return proxy


def proxy_ref(obj: Any, link: Connection) -> int | None:
    """``obj``'s reference number when it is ``link``'s proxy for an object of the other side."""
    if isinstance(obj, RemoteFunction | RemoteBinding) and _get(obj, "_link") is link:
        return int(_get(obj, "_ref"))
    return None


class RemoteStream:
    """A body streamed from another process: each step pulls one chunk."""

    __slots__ = ("__weakref__", "_link", "_sid", "_state")

    def __init__(self, link: Connection, sid: int) -> None:
        self._link, self._sid = link, sid
        self._state = [False]  # finished (ended, failed or closed): nothing to cancel
        weakref.finalize(self, _dropped, link, sid, self._state)

    def __aiter__(self) -> RemoteStream:
        return self

    async def __anext__(self) -> bytes:
        if self._state[0]:
            raise StopAsyncIteration
        kind, data = await self._link.pull(self._sid)
        if kind in (END, ABORT):
            self._state[0] = True
            if kind == ABORT:
                raise OSError(data)
            raise StopAsyncIteration
        return bytes(data)

    async def aclose(self) -> None:
        if not self._state[0]:
            self._state[0] = True
            self._link.cancel_stream(self._sid)


def _dropped(link: Connection, sid: int, state: list[bool]) -> None:
    if not state[0]:
        link.cancel_stream(sid)


seal_methods(RemoteFunction, RemoteBinding, RemoteFetcher, RemoteMethod)
