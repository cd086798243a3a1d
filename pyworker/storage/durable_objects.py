"""One Durable Object's SQLite file: its key-value pairs, its alarm, and the tables its SQL creates.

The file is ``do/<worker>-<class>/<object id>.sqlite`` (Miniflare's layout, see
:meth:`~pyworker.storage.state.StateDir.durable_objects`). Only this process's one instance of
the object uses it, so the connection is synchronous and runs on the event loop, as the object's
storage is synchronous on Cloudflare (the SQL API and ``ctx.storage.kv`` return at once): a
storage call never lets another event into the object. Every write outside a transaction
commits at once in WAL mode with ``synchronous=NORMAL``, so a ``kill -9`` loses nothing
acknowledged. Key-value pairs live in ``_cf_KV`` and the alarm in ``_cf_METADATA``; user SQL
may not touch ``_cf_`` tables, as on Cloudflare.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pyworker.storage.d1 import _authorize as workerd_rules
from pyworker.storage.sqlite import open_connection, unusable_file

_SCHEMA = """
BEGIN;
CREATE TABLE IF NOT EXISTS _cf_KV (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _cf_METADATA (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
COMMIT;
"""


class ObjectStore:
    """The storage of one object. ``label`` names it in messages (``Durable Object Counter abc...``)."""

    def __init__(self, path: Path, label: str) -> None:
        self.path = path
        self.label = label
        self._conn: sqlite3.Connection | None = None
        self.user_sql = False  # true while a statement of the object's own SQL runs (the authorizer checks it)
        self.depth = 0  # savepoints open

    @property
    def conn(self) -> sqlite3.Connection:
        conn = self._conn
        if conn is None:
            conn = self._conn = self._open()
        return conn

    def exists(self) -> bool:
        return self._conn is not None or self.path.is_file()

    def _open(self) -> sqlite3.Connection:
        conn = open_connection(self.path, self.label)
        try:
            # No fsync while a new file gets its journal mode and tables (a power cut then loses only an
            # empty file); then each commit is in the operating system's hands when it returns.
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA journal_mode=WAL").fetchall()
            conn.executescript(_SCHEMA)
            conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise unusable_file(self.label, self.path, exc) from None  # raised in worker code: no sqlite3 internals
        conn.set_authorizer(self._authorize)
        return conn

    def _authorize(self, action: int, arg1: str | None, arg2: str | None, db: str | None, trigger: str | None) -> int:
        # pyworker's own statements may do anything; the object's SQL follows workerd's rules (D1's are the same).
        return workerd_rules(action, arg1, arg2, db, trigger) if self.user_sql else sqlite3.SQLITE_OK

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- key-value pairs ---------------------------------------------------------------
    def get(self, key: str) -> bytes | None:
        row = self.conn.execute("SELECT value FROM _cf_KV WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def get_many(self, keys: list[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for key in keys:
            value = self.get(key)
            if value is not None:
                found[key] = value
        return found

    def put_many(self, entries: Iterable[tuple[str, bytes]]) -> None:
        conn = self.conn
        pairs = list(entries)
        if len(pairs) == 1:
            conn.execute("INSERT OR REPLACE INTO _cf_KV (key, value) VALUES (?, ?)", pairs[0])
            return
        with self.atomic():
            conn.executemany("INSERT OR REPLACE INTO _cf_KV (key, value) VALUES (?, ?)", pairs)

    def delete_many(self, keys: list[str]) -> int:
        conn = self.conn
        with self.atomic():
            return sum(conn.execute("DELETE FROM _cf_KV WHERE key = ?", (key,)).rowcount for key in keys)

    def delete_all(self, alarm: bool) -> None:
        """Every pair and every table of the object's SQL (and with ``alarm`` its alarm)."""
        conn = self.conn
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        with self.atomic():
            conn.execute("DELETE FROM _cf_KV")
            if alarm:
                conn.execute("DELETE FROM _cf_METADATA WHERE key = 'alarm'")
            for name in tables:
                if not name.lower().startswith(("_cf_", "sqlite_")):
                    conn.execute(f'DROP TABLE IF EXISTS "{name.replace(chr(34), chr(34) * 2)}"')

    def list(self, options: ListOptions) -> list[tuple[str, bytes]]:
        clauses, params = options.where()
        order = "DESC" if options.reverse else "ASC"
        query = f"SELECT key, value FROM _cf_KV{clauses} ORDER BY key {order}"
        if options.limit is not None:
            query += " LIMIT ?"
            params.append(options.limit)
        return self.conn.execute(query, params).fetchall()

    # -- the alarm -----------------------------------------------------------------------
    def alarm(self) -> float | None:
        """The alarm's time in epoch milliseconds, or ``None``; reads no file that does not exist."""
        if not self.exists():
            return None
        row = self.conn.execute("SELECT value FROM _cf_METADATA WHERE key = 'alarm'").fetchone()
        return None if row is None else float(row[0])

    def set_alarm(self, millis: float | None) -> None:
        if millis is None:
            if self.exists():
                self.conn.execute("DELETE FROM _cf_METADATA WHERE key = 'alarm'")
            return
        self.conn.execute("INSERT OR REPLACE INTO _cf_METADATA (key, value) VALUES ('alarm', ?)", (millis,))

    # -- transactions --------------------------------------------------------------------
    def atomic(self) -> Atomic:
        """A savepoint: commits (or joins the enclosing transaction) on success, rolls back on error."""
        return Atomic(self)

    def size(self) -> int:
        """``sql.databaseSize``: the file's pages in bytes."""
        conn = self.conn
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        return int(pages) * int(conn.execute("PRAGMA page_size").fetchone()[0])


class Atomic:
    """``with store.atomic():`` one savepoint; ``rollback()`` undoes it without raising."""

    def __init__(self, store: ObjectStore) -> None:
        self._store = store
        self._conn = store.conn
        self._name = ""
        self.rolled_back = False

    def __enter__(self) -> Atomic:
        self._store.depth += 1
        self._name = f"pw{self._store.depth}"
        self._conn.execute(f"SAVEPOINT {self._name}")
        return self

    def rollback(self) -> None:
        self.rolled_back = True

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        self._store.depth -= 1
        if kind is not None or self.rolled_back:
            self._conn.execute(f"ROLLBACK TO {self._name}")
        self._conn.execute(f"RELEASE {self._name}")


class ListOptions:
    """``list({prefix, start, startAfter, end, limit, reverse})`` as a query's WHERE clause."""

    def __init__(
        self,
        prefix: str | None = None,
        start: str | None = None,
        start_after: str | None = None,
        end: str | None = None,
        limit: int | None = None,
        reverse: bool = False,
    ) -> None:
        self.prefix, self.start, self.start_after, self.end = prefix, start, start_after, end
        self.limit, self.reverse = limit, reverse

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if self.prefix:
            clauses.append("key >= ? AND substr(key, 1, ?) = ?")
            params += [self.prefix, len(self.prefix), self.prefix]
        if self.start is not None:
            clauses.append("key >= ?")
            params.append(self.start)
        if self.start_after is not None:
            clauses.append("key > ?")
            params.append(self.start_after)
        if self.end is not None:
            clauses.append("key < ?")
            params.append(self.end)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params
