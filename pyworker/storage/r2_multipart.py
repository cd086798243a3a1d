"""R2 multipart uploads as Miniflare keeps them: an upload row, one file per part, and on completion
an object row without a file of its own whose parts are linked to it (never copied).

Completion checks what R2 checks (the upload is in progress, every named part was uploaded with
that etag, each part named once, every part but the last at least 5 MiB and all those the same
size) and then, in one transaction, stores the object, links its parts, drops the unused ones
and marks the upload completed. Completed and aborted uploads keep their row, as Miniflare
keeps them: aborting one again is allowed, uploading a part to one is not.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from typing import Any

from pyworker.storage.miniflare import ABORTED, COMPLETED, IN_PROGRESS
from pyworker.storage.r2 import R2Store, StoredObject, UploadError, _json, _old_files
from pyworker.storage.sqlite import first_row

MIN_PART = 5 * 1024 * 1024
NO_SUCH_UPLOAD, INVALID_PART, TOO_SMALL, BAD_UPLOAD = 10024, 10025, 10011, 10048
_STATE = "SELECT state, http_metadata, custom_metadata FROM _mf_multipart_uploads WHERE upload_id = ? AND key = ?"


async def create(store: R2Store, key: str, http: dict[str, Any], custom: dict[str, str]) -> str:
    upload_id = secrets.token_urlsafe(128)  # Miniflare's shape: 128 random bytes, base64url
    await store.db.write(
        lambda conn: conn.execute(
            "INSERT INTO _mf_multipart_uploads (upload_id, key, http_metadata, custom_metadata) VALUES (?, ?, ?, ?)",
            (upload_id, key, _json(http), _json(custom)),
        )
    )
    return upload_id


def _in_progress(conn: sqlite3.Connection, upload_id: str, key: str) -> tuple[Any, ...]:
    row = first_row(conn.execute(_STATE, (upload_id, key)))
    if row is None or row[0] != IN_PROGRESS:
        raise UploadError(NO_SUCH_UPLOAD)
    return tuple(row)


async def upload_part(store: R2Store, upload_id: str, key: str, number: int, data: bytes) -> str:
    """Store part ``number``; returns its etag (the MD5 of its bytes)."""
    if store.db.absent():
        raise UploadError(NO_SUCH_UPLOAD)
    await store.db.run(lambda conn: _in_progress(conn, upload_id, key))
    md5 = hashlib.md5(data).hexdigest()
    blob_id = await store.store_blob(data)

    def job(conn: sqlite3.Connection) -> list[str]:
        conn.execute("BEGIN IMMEDIATE")
        _in_progress(conn, upload_id, key)
        old = conn.execute(
            "DELETE FROM _mf_multipart_parts WHERE upload_id = ? AND part_number = ? RETURNING blob_id",
            (upload_id, number),
        ).fetchall()
        conn.execute(
            "INSERT INTO _mf_multipart_parts (upload_id, part_number, blob_id, size, etag, checksum_md5) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (upload_id, number, blob_id, len(data), md5, md5),
        )
        conn.execute("COMMIT")
        return [row[0] for row in old]

    try:
        store.forget(await store.db.write(job))
    except BaseException:
        store.forget([blob_id])
        raise
    return md5


async def abort(store: R2Store, upload_id: str, key: str) -> None:
    """Forget the upload and its parts; an upload already completed or aborted is left as it is."""

    def job(conn: sqlite3.Connection) -> list[str]:
        conn.execute("BEGIN IMMEDIATE")
        row = first_row(conn.execute(_STATE, (upload_id, key)))
        if row is None or row[0] != IN_PROGRESS:
            conn.execute("ROLLBACK")
            return []
        rows = conn.execute(
            "DELETE FROM _mf_multipart_parts WHERE upload_id = ? RETURNING blob_id", (upload_id,)
        ).fetchall()
        conn.execute("UPDATE _mf_multipart_uploads SET state = ? WHERE upload_id = ?", (ABORTED, upload_id))
        conn.execute("COMMIT")
        return [row[0] for row in rows]

    if not store.db.absent():
        store.forget(await store.db.write(job))


def _chosen_parts(conn: sqlite3.Connection, upload_id: str, chosen: list[tuple[int, str]]) -> list[tuple[Any, ...]]:
    """The uploaded parts ``chosen`` names, in that order, with R2's checks of their numbers and sizes."""
    uploaded = {row[0]: row for row in conn.execute(
        "SELECT part_number, etag, size, blob_id, checksum_md5 FROM _mf_multipart_parts WHERE upload_id = ?",
        (upload_id,),
    )}  # fmt: skip
    if len({number for number, _ in chosen}) != len(chosen):
        raise UploadError(INVALID_PART)
    parts = []
    for number, etag in chosen:
        part = uploaded.get(number)
        if part is None or part[1] != etag:
            raise UploadError(INVALID_PART)
        parts.append(part)
    if any(part[2] < MIN_PART for part in parts[:-1]):
        raise UploadError(TOO_SMALL)
    ordered = sorted(parts, key=lambda part: part[0])
    sizes = {part[2] for part in ordered[:-1]}
    if len(sizes) > 1 or (sizes and ordered[-1][2] > min(sizes)) or any(s < MIN_PART for s in sizes):
        raise UploadError(BAD_UPLOAD)
    return ordered


async def complete(store: R2Store, upload_id: str, key: str, chosen: list[tuple[int, str]]) -> StoredObject:
    """Join the ``(part number, etag)`` parts, in part-number order, into the object at ``key``."""

    def job(conn: sqlite3.Connection) -> tuple[StoredObject, list[str]]:
        conn.execute("BEGIN IMMEDIATE")
        _, http, custom = _in_progress(conn, upload_id, key)
        parts = _chosen_parts(conn, upload_id, chosen)
        digest = hashlib.md5(b"".join(bytes.fromhex(part[4]) for part in parts))
        obj = StoredObject(key, secrets.token_hex(16), sum(part[2] for part in parts),
                           f"{digest.hexdigest()}-{len(parts)}", int(time.time() * 1000),
                           json.loads(http), json.loads(custom), {}, None,
                           [(part[3], part[2]) for part in parts])  # fmt: skip
        old = _old_files(conn, store._find(conn, key))
        conn.execute(
            "INSERT OR REPLACE INTO _mf_objects (key, blob_id, version, size, etag, uploaded, checksums, "
            "http_metadata, custom_metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            obj.row(),
        )
        conn.executemany(
            "UPDATE _mf_multipart_parts SET object_key = ? WHERE upload_id = ? AND part_number = ?",
            [(key, upload_id, part[0]) for part in parts],
        )
        old += [row[0] for row in conn.execute(
            "DELETE FROM _mf_multipart_parts WHERE upload_id = ? AND object_key IS NULL RETURNING blob_id",
            (upload_id,),
        ).fetchall()]  # fmt: skip
        conn.execute("UPDATE _mf_multipart_uploads SET state = ? WHERE upload_id = ?", (COMPLETED, upload_id))
        conn.execute("COMMIT")
        return obj, old

    if store.db.absent():
        raise UploadError(NO_SUCH_UPLOAD)
    obj, old = await store.db.write(job, thread=True)
    store.forget(old)
    return obj
