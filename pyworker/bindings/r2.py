"""R2 buckets (``r2_buckets = [{ binding, bucket_name }]``): ``env.BUCKET.put/get/head/delete/list`` and
multipart uploads, with workerd's checks and R2's errors (``put: Your metadata headers exceed the
maximum allowed metadata size. (10012)``). As with ``wrangler dev`` the local bucket is
``bucket_name`` (else the binding name); the data lives in :mod:`pyworker.storage.r2`.
"""

from __future__ import annotations

import datetime
from typing import Any

from pyworker.bindings import declared
from pyworker.bindings.jsapi import ReadableStream, arg, as_bytes, call_args, js_string, kind_of, options
from pyworker.bindings.promises import promise
from pyworker.bindings.provider import BindingHost
from pyworker.bindings.r2_conditions import byte_range, condition_holds
from pyworker.bindings.r2_objects import ALGORITHMS, HTTP_FIELDS, R2Object, R2ObjectBody, digest, r2_error
from pyworker.bindings.r2_upload import R2MultipartUpload
from pyworker.bindings.results import binding_result
from pyworker.config.model import WorkerConfig
from pyworker.errors import StateWriteError
from pyworker.runtime.jsvalues import JsDict, JsException
from pyworker.runtime.wrappers import _BindingWrapper
from pyworker.storage import r2_multipart
from pyworker.storage.r2 import R2Store, new_object

KEY = "r2_buckets"
EXAMPLE = '{ binding = "BUCKET", bucket_name = "my-bucket" }'
MAX_KEY = 1024
MAX_CUSTOM_METADATA = 2048
MAX_LIST = 1000
Values = list[Any]  # the JavaScript arguments of a call (R2Bucket has a method named list)
Keys = list[str]


def buckets(config: WorkerConfig) -> list[tuple[str, str]]:
    """``(binding, local bucket name)`` for each entry: ``bucket_name``, else the binding name, as wrangler does."""
    found = []
    for entry in declared.entries(config, KEY, EXAMPLE):
        declared.text(config, KEY, entry, "preview_bucket_name")
        found.append((entry["binding"], declared.text(config, KEY, entry, "bucket_name") or entry["binding"]))
    return found


def build(config: WorkerConfig, host: BindingHost) -> dict[str, Any]:
    pairs = buckets(config)
    if not pairs:
        return {}
    storage = host.state()
    return {binding: R2Bucket(binding, R2Store(storage, bucket)) for binding, bucket in pairs}


def describe(config: WorkerConfig, host: BindingHost) -> list[str]:
    """``BUCKET -> R2 bucket my-bucket (.wrangler/state/v3/r2/miniflare-R2BucketObject/....sqlite)``."""
    if host.storage is None:
        return []
    state = host.storage.state
    return [f"{b} -> R2 bucket {name} ({state.display(state.r2(name))})" for b, name in buckets(config)]


def check_key(action: str, key: str) -> None:
    if (len(key) if key.isascii() else len(key.encode())) > MAX_KEY:
        raise r2_error(action, "The specified object name is not valid.", 10020)


def _serialised_length(text: str) -> int:
    return len(text) * 2 if any(ord(char) >= 256 for char in text) else len(text)


def http_metadata(value: Any) -> dict[str, Any]:
    """``httpMetadata`` given as a dict (``contentType``...) or as ``Headers``; stored with ``cacheExpiry`` in ms."""
    if value is None:
        return {}
    if isinstance(value, dict):
        fields: dict[str, Any] = {name: js_string(value[name]) for name in HTTP_FIELDS if value.get(name) is not None}
        expiry = value.get("cacheExpiry")
        if isinstance(expiry, datetime.datetime):
            fields["cacheExpiry"] = int(expiry.timestamp() * 1000)
        return fields
    return {name: value.get(header) for name, header in HTTP_FIELDS.items() if value.get(header) is not None}


