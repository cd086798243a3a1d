"""The lifecycle of one Durable Object: its instance, built on first use and kept, and its input gate.

An :class:`ObjectSlot` exists per id for the life of the dev server. Every call into the object
(RPC, ``fetch``, ``alarm``, WebSocket events) is an invocation of its worker's frame
(:meth:`pyworker.worker.Worker.invoke`) with the slot as the route's ``actor``: the frame calls
:meth:`ObjectSlot.run`, which waits while ``blockConcurrencyWhile`` holds the object, builds the
instance with ``(ctx, env)`` when there is none or when the worker's code was reloaded (a new
instance on the new code, from the same storage), and calls the handler on it. Storage calls
complete without yielding to the event loop, so calls interleave only where the code awaits
other I/O, which is Cloudflare's input gate.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from types import CoroutineType
from typing import Any

from pyworker.bindings.durable_objects.ids import DurableObjectId
from pyworker.bindings.durable_objects.sockets import Sockets
from pyworker.bindings.durable_objects.state import DurableObjectState
from pyworker.runtime.entrypoint import DurableObjectAbort
from pyworker.runtime.jsvalues import JsException
from pyworker.storage.durable_objects import ObjectStore
from pyworker.types import Route


class ObjectSlot:
    """One object id of one class: ``absent`` → ``live`` (instance built) → ``absent`` again after an abort."""

    def __init__(
        self,
        script: str,
        class_name: str,
        object_id: DurableObjectId,
        store: ObjectStore,
        alarms: Callable[[ObjectSlot, float | None], None],
        deliver: Callable[[ObjectSlot, str, tuple[Any, ...]], None],
    ) -> None:
        self.script = script
        self.class_name = class_name
        self.id = object_id
        self.store = store
        self.label = f"{class_name} {object_id} (worker {script})"
        self.compatibility_date = ""
        self.firing: float | None = None  # the time of the alarm whose alarm() runs now
        self.instance: Any = None
        self.state: DurableObjectState | None = None
        self._code: Any = None
        self._blocked = 0
        self._opened: asyncio.Future[None] | None = None
        self._alarms = alarms
        self.sockets = Sockets(lambda handler, args: deliver(self, handler, args))
        self.routes: dict[tuple[str, str, str | None], Route] = {}  # (kind, method, caller): made once

    async def run(self, handler: Any, code: Any, env: Any, args: tuple[Any, ...]) -> Any:
        if self._opened is not None:
            await self._gate()
        instance = self.instance
        if instance is None or self._code is not code:
            instance = self._construct(handler.cls, code, env)
            await self._gate()  # the constructor may have started blockConcurrencyWhile()
        try:
            result = handler.call_on(instance, args)
            if type(result) is CoroutineType or inspect.isawaitable(result):
                result = await result
        except DurableObjectAbort as exc:
            self.drop_instance(instance)
            raise JsException("Error", str(exc)) from None
        return result

    def _construct(self, cls: type, code: Any, env: Any) -> Any:
        state = DurableObjectState(self, self.id, self.store, self.compatibility_date)
        self.state, self._code = state, code
        self.instance = None
        try:
            self.instance = cls(state, env)
        except BaseException:
            state.alive = False
            self.state = None
            raise
        return self.instance

    async def _gate(self) -> None:
        while self._opened is not None:
            await asyncio.shield(self._opened)

    def block(self, callback: Callable[[], Any], state: DurableObjectState) -> asyncio.Future[Any]:
        """``blockConcurrencyWhile``: starts ``callback`` now and holds new calls until it ends."""
        if self._opened is None:
            self._opened = asyncio.get_running_loop().create_future()
        self._blocked += 1
        return asyncio.ensure_future(self._hold(callback, state))

    async def _hold(self, callback: Callable[[], Any], state: DurableObjectState) -> Any:
        try:
            result = callback()
            if inspect.isawaitable(result):
                result = await result
            return result
        except BaseException:
            self.drop(state)  # as on Cloudflare: an error here resets the object
            raise
        finally:
            self._blocked -= 1
            if not self._blocked and self._opened is not None:
                self._opened.set_result(None)
                self._opened = None

    def drop(self, state: DurableObjectState) -> None:
        """Forget the instance ``state`` belongs to (``ctx.abort()``); its storage closes."""
        state.alive = False
        if self.state is state:
            self.instance, self.state, self._code = None, None, None

    def drop_instance(self, instance: Any) -> None:
        if self.instance is instance and self.state is not None:
            self.drop(self.state)

    def alarm_changed(self, millis: float | None) -> None:
        self._alarms(self, millis)

    def __repr__(self) -> str:
        return f"<Durable Object {self.label}>"
