"""A one-time move of KV and R2 data kept by earlier pyworker releases into Miniflare's layout.

Up to this release pyworker kept KV namespaces in ``pyworker/kv/<digest>.sqlite`` and R2 buckets
in ``pyworker/r2/<digest>/`` under the state root. When a namespace is first opened, its old
data is copied into Miniflare's files (values as blob files, rows in ``_mf_*`` tables), every
copied value is read back and compared, and only then are the old files removed; one line says
so. A key that already exists in Miniflare's files (written by ``wrangler dev``) is kept as it
is there, and counted in that line. A read-only command (``kv key get``...) never migrates: it
says where the old data is and which command moves it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pyworker.storage.blobs import BlobStore
from pyworker.storage.host import Storage
from pyworker.storage.miniflare import IN_PROGRESS, KV_SCHEMA, R2_SCHEMA
from pyworker.storage.sqlite import Database, first_row
from pyworker.storage.state import legacy_kv, legacy_r2

_BLOB_ID = 32  # length of the blob ids pyworker used to write


def _begin(storage: Storage, legacy: Path, database: Database, what: str) -> bool:
    """Whether ``legacy`` is to be migrated now (once per file and process)."""
    if legacy in storage.migrated or not legacy.exists():
        return False
    storage.migrated.add(legacy)
    if not storage.create:
        storage.notice(
            f"{database.label} has data from an earlier pyworker in {storage.state.display(legacy)}, not yet moved "
            f"into wrangler's layout; this command does not see it. `pyworker dev` or any {what} write moves it."
        )
        return False
    return True


@contextlib.contextmanager
def _connections(legacy: Path, target: Path, schema: str) -> Iterator[tuple[sqlite3.Connection, sqlite3.Connection]]:
    old = sqlite3.connect(f"{legacy.resolve().as_uri()}?mode=ro", uri=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    new = sqlite3.connect(target, isolation_level=None, timeout=10)
    try:
        new.execute("PRAGMA journal_mode=WAL").fetchall()
        new.executescript(schema)
        yield old, new
    finally:
        old.close()
        new.close()


def _report(storage: Storage, database: Database, legacy: Path, moved: int, kept: int, unit: str) -> None:
    line = (
        f"{database.label}: moved {moved} {unit} kept by an earlier pyworker from {storage.state.display(legacy)} "
        f"into wrangler's layout ({storage.state.display(database.path)}), shared with `wrangler dev`"
    )
    if kept:
        line += f"; {kept} {unit} already there (written by wrangler) kept as they were"
    storage.notice(line + ".")


def _failed(storage: Storage, database: Database, legacy: Path, exc: Exception) -> None:
    storage.notice(
        f"{database.label}: could not move the data of an earlier pyworker from {storage.state.display(legacy)} "
        f"({exc}); it is left untouched and not served. Fix the cause and start again."
    )


def kv(storage: Storage, namespace_id: str, database: Database, blobs: BlobStore) -> None:
    """Move ``pyworker/kv/<digest>.sqlite`` of ``namespace_id``, if there is one, into Miniflare's layout."""
    legacy = legacy_kv(storage.state, namespace_id)
    if not _begin(storage, legacy, database, "kv"):
        return
    try:
        with _connections(legacy, database.path, KV_SCHEMA) as (old, new):
            now = int(time.time())
            rows = old.execute(
                "SELECT key, value, expiration, metadata FROM kv_entries WHERE expiration IS NULL OR expiration > ?",
                (now,),
            ).fetchall()
            moved, kept = _copy_kv(new, blobs, rows)
            for key, value, expiration, metadata in rows:
                if key in moved and _kv_row(new, blobs, key) != (bytes(value), expiration, metadata):
                    raise ValueError(f"the copy of key {key!r} differs from the original")
    except (sqlite3.Error, OSError, ValueError) as exc:
        _failed(storage, database, legacy, exc)
        return
    _remove(legacy.parent / legacy.name, legacy.with_name(legacy.name + "-wal"), legacy.with_name(legacy.name + "-shm"))
    _report(storage, database, legacy, len(moved), kept, "keys")


def _copy_kv(new: sqlite3.Connection, blobs: BlobStore, rows: list[Any]) -> tuple[set[str], int]:
    moved: set[str] = set()
    kept = 0
    new.execute("BEGIN IMMEDIATE")
    try:
        for key, value, expiration, metadata in rows:
            if first_row(new.execute("SELECT 1 FROM _mf_entries WHERE key = ?", (key,))) is not None:
                kept += 1
                continue
            blob_id = blobs.write([bytes(value)])
            ms = None if expiration is None else expiration * 1000
            new.execute("INSERT INTO _mf_entries VALUES (?, ?, ?, ?)", (key, blob_id, ms, metadata))
            moved.add(key)
        new.execute("COMMIT")
    except BaseException:
        new.execute("ROLLBACK")
        raise
    return moved, kept


