"""``self.ctx`` of a Durable Object: ``id``, ``storage``, ``blockConcurrencyWhile``, ``waitUntil``, ``abort``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from pyworker.bindings.durable_objects.ids import DurableObjectId
from pyworker.bindings.durable_objects.sockets import Sockets
from pyworker.bindings.durable_objects.storage import DurableObjectStorage
from pyworker.runtime.entrypoint import DurableObjectAbort, DurableObjectContext, current_context
from pyworker.runtime.jsvalues import JsException
from pyworker.storage.durable_objects import ObjectStore

DELETE_ALARM_DATE = "2026-02-24"  # from this compatibility date on, deleteAll() deletes the alarm too


class Slot(Protocol):
    """What a context asks of its object's lifecycle (:class:`~.instance.ObjectSlot`)."""

    label: str
    sockets: Sockets
    firing: float | None

    def block(self, callback: Callable[[], Any], state: DurableObjectState) -> asyncio.Future[Any]: ...

    def drop(self, state: DurableObjectState) -> None: ...

    def alarm_changed(self, millis: float | None) -> None: ...


class DurableObjectState(DurableObjectContext):
    """One instance's context. Once the instance is dropped (``abort()``, an error in
    ``blockConcurrencyWhile``), its storage refuses every call: the next call reaches a new instance.
    As the SDK's ``DurableObjectContext``, it takes attributes worker code sets on it."""

    def __init__(self, slot: Slot, object_id: DurableObjectId, store: ObjectStore, compatibility_date: str) -> None:
        self._slot = slot
        self.id = object_id
        self.store = store
        self.alive = True
        self.deletes_alarm = compatibility_date >= DELETE_ALARM_DATE
        self.storage = DurableObjectStorage(self)

    # -- what the storage API asks of its owner ------------------------------------------
    def check(self) -> None:
        if not self.alive:
            raise JsException(
                "Error",
                f"Durable Object {self._slot.label} was reset (ctx.abort() or an error in blockConcurrencyWhile()); "
                "this instance's storage is closed. Make a new call through the namespace to reach a new instance.",
            )

    def alarm_changed(self, millis: float | None) -> None:
        self._slot.alarm_changed(millis)

    def firing(self) -> float | None:
        return self._slot.firing

    # -- the context API -------------------------------------------------------------------
    def blockConcurrencyWhile(self, callback: Callable[[], Any]) -> asyncio.Future[Any]:
        """Run ``callback`` now; no other call enters the object until it ends. Returns its result (awaitable)."""
        return self._slot.block(callback, self)

    def waitUntil(self, awaitable: Any) -> None:
        ctx = current_context.get()
        if ctx is None:
            raise JsException("Error", "waitUntil() can only be called while the Durable Object handles a call.")
        ctx.wait_until(awaitable)

    wait_until = waitUntil

    def abort(self, reason: str | None = None) -> None:
        """The SDK's ``abort``: drop this instance; raise ``DurableObjectAbort`` so no ``except Exception`` stops it."""
        self._slot.drop(self)
        raise DurableObjectAbort(reason or "Durable Object abort requested")

    # -- WebSocket hibernation ---------------------------------------------------------------
    def acceptWebSocket(self, ws: Any, tags: Any = None) -> None:
        self._slot.sockets.accept(ws, tags)

    def getWebSockets(self, tag: Any = None) -> list[Any]:
        return self._slot.sockets.get(tag)

    def getTags(self, ws: Any) -> list[str]:
        return self._slot.sockets.tags(ws)

    def setWebSocketAutoResponse(self, pair: Any = None) -> None:
        self._slot.sockets.auto = pair

    def getWebSocketAutoResponse(self) -> Any:
        return self._slot.sockets.auto

    def getWebSocketAutoResponseTimestamp(self, ws: Any) -> Any:
        return self._slot.sockets.answered_at(ws)

    def __repr__(self) -> str:
        return f"DurableObjectState({self.id})"
