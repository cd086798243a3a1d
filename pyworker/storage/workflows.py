"""One Workflow's instances in SQLite: their status, the results of finished steps, and sent events.

The engine (:mod:`pyworker.bindings.workflows.engine`) writes a step's result before the
next step starts, so a restart of ``pyworker dev`` (or a ``kill -9``) resumes after the last
finished step; ``pyworker workflows`` reads and writes the same file while the server runs
(``PRAGMA data_version`` tells the server another process wrote). Values are stored as
:mod:`pyworker.storage.structured` bytes.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from pyworker.storage import structured
from pyworker.storage.host import Storage
from pyworker.storage.sqlite import Database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    params TEXT NOT NULL,
    created INTEGER NOT NULL,
    modified INTEGER NOT NULL,
    output TEXT,
    error TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS steps (
    instance TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT,
    error TEXT,
    wake INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (instance, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    instance TEXT NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    taken INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS events_waiting ON events (instance, type, taken);
"""
FINISHED = frozenset({"complete", "errored", "terminated"})


def _setup(conn: sqlite3.Connection) -> None:
    conn.executescript(_SCHEMA)


def load(data: bytes) -> Any:
    """A stored value back as the value the engine hands to Python."""
    return structured.decode(data, "a Workflow's stored state")


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True, slots=True)
class Instance:
    """One row of ``instances``; ``params``, ``output`` and ``error`` are stored text."""

    id: str
    status: str
    params: bytes
    created: int
    modified: int
    output: bytes | None
    error: bytes | None


@dataclass(frozen=True, slots=True)
class Step:
    """What is kept of one step (``do``, ``sleep`` or ``wait``): its result or error, and when it wakes."""

    value: bytes | None
    error: bytes | None
    wake: int | None
    attempts: int


class WorkflowStore:
    """The instances of Workflow ``name`` under the storage's state directory."""

    def __init__(self, storage: Storage, name: str) -> None:
        self.path = storage.state.workflow(name)
        self.db: Database = storage.database(self.path, f'Workflow "{name}"', _setup)
        self.version = 0  # counts this process's writes, so a waiter can tell that something changed
        self._changed = asyncio.Event()

    def _wrote(self) -> None:
        self.version += 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def changed_since(self, version: int) -> None:
        """Return once this process wrote to the Workflow after ``version`` (tests and tools wait on it)."""
        while self.version == version:
            await self._changed.wait()

    # -- instances -------------------------------------------------------------------
    async def create(self, instance_id: str, params: bytes) -> bool:
        """Insert a queued instance; ``False`` when the id is taken."""

        def job(conn: sqlite3.Connection) -> bool:
            stamp = now_ms()
            cursor = conn.execute(
                "INSERT OR IGNORE INTO instances (id, status, params, created, modified) VALUES (?, 'queued', ?, ?, ?)",
                (instance_id, params, stamp, stamp),
            )
            return cursor.rowcount == 1

        created = await self.db.run(job)
        self._wrote()
        return created

    async def get(self, instance_id: str) -> Instance | None:
        def job(conn: sqlite3.Connection) -> Instance | None:
            row = conn.execute("SELECT * FROM instances WHERE id = ?", (instance_id,)).fetchone()
            return None if row is None else Instance(*row)

        return await self.db.run(job)

    async def instances(self, statuses: frozenset[str] | None = None) -> list[Instance]:
        """Every instance, oldest first (only those in ``statuses`` when given)."""

        def job(conn: sqlite3.Connection) -> list[Instance]:
            rows = conn.execute("SELECT * FROM instances ORDER BY created, id").fetchall()
            found = [Instance(*row) for row in rows]
            return found if statuses is None else [i for i in found if i.status in statuses]

        return await self.db.on_thread(job)

    async def set_status(
        self, instance_id: str, status: str, output: bytes | None = None, error: bytes | None = None
    ) -> None:
        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE instances SET status = ?, output = ?, error = ?, modified = ? WHERE id = ?",
                (status, output, error, now_ms(), instance_id),
            )

        await self.db.run(job)
        self._wrote()

    async def restart(self, instance_id: str) -> None:
        """Forget every step and event of the instance and queue it again, with its params."""

        def job(conn: sqlite3.Connection) -> None:
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("DELETE FROM steps WHERE instance = ?", (instance_id,))
                conn.execute("DELETE FROM events WHERE instance = ?", (instance_id,))
                conn.execute(
                    "UPDATE instances SET status = 'queued', output = NULL, error = NULL, modified = ? WHERE id = ?",
                    (now_ms(), instance_id),
                )

        await self.db.run(job)
        self._wrote()

    # -- steps -----------------------------------------------------------------------
    async def step(self, instance_id: str, key: str) -> Step | None:
        def job(conn: sqlite3.Connection) -> Step | None:
            row = conn.execute(
                "SELECT value, error, wake, attempts FROM steps WHERE instance = ? AND key = ?", (instance_id, key)
            ).fetchone()
            return None if row is None else Step(*row)

        return await self.db.run(job)

    async def save_step(self, instance_id: str, key: str, step: Step) -> None:
        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO steps (instance, key, value, error, wake, attempts) VALUES (?, ?, ?, ?, ?, ?)",
                (instance_id, key, step.value, step.error, step.wake, step.attempts),
            )

        await self.db.run(job)
        self._wrote()

    # -- events ----------------------------------------------------------------------
    async def send_event(self, instance_id: str, event_type: str, payload: bytes) -> None:
        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO events (instance, type, payload, timestamp) VALUES (?, ?, ?, ?)",
                (instance_id, event_type, payload, now_ms()),
            )

        await self.db.run(job)
        self._wrote()

    async def take_event(self, instance_id: str, event_type: str) -> tuple[bytes, int] | None:
        """The oldest event of ``event_type`` nobody took yet, marked taken: ``(payload, timestamp)``."""

        def job(conn: sqlite3.Connection) -> tuple[bytes, int] | None:
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                row = conn.execute(
                    "SELECT seq, payload, timestamp FROM events WHERE instance = ? AND type = ? AND taken = 0 "
                    "ORDER BY seq LIMIT 1",
                    (instance_id, event_type),
                ).fetchone()
                if row is None:
                    return None
                conn.execute("UPDATE events SET taken = 1 WHERE seq = ?", (row[0],))
                return row[1], row[2]

        return await self.db.run(job)

    async def data_version(self) -> Any:
        """Changes when another connection (another process) commits to the file."""
        return await self.db.run(lambda conn: conn.execute("PRAGMA data_version").fetchone()[0])