def _kv_row(new: sqlite3.Connection, blobs: BlobStore, key: str) -> tuple[bytes, int | None, str | None]:
    blob_id, expiration, metadata = first_row(
        new.execute("SELECT blob_id, expiration, metadata FROM _mf_entries WHERE key = ?", (key,))
    )
    return blobs.read(blob_id), None if expiration is None else expiration // 1000, metadata


def r2(storage: Storage, bucket_name: str, database: Database, blobs: BlobStore) -> None:
    """Move ``pyworker/r2/<digest>/`` of ``bucket_name``, if there is one, into Miniflare's layout."""
    folder = legacy_r2(storage.state, bucket_name)
    legacy = folder / "bucket.sqlite"
    if not _begin(storage, legacy, database, "r2"):
        return
    try:
        with _connections(legacy, database.path, R2_SCHEMA) as (old, new):
            moved, kept = _copy_r2(old, new, blobs, folder / "blobs")
    except (sqlite3.Error, OSError, ValueError) as exc:
        _failed(storage, database, legacy, exc)
        return
    shutil.rmtree(folder, ignore_errors=True)
    _report(storage, database, legacy, moved, kept, "objects")


def _legacy_value(folder: Path, value: bytes | None, blob_id: str | None) -> bytes:
    if blob_id is None:
        return bytes(value or b"")
    if len(blob_id) != _BLOB_ID or not blob_id.isalnum():
        raise ValueError(f"the blob id {blob_id!r} is not one pyworker wrote")
    return (folder / blob_id).read_bytes()


def _copy_r2(old: sqlite3.Connection, new: sqlite3.Connection, blobs: BlobStore, folder: Path) -> tuple[int, int]:
    moved = kept = 0
    new.execute("BEGIN IMMEDIATE")
    try:
        for row in old.execute(
            "SELECT key, version, size, etag, uploaded, http_metadata, custom_metadata, checksums, value, blob_id "
            "FROM r2_objects"
        ):
            key, version, size, etag, uploaded, http, custom, checksums, value, blob_id = row
            if first_row(new.execute("SELECT 1 FROM _mf_objects WHERE key = ?", (key,))) is not None:
                kept += 1
                continue
            data = _legacy_value(folder, value, blob_id)
            new_id = _verified_copy(blobs, data, size)
            sums = {name: digest for name, digest in json.loads(checksums).items() if name != "md5"}
            new.execute(
                "INSERT INTO _mf_objects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key, new_id, version, size, etag, uploaded, json.dumps(sums, separators=(",", ":")), http, custom),
            )
            moved += 1
        _copy_uploads(old, new, blobs, folder)
        new.execute("COMMIT")
    except BaseException:
        new.execute("ROLLBACK")
        raise
    return moved, kept


def _verified_copy(blobs: BlobStore, data: bytes, size: int) -> str:
    if len(data) != size:
        raise ValueError(f"a value of {len(data)} bytes was recorded as {size}")
    blob_id = blobs.write([data])
    if hashlib.md5(blobs.read(blob_id)).digest() != hashlib.md5(data).digest():
        raise ValueError(f"the copy {blob_id} differs from the original")
    return blob_id


def _copy_uploads(old: sqlite3.Connection, new: sqlite3.Connection, blobs: BlobStore, folder: Path) -> None:
    """Multipart uploads still in progress, with their parts."""
    for upload_id, key, http, custom in old.execute(
        "SELECT upload_id, key, http_metadata, custom_metadata FROM r2_uploads"
    ):
        new.execute("INSERT OR IGNORE INTO _mf_multipart_uploads VALUES (?, ?, ?, ?, ?)",
                    (upload_id, key, http, custom, IN_PROGRESS))  # fmt: skip
        for number, etag, size, value, blob_id in old.execute(
            "SELECT part_number, etag, size, value, blob_id FROM r2_parts WHERE upload_id = ?", (upload_id,)
        ).fetchall():
            data = _legacy_value(folder, value, blob_id)
            new.execute(
                "INSERT OR IGNORE INTO _mf_multipart_parts (upload_id, part_number, blob_id, size, etag, checksum_md5) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (upload_id, number, _verified_copy(blobs, data, size), size, etag, hashlib.md5(data).hexdigest()),
            )


def _remove(*files: Path) -> None:
    for file in files:
        with contextlib.suppress(FileNotFoundError):
            file.unlink()
