"""One SQLite file, used from the event loop without stalling the other workers.

A :class:`Database` has two connections. A job (a function of a connection) first runs
*inline*, on the event loop, where a single-row read or write costs a few microseconds, as
with raw ``sqlite3``. Inline it may neither wait for a lock (``busy_timeout`` 0) nor run
longer than :data:`INLINE_BUDGET` (a progress handler interrupts it); either way SQLite
undoes it and the job runs again on the database's own thread, which may wait and take
its time while the loop serves everyone else. A slow query therefore holds the loop for
at most the budget, and a lock held by another process (``pyworker d1 execute`` while
``pyworker dev`` runs) never holds it at all.

So a job must be atomic: one statement, or its statements inside one transaction, with no
effect outside SQLite. Files use WAL (readers never wait for a writer, other processes
share the file) with ``synchronous=NORMAL``: a commit is in the operating system's hands
when it returns, so a ``kill -9`` right after loses nothing acknowledged (a power cut may
lose the last commits). The inline connection never checkpoints; the thread does it in
the background every :data:`CHECKPOINT_EVERY` inline writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pyworker.errors import StateWriteError, StorageError

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], T]
Setup = Callable[[sqlite3.Connection], None]

INLINE_BUDGET = 0.002  # seconds a job may hold the event loop before it moves to the thread
CHECKPOINT_EVERY = 100  # inline writes between two background WAL checkpoints
BUSY_TIMEOUT_MS = 10_000  # how long the thread waits for another process's lock
_STEPS = 2000  # SQLite VM steps between two looks at the clock
_RETRY = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_INTERRUPT})
_STOP = object()
_CORRUPT = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
_WRITE_FAILED = {sqlite3.SQLITE_FULL: "its disk is full", sqlite3.SQLITE_READONLY: "it is read-only"}


def _retryable(exc: sqlite3.Error) -> bool:
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _RETRY


def first_row(cursor: sqlite3.Cursor) -> Any:
    """The first row of ``cursor`` (or ``None``), with the statement run to its end, so no statement
    is left active (holding a read transaction open) when a job's write follows it."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


def _writable(path: Path) -> bool:
    """Write permission by the file's mode as well as by ``access`` (which says yes to root for every file)."""
    return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o222)


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


