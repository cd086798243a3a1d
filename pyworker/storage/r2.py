"""An R2 bucket: keys and metadata in SQLite, values inline when small and in blob files when large.

Keys are opaque strings: they are only ever SQL values, so ``../../etc/passwd``, absolute
paths, NUL bytes and 1024-byte keys are stored like any other. Checks and messages are the
binding's business (:mod:`pyworker.bindings.r2`); this module keeps the data for the binding
and for ``pyworker r2 object`` alike.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyworker.errors import StorageError
from pyworker.storage.blobs import BlobStore
from pyworker.storage.host import Storage
from pyworker.storage.sqlite import Database

INLINE_MAX = 256 * 1024  # larger values go to blob files, written and read on the database's thread
_COLUMNS = "key, version, size, etag, uploaded, http_metadata, custom_metadata, checksums, blob_id"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS r2_objects (
    key TEXT PRIMARY KEY, version TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
    uploaded INTEGER NOT NULL, http_metadata TEXT NOT NULL, custom_metadata TEXT NOT NULL,
    checksums TEXT NOT NULL, value BLOB, blob_id TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS r2_uploads (
    upload_id TEXT PRIMARY KEY, key TEXT NOT NULL, http_metadata TEXT NOT NULL, custom_metadata TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS r2_parts (
    upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, etag TEXT NOT NULL, size INTEGER NOT NULL,
    value BLOB, blob_id TEXT, PRIMARY KEY (upload_id, part_number)
);
"""
Condition = Callable[["StoredObject | None"], bool]


def _schema(conn: sqlite3.Connection) -> None:
    conn.executescript(_SCHEMA)


@dataclass
class StoredObject:
    """An object's metadata (and its value when it is stored inline)."""

    key: str
    version: str
    size: int
    etag: str
    uploaded: int  # milliseconds since the epoch
    http_metadata: dict[str, Any] = field(default_factory=dict)
    custom_metadata: dict[str, str] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)
    blob_id: str | None = None

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> StoredObject:
        key, version, size, etag, uploaded, http, custom, checksums, blob_id = row
        return cls(
            key, version, size, etag, uploaded, json.loads(http), json.loads(custom), json.loads(checksums), blob_id
        )


class UploadError(StorageError):
    """A multipart upload that cannot complete; ``code`` is R2's (10024 no such upload, 10025 invalid part...)."""

    def __init__(self, code: int) -> None:
        super().__init__(f"multipart upload failed ({code})")
        self.code = code


