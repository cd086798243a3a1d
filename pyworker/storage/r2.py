"""An R2 bucket in Miniflare's layout, so ``wrangler dev`` and ``pyworker dev`` share it.

Keys and metadata are rows of ``_mf_objects`` in ``r2/miniflare-R2BucketObject/<object id>.sqlite``;
each value is a file in ``r2/<bucket>/blobs/`` (a multipart object's value is its parts' files,
in ``_mf_multipart_parts``), written before its row and removed after it. Keys are opaque
strings: they are only ever SQL values, so ``../../etc/passwd``, absolute
paths, NUL bytes and 1024-byte keys are stored like any other. Checks and messages are the
binding's business (:mod:`pyworker.bindings.r2`); this module keeps the data for the binding
and for ``pyworker r2 object`` alike.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyworker.errors import StorageError
from pyworker.storage import migrate
from pyworker.storage.blobs import BlobStore, MissingBlob
from pyworker.storage.host import Storage
from pyworker.storage.miniflare import R2_SCHEMA
from pyworker.storage.sqlite import Database, first_row

_HEX = re.compile(r"[0-9a-f]+")

INLINE_READ = 1024 * 1024  # larger values are read and written on the database's thread
_COLUMNS = "key, version, size, etag, uploaded, http_metadata, custom_metadata, checksums, blob_id"
_FIND = f"SELECT {_COLUMNS} FROM _mf_objects WHERE key = ?"  # one text: sqlite3 keeps it prepared
_PARTS = "SELECT blob_id, size FROM _mf_multipart_parts WHERE object_key = ? ORDER BY part_number"
Condition = Callable[["StoredObject | None"], bool]
Part = tuple[str, int]  # a multipart object's part: its blob id and size


@dataclass(slots=True)
class StoredObject:
    """An object's metadata; a multipart object has no ``blob_id`` but ``parts``, read in order."""

    key: str
    version: str
    size: int
    etag: str
    uploaded: int  # milliseconds since the epoch
    http_metadata: dict[str, Any] = field(default_factory=dict)
    custom_metadata: dict[str, str] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)
    blob_id: str | None = None
    parts: list[Part] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> StoredObject:
        key, version, size, etag, uploaded, http, custom, checksums, blob_id = row
        sums = _loads(checksums)
        if len(etag) == 32 and _HEX.fullmatch(etag):  # Miniflare keeps a single upload's MD5 only as its etag
            sums["md5"] = etag
        return cls(key, version, size, etag, uploaded, _loads(http), _loads(custom), sums, blob_id)

    def row(self) -> tuple[Any, ...]:
        sums = {name: value for name, value in self.checksums.items() if name != "md5"}
        return (self.key, self.blob_id, self.version, self.size, self.etag, self.uploaded,
                _json(sums), _json(self.http_metadata), _json(self.custom_metadata))  # fmt: skip


def _loads(text: str) -> Any:
    """A metadata column's JSON; most are ``{}``, which needs no parser (a new dict: the caller may change it)."""
    return {} if text == "{}" else json.loads(text)


def _json(value: Any) -> str:
    """JSON as ``JSON.stringify`` writes it (compact, raw UTF-8), as Miniflare stores metadata."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _found(key: str, conn: sqlite3.Connection) -> StoredObject | None:
    return R2Store._find(conn, key)


def _schema(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA case_sensitive_like = TRUE")
    conn.executescript(R2_SCHEMA)


class UploadError(StorageError):
    """A multipart upload that cannot complete; ``code`` is R2's (10024 no such upload, 10025 invalid part...)."""

    def __init__(self, code: int) -> None:
        super().__init__(f"multipart upload failed ({code})")
        self.code = code


