"""The SQLite engine: quick jobs inline, slow or blocked ones on the database's thread, never a stalled loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from pyworker.errors import StorageError
from pyworker.storage import sqlite as engine
from pyworker.storage.sqlite import Database

pytestmark = pytest.mark.anyio

SLOW = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) SELECT count(*) FROM c"


def schema(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INTEGER)")


@pytest.fixture
def db(tmp_path: Path):
    database = Database(tmp_path / "x.sqlite", 'test database "x"', schema)
    yield database
    database.close()


async def test_a_quick_job_runs_inline_on_the_loop_thread(db: Database) -> None:
    await db.run(lambda conn: conn.execute("INSERT INTO t VALUES ('a', 1)"))
    where = await db.run(lambda conn: threading.get_ident())
    assert where == threading.get_ident()
    assert await db.run(lambda conn: conn.execute("SELECT v FROM t").fetchall()) == [(1,)]


async def test_a_slow_query_moves_to_the_thread_and_the_loop_keeps_serving(db: Database) -> None:
    await db.run(lambda conn: None)  # opened
    ran_on: list[int] = []

    def job(conn: sqlite3.Connection) -> int:
        ran_on.append(threading.get_ident())
        return conn.execute(SLOW).fetchone()[0]

    task = asyncio.ensure_future(db.run(job))
    gaps: list[float] = []
    last = time.perf_counter()
    while not task.done():
        await asyncio.sleep(0)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
    assert task.result() == 2_000_000
    # First inline (interrupted at the budget), then again on the thread.
    assert ran_on[0] == threading.get_ident() and ran_on[-1] != threading.get_ident()
    # The loop kept turning while the query ran on the thread (a blocked loop would turn once or twice).
    assert len(gaps) >= 20


async def test_a_lock_held_by_another_process_never_stalls_the_loop(db: Database) -> None:
    await db.run(lambda conn: conn.execute("INSERT INTO t VALUES ('a', 1)"))
    other = sqlite3.connect(db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE t SET v = 2")
    task = asyncio.ensure_future(db.run(lambda conn: conn.execute("UPDATE t SET v = v + 10")))
    for _ in range(200):  # the loop turns while the write waits for the lock on the thread
        await asyncio.sleep(0)
    assert not task.done()
    other.execute("COMMIT")
    other.close()
    await task
    assert await db.run(lambda conn: conn.execute("SELECT v FROM t").fetchone()[0]) == 12


async def test_a_failed_job_is_undone_whole(db: Database) -> None:
    def job(conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES ('a', 1)")
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await db.run(job)
    assert await db.run(lambda conn: conn.execute("SELECT count(*) FROM t").fetchone()[0]) == 0


async def test_a_corrupt_state_file_gives_one_line_naming_it_and_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "broken.sqlite"
    garbage = b"this is not a database, but someone's data" * 100
    path.write_bytes(garbage)
    database = Database(path, 'KV namespace "abc"', schema)
    try:
        with pytest.raises(StorageError) as caught:
            await database.run(lambda conn: None)
        assert str(caught.value) == (
            f'KV namespace "abc": its state file {path} is not a usable SQLite database (file is not a database). '
            "pyworker leaves it untouched: move it aside to start afresh, or restore it from a backup."
        )
        assert path.read_bytes() == garbage
        assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.sqlite"]
    finally:
        database.close()


async def test_concurrent_first_uses_share_one_opening_and_every_write_lands(db: Database) -> None:
    def put(i: int):
        return lambda conn: conn.execute("INSERT INTO t VALUES (?, ?)", (f"k{i}", i))

    await asyncio.gather(*(db.run(put(i)) for i in range(100)))
    assert await db.run(lambda conn: conn.execute("SELECT count(*), sum(v) FROM t").fetchone()) == (100, 4950)


async def test_inline_writes_are_checkpointed_in_the_background(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "CHECKPOINT_EVERY", 5)
    await db.run(lambda conn: None)
    posted: list[object] = []
    assert db._thread is not None
    monkeypatch.setattr(db._thread, "post", posted.append)
    for i in range(12):
        await db.run(lambda conn, i=i: conn.execute("INSERT INTO t VALUES (?, ?)", (f"k{i}", i)))
    await db.run(lambda conn: conn.execute("SELECT count(*) FROM t").fetchone())  # reads are not writes
    assert len(posted) == 2
    inline = db._inline
    assert inline is not None
    assert inline.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)  # the loop never checkpoints


async def test_a_job_whose_write_committed_is_not_run_twice_when_its_next_statement_is_slow(db: Database) -> None:
    def insert_then_slow(conn: sqlite3.Connection) -> int:
        conn.execute("INSERT INTO t (k, v) VALUES (lower(hex(randomblob(8))), 1)")  # autocommit: done
        return int(conn.execute(SLOW).fetchall()[0][0])  # over the inline budget

    assert await db.run(insert_then_slow) == 2000000
    assert await db.on_thread(lambda conn: conn.execute("SELECT count(*) FROM t").fetchall()) == [(1,)]