class R2Store:
    """Bucket ``bucket_name`` under the storage's state directory."""

    def __init__(self, storage: Storage, bucket_name: str) -> None:
        self.directory = storage.state.r2(bucket_name)
        self.db: Database = storage.database(self.directory / "bucket.sqlite", f'R2 bucket "{bucket_name}"', _schema)
        self.blobs = BlobStore(self.directory / "blobs")

    # -- reads -----------------------------------------------------------------------
    async def head(self, key: str) -> StoredObject | None:
        def job(conn: sqlite3.Connection) -> StoredObject | None:
            row = conn.execute(f"SELECT {_COLUMNS} FROM r2_objects WHERE key = ?", (key,)).fetchone()
            return None if row is None else StoredObject.from_row(row)

        return await self.db.run(job)

    async def get(self, key: str) -> tuple[StoredObject, bytes | None] | None:
        """An object and, when it is stored inline, its whole value, in one read (``None`` for a blob)."""

        def job(conn: sqlite3.Connection) -> tuple[StoredObject, bytes | None] | None:
            row = conn.execute(f"SELECT {_COLUMNS}, value FROM r2_objects WHERE key = ?", (key,)).fetchone()
            if row is None:
                return None
            return StoredObject.from_row(row[:-1]), None if row[-2] is not None else bytes(row[-1] or b"")

        return await self.db.run(job)

    async def read(self, obj: StoredObject, start: int = 0, length: int | None = None) -> bytes:
        """``length`` bytes of ``obj``'s value from ``start`` (all of it by default)."""
        end = obj.size if length is None else start + length
        blob_id = obj.blob_id
        if blob_id is not None:
            return await self.db.on_thread(lambda conn: self.blobs.read(blob_id, start, end - start))

        def job(conn: sqlite3.Connection) -> bytes:
            row = conn.execute(
                "SELECT substr(value, ?, ?) FROM r2_objects WHERE key = ? AND version = ?",
                (start + 1, end - start, obj.key, obj.version),
            ).fetchone()
            return b"" if row is None or row[0] is None else bytes(row[0])

        return await self.db.run(job)

    # -- writes ----------------------------------------------------------------------
    async def put(self, obj: StoredObject, data: bytes, condition: Condition | None = None) -> StoredObject | None:
        """Store ``data`` as ``obj`` (its key, etag, metadata...) unless ``condition`` refuses the object there now."""
        if len(data) > INLINE_MAX:
            obj.blob_id = await self.db.on_thread(lambda conn: self.blobs.write([data]))
            data = b""
        return await self._commit(obj, data or None, condition)

    async def _commit(self, obj: StoredObject, value: bytes | None, condition: Condition | None) -> StoredObject | None:
        row = (obj.key, obj.version, obj.size, obj.etag, obj.uploaded, json.dumps(obj.http_metadata),
               json.dumps(obj.custom_metadata), json.dumps(obj.checksums), value, obj.blob_id)  # fmt: skip

        def job(conn: sqlite3.Connection) -> tuple[bool, str | None]:
            # Without a condition, two statements suffice: another writer between them could at worst
            # leave an old blob file behind, never lose or mix data. With one, the check and the write
            # must be one transaction.
            if condition is not None:
                conn.execute("BEGIN IMMEDIATE")
            found = conn.execute(f"SELECT {_COLUMNS} FROM r2_objects WHERE key = ?", (obj.key,)).fetchone()
            existing = None if found is None else StoredObject.from_row(found)
            if condition is not None and not condition(existing):
                conn.execute("ROLLBACK")
                return False, None
            conn.execute("INSERT OR REPLACE INTO r2_objects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            if condition is not None:
                conn.execute("COMMIT")
            return True, None if existing is None else existing.blob_id

        stored, old_blob = await self.db.run(job)
        if not stored:
            self._forget(obj.blob_id)
            return None
        self._forget(old_blob)
        return obj

    def _forget(self, blob_id: str | None) -> None:
        if blob_id is not None:
            self.db.post(lambda conn: self.blobs.delete(blob_id))

    async def delete(self, keys: list[str]) -> None:
        def job(conn: sqlite3.Connection) -> list[str]:
            conn.execute("BEGIN IMMEDIATE")
            blobs = []
            for key in keys:
                row = conn.execute("DELETE FROM r2_objects WHERE key = ? RETURNING blob_id", (key,)).fetchone()
                if row is not None and row[0] is not None:
                    blobs.append(row[0])
            conn.execute("COMMIT")
            return blobs

        for blob_id in await self.db.run(job):
            self._forget(blob_id)

    # -- listing ---------------------------------------------------------------------
    async def list(
        self, prefix: str, limit: int, cursor: str | None, delimiter: str | None, start_after: str | None
    ) -> tuple[list[StoredObject], list[str], str | None]:
        """Objects and delimited prefixes in key order, at most ``limit`` of both together; and the next cursor."""
        after, skipping = _decode_cursor(cursor) if cursor else (start_after or "", None)

        def job(conn: sqlite3.Connection) -> tuple[list[StoredObject], list[str], str | None]:
            skip = skipping
            objects: list[StoredObject] = []
            prefixes: list[str] = []
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM r2_objects WHERE key > ? AND substr(key, 1, length(?)) = ? ORDER BY key",
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
    checksums = {**checksums, "md5": md5}
    return StoredObject(key, secrets.token_hex(16), len(data), md5, int(time.time() * 1000), http, custom, checksums)
