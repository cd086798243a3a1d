"""A KV namespace in Miniflare's layout, so ``wrangler dev`` and ``pyworker dev`` share it.

Keys, expiry (milliseconds since the epoch) and metadata (JSON text) are rows of
``_mf_entries`` in ``kv/miniflare-KVNamespaceObject/<object id>.sqlite``; each value is a
file in ``kv/<namespace id>/blobs/``, written before its row and removed after it
(:mod:`pyworker.storage.blobs`). Limits and messages are the binding's business
(:mod:`pyworker.bindings.kv`); this module keeps the data for the binding and for
``pyworker kv`` alike. Expired keys are invisible at once and removed, with their files,
when read or when the namespace is next opened.
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
import time
from dataclasses import dataclass
from typing import NamedTuple

from pyworker.storage import migrate
from pyworker.storage.blobs import BlobStore, MissingBlob
from pyworker.storage.host import Storage
from pyworker.storage.miniflare import KV_SCHEMA
from pyworker.storage.sqlite import Database, first_row

INLINE_READ = 1024 * 1024  # larger values are read and written on the database's thread
_LIVE = "(expiration IS NULL OR expiration > :now)"
_GET = "SELECT blob_id, expiration, metadata FROM _mf_entries WHERE key = ?"
_OLD = "SELECT blob_id FROM _mf_entries WHERE key = ?"
_PUT = "INSERT OR REPLACE INTO _mf_entries (key, blob_id, expiration, metadata) VALUES (?, ?, ?, ?)"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _seconds(expiration_ms: int | None) -> int | None:
    return None if expiration_ms is None else expiration_ms // 1000


def _entry_rows(key: str, conn: sqlite3.Connection) -> list[tuple[str, int | None, str | None]]:
    return conn.execute(_GET, (key,)).fetchall()


class Entry(NamedTuple):
    """One stored value: ``expiration`` in seconds, ``metadata`` the JSON text given to ``put``, or ``None``.

    A named tuple: made on every read, and a frozen dataclass costs three ``object.__setattr__`` calls."""

    value: bytes
    expiration: int | None
    metadata: str | None


@dataclass(frozen=True, slots=True)
class Listed:
    name: str
    expiration: int | None
    metadata: str | None


class KvStore:
    """The namespace with id ``namespace_id`` under the storage's state directory."""

    def __init__(self, storage: Storage, namespace_id: str) -> None:
        label = f'KV namespace "{namespace_id}"'
        self.path = storage.state.kv(namespace_id)
        self.blobs = BlobStore(storage.state.blobs("kv", namespace_id), label)
        self.db: Database = storage.database(self.path, label, self._setup)
        migrate.kv(storage, namespace_id, self.db, self.blobs)

    def _setup(self, conn: sqlite3.Connection) -> None:
        """At opening: the schema, then expired entries and files no row names (a crash's leftovers) go."""
        conn.execute("PRAGMA case_sensitive_like = TRUE")
        conn.executescript(KV_SCHEMA)
        for (blob_id,) in conn.execute("DELETE FROM _mf_entries WHERE expiration <= ? RETURNING blob_id", (_now_ms(),)):
            self.blobs.delete(blob_id)
        self.blobs.sweep({row[0] for row in conn.execute("SELECT blob_id FROM _mf_entries")})

    def _expire(self, key: str) -> None:
        def job(conn: sqlite3.Connection) -> None:
            for (blob_id,) in conn.execute(
                "DELETE FROM _mf_entries WHERE key = ? AND expiration <= ? RETURNING blob_id", (key, _now_ms())
            ).fetchall():
                self.blobs.delete(blob_id)

        self.db.post(job)

    async def get(self, key: str, retried: bool = False) -> Entry | None:
        if self.db.absent():
            return None
        rows = await self.db.run(_entry_rows, key)
        if not rows:
            return None
        blob_id, expiration, metadata = rows[0]
        if expiration is not None and expiration <= _now_ms():
            self._expire(key)
            return None
        try:
            value = self.blobs.read_small(blob_id, INLINE_READ, key)
            if value is None:
                value = await self.db.on_thread(lambda conn: self.blobs.read(blob_id, key=key))
        except MissingBlob:
            if retried:
                raise
            return await self.get(key, retried=True)  # wrangler replaced or deleted the key since the row was read
        return Entry(value, _seconds(expiration), metadata)

    async def get_many(self, keys: list[str]) -> dict[str, Entry | None]:
        found: dict[str, Entry | None] = dict.fromkeys(keys)
        if self.db.absent():
            return found

        def job(conn: sqlite3.Connection) -> dict[str, Entry | None]:
            marks = ", ".join("?" * len(keys))
            query = (
                f"SELECT key, blob_id, expiration, metadata FROM _mf_entries WHERE key IN ({marks}) "
                "AND (expiration IS NULL OR expiration > ?)"
            )
            for key, blob_id, expiration, metadata in conn.execute(query, (*keys, _now_ms())).fetchall():
                found[key] = Entry(self.blobs.read(blob_id, key=key), _seconds(expiration), metadata)
            return found

        return await self.db.on_thread(job)

    async def put(self, key: str, value: bytes, expiration: int | None = None, metadata: str | None = None) -> None:
        """Store ``value`` (``expiration`` in seconds): its file first, then its row, then the old file goes."""
        await self.put_many([(key, value, expiration, metadata)])

    async def put_many(self, entries: list[tuple[str, bytes, int | None, str | None]]) -> None:
        """All of ``entries`` (``pyworker kv bulk put`` uses one call for all) in one transaction."""
        small = sum(len(entry[1]) for entry in entries) <= INLINE_READ
        blob_ids: list[str] = []
        try:
            if small:
                blob_ids = [self.blobs.write([value]) for _, value, _, _ in entries]
            else:
                blob_ids = await self.db.on_thread(lambda conn: [self.blobs.write([e[1]]) for e in entries])
            rows = [(key, blob_id, None if exp is None else exp * 1000, meta)
                    for (key, _, exp, meta), blob_id in zip(entries, blob_ids, strict=True)]  # fmt: skip
            old = await self.db.write(lambda conn: self._replace(conn, rows), thread=not small)
        except BaseException:
            for blob_id in blob_ids:
                self.blobs.delete(blob_id)
            raise
        self._forget(old)

    @staticmethod
    def _replace(conn: sqlite3.Connection, rows: list[tuple[str, str, int | None, str | None]]) -> list[str]:
        if len(rows) == 1:  # one row: two statements; a writer between them can at worst leave a file behind
            found = first_row(conn.execute(_OLD, (rows[0][0],)))
            conn.execute(_PUT, rows[0])
            return [] if found is None or found[0] == rows[0][1] else [found[0]]  # == : the job was retried
        conn.execute("BEGIN IMMEDIATE")
        new = {row[1] for row in rows}
        old = [found[0] for row in rows if (found := first_row(conn.execute(_OLD, (row[0],)))) and found[0] not in new]
        conn.executemany(_PUT, rows)
        conn.execute("COMMIT")
        return old

    def _forget(self, blob_ids: list[str]) -> None:
        """Remove the files of rows that are gone: inline, as an unlink costs less than waking the thread."""
        for blob_id in blob_ids:
            self.blobs.delete(blob_id)

    async def delete(self, key: str) -> None:
        rows = await self.db.write(
            lambda conn: conn.execute("DELETE FROM _mf_entries WHERE key = ? RETURNING blob_id", (key,)).fetchall()
        )
        self._forget([row[0] for row in rows])

    async def list(
        self, prefix: str = "", limit: int = 1000, cursor: str | None = None
    ) -> tuple[list[Listed], str | None]:
        """Up to ``limit`` live keys starting with ``prefix`` after ``cursor``, in order; and the next cursor."""
        if self.db.absent():
            return [], None
        after = decode_cursor(cursor) if cursor else ""

        def job(conn: sqlite3.Connection) -> list[Listed]:
            rows = conn.execute(
                "SELECT key, expiration, metadata FROM _mf_entries WHERE key > :after AND key >= :prefix "
                f"AND substr(key, 1, length(:prefix)) = :prefix AND {_LIVE} ORDER BY key LIMIT :limit",
                {"after": after, "prefix": prefix, "now": _now_ms(), "limit": limit + 1},
            ).fetchall()
            return [Listed(key, _seconds(expiration), metadata) for key, expiration, metadata in rows]

        keys = await self.db.run(job)
        if len(keys) <= limit:
            return keys, None
        keys = keys[:limit]
        return keys, encode_cursor(keys[-1].name)


def encode_cursor(key: str) -> str:
    """An opaque cursor: the last key listed, base64url (so it is never read as a key), and a check of it."""
    return f"{base64.urlsafe_b64encode(key.encode()).decode().rstrip('=')}.{_check(key)}"


def decode_cursor(cursor: str) -> str:
    """The key a cursor from :func:`encode_cursor` lists after; ``ValueError`` for one it did not make.

    A tampered or made-up cursor is an error, as on Cloudflare: restarting from the first key
    would loop a paginating caller for ever, and an empty list would end it early.
    """
    payload, _, check = cursor.rpartition(".")
    try:
        key = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        key = None
    if key is None or not payload or check != _check(key):
        raise ValueError(f'Invalid cursor "{cursor}".')
    return key


def _check(key: str) -> str:
    return hashlib.blake2s(key.encode(), digest_size=4, person=b"pwkvcur").hexdigest()