class R2Store:
    """Bucket ``bucket_name`` under the storage's state directory, in Miniflare's layout."""

    def __init__(self, storage: Storage, bucket_name: str) -> None:
        label = f'R2 bucket "{bucket_name}"'
        self.path = storage.state.r2(bucket_name)
        self.blobs = BlobStore(storage.state.blobs("r2", bucket_name), label)
        self.db: Database = storage.database(self.path, label, self._setup)
        migrate.r2(storage, bucket_name, self.db, self.blobs)

    def _setup(self, conn: sqlite3.Connection) -> None:
        """At opening: the schema, then files no object or part names (a crash's leftovers) go."""
        _schema(conn)
        named = {row[0] for row in conn.execute("SELECT blob_id FROM _mf_objects WHERE blob_id IS NOT NULL")}
        named.update(row[0] for row in conn.execute("SELECT blob_id FROM _mf_multipart_parts"))
        self.blobs.sweep(named)

    # -- reads -----------------------------------------------------------------------
    @staticmethod
    def _find(conn: sqlite3.Connection, key: str) -> StoredObject | None:
        row = first_row(conn.execute(_FIND, (key,)))
        if row is None:
            return None
        obj = StoredObject.from_row(row)
        if obj.blob_id is None:
            obj.parts = [(blob_id, size) for blob_id, size in conn.execute(_PARTS, (key,))]
        return obj

    async def head(self, key: str) -> StoredObject | None:
        if self.db.absent():
            return None
        return await self.db.run(_found, key)

    async def get(self, key: str, retried: bool = False) -> tuple[StoredObject, bytes | None] | None:
        """An object and, when it is small and in one file, its whole value (else ``None``: use :meth:`read`)."""
        obj = await self.head(key)
        if obj is None:
            return None
        if obj.blob_id is None or obj.size > INLINE_READ:
            return obj, None
        try:
            return obj, self.blobs.read(obj.blob_id, size=obj.size, key=key)
        except MissingBlob:
            if retried:
                raise
            return await self.get(key, retried=True)  # wrangler replaced or deleted the object since the row was read

    async def read(self, obj: StoredObject, start: int = 0, length: int | None = None) -> bytes:
        """``length`` bytes of ``obj``'s value from ``start`` (all of it by default), each file's size checked."""
        end = obj.size if length is None else min(obj.size, start + length)
        return await self.db.on_thread(lambda conn: self._read(obj, start, end))

    def _read(self, obj: StoredObject, start: int, end: int) -> bytes:
        if obj.blob_id is not None:
            return self.blobs.read(obj.blob_id, start, end - start, size=obj.size, key=obj.key)
        pieces, offset = [], 0
        for blob_id, size in obj.parts:
            if offset + size > start and offset < end:
                first = max(start - offset, 0)
                pieces.append(self.blobs.read(blob_id, first, min(end - offset, size) - first, size=size, key=obj.key))
            offset += size
        return b"".join(pieces)

    # -- writes ----------------------------------------------------------------------
    async def store_blob(self, data: bytes) -> str:
        """``data`` as a new file (inline when small); its blob id."""
        if len(data) <= INLINE_READ:
            return self.blobs.write([data])
        return await self.db.on_thread(lambda conn: self.blobs.write([data]))

    async def put(self, obj: StoredObject, data: bytes, condition: Condition | None = None) -> StoredObject | None:
        """Store ``data`` as ``obj`` (its key, etag, metadata...) unless ``condition`` refuses the object there now."""
        obj.blob_id = await self.store_blob(data)
        return await self._commit(obj, condition)

    async def _commit(self, obj: StoredObject, condition: Condition | None) -> StoredObject | None:
        row = obj.row()

        def job(conn: sqlite3.Connection) -> tuple[bool, list[str]]:
            # Without a condition, the statements need no transaction: another writer between them could at
            # worst leave an old file behind, never lose or mix data. With one, check and write are one.
            if condition is not None:
                conn.execute("BEGIN IMMEDIATE")
            existing = self._find(conn, obj.key)
            if condition is not None and not condition(existing):
                conn.execute("ROLLBACK")
                return False, []
            conn.execute(f"INSERT OR REPLACE INTO _mf_objects ({_ROW}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            old = [blob_id for blob_id in _old_files(conn, existing) if blob_id != obj.blob_id]  # a retried job
            if condition is not None:
                conn.execute("COMMIT")
            return True, old

        try:
            stored, old = await self.db.write(job)
        except BaseException:
            self.forget([obj.blob_id] if obj.blob_id else [])
            raise
        if not stored:
            self.forget([obj.blob_id] if obj.blob_id else [])
            return None
        self.forget(old)
        return obj

    def forget(self, blob_ids: list[str]) -> None:
        """Remove the files of rows that are gone: inline, as an unlink costs less than waking the thread."""
        for blob_id in blob_ids:
            self.blobs.delete(blob_id)

    async def delete(self, keys: list[str]) -> None:
        def job(conn: sqlite3.Connection) -> list[str]:
            conn.execute("BEGIN IMMEDIATE")
            old: list[str] = []
            for key in keys:
                existing = self._find(conn, key)
                conn.execute("DELETE FROM _mf_objects WHERE key = ?", (key,))
                old += _old_files(conn, existing)
            conn.execute("COMMIT")
            return old

        self.forget(await self.db.write(job))

    # -- listing ---------------------------------------------------------------------
    async def list(
        self, prefix: str, limit: int, cursor: str | None, delimiter: str | None, start_after: str | None
    ) -> tuple[list[StoredObject], list[str], str | None]:
        """Objects and delimited prefixes in key order, at most ``limit`` of both together; and the next cursor."""
        if self.db.absent():
            return [], [], None
        after, skipping = _decode_cursor(cursor) if cursor else (start_after or "", None)

        def job(conn: sqlite3.Connection) -> tuple[list[StoredObject], list[str], str | None]:
            skip = skipping
            objects: list[StoredObject] = []
            prefixes: list[str] = []
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM _mf_objects WHERE key > ? AND substr(key, 1, length(?)) = ? ORDER BY key",
                (after, prefix, prefix),
            )
            last: tuple[str, str | None] = ("", None)
            for row in rows:
                key: str = row[0]
                if skip is not None and key.startswith(skip):
                    continue
                rest = key[len(prefix) :]
                cut = rest.find(delimiter) if delimiter else -1
                if len(objects) + len(prefixes) == limit:
                    return objects, prefixes, _encode_cursor(*last)
                if cut >= 0:
                    skip = prefix + rest[: cut + len(delimiter or "")]
                    prefixes.append(skip)
                    last = (key, skip)
                else:
                    objects.append(StoredObject.from_row(row))
                    last = (key, None)
            return objects, prefixes, None

        return await self.db.run(job)