def custom_metadata(action: str, value: Any) -> dict[str, str]:
    fields = {js_string(k): js_string(v) for k, v in (options(value, action) or {}).items()}
    if sum(_serialised_length(k) + _serialised_length(v) for k, v in fields.items()) > MAX_CUSTOM_METADATA:
        raise r2_error(action, "Your metadata headers exceed the maximum allowed metadata size.", 10012)
    return fields


def _checksums(given: dict[str, Any], data: bytes) -> dict[str, str]:
    """The one checksum ``put`` was given, checked against ``data`` (R2's BadDigest when it differs)."""
    named = [name for name in ALGORITHMS if given.get(name) is not None]
    if len(named) > 1:
        raise JsException("TypeError", "You cannot specify multiple hashing algorithms.")
    if not named:
        return {}
    name, label = named[0], ALGORITHMS[named[0]]
    size = {"md5": 16, "sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64}[name]
    value = given[name]
    raw = as_bytes(value)
    if raw is None:
        text = js_string(value)
        if len(text) != size * 2:
            raise JsException("TypeError", f"{label} is {size * 2} hex characters, not {len(text)}")
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise JsException("TypeError", f"Provided {label} wasn't a valid hex string") from None
    elif len(raw) != size:
        raise JsException("TypeError", f"{label} is {size} bytes, not {len(raw)}")
    actual = digest(name, data)
    if raw.hex() != actual:
        raise r2_error(
            "put",
            f"The {label} checksum you specified did not match what we received.\n"
            f"You provided a {label} checksum with value: {raw.hex()}\nActual {label} was: {actual}",
            10037,
        )
    return {name: actual}


class R2Bucket(_BindingWrapper):
    """``env.<BINDING>`` for an R2 bucket. Every method but ``resumeMultipartUpload`` returns an awaitable."""

    JS_NAME = "R2Bucket"
    __slots__ = ("_binding", "_store")

    def __init__(self, binding: str, store: R2Store) -> None:
        self._binding = binding
        self._store = store

    def __repr__(self) -> str:
        return f"<R2 bucket binding {self._binding}>"

    async def _value(self, key: str, value: Any) -> bytes:
        if isinstance(value, str):
            return value.encode()
        data = as_bytes(value)
        if data is not None:
            return data
        if value is None:
            return b""
        if isinstance(value, ReadableStream):
            return await value.read_all()
        raise JsException(
            "TypeError",
            "Failed to execute 'put' on 'R2Bucket': parameter 2 is not of type 'ReadableStream or ArrayBuffer or "
            f"ArrayBufferView or string or Blob'. env.{self._binding}.put({key!r}, ...) got a {kind_of(value)}: "
            "pass a str or bytes.",
        )

    @promise
    def put(self, *args: Any, **kwargs: Any) -> Any:
        """``put(key, value, {httpMetadata, customMetadata, md5, sha1..., onlyIf})`` → ``R2Object`` or ``None``."""
        return self._put(call_args(args, kwargs))

    async def _put(self, values: Values) -> R2Object | None:
        key = js_string(arg(values, 0))
        given = options(arg(values, 2), "put")
        data = await self._value(key, arg(values, 1))
        check_key("put", key)
        obj = new_object(key, data, http_metadata(given.get("httpMetadata")),
                         custom_metadata("put", given.get("customMetadata")), _checksums(given, data))  # fmt: skip
        only_if = given.get("onlyIf")
        condition = None if only_if is None else (lambda existing: condition_holds(only_if, existing))
        try:
            stored = await self._store.put(obj, data, condition)
        except StateWriteError as exc:
            raise r2_error("put", str(exc), 10001) from None
        return None if stored is None else R2Object(stored)

    @promise
    def head(self, *args: Any, **kwargs: Any) -> Any:
        return self._head(js_string(arg(call_args(args, kwargs), 0)))

    async def _head(self, key: str) -> R2Object | None:
        check_key("head", key)
        stored = await self._store.head(key)
        return None if stored is None else R2Object(stored)

    @promise
    def get(self, *args: Any, **kwargs: Any) -> Any:
        """``get(key, {range, onlyIf})`` → ``R2ObjectBody``, an ``R2Object`` when ``onlyIf`` fails, or ``None``."""
        if len(args) == 1 and not kwargs and type(args[0]) is str:  # get(key): the hot path
            return self._get(list(args))
        return self._get(call_args(args, kwargs))

    async def _get(self, values: Values) -> R2Object | None:
        key = js_string(arg(values, 0))
        given = options(arg(values, 1), "get")
        check_key("get", key)
        requested = given.get("range")
        found = await self._store.get(key)
        if found is None:
            return None
        stored, whole = found
        if given.get("onlyIf") is not None and not condition_holds(given["onlyIf"], stored):
            return R2Object(stored)
        start, length = byte_range(requested, stored.size)
        data = whole[start : start + length] if whole is not None else await self._store.read(stored, start, length)
        shown = None if requested is None else JsDict(offset=start, length=length)
        return R2ObjectBody(stored, data, shown)

    @promise
    def delete(self, *args: Any, **kwargs: Any) -> Any:
        keys = arg(call_args(args, kwargs), 0)
        return self._delete([js_string(k) for k in keys] if isinstance(keys, list) else [js_string(keys)])

    async def _delete(self, keys: Keys) -> None:
        for key in keys:
            check_key("delete", key)
        try:
            await self._store.delete(keys)
        except StateWriteError as exc:
            raise r2_error("delete", str(exc), 10001) from None

    @promise
    def list(self, *args: Any, **kwargs: Any) -> Any:
        """``{objects, truncated, cursor?, delimitedPrefixes}`` for ``{prefix, limit, cursor, delimiter, include}``."""
        return self._list(options(arg(call_args(args, kwargs), 0), "list"))

    async def _list(self, given: dict[str, Any]) -> Any:
        limit = given.get("limit", MAX_LIST)
        if not isinstance(limit, int | float) or not 1 <= limit <= MAX_LIST:
            raise r2_error("list", "MaxKeys params must be positive integer <= 1000.", 10022)
        include = []
        for name in given.get("include") or []:
            if name not in ("httpMetadata", "customMetadata"):
                raise JsException("RangeError", f"Unsupported include value {name}")
            include.append("http" if name == "httpMetadata" else "custom")
        text = {name: None if given.get(name) is None else js_string(given[name])
                for name in ("prefix", "cursor", "delimiter", "startAfter")}  # fmt: skip
        objects, prefixes, cursor = await self._store.list(
            text["prefix"] or "", int(limit), text["cursor"], text["delimiter"], text["startAfter"]
        )
        result = JsDict(objects=[R2Object(obj, None, tuple(include)) for obj in objects], truncated=cursor is not None)
        if cursor is not None:
            result["cursor"] = cursor
        result["delimitedPrefixes"] = prefixes
        return binding_result(result)  # the objects are nested: JsProxy objects, not wrapped again

    @promise
    def createMultipartUpload(self, *args: Any, **kwargs: Any) -> Any:
        return self._create_upload(call_args(args, kwargs))

    async def _create_upload(self, values: Values) -> R2MultipartUpload:
        key = js_string(arg(values, 0))
        given = options(arg(values, 1), "createMultipartUpload")
        check_key("createMultipartUpload", key)
        http = http_metadata(given.get("httpMetadata"))
        custom = custom_metadata("createMultipartUpload", given.get("customMetadata"))
        try:
            upload_id = await r2_multipart.create(self._store, key, http, custom)
        except StateWriteError as exc:
            raise r2_error("createMultipartUpload", str(exc), 10001) from None
        return R2MultipartUpload(self._store, key, upload_id)

    def resumeMultipartUpload(self, key: Any, upload_id: Any) -> R2MultipartUpload:
        return R2MultipartUpload(self._store, js_string(key), js_string(upload_id))
