"""The two halves of every call across a binding: the awaitable a caller holds, and callback stubs.

A binding call runs only when awaited, as in production, and forgetting ``await``
prints one warning naming the worker, binding and method. Functions passed across
arrive as :class:`CallbackStub` objects that the other side awaits.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Coroutine, Generator
from dataclasses import dataclass
from typing import Any

from pyworker.bindings.exceptions import crossed_exception
from pyworker.bindings.values import copy_args, copy_kwargs, copy_value
from pyworker.printer import Printer


@dataclass(frozen=True)
class Side:
    """One end of a binding: the worker's name, for messages, and the printer it writes to."""

    name: str
    printer: Printer

    def warn(self, text: str) -> None:
        self.printer.worker(self.name, text, "warn")

    def callbacks_to(self, peer: Side) -> Callable[[Callable[..., Any]], CallbackStub]:
        """Turn this side's functions into stubs the ``peer`` can call."""
        return lambda func: CallbackStub(func, self, peer)


class CallSite:
    """Where a call is written, for the never-awaited warning: ``prefix + name`` reads as in code
    (``self.env.WORKER_B.`` + ``add``). Made once per binding method, not per call."""

    __slots__ = ("name", "prefix", "side")

    def __init__(self, side: Side, prefix: str, name: str) -> None:
        self.side = side
        self.prefix = prefix
        self.name = name

    def never_awaited(self) -> None:
        call = f"{self.prefix}{self.name}(...)"
        self.side.warn(
            f"{call} was never awaited, so the call did not run. "
            f"Calls across a binding return an awaitable: write await {call}"
        )


class PendingCall(Coroutine[Any, Any, Any]):
    """What ``env.B.method(...)`` returns: a coroutine that runs the call when awaited.

    A real ``Coroutine``, so ``asyncio.create_task`` and ``gather`` accept it. If it is
    dropped without ever being awaited, the call never ran: say so on the caller's side.
    """

    __slots__ = ("_coro", "_site", "_started")

    def __init__(self, coro: Coroutine[Any, Any, Any], site: CallSite) -> None:
        self._coro = coro
        self._site = site
        self._started = False

    def __await__(self) -> Generator[Any, None, Any]:
        self._started = True
        return self._coro.__await__()

    def send(self, value: Any) -> Any:
        self._started = True
        return self._coro.send(value)

    def throw(self, *args: Any) -> Any:
        self._started = True
        return self._coro.throw(*args)

    def close(self) -> None:
        self._started = True
        self._coro.close()

    def __del__(self) -> None:
        if self._started:
            return
        self._coro.close()
        with contextlib.suppress(Exception):  # at interpreter exit the printer's stream may be gone
            self._site.never_awaited()

    def __repr__(self) -> str:
        return f"<pending call {self._site.prefix}{self._site.name}()>"


class CallbackStub:
    """A function that crossed a binding. Calling it returns an awaitable, as for any RPC.

    Its arguments go back to the ``owner`` under the same copy rules, and what it
    returns or raises comes back the same way.
    """

    _pyworker_rpc_passthrough = True
    __slots__ = ("__func", "__owner", "__peer")

    def __init__(self, func: Callable[..., Any], owner: Side, peer: Side) -> None:
        self.__func = func
        self.__owner = owner
        self.__peer = peer

    def __call__(self, *args: Any, **kwargs: Any) -> PendingCall:
        to_owner = self.__peer.callbacks_to(self.__owner)
        copied = copy_args(args, to_owner), copy_kwargs(kwargs, to_owner)  # at the call site, as for RPC
        site = CallSite(self.__peer, "", getattr(self.__func, "__name__", "callback"))
        return PendingCall(self.__run(*copied), site)

    async def __run(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        owner, peer = self.__owner, self.__peer
        try:
            result = self.__func(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
        except (Exception, SystemExit) as exc:
            owner.printer.exception(owner.name, exc)
            error = crossed_exception(exc)
        else:
            return copy_value(result, "the callback's return value", owner.callbacks_to(peer))
        raise error  # outside the except block, so the owner's frames do not travel as __context__

    def __repr__(self) -> str:
        return f"<callback from {self.__owner.name}>"
