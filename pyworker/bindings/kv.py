"""KV namespaces (``kv_namespaces = [{ binding, id }]``): ``env.KV.get/getWithMetadata/put/delete/list``.

The API and its errors are Cloudflare's (workerd's ``KvNamespace`` with Miniflare's local
checks): limits give ``KV PUT failed: 413 Value length of ... exceeds limit of 26214400.``
and the like, raised as :class:`~pyworker.runtime.jsvalues.JsException` as they reach Python
code in production. As with ``wrangler dev``, the local namespace is ``id`` (else the binding
name); the data lives in SQLite (:mod:`pyworker.storage.kv`).
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from pyworker.bindings import declared
from pyworker.bindings.jsapi import (
    ReadableStream,
    arg,
    as_bytes,
    call_args,
    js_string,
    json_parse,
    json_stringify,
    kind_of,
    options,
)
from pyworker.bindings.kv_expiration import expiration_from as expiration_from
from pyworker.bindings.promises import promise
from pyworker.bindings.provider import BindingHost
from pyworker.config.model import WorkerConfig
from pyworker.errors import StateWriteError
from pyworker.runtime.jsvalues import JsDict, JsException
from pyworker.runtime.wrappers import _BindingWrapper
from pyworker.storage.kv import Entry, KvStore

KEY = "kv_namespaces"
EXAMPLE = '{ binding = "KV", id = "<namespace id>" }'

MAX_KEY = 512
MAX_VALUE = 25 * 1024 * 1024
MAX_METADATA = 1024
MAX_BULK_KEYS = 100
MIN_CACHE_TTL = 30
MAX_LIST = 1000
TYPES = ("text", "json", "arrayBuffer", "stream")
Values = list[Any]  # the JavaScript arguments of a call (the class below has a method named list)
PUT_TYPES = "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values."


def namespaces(config: WorkerConfig) -> list[tuple[str, str]]:
    """``(binding, local namespace id)`` for each entry: ``id``, else the binding name, as wrangler does."""
    found = []
    for entry in declared.entries(config, KEY, EXAMPLE):
        namespace_id = declared.text(config, KEY, entry, "id") or entry["binding"]
        declared.text(config, KEY, entry, "preview_id")
        found.append((entry["binding"], namespace_id))
    return found


def build(config: WorkerConfig, host: BindingHost) -> dict[str, Any]:
    pairs = namespaces(config)
    if not pairs:
        return {}
    storage = host.state()
    return {binding: KvNamespace(binding, KvStore(storage, namespace_id)) for binding, namespace_id in pairs}


def describe(config: WorkerConfig, host: BindingHost) -> list[str]:
    """``KV -> KV namespace abc (.wrangler/state/v3/kv/miniflare-KVNamespaceObject/....sqlite)``."""
    if host.storage is None:
        return []
    state = host.storage.state
    return [f"{b} -> KV namespace {i} ({state.display(state.kv(i))})" for b, i in namespaces(config)]


def _failed(method: str, status: int, message: str) -> JsException:
    return JsException("Error", f"KV {method} failed: {status} {message}")


async def _stored(method: str, write: Coroutine[Any, Any, None]) -> None:
    """A write that the state cannot take (disk full, read-only) fails as KV fails: ``KV PUT failed: 500 ...``."""
    try:
        await write
    except StateWriteError as exc:
        raise _failed(method, 500, str(exc)) from None


def check_key(method: str, key: str) -> None:
    """workerd's key checks, with its messages."""
    if key == "":
        raise JsException("TypeError", "Key name cannot be empty.")
    if key in (".", ".."):
        raise JsException("TypeError", f'"{key}" is not allowed as a key name.')
    size = len(key) if key.isascii() else len(key.encode())
    if size > MAX_KEY:
        raise _failed(method, 414, f"UTF-8 encoded length of {size} exceeds key length limit of {MAX_KEY}.")


def _get_options(value: Any) -> tuple[str | None, Any]:
    if isinstance(value, str):
        return value, None
    given = options(value, "get")
    kind = given.get("type")
    return (None if kind is None else js_string(kind)), given.get("cacheTtl")


