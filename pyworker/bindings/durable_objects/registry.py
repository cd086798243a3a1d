"""Every Durable Object one dev server has reached, by worker, class and id, and their alarms.

Created once per server (it lives on the :class:`~pyworker.bindings.provider.BindingHost`), so an
object keeps its instance across config reloads and reloads of other workers. Alarms are kept in
each object's own file; :meth:`Objects.start` finds the ones set before a restart and schedules
them, and an alarm whose time has passed fires at once, as on Cloudflare. An ``alarm()`` that
raises is retried with Cloudflare's backoff (2 s, then doubling) up to :data:`ALARM_RETRIES` times.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import Any

from pyworker.bindings.durable_objects import ids
from pyworker.bindings.durable_objects.ids import DurableObjectId
from pyworker.bindings.durable_objects.instance import ObjectSlot
from pyworker.printer import Printer
from pyworker.runtime.jsvalues import JsDict
from pyworker.storage.durable_objects import ObjectStore
from pyworker.storage.host import Storage
from pyworker.types import Directory, Route

ALARM_RETRIES = 6
FIRST_RETRY = 2.0  # seconds before the first retry; each next one waits twice as long


class Objects:
    """The server's Durable Objects. ``retry_delay`` is the first retry's delay (tests shorten it)."""

    def __init__(self, retry_delay: float = FIRST_RETRY) -> None:
        self._slots: dict[tuple[str, str, str], ObjectSlot] = {}
        self._classes: dict[tuple[str, str], tuple[Path, str]] = {}  # (worker, class) -> directory, compat date
        self._timers: dict[ObjectSlot, asyncio.TimerHandle] = {}
        self._firing: set[asyncio.Task[None]] = set()
        self._directory: Directory | None = None
        self._printer: Printer | None = None
        self.retry_delay = retry_delay
        self.started = False
        self._ran: list[asyncio.Future[None]] = []  # waiters for the next alarm to finish (tests, tools)

    def unique_key(self, script: str, class_name: str) -> str:
        return f"{script}-{class_name}"

    def declare(self, script: str, class_name: str, directory: Path, compatibility_date: str) -> None:
        """A class this server runs, stored in ``directory``."""
        self._classes[(script, class_name)] = (directory, compatibility_date)

    def wire(self, directory: Directory, printer: Printer, storage: Storage) -> None:
        """The server's directory, printer and storage (whose close closes every object's file too)."""
        if self._directory is None:
            storage.on_close(self.close)
        self._directory, self._printer = directory, printer

    def directory(self) -> Directory:
        assert self._directory is not None, "Objects.wire() comes first"
        return self._directory

    def slot(self, script: str, class_name: str, object_id: DurableObjectId) -> ObjectSlot:
        key = (script, class_name, str(object_id))
        found = self._slots.get(key)
        if found is None:
            folder, compat = self._classes.get((script, class_name), (Path(), ""))
            store = ObjectStore(folder / f"{object_id}.sqlite", f"Durable Object {class_name} {object_id}")
            found = self._slots[key] = ObjectSlot(
                script, class_name, object_id, store, self.alarm_changed, self._deliver
            )
            found.compatibility_date = compat
        elif object_id.name is not None and found.id.name is None:
            found.id = object_id  # reached by name after by string: the stub knows its name
        return found

    def _deliver(self, slot: ObjectSlot, handler: str, args: tuple[Any, ...]) -> None:
        """Start one invocation of ``handler`` (``webSocketMessage``...) on the object; the frame reports errors."""
        target = self._directory.get(slot.script) if self._directory is not None else None
        if target is None:
            return
        key = (handler, handler, None)
        route = slot.routes.get(key)
        if route is None:
            route = slot.routes[key] = Route(handler, handler, slot.class_name, actor=slot)
        task = asyncio.ensure_future(target.invoke(route, args, {}))
        self._firing.add(task)
        task.add_done_callback(_settled)
        task.add_done_callback(self._firing.discard)

    # -- alarms ---------------------------------------------------------------------------
    def start(self) -> None:
        """On the server's event loop: schedule the alarms stored before this start."""
        self.started = True
        for (script, class_name), (folder, _) in list(self._classes.items()):
            if not folder.is_dir():
                continue
            key = self.unique_key(script, class_name)
            for path in sorted(folder.glob("*.sqlite")):
                with contextlib.suppress(Exception):  # not an object's file: not ours to judge here
                    slot = self.slot(script, class_name, ids.from_string(key, path.stem))
                    millis = slot.store.alarm()
                    if millis is not None:
                        self.alarm_changed(slot, millis)

    def alarm_changed(self, slot: ObjectSlot, millis: float | None, retry: int = 0) -> None:
        timer = self._timers.pop(slot, None)
        if timer is not None:
            timer.cancel()
        if millis is None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, millis / 1000 - time.time())
        self._timers[slot] = loop.call_later(delay, self._fire, slot, millis, retry)

    def _fire(self, slot: ObjectSlot, millis: float, retry: int) -> None:
        self._timers.pop(slot, None)
        task = asyncio.ensure_future(self._run_alarm(slot, millis, retry))
        self._firing.add(task)
        task.add_done_callback(self._firing.discard)

    async def alarm_ran(self) -> None:
        """Wait until the next alarm run (a success or a failure) is over."""
        waiter = asyncio.get_running_loop().create_future()
        self._ran.append(waiter)
        await waiter

    async def _run_alarm(self, slot: ObjectSlot, millis: float, retry: int) -> None:
        try:
            await self._alarm(slot, millis, retry)
        finally:
            waiters, self._ran = self._ran, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    async def _alarm(self, slot: ObjectSlot, millis: float, retry: int) -> None:
        target = self._directory.get(slot.script) if self._directory is not None else None
        if target is None:
            return
        route = Route("alarm", "alarm", slot.class_name, actor=slot)
        slot.firing = millis
        try:
            await target.invoke(route, (JsDict(retryCount=retry, isRetry=retry > 0),), {})
        except Exception:  # reported by the frame; retried as on Cloudflare
            slot.firing = None
            if retry < ALARM_RETRIES and slot.store.alarm() == millis:
                delay = self.retry_delay * 2**retry
                self._timers[slot] = asyncio.get_running_loop().call_later(delay, self._fire, slot, millis, retry + 1)
            elif slot.store.alarm() == millis:
                slot.store.set_alarm(None)
            return
        slot.firing = None
        if slot.store.alarm() == millis and slot not in self._timers:
            slot.store.set_alarm(None)  # done, and not set again by the handler

    async def stop(self) -> None:
        """Cancel the timers (alarms stay stored for the next start); wait for alarms running now."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        if self._firing:
            await asyncio.gather(*self._firing, return_exceptions=True)

    def close(self) -> None:
        for slot in self._slots.values():
            slot.store.close()

    def __iter__(self) -> Any:
        return iter(list(self._slots.values()))


def _settled(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # reported by the frame (or no such handler: the object does not want the event)
