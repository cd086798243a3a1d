"""This process's workers, served to other pyworker processes: an authenticated server on 127.0.0.1.

A call arriving here runs through the worker's ordinary invocation frame (``Target.invoke``,
or :func:`~pyworker.runtime.responses.respond` for a fetch), as a call from a worker of this
process would: the callee prints what its code raised under its own name, here; the result
is copied for the caller by the binding rules inside the callee's invocation; the request's
depth and subrequest budget continue from what the call carried, and what this process
spent on it goes back with the answer. The caller's side turns errors into what worker code
receives, there (:mod:`pyworker.interop.remote`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from pyworker.bindings.calls import Side
from pyworker.bindings.service import not_running_message
from pyworker.bindings.values import SHARED, copy_value
from pyworker.errors import BindingError
from pyworker.interop.wire import _I64
from pyworker.interop.wire_link import Link
from pyworker.interop.wire_read import Reader
from pyworker.printer import Printer
from pyworker.runtime import limits
from pyworker.runtime.http import Request
from pyworker.runtime.responses import respond
from pyworker.types import FETCH, RPC, Directory, Route, Target

HOST = "127.0.0.1"
MAX_HEADS = 4096  # calls' heads remembered (one per binding method in use); forgotten all at once past this


def _task(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, None]) -> asyncio.Future[None]:
    """The task serving one call, in an empty context, not through the loop's task factory (``_run`` lets
    nothing out that the factory would contain). From Python 3.12 its first step runs at once (an eager
    task): a call that waits on nothing answers with no loop turn, and still runs as a task (worker code may
    use ``asyncio.timeout``, ``current_task``...)."""
    if sys.version_info >= (3, 12):
        return asyncio.Task(coro, loop=loop, context=contextvars.Context(), eager_start=True)
    return asyncio.Task(coro, loop=loop, context=contextvars.Context())


# A call from another process starts in an empty context, as an event from outside does: nothing of
# whichever invocation happened to open the connection (its context is the transport's) leaks into it.


class Endpoint:
    """Serves the workers of ``workers`` (this process's own) to other pyworker processes that prove ``secret``."""

    def __init__(self, workers: Directory, secret: bytes, printer: Printer) -> None:
        self.workers = workers
        self.secret = secret
        self.printer = printer
        self.address = ""
        self._server: asyncio.Server | None = None
        self._links: set[Link] = set()
        self._heads: dict[bytes, tuple[Any, Any, Any]] = {}
        self._sides: dict[tuple[str, str], tuple[Side, Side]] = {}
        self._states: dict[bytes, tuple[list[str], int, str] | None] = {}

    async def start(self) -> str:
        """Listen on an ephemeral port of 127.0.0.1; returns ``"127.0.0.1:PORT"``."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._link, HOST, 0)
        port = self._server.sockets[0].getsockname()[1]
        self.address = f"{HOST}:{port}"
        return self.address

    async def stop(self) -> None:
        """Stop listening and close every connection (calls waiting on them fail at once, over there)."""
        if self._server is not None:
            self._server.close()
        for link in list(self._links):
            link.close()
        if self._server is not None:
            await self._server.wait_closed()

    def _link(self) -> Link:
        link = Link(self.secret, endpoint=True, serve=self._serve, lost=self._links.discard, refused=self._refused)
        self._links.add(link)
        return link

    def _refused(self, link: Link, reason: str) -> None:
        self.printer.warning(f"interop: refused a connection from {link.peer_address}: {reason}.")

    def _serve(self, link: Link, ident: int, data: bytes) -> None:
        size = int.from_bytes(data[9:13], "little")
        head = data[13 : 13 + size]  # what the call runs: the same bytes for every call of one binding method
        known = self._heads.get(head)
        if known is None:
            known = self._head(link, head)
        pos = 17 + size
        size = int.from_bytes(data[pos - 4 : pos], "little")  # the request's state: the same for all its calls
        carried: limits.Carried | None = None
        if size:
            state = data[pos : pos + size]
            static = self._states.get(state) or self._state(link, state)
            pos += size + 8
            if static is not None:
                carried = (static[0], _I64.unpack_from(data, pos - 8)[0], static[1], static[2])
        if known[0] is None or (size and carried is None):
            link.answer_error(ident, BindingError("Another pyworker process sent a call this one cannot read."), 0)
            return
        worker, route, sides = known
        args = Reader(data, pos, link, sides).value()
        task = _task(link.loop, _run(link, ident, worker, self.workers.get(worker), route, args, carried, sides))
        if not task.done():  # under way (an eagerly started call that answered at once is not): ``_run`` lets go
            link.serving[ident] = task

    def _state(self, link: Link, state: bytes) -> tuple[list[str], int, str] | None:
        """A request's chain, limit and where it is set (``None`` when not readable); remembered by its bytes."""
        value = Reader(state, 0, link).value()
        if not _carried(value):
            return None
        if len(self._states) >= MAX_HEADS:
            self._states.clear()
        static = self._states[state] = (value[0], value[1], value[2])
        return static

    def _head(self, link: Link, head: bytes) -> tuple[Any, Any, Any]:
        """The worker, route and sides a call's head names (``None``s when it is not readable); remembered."""
        reader = Reader(head, 0, link)
        worker, kind, method, entrypoint, props, caller = (reader.value() for _ in range(6))
        if not _readable(worker, kind, method, entrypoint, props, caller):
            return None, None, None
        sides = self._sides_of(worker, caller or worker)
        returns = _returning(method, sides) if kind == RPC else None
        route = Route(kind, method, entrypoint, props, caller, returns, passes=SHARED if kind == RPC else frozenset())
        known = (worker, route, sides)
        if len(self._heads) >= MAX_HEADS:
            self._heads.clear()
        self._heads[head] = known
        return known

    def _sides_of(self, worker: str, caller: str) -> tuple[Side, Side]:
        sides = self._sides.get((worker, caller))
        if sides is None:
            sides = self._sides[(worker, caller)] = (Side(worker, self.printer), Side(caller, self.printer))
        return sides


def serving(printer: Printer) -> Callable[[Directory, bytes], contextlib.AbstractAsyncContextManager[str]]:
    """What the dev server starts while it serves: an endpoint for its workers, yielding its address."""

    @contextlib.asynccontextmanager
    async def serve(workers: Directory, secret: bytes) -> AsyncIterator[str]:
        endpoint = Endpoint(workers, secret, printer)
        address = await endpoint.start()
        try:
            yield address
        finally:
            await endpoint.stop()

    return serve


def _returning(method: str, sides: tuple[Side, Side]) -> Callable[[Any], Any]:
    """The result of RPC ``method`` as the caller receives it, copied inside the callee's invocation."""
    to_caller, where = sides[0].callbacks_to(sides[1]), f"the value {method}() returned"
    return lambda result: result if type(result) in SHARED else copy_value(result, where, to_caller)


def _readable(worker: Any, kind: Any, method: Any, entrypoint: Any, props: Any, caller: Any) -> bool:
    if not (isinstance(worker, str) and kind in (RPC, FETCH) and isinstance(method, str)):
        return False
    if not (entrypoint is None or isinstance(entrypoint, str)) or not (caller is None or isinstance(caller, str)):
        return False
    return props is None or isinstance(props, dict)


def _carried(state: Any) -> bool:
    """Whether ``state`` is the chain, limit and source :mod:`~pyworker.interop.remote` sends."""
    return (
        isinstance(state, list) and len(state) == 3 and isinstance(state[0], list)
        and all(isinstance(name, str) for name in state[0])
        and isinstance(state[1], int) and isinstance(state[2], str)
    )  # fmt: skip


async def _run(link: Link, ident: int, worker: str, target: Target | None, route: Route, args: Any,
               carried: limits.Carried | None, sides: tuple[Side, Side]) -> None:  # fmt: skip
    """Run one call through the worker's invocation frame and answer it."""
    token, budget = limits.resume(carried) if carried is not None else (None, None)
    start = budget.used if budget is not None else 0
    try:
        if target is None:
            raise BindingError(not_running_message(worker))
        if route.kind == FETCH:
            if not (isinstance(args, list) and len(args) == 1 and isinstance(args[0], Request)):
                raise BindingError("Another pyworker process sent a fetch without a request.")
            result: Any = await respond(target, route, args[0])
        else:
            result = await target.invoke(route, tuple(args), {})
    except (Exception, SystemExit) as exc:  # sys.exit() in a worker is its error, never the server's exit
        link.answer_error(ident, exc, budget.used - start if budget is not None else 0)
    else:
        link.answer(ident, result, budget.used - start if budget is not None else 0, sides)
    finally:
        link.serving.pop(ident, None)
        if token is not None:
            limits.leave(token)
