"""``ctx.storage``: a Durable Object's key-value API (async and ``ctx.storage.kv``), transactions and alarm.

Each call runs on the object's own SQLite file at once (:mod:`pyworker.storage.durable_objects`)
and the async methods return an already-settled future: so awaiting storage never lets another
event into the object, which is what Cloudflare's input gates guarantee, and a ``put`` written
without ``await`` is still made. Values are copied with the structured clone's rules
(:mod:`pyworker.bindings.values`) and read back as the SDK delivers them (:mod:`.adapter`).
"""

from __future__ import annotations

import asyncio
import datetime
import inspect
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from pyworker.bindings.durable_objects.adapter import JsObject, js_result
from pyworker.bindings.durable_objects.sql import SqlStorage
from pyworker.bindings.jsapi import arg, call_args, js_string, options
from pyworker.bindings.values import stored_copy
from pyworker.runtime.jsvalues import JsDict, JsException
from pyworker.storage.durable_objects import ListOptions, ObjectStore
from pyworker.storage.structured import decode, encode

MAX_KEYS = 128
Values = list[Any]  # a call's JavaScript arguments (the class below has a method named list)


class Owner(Protocol):
    """What the storage API needs of its object: the store, a check that it still lives, the alarm timer."""

    store: ObjectStore
    deletes_alarm: bool  # deleteAll() deletes the alarm too (compatibility date 2026-02-24 or later)

    def check(self) -> None: ...

    def alarm_changed(self, millis: float | None) -> None: ...

    def firing(self) -> float | None:
        """The time of the alarm whose ``alarm()`` runs now, if one does."""
        ...


