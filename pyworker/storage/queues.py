"""Queue messages in SQLite, kept until acknowledged: ``kill -9`` loses nothing ``send`` acknowledged.

One file for every queue of the dev server (``queues/queues.sqlite`` under the state root:
Miniflare keeps its queues in memory, so there is no wrangler file to share). A message
handed to a consumer is *leased*; when the file is opened again (a restart), leases are
dropped, so what a consumer had not settled is delivered again.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from pyworker.storage.host import Storage
from pyworker.storage.sqlite import Database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queue_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    queue TEXT NOT NULL,
    body BLOB NOT NULL,
    content_type TEXT NOT NULL,
    timestamp REAL NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    visible_at REAL NOT NULL,
    leased INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS queue_messages_ready ON queue_messages (queue, leased, visible_at, seq);
"""


def _setup(conn: sqlite3.Connection) -> None:
    conn.executescript(_SCHEMA)
    conn.execute("UPDATE queue_messages SET leased = 0 WHERE leased = 1")  # a previous run ended mid-batch


@dataclass(frozen=True, slots=True)
class Stored:
    """One message as kept: ``failures`` counts the deliveries that did not acknowledge it."""

    id: str
    body: bytes
    content_type: str
    timestamp: float  # ms since the epoch
    failures: int


@dataclass(frozen=True, slots=True)
class New:
    id: str
    body: bytes
    content_type: str
    timestamp: float  # ms since the epoch
    visible_at: float  # s since the epoch


class QueueStore:
    """Every queue's messages, in the storage's state directory."""

    def __init__(self, storage: Storage) -> None:
        self.path = storage.state.queues()
        self.db: Database = storage.database(self.path, "queues", _setup)

    async def add(self, queue: str, messages: list[New]) -> None:
        """Keep ``messages`` (one transaction: all of a ``sendBatch`` or none)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO queue_messages (id, queue, body, content_type, timestamp, visible_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(m.id, queue, m.body, m.content_type, m.timestamp, m.visible_at) for m in messages],
            )
            conn.execute("COMMIT")

        await self.db.run(job)

    async def ready(self, queue: str) -> tuple[int, float | None]:
        """How many messages are deliverable now-or-later, and when the first becomes visible."""

        def job(conn: sqlite3.Connection) -> tuple[int, float | None]:
            row = conn.execute(
                "SELECT count(*), min(visible_at) FROM queue_messages WHERE queue = ? AND leased = 0", (queue,)
            ).fetchone()
            return int(row[0]), row[1]

        return await self.db.run(job)

    async def visible(self, queue: str, now: float) -> int:
        def job(conn: sqlite3.Connection) -> int:
            sql = "SELECT count(*) FROM queue_messages WHERE queue = ? AND leased = 0 AND visible_at <= ?"
            return int(conn.execute(sql, (queue, now)).fetchone()[0])

        return await self.db.run(job)

    async def lease(self, queue: str, now: float, limit: int) -> list[Stored]:
        """Up to ``limit`` visible messages, oldest first, leased to a consumer."""

        def job(conn: sqlite3.Connection) -> list[Stored]:
            conn.execute("BEGIN IMMEDIATE")
            rows = conn.execute(
                "SELECT seq, id, body, content_type, timestamp, failures FROM queue_messages "
                "WHERE queue = ? AND leased = 0 AND visible_at <= ? ORDER BY seq LIMIT ?",
                (queue, now, limit),
            ).fetchall()
            conn.executemany("UPDATE queue_messages SET leased = 1 WHERE seq = ?", [(row[0],) for row in rows])
            conn.execute("COMMIT")
            return [Stored(*row[1:]) for row in rows]

        return await self.db.run(job)

    async def settle(
        self, acked: list[str], retried: list[tuple[str, float]], moved: list[tuple[str, str]], released: list[str]
    ) -> None:
        """After a batch: delete ``acked``, make ``retried`` visible again at their time (one more
        failure), move ``(id, queue)`` to a dead-letter queue, and put ``released`` back untouched."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("DELETE FROM queue_messages WHERE id = ?", [(i,) for i in acked])
            conn.executemany(
                "UPDATE queue_messages SET leased = 0, failures = failures + 1, visible_at = ? WHERE id = ?",
                [(when, i) for i, when in retried],
            )
            conn.executemany(  # into the dead-letter queue, deliverable at once, as a fresh message
                "UPDATE queue_messages SET leased = 0, failures = 0, queue = ?, visible_at = 0 WHERE id = ?",
                [(queue, i) for i, queue in moved],
            )
            conn.executemany("UPDATE queue_messages SET leased = 0 WHERE id = ?", [(i,) for i in released])
            conn.execute("COMMIT")

        await self.db.run(job)

    async def count(self, queue: str) -> int:
        return await self.db.run(
            lambda conn: int(
                conn.execute("SELECT count(*) FROM queue_messages WHERE queue = ?", (queue,)).fetchone()[0]
            )
        )
