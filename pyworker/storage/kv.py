"""A KV namespace in SQLite: keys in UTF-8 byte order, values as bytes, expiry in seconds.

Limits and messages are the binding's business (:mod:`pyworker.bindings.kv`); this module
only keeps the data, for the binding and for ``pyworker kv`` alike. Expired keys are
invisible at once and removed when the namespace is next opened.
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from pyworker.storage.host import Storage
from pyworker.storage.sqlite import Database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv_entries (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL,
    expiration INTEGER,
    metadata TEXT
) WITHOUT ROWID;
"""
_LIVE = "(expiration IS NULL OR expiration > :now)"
_PUT = "INSERT OR REPLACE INTO kv_entries (key, value, expiration, metadata) VALUES (?, ?, ?, ?)"
_GET = "SELECT value, expiration, metadata FROM kv_entries WHERE key = ? AND (expiration IS NULL OR expiration > ?)"


def _setup(conn: sqlite3.Connection) -> None:
    conn.executescript(_SCHEMA)
    conn.execute("DELETE FROM kv_entries WHERE expiration <= ?", (int(time.time()),))


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored value: ``metadata`` is the JSON text given to ``put``, or ``None``."""

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
        self.path = storage.state.kv(namespace_id)
        self.db: Database = storage.database(self.path, f'KV namespace "{namespace_id}"', _setup)

    def get(self, key: str) -> Coroutine[Any, Any, Entry | None]:
        def job(conn: sqlite3.Connection) -> Entry | None:
            row = conn.execute(_GET, (key, time.time())).fetchone()
            return None if row is None else Entry(row[0], row[1], row[2])

        return self.db.run(job)

    async def get_many(self, keys: list[str]) -> dict[str, Entry | None]:
        def job(conn: sqlite3.Connection) -> dict[str, Entry | None]:
            found: dict[str, Entry | None] = dict.fromkeys(keys)
            marks = ", ".join("?" * len(keys))
            query = (
                f"SELECT key, value, expiration, metadata FROM kv_entries WHERE key IN ({marks}) "
                "AND (expiration IS NULL OR expiration > ?)"
            )
            for key, value, expiration, metadata in conn.execute(query, (*keys, time.time())):
                found[key] = Entry(value, expiration, metadata)
            return found

        return await self.db.run(job)

    def put(
        self, key: str, value: bytes, expiration: int | None = None, metadata: str | None = None
    ) -> Coroutine[Any, Any, None]:
        def job(conn: sqlite3.Connection) -> None:
            conn.execute(_PUT, (key, value, expiration, metadata))

        return self.db.run(job)

    async def put_many(self, entries: list[tuple[str, bytes, int | None, str | None]]) -> None:
        """All of ``entries`` in one transaction (``pyworker kv bulk put``)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT OR REPLACE INTO kv_entries VALUES (?, ?, ?, ?)", entries)
            conn.execute("COMMIT")

        await self.db.run(job)

    async def delete(self, key: str) -> None:
        await self.db.run(lambda conn: conn.execute("DELETE FROM kv_entries WHERE key = ?", (key,)))

    async def list(
        self, prefix: str = "", limit: int = 1000, cursor: str | None = None
    ) -> tuple[list[Listed], str | None]:
        """Up to ``limit`` live keys starting with ``prefix`` after ``cursor``, in order; and the next cursor."""
        after = decode_cursor(cursor) if cursor else ""

        def job(conn: sqlite3.Connection) -> list[Listed]:
            rows = conn.execute(
                "SELECT key, expiration, metadata FROM kv_entries WHERE key > :after AND key >= :prefix "
                f"AND substr(key, 1, length(:prefix)) = :prefix AND {_LIVE} ORDER BY key LIMIT :limit",
                {"after": after, "prefix": prefix, "now": time.time(), "limit": limit + 1},
            ).fetchall()
            return [Listed(*row) for row in rows]

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