def settled(job: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
    """Run ``job`` now; its result (or error) as a done future, as a promise the storage resolved."""
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    try:
        future.set_result(job(*args))
    except Exception as exc:
        future.set_exception(exc)
    return future


def stored(key: str, value: Any) -> bytes:
    where = f'the value put under "{key}"'
    copied = stored_copy(value, where)
    try:
        return encode(copied)
    except TypeError as exc:
        raise JsException("DataCloneError", f"DataCloneError: {where} could not be cloned: {exc}.") from None


class SyncKv(JsObject):
    """``ctx.storage.kv``: ``get``, ``put``, ``delete`` and ``list`` on the same pairs, synchronously."""

    __slots__ = ("_owner",)
    JS_NAME = "SyncKvStorage"

    def __init__(self, owner: Owner) -> None:
        self._owner = owner

    def get(self, key: Any) -> Any:
        self._owner.check()
        name = js_string(key)
        data = self._owner.store.get(name)
        return None if data is None else js_result(decode(data, f'Durable Object key "{name}"'))

    def put(self, key: Any, value: Any) -> None:
        self._owner.check()
        name = js_string(key)
        self._owner.store.put_many([(name, stored(name, value))])

    def delete(self, key: Any) -> bool:
        self._owner.check()
        return self._owner.store.delete_many([js_string(key)]) > 0

    def list(self, *args: Any, **kwargs: Any) -> Iterator[list[Any]]:
        self._owner.check()
        pairs = _list(self._owner.store, options(arg(call_args(args, kwargs), 0), "list"))
        return iter([[key, value] for key, value in pairs.items()])


class DurableObjectStorage(JsObject):
    """``ctx.storage``; the names are JavaScript's (``deleteAll``, ``getAlarm``...), as the SDK exposes them."""

    __slots__ = ("_kv", "_owner", "_sql")
    JS_NAME = "DurableObjectStorage"

    def __init__(self, owner: Owner) -> None:
        self._owner = owner
        self._sql: SqlStorage | None = None
        self._kv: SyncKv | None = None

    @property
    def sql(self) -> SqlStorage:
        if self._sql is None:
            self._sql = SqlStorage(self._owner)
        return self._sql

    @property
    def kv(self) -> SyncKv:
        if self._kv is None:
            self._kv = SyncKv(self._owner)
        return self._kv

    def get(self, keys: Any, *rest: Any, **kwargs: Any) -> asyncio.Future[Any]:
        return settled(self._get, keys)

    def _get(self, keys: Any) -> Any:
        self._owner.check()
        if not isinstance(keys, list):
            return self.kv.get(keys)
        names = _keys(keys)
        found = self._owner.store.get_many(names)
        return JsDict({k: js_result(decode(found[k], f'Durable Object key "{k}"')) for k in names if k in found})

    def put(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
        return settled(self._put, call_args(args, kwargs))

    def _put(self, values: Values) -> None:
        self._owner.check()
        first = arg(values, 0)
        if isinstance(first, dict):
            entries = [(js_string(key), stored(js_string(key), value)) for key, value in first.items()]
            if len(entries) > MAX_KEYS:
                raise JsException("RangeError", f"put() supports up to {MAX_KEYS} entries at a time.")
        elif len(values) < 2:
            raise JsException("TypeError", "put() takes a key and a value, or an object of entries.")
        else:
            entries = [(js_string(first), stored(js_string(first), values[1]))]
        self._owner.store.put_many(entries)

    def delete(self, keys: Any, *rest: Any, **kwargs: Any) -> asyncio.Future[Any]:
        return settled(self._delete, keys)

    def _delete(self, keys: Any) -> bool | int:
        self._owner.check()
        if isinstance(keys, list):
            return self._owner.store.delete_many(_keys(keys))
        return self._owner.store.delete_many([js_string(keys)]) > 0

    def deleteAll(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
        return settled(self._delete_all)

    def _delete_all(self) -> None:
        self._owner.check()
        self._owner.store.delete_all(alarm=self._owner.deletes_alarm)
        if self._owner.deletes_alarm:
            self._owner.alarm_changed(None)

    def list(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
        return settled(self._list, call_args(args, kwargs))

    def _list(self, values: Values) -> JsDict:
        self._owner.check()
        return _list(self._owner.store, options(arg(values, 0), "list"))

    def transactionSync(self, closure: Callable[[], Any]) -> Any:
        self._owner.check()
        with self._owner.store.atomic():
            return closure()

    async def transaction(self, closure: Callable[[Any], Any]) -> Any:
        self._owner.check()
        with self._owner.store.atomic() as atomic:
            result = closure(Transaction(self, atomic))
            if inspect.isawaitable(result):
                result = await result
        return result

    def sync(self) -> asyncio.Future[Any]:
        return settled(self._owner.check)

    def getAlarm(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
        def read() -> Any:
            self._owner.check()
            millis = self._owner.store.alarm()
            if millis is None or millis == self._owner.firing():  # the alarm running now is no longer set
                return None
            return js_result(millis)

        return settled(read)

    def setAlarm(self, when: Any, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
        return settled(self._set_alarm, when)

    def _set_alarm(self, when: Any) -> None:
        self._owner.check()
        if isinstance(when, datetime.datetime):
            millis = float(int(when.timestamp() * 1000))
        elif isinstance(when, int | float) and not isinstance(when, bool):
            millis = float(int(when))
        else:
            raise JsException("TypeError", f"setAlarm() takes a datetime or epoch milliseconds, got {when!r}.")
        self._owner.store.set_alarm(millis)
        self._owner.alarm_changed(millis)

    def deleteAlarm(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
        def delete() -> None:
            self._owner.check()
            self._owner.store.set_alarm(None)
            self._owner.alarm_changed(None)

        return settled(delete)


class Transaction(JsObject):
    """The ``txn`` a ``transaction()`` closure gets: the storage's methods, and ``rollback()``."""

    __slots__ = ("_atomic", "_storage")
    JS_NAME = "DurableObjectTransaction"

    def __init__(self, storage: DurableObjectStorage, atomic: Any) -> None:
        self._storage = storage
        self._atomic = atomic

    def rollback(self) -> None:
        self._atomic.rollback()

    def __getattr__(self, name: str) -> Any:
        if name in ("get", "put", "delete", "list", "getAlarm", "setAlarm", "deleteAlarm"):
            return getattr(self._storage, name)
        raise AttributeError(name)


def _keys(keys: list[Any]) -> list[str]:
    if len(keys) > MAX_KEYS:
        raise JsException("RangeError", f"Maximum number of keys is {MAX_KEYS}. You passed {len(keys)}.")
    return [js_string(key) for key in keys]


def _list(store: ObjectStore, given: dict[str, Any]) -> JsDict:
    limit = given.get("limit")
    if limit is not None and (not isinstance(limit, int | float) or isinstance(limit, bool) or limit < 1):
        raise JsException("TypeError", f"List limit must be a positive integer, got {limit!r}.")
    chosen = ListOptions(
        prefix=_text(given.get("prefix")),
        start=_text(given.get("start")),
        start_after=_text(given.get("startAfter")),
        end=_text(given.get("end")),
        limit=None if limit is None else int(limit),
        reverse=bool(given.get("reverse")),
    )
    return JsDict({key: js_result(decode(data, f'Durable Object key "{key}"')) for key, data in store.list(chosen)})


def _text(value: Any) -> str | None:
    return None if value is None else js_string(value)