def _check_cache_ttl(method: str, cache_ttl: Any) -> None:
    if cache_ttl is not None and (not isinstance(cache_ttl, int | float) or cache_ttl < MIN_CACHE_TTL):
        message = f"Invalid cache_ttl of {js_string(cache_ttl)}. Cache TTL must be at least {MIN_CACHE_TTL}."
        raise _failed(method, 400, message)


def _decode(data: bytes, kind: str) -> Any:
    if kind == "text":
        return data.decode("utf-8", errors="replace")
    if kind == "json":
        return json_parse(data.decode("utf-8", errors="replace"))
    if kind == "arrayBuffer":
        return memoryview(data)
    if kind == "stream":
        return ReadableStream(data)
    raise JsException(
        "TypeError", 'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".'
    )


def _metadata(entry: Entry | None) -> Any:
    return None if entry is None or entry.metadata is None else json_parse(entry.metadata)


class KvNamespace(_BindingWrapper):
    """``env.<BINDING>`` for a KV namespace. Every method returns an awaitable, as in production."""

    JS_NAME = "KvNamespace"
    __slots__ = ("_binding", "_store")

    def __init__(self, binding: str, store: KvStore) -> None:
        self._binding = binding
        self._store = store

    def __repr__(self) -> str:
        return f"<KV namespace binding {self._binding}>"

    # -- reads -----------------------------------------------------------------------
    @promise
    def get(self, *args: Any, **kwargs: Any) -> Any:
        """``get(key, "text" | "json" | "arrayBuffer" | "stream" | {type, cacheTtl})``; a list of keys gives a dict."""
        if len(args) == 1 and not kwargs and type(args[0]) is str:  # get(key): the hot path
            return self._get_text(args[0])
        return self._get(call_args(args, kwargs), with_metadata=False)

    async def _get_text(self, key: str) -> str | None:
        check_key("GET", key)
        entry = await self._store.get(key)
        return None if entry is None else entry.value.decode("utf-8", errors="replace")

    @promise
    def getWithMetadata(self, *args: Any, **kwargs: Any) -> Any:
        """``{value, metadata, cacheStatus}``; for a list of keys, a dict of those (or ``None``)."""
        return self._get(call_args(args, kwargs), with_metadata=True)

    async def _get(self, values: Values, with_metadata: bool) -> Any:
        key = arg(values, 0)
        kind, cache_ttl = _get_options(arg(values, 1))
        if isinstance(key, list):
            return await self._get_bulk([js_string(k) for k in key], kind, cache_ttl, with_metadata)
        key = js_string(key)
        check_key("GET", key)
        _check_cache_ttl("GET", cache_ttl)
        entry = await self._store.get(key)
        value = None if entry is None else _decode(entry.value, kind or "text")
        if not with_metadata:
            return value
        return JsDict(value=value, metadata=_metadata(entry), cacheStatus=None)

    async def _get_bulk(self, keys: list[str], kind: str | None, cache_ttl: Any, with_metadata: bool) -> Any:
        if kind not in (None, "text", "json"):
            raise _failed("GET_BULK", 400, f'"{kind}" is not a valid type. Use "json" or "text"')
        if len(keys) > MAX_BULK_KEYS:
            raise _failed("GET_BULK", 400, f"You can request a maximum of {MAX_BULK_KEYS} keys")
        if not keys:
            raise _failed("GET_BULK", 400, "You must request a minimum of 1 key")
        for key in keys:
            if key == "":
                raise _failed("GET_BULK", 400, "Key names must not be empty")
            size = len(key.encode())
            if size > MAX_KEY:
                raise _failed("GET_BULK", 414, f"UTF-8 encoded length of {size} exceeds key length limit of {MAX_KEY}.")
            _check_cache_ttl("GET_BULK", cache_ttl)
        found = await self._store.get_many(keys)
        if sum(len(entry.value) for entry in found.values() if entry is not None) > MAX_VALUE:
            raise _failed("GET_BULK", 413, "Total size of request exceeds the limit of 25MB")
        result = JsDict()
        for key, entry in found.items():
            try:
                value = None if entry is None else _decode(entry.value, kind or "text")
            except JsException:
                message = f"At least one of the requested keys corresponds to a non-{kind} value"
                raise _failed("GET_BULK", 400, message) from None
            if with_metadata and entry is not None:
                value = JsDict(value=value, metadata=_metadata(entry))
            result[key] = value
        return result

    @promise
    def list(self, *args: Any, **kwargs: Any) -> Any:
        """``{keys: [{name, expiration?, metadata?}], list_complete, cursor?, cacheStatus}`` in key order."""
        return self._list(call_args(args, kwargs))

    async def _list(self, values: Values) -> JsDict:
        given = options(arg(values, 0), "list")
        limit, prefix, cursor = given.get("limit"), given.get("prefix"), given.get("cursor")
        if limit is not None:
            if not isinstance(limit, int | float) or limit < 1:
                raise _failed("LIST", 400, f"Invalid key_count_limit of {js_string(limit)}. "
                              "Please specify an integer greater than 0.")  # fmt: skip
            if limit > MAX_LIST:
                raise _failed("LIST", 400, f"Invalid key_count_limit of {js_string(limit)}. "
                              f"Please specify an integer less than {MAX_LIST}.")  # fmt: skip
        prefix = "" if prefix is None else js_string(prefix)
        if len(prefix.encode()) > MAX_KEY:
            size = len(prefix.encode())
            raise _failed("LIST", 414, f"UTF-8 encoded length of {size} exceeds key length limit of {MAX_KEY}.")
        try:
            keys, next_cursor = await self._store.list(
                prefix, int(limit or MAX_LIST), js_string(cursor) if cursor else None
            )
        except ValueError as exc:  # a cursor this namespace did not give
            raise _failed("LIST", 400, str(exc)) from None
        listed = []
        for key in keys:
            item = JsDict(name=key.name)
            if key.expiration is not None:
                item["expiration"] = key.expiration
            if key.metadata is not None:
                item["metadata"] = json_parse(key.metadata)
            listed.append(item)
        result = JsDict(keys=listed, list_complete=next_cursor is None)
        if next_cursor is not None:
            result["cursor"] = next_cursor
        result["cacheStatus"] = None
        return result

    # -- writes ----------------------------------------------------------------------
    @promise
    def put(self, *args: Any, **kwargs: Any) -> Any:
        """``put(key, value, {expiration, expirationTtl, metadata})``; ``value`` a str, bytes or stream."""
        return self._put(call_args(args, kwargs))

    async def _put(self, values: Values) -> None:
        key = js_string(arg(values, 0))
        check_key("PUT", key)
        given = options(arg(values, 2), "put")
        data = await self._value(key, arg(values, 1))
        expiration = expiration_from(given)
        metadata = given.get("metadata")
        text = None if metadata is None else json_stringify(metadata)
        if text is not None and len(text.encode()) > MAX_METADATA:
            raise _failed("PUT", 413, f"Metadata length of {len(text.encode())} exceeds limit of {MAX_METADATA}.")
        if len(data) > MAX_VALUE:
            raise _failed("PUT", 413, f"Value length of {len(data)} exceeds limit of {MAX_VALUE}.")
        await _stored("PUT", self._store.put(key, data, expiration, text))

    async def _value(self, key: str, value: Any) -> bytes:
        if isinstance(value, str):
            return value.encode()
        data = as_bytes(value)
        if data is not None:
            return data
        if isinstance(value, ReadableStream):
            return await value.read_all()
        if value is None or isinstance(value, bool | int | float):
            return js_string(value).encode()  # JavaScript turns a number (or null) into its string
        raise JsException(
            "TypeError",
            f"{PUT_TYPES} env.{self._binding}.put({key!r}, ...) got a {kind_of(value)}: "
            "pass a str or bytes (json.dumps() a dict or list first).",
        )

    @promise
    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return self._delete(call_args(args, kwargs))

    async def _delete(self, values: Values) -> None:
        key = js_string(arg(values, 0))
        check_key("DELETE", key)
        await _stored("DELETE", self._store.delete(key))