_ROW = "key, blob_id, version, size, etag, uploaded, checksums, http_metadata, custom_metadata"


def _old_files(conn: sqlite3.Connection, existing: StoredObject | None) -> list[str]:
    """The files of the object ``existing`` that a new row (or a delete) replaced; its parts' rows go too."""
    if existing is None:
        return []
    if existing.blob_id is not None:
        return [existing.blob_id]
    conn.execute("DELETE FROM _mf_multipart_parts WHERE object_key = ?", (existing.key,))
    return [blob_id for blob_id, _ in existing.parts]


def _encode_cursor(after: str, skip: str | None) -> str:
    return base64.urlsafe_b64encode(json.dumps([after, skip]).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[str, str | None]:
    try:
        after, skip = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return str(after), None if skip is None else str(skip)
    except (ValueError, TypeError):
        return "", None


def new_object(
    key: str, data: bytes, http: dict[str, Any], custom: dict[str, str], checksums: dict[str, str]
) -> StoredObject:
    """The metadata of a single-part upload of ``data``: its MD5 is its etag, and always among its checksums."""
    md5 = hashlib.md5(data).hexdigest()
    checksums = {**checksums, "md5": md5}  # stored as the etag, as Miniflare does
    return StoredObject(key, secrets.token_hex(16), len(data), md5, int(time.time() * 1000), http, custom, checksums)