class Database:
    """A SQLite file shared by every binding (and worker) that names it; opened on first use.

    ``schema`` runs on the thread's connection when it opens (tables, clean-up); ``configure``
    on every connection (limits, authorizer); ``label`` names the namespace in messages
    (``KV namespace "abc"``).
    """

    def __init__(
        self,
        path: Path,
        label: str,
        schema: Setup | None = None,
        configure: Setup | None = None,
        create: bool = True,
    ) -> None:
        self.path = path
        self.label = label
        self.create = create
        self.read_only = False
        self._schema = schema
        self._configure = configure
        self._inline: sqlite3.Connection | None = None
        self._thread: _SqlThread | None = None
        self._opening: asyncio.Future[sqlite3.Connection] | None = None
        self._deadline = float("inf")
        self._changes = 0  # the inline connection's total_changes when the running job started
        self._writes = 0

    # -- running jobs ----------------------------------------------------------------
    async def run(self, job: Callable[..., T], *args: Any) -> T:
        """Run ``job(*args, conn)`` inline if it is quick and needs no lock, else on the thread; return its result.

        (``args`` spare a closure or ``partial`` per call on the hot paths.)"""
        conn = self._inline
        if conn is None:
            conn = await self._open()
        before = self._changes = conn.total_changes
        self._deadline = time.perf_counter() + INLINE_BUDGET
        try:
            result = job(*args, conn)
        except sqlite3.Error as exc:
            _rollback(conn)
            if not _retryable(exc):
                raise
            return await self.on_thread(functools.partial(job, *args) if args else job)
        except BaseException:
            _rollback(conn)
            raise
        finally:
            self._deadline = float("inf")
        if conn.total_changes != before:
            self._wrote()
        return result

    async def write(self, job: Job[T], thread: bool = False) -> T:
        """:meth:`run` (or :meth:`on_thread`) for a job that writes: a full disk or read-only file is one sentence."""
        try:
            return await (self.on_thread(job) if thread else self.run(job))
        except sqlite3.Error as exc:
            why = _WRITE_FAILED.get(getattr(exc, "sqlite_errorcode", 0) & 0xFF)
            if why is None:
                raise
            raise StateWriteError(
                f"{self.label}: cannot write its state file {self.path}: {why}; nothing was stored."
            ) from exc

    def absent(self) -> bool:
        """True when this database may not create its file and there is none yet (a read-only command)."""
        return not self.create and self._inline is None and not self.path.exists()

    async def on_thread(self, job: Job[T]) -> T:
        """Run ``job`` on the database's thread (long queries, file I/O), waiting for locks."""
        if self._thread is None:
            await self._open()
        assert self._thread is not None
        return await self._thread.submit(job)

    def post(self, job: Job[Any]) -> None:
        """Queue ``job`` on the thread without waiting for it (clean-up that nobody awaits)."""
        if self._thread is None:
            self._thread = _SqlThread(self)
        self._thread.post(job)

    def _wrote(self) -> None:
        self._writes += 1
        if self._writes >= CHECKPOINT_EVERY and self._thread is not None:
            self._writes = 0
            self._thread.post(lambda conn: conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall())

    # -- lifecycle -------------------------------------------------------------------
    async def _open(self) -> sqlite3.Connection:
        """Start the thread; it opens both connections, so a locked or broken file never stalls the loop."""
        if self._thread is None:
            self._thread = _SqlThread(self)
        if self._opening is None:  # concurrent first uses share one opening
            self._opening = asyncio.ensure_future(self._thread.submit(lambda conn: self.connect(inline=True)))
        try:
            inline = await asyncio.shield(self._opening)
        except BaseException:
            self._opening = None  # a broken file may be fixed or moved aside: try again next time
            raise
        if self._inline is None:
            inline.set_progress_handler(self._over_budget, _STEPS)
            self._inline = inline
        return self._inline

    def _over_budget(self) -> int:
        """Interrupt a job over its budget, unless one of its statements already committed (autocommit):
        run again on the thread, that statement would be applied twice (a D1 insert followed by a PRAGMA)."""
        if time.perf_counter() <= self._deadline:
            return 0
        return 0 if self._inline is not None and self._inline.total_changes != self._changes else 1

    def connect(self, inline: bool = False) -> sqlite3.Connection:
        """A new connection in WAL mode, configured (and for the thread, the schema applied).

        A file without write permission is opened read-only: reads work, writes are refused as
        read-only. A file that is not SQLite raises one clear line naming it; it is never touched.
        """
        try:
            conn = self._sqlite_connect()
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"{self.label}: cannot open its state file {self.path}: {exc}.") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout={0 if inline else BUSY_TIMEOUT_MS}")
            if not inline and not self.read_only:
                conn.execute("PRAGMA journal_mode=WAL").fetchall()
            conn.execute("PRAGMA synchronous=NORMAL")
            if inline:
                conn.execute("PRAGMA wal_autocheckpoint=0")
            elif self._schema is not None and not self.read_only:
                self._schema(conn)
            if self._configure is not None:
                self._configure(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            if (getattr(exc, "sqlite_errorcode", 0) & 0xFF) not in _CORRUPT:
                raise StorageError(f"{self.label}: cannot use its state file {self.path}: {exc}.") from exc
            raise unusable_file(self.label, self.path, exc) from exc
        return conn

    def _sqlite_connect(self) -> sqlite3.Connection:
        options: dict[str, Any] = {"isolation_level": None, "check_same_thread": False, "cached_statements": 256}
        if self.path.exists() and not _writable(self.path):
            self.read_only = True
            conn: sqlite3.Connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, **options)
            return conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, **options)
        return conn

    def close(self) -> None:
        """Stop the thread (after the jobs already queued) and close both connections."""
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
        if self._inline is not None:
            self._inline.close()
            self._inline = None
        self._opening = None


def open_connection(path: Path, label: str) -> sqlite3.Connection:
    """A connection to ``path`` (its directory made), in autocommit mode; one clear line when it cannot open."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(path, isolation_level=None, check_same_thread=False, cached_statements=256)
    except (OSError, sqlite3.Error) as exc:
        raise StorageError(f"{label}: cannot open its state file {path}: {exc}.") from exc


def unusable_file(label: str, path: Path, exc: BaseException) -> StorageError:
    """The error for a file that is not a usable SQLite database; pyworker never touches such a file."""
    return StorageError(
        f"{label}: its state file {path} is not a usable SQLite database ({exc}). "
        "pyworker leaves it untouched: move it aside to start afresh, or restore it from a backup."
    )


class _SqlThread:
    """The database's own thread and connection: runs jobs in order, one at a time."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._main, name=f"pyworker-sqlite {database.path.name}", daemon=True)
        self._thread.start()

    def submit(self, job: Job[T]) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((job, loop, future))
        return future

    def post(self, job: Job[Any]) -> None:
        """Queue ``job`` without waiting for it (background checkpoints)."""
        self._jobs.put((job, None, None))

    def stop(self) -> None:
        self._jobs.put(_STOP)
        self._thread.join()

    def _main(self) -> None:
        conn: sqlite3.Connection | None = None
        while (item := self._jobs.get()) is not _STOP:
            job, loop, future = item
            try:
                if conn is None:
                    conn = self._database.connect()
                result, error = job(conn), None
            except BaseException as exc:
                result, error = None, exc
                if conn is not None:
                    _rollback(conn)
            if loop is not None and not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(_settle, future, result, error)
        if conn is not None:
            conn.close()


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
