"""R2 multipart uploads: parts kept like objects (inline or as blobs) until ``complete`` joins them.

Completion checks what R2 checks (the upload exists, every named part was uploaded with that
etag, every part but the last is at least 5 MiB and all those are the same size) and then,
in one transaction, stores the object and forgets the upload.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from typing import Any

from pyworker.storage.r2 import INLINE_MAX, R2Store, StoredObject, UploadError

MIN_PART = 5 * 1024 * 1024
NO_SUCH_UPLOAD, INVALID_PART, TOO_SMALL, BAD_UPLOAD = 10024, 10025, 10011, 10048


async def create(store: R2Store, key: str, http: dict[str, Any], custom: dict[str, str]) -> str:
    upload_id = secrets.token_urlsafe(32)
    await store.db.run(
        lambda conn: conn.execute(
            "INSERT INTO r2_uploads VALUES (?, ?, ?, ?)", (upload_id, key, json.dumps(http), json.dumps(custom))
        )
    )
    return upload_id


async def _upload(store: R2Store, upload_id: str, key: str) -> tuple[Any, ...]:
    row = await store.db.run(
        lambda conn: conn.execute(
            "SELECT http_metadata, custom_metadata FROM r2_uploads WHERE upload_id = ? AND key = ?", (upload_id, key)
        ).fetchone()
    )
    if row is None:
        raise UploadError(NO_SUCH_UPLOAD)
    return tuple(row)


async def upload_part(store: R2Store, upload_id: str, key: str, number: int, data: bytes) -> str:
    """Store part ``number``; returns its etag (the MD5 of its bytes)."""
    await _upload(store, upload_id, key)
    etag = hashlib.md5(data).hexdigest()
    blob_id = None
    if len(data) > INLINE_MAX:
        blob_id = await store.db.on_thread(lambda conn: store.blobs.write([data]))
    value = None if blob_id else data

    def job(conn: sqlite3.Connection) -> str | None:
        conn.execute("BEGIN IMMEDIATE")
        old = conn.execute(
            "DELETE FROM r2_parts WHERE upload_id = ? AND part_number = ? RETURNING blob_id", (upload_id, number)
        ).fetchone()
        conn.execute(
            "INSERT INTO r2_parts VALUES (?, ?, ?, ?, ?, ?)", (upload_id, number, etag, len(data), value, blob_id)
        )
        conn.execute("COMMIT")
        return None if old is None else old[0]

    store._forget(await store.db.run(job))
    return etag


async def abort(store: R2Store, upload_id: str, key: str) -> None:
    def job(conn: sqlite3.Connection) -> list[str]:
        conn.execute("BEGIN IMMEDIATE")
        rows = conn.execute("DELETE FROM r2_parts WHERE upload_id = ? RETURNING blob_id", (upload_id,)).fetchall()
        conn.execute("DELETE FROM r2_uploads WHERE upload_id = ? AND key = ?", (upload_id, key))
        conn.execute("COMMIT")
        return [row[0] for row in rows if row[0]]

    for blob_id in await store.db.run(job):
        store._forget(blob_id)


async def complete(store: R2Store, upload_id: str, key: str, chosen: list[tuple[int, str]]) -> StoredObject:
    """Join the ``(part number, etag)`` parts, in the order given, into the object at ``key``."""
    http, custom = await _upload(store, upload_id, key)
    rows = await store.db.run(
        lambda conn: conn.execute(
            "SELECT part_number, etag, size, value, blob_id FROM r2_parts WHERE upload_id = ?", (upload_id,)
        ).fetchall()
    )
    uploaded = {row[0]: row for row in rows}
    found = [uploaded.get(number) for number, _ in chosen]
    parts = [part for part in found if part is not None]
    if len(parts) != len(found) or any(part[1] != etag for part, (_, etag) in zip(parts, chosen, strict=True)):
        raise UploadError(INVALID_PART)
    if any(part[2] < MIN_PART for part in parts[:-1]):
        raise UploadError(TOO_SMALL)
    sizes = {part[2] for part in parts[:-1]}
    if len(sizes) > 1 or (sizes and parts[-1][2] > min(sizes)):
        raise UploadError(BAD_UPLOAD)

    def join(conn: sqlite3.Connection) -> tuple[bytes, str | None]:
        pieces = (part[3] if part[4] is None else store.blobs.read(part[4]) for part in parts)
        if sum(part[2] for part in parts) <= INLINE_MAX:
            return b"".join(pieces), None
        return b"", store.blobs.write(pieces)

    value, blob_id = await store.db.on_thread(join)
    digest = hashlib.md5(b"".join(bytes.fromhex(part[1]) for part in parts))
    size = sum(part[2] for part in parts)
    obj = StoredObject(key, secrets.token_hex(16), size, f"{digest.hexdigest()}-{len(parts)}",
                       int(time.time() * 1000), json.loads(http), json.loads(custom), {}, blob_id)  # fmt: skip
    stored = await store._commit(obj, value or None, lambda existing: True)
    assert stored is not None
    await abort(store, upload_id, key)  # the parts are in the object now
    return stored
