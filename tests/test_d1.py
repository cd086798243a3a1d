"""D1 through ``self.env`` inside real workers: results, types, errors in D1's wording, atomic batches."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from pyworker.commands.project import Project
from pyworker.printer import Printer
from pyworker.runtime.jsvalues import JsDict
from tests.conftest import FIXTURES

pytestmark = pytest.mark.anyio

WORKER = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        n = int(request.url.rsplit("/", 1)[1])
        result = await self.env.DB.prepare("INSERT INTO t (name) VALUES (?)").bind(f"row {n}").run()
        return Response(str(result.meta.changes))

    async def sql(self, query, *values, how="all", arg=None):
        try:
            statement = self.env.DB.prepare(query).bind(*values)
            method = getattr(statement, how)
            return await (method() if arg is None else method(arg))
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"

    async def exec(self, query):
        try:
            return await self.env.DB.exec(query)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"

    async def batch(self, *queries):
        db = self.env.DB
        try:
            return await db.batch([db.prepare(q) for q in queries])
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"

    async def session(self, constraint):
        session = self.env.DB.withSession(constraint)
        before = session.getBookmark()
        await session.prepare("SELECT 1").all()
        return [before, session.getBookmark()]
"""

CONFIG = """
name = "w"
main = "src/entry.py"

[[d1_databases]]
binding = "DB"
database_name = "app-db"
database_id = "0f2ac74b-498b-4e5e-a8b4-0c6e8a1d9a10"
"""


@pytest.fixture
async def db(write_worker, make_server):
    server = make_server(write_worker("w", {"src/entry.py": WORKER}, CONFIG))
    worker = server.worker("w")

    async def sql(query: str, *values: Any, how: str = "all", arg: Any = None) -> Any:
        return await worker.call(None, "sql", (query, *values), {"how": how, "arg": arg})

    sql.worker = worker  # type: ignore[attr-defined]
    sql.server = server  # type: ignore[attr-defined]
    assert await worker.call(
        None, "exec", ("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, data BLOB, x REAL)",), {}
    ) == {"count": 1, "duration": pytest.approx(0, abs=50)}
    return sql


async def test_cloudflare_example_04_query_d1_with_its_init_script(tmp_path: Path, make_server) -> None:
    directory = shutil.copytree(FIXTURES / "examples/04-query-d1", tmp_path / "04-query-d1")
    from pyworker.commands import d1 as commands

    project = Project((directory,), printer=Printer(level="none"))
    await asyncio.to_thread(commands.execute, project, "quotes", None, directory / "db_init.sql", False)
    server = make_server(directory)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app("python-d1"))) as client:
        reply = await client.get("http://localhost/")
    assert reply.status_code == 200
    assert reply.json() in [
        {"quote": "This is a very cool quote", "author": "Hood Chatham"},
        {"quote": "Some words of wisdom", "author": "Dominik Picheta"},
        {"quote": "The sense 'fragment of verbal expression', attested from the 17th century", "author": "Wikipedia"},
    ]
    # The very file wrangler dev and wrangler d1 execute --local use for this database_id.
    wrangler_file = directory / (
        ".wrangler/state/v3/d1/miniflare-D1DatabaseObject/4bdc987d6cf42250dbe004ca5755a313c0f6932123b1a8054f2afb8a226b830e.sqlite"
    )
    with contextlib.closing(sqlite3.connect(wrangler_file)) as conn:
        assert conn.execute("SELECT count(*) FROM qtable").fetchone() == (3,)


async def test_all_run_first_raw_give_d1s_shapes(db) -> None:
    inserted = await db("INSERT INTO t (name, data, x) VALUES (?, ?, ?)", "ann", b"\x01\x02", 2.0, how="run")
    assert inserted["success"] is True and inserted["results"] == []
    meta = inserted["meta"]
    assert {k: meta[k] for k in ("changes", "last_row_id", "changed_db", "rows_written", "served_by")} == {
        "changes": 1, "last_row_id": 1, "changed_db": True, "rows_written": 1, "served_by": "pyworker.db",
    }  # fmt: skip
    assert meta["size_after"] > 0 and meta["duration"] >= 0 and meta["timings"]["sql_duration_ms"] == meta["duration"]
    rows = await db("SELECT id, name, data, x FROM t")
    assert rows["results"] == [{"id": 1, "name": "ann", "data": [1, 2], "x": 2}]  # a BLOB as bytes, 2.0 as 2
    assert type(rows["results"][0]["x"]) is int
    assert rows["meta"]["rows_read"] == 1 and rows["meta"]["changes"] == 0
    assert await db("SELECT * FROM t WHERE id = ?", 1, how="first") == {"id": 1, "name": "ann", "data": [1, 2], "x": 2}
    assert await db("SELECT name FROM t", how="first", arg="name") == "ann"
    assert await db("SELECT * FROM t WHERE id = 99", how="first") is None
    assert await db("SELECT name FROM t", how="first", arg="nope") == (
        "JsException: Error: D1_COLUMN_NOTFOUND: Column not found (nope)"
    )
    assert await db("SELECT id, name FROM t", how="raw") == [[1, "ann"]]
    assert await db("SELECT id, name FROM t", how="raw", arg={"columnNames": True}) == [["id", "name"], [1, "ann"]]


async def test_a_delete_or_update_reads_the_row_it_seeks_found_or_not(db) -> None:
    # workerd's meter counts the seek of a DELETE/UPDATE ... WHERE even when no row matches; django-cf
    # (Cloudflare's example 19-django-todo-d1) reads "0 rows deleted" from rows_read 1 with rows_written 0.
    await db("INSERT INTO t (name) VALUES ('ann'), ('bob')", how="run")

    def counts(result: Any) -> tuple[int, int]:
        return result["meta"]["rows_read"], result["meta"]["rows_written"]

    assert counts(await db("DELETE FROM t WHERE id = ?", 9, how="run")) == (1, 0)
    assert counts(await db("UPDATE t SET x = 1 WHERE id = ?", 9, how="run")) == (1, 0)
    assert counts(await db("UPDATE t SET x = 2 WHERE id > ?", 0, how="run")) == (2, 2)
    assert counts(await db("DELETE FROM t WHERE id = ?", 1, how="run")) == (1, 1)
    assert counts(await db("INSERT INTO t (name) VALUES ('cy')", how="run")) == (0, 1)
    assert counts(await db("SELECT * FROM t WHERE id = 99")) == (0, 0)


async def test_results_allow_attribute_access(db) -> None:
    binding = db.worker.env.DB
    await binding.prepare("INSERT INTO t (name) VALUES ('bo')").run()
    result = await binding.prepare("SELECT name FROM t").all()
    assert isinstance(result, JsDict) and result.results[0].name == "bo" and result.meta.changes == 0


async def test_bound_values_follow_d1s_rules(db) -> None:
    await db("INSERT INTO t (name, x) VALUES (?, ?)", "flag", True, how="run")
    assert await db("SELECT x FROM t WHERE name = 'flag'", how="first", arg="x") == 1
    await db("INSERT INTO t (name, data) VALUES (?, ?)", "list", [0, 255], how="run")
    assert await db("SELECT data FROM t WHERE name = 'list'", how="first", arg="data") == [0, 255]
    await db("INSERT INTO t (name) VALUES (?)", None, how="run")
    assert await db("SELECT count(*) AS n FROM t WHERE name IS NULL", how="first", arg="n") == 1
    assert await db("SELECT ?", {"a": 1}) == (
        "JsException: Error: D1_TYPE_ERROR: Type 'object' not supported for value '[object Object]'"
    )
    assert await db("SELECT ?", 2**60) == (
        "JsException: Error: D1_TYPE_ERROR: Type 'bigint' not supported for value '1152921504606846976'"
    )
    assert (
        await db("SELECT ?", ["a", "b"])
        == "JsException: Error: D1_TYPE_ERROR: Type 'object' not supported for value 'a,b'"
    )


async def test_sql_errors_arrive_as_d1_errors(db) -> None:
    await db("INSERT INTO t (name) VALUES ('ann')", how="run")
    assert await db("SELECT * FROM nope") == "JsException: Error: D1_ERROR: no such table: nope: SQLITE_ERROR"
    assert await db("SELEC 1") == 'JsException: Error: D1_ERROR: near "SELEC": syntax error at offset 0: SQLITE_ERROR'
    assert await db("INSERT INTO t (name) VALUES ('ann')", how="run") == (
        "JsException: Error: D1_ERROR: UNIQUE constraint failed: t.name: SQLITE_CONSTRAINT "
        "(extended: SQLITE_CONSTRAINT_UNIQUE)"
    )
    assert (
        await db("SELECT ?, ?", 1) == "JsException: Error: D1_ERROR: Wrong number of parameter bindings for SQL query."
    )
    assert await db("SELECT " + ", ".join("?" * 101), *range(101)) == (
        "JsException: Error: D1_ERROR: too many SQL variables: SQLITE_ERROR"
    )
    assert await db("") == "JsException: Error: D1_ERROR: No SQL statements detected."


async def test_what_d1_refuses_is_refused(db) -> None:
    assert (await db("BEGIN TRANSACTION")).startswith(
        "JsException: Error: D1_ERROR: To execute a transaction, please use the state.storage.transaction() or"
    )
    wrangler_tables = sqlite3.connect(db.server.storage.state.d1("0f2ac74b-498b-4e5e-a8b4-0c6e8a1d9a10"))
    wrangler_tables.execute("CREATE TABLE _cf_KV (key TEXT PRIMARY KEY, value BLOB)")  # as workerd makes it
    wrangler_tables.close()
    assert (
        await db("SELECT * FROM _cf_KV")
        == "JsException: Error: D1_ERROR: access to _cf_KV.key is prohibited: SQLITE_AUTH"
    )
    assert await db("CREATE TABLE _cf_mine (a)") == "JsException: Error: D1_ERROR: not authorized: SQLITE_AUTH"
    assert await db("ATTACH DATABASE 'x.db' AS x") == "JsException: Error: D1_ERROR: not authorized: SQLITE_AUTH"
    assert await db("PRAGMA journal_mode = DELETE") == "JsException: Error: D1_ERROR: not authorized: SQLITE_AUTH"
    assert (await db("PRAGMA table_info(t)"))["results"][1]["name"] == "name"
    assert (await db("PRAGMA foreign_keys = ON", how="run"))["success"] is True


async def test_several_statements_in_one_query_run_together_and_only_the_last_takes_values(db) -> None:
    result = await db(
        "INSERT INTO t (name) VALUES ('a'); INSERT INTO t (name) VALUES ('b'); "
        "SELECT count(*) AS n FROM t WHERE name > ?",
        "",
    )
    assert result["results"] == [{"n": 2}] and result["meta"]["changes"] == 2
    assert await db("INSERT INTO t (name) VALUES (?); SELECT 1", "c") == (
        "JsException: Error: D1_ERROR: When executing multiple SQL statements in a single call, only the last "
        "statement can have parameters."
    )
    assert await db("SELECT count(*) AS n FROM t", how="first", arg="n") == 2


async def test_batch_is_all_or_nothing(db) -> None:
    results = await db.worker.call(None, "batch", ("INSERT INTO t (name) VALUES ('a')", "SELECT name FROM t"), {})
    assert [r["results"] for r in results] == [[], [{"name": "a"}]]
    failed = await db.worker.call(
        None, "batch", ("INSERT INTO t (name) VALUES ('b')", "INSERT INTO nope VALUES (1)"), {}
    )
    assert failed == "JsException: Error: D1_ERROR: no such table: nope: SQLITE_ERROR"
    assert await db("SELECT name FROM t", how="raw") == [["a"]]
    assert await db.worker.call(None, "batch", (), {}) == "JsException: Error: D1_ERROR: No SQL statements detected."


async def test_exec_runs_one_query_per_line_in_one_transaction(db) -> None:
    sql = "INSERT INTO t (name) VALUES ('a')\n\n-- a comment\nINSERT INTO t (name) VALUES ('b')"
    result = await db.worker.call(None, "exec", (sql,), {})
    assert result["count"] == 2
    failed = await db.worker.call(
        None, "exec", ("INSERT INTO t (name) VALUES ('c')\nINSERT INTO t (name) VALUES ('a')",), {}
    )
    assert failed == (
        "JsException: Error: D1_EXEC_ERROR: Error in line 1: INSERT INTO t (name) VALUES ('c'): UNIQUE constraint "
        "failed: t.name: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)"
    )
    assert await db("SELECT name FROM t ORDER BY name", how="raw") == [["a"], ["b"]]


async def test_sessions_carry_a_bookmark(db) -> None:
    before, after = await db.worker.call(None, "session", ("first-primary",), {})
    assert before is None and isinstance(after, str) and after
    before, again = await db.worker.call(None, "session", (after,), {})
    assert before == after and again >= after


async def test_100_concurrent_inserts_from_concurrent_requests_all_land(db) -> None:
    app = db.server.app("w")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost") as client:
        replies = await asyncio.gather(*(client.get(f"/{i}") for i in range(100)))
    assert {reply.text for reply in replies} == {"1"}
    assert await db("SELECT count(*) AS n, count(DISTINCT name) AS d FROM t", how="first") == {"n": 100, "d": 100}


async def test_a_missing_database_id_uses_the_binding_name_as_wrangler_does(write_worker, make_server) -> None:
    config = 'name = "w"\nmain = "src/entry.py"\nd1_databases = [{ binding = "DB" }]\n'
    server = make_server(write_worker("w", {"src/entry.py": WORKER}, config))
    await server.worker("w").call(None, "exec", ("CREATE TABLE x (a)",), {})
    assert server.storage.state.d1("DB").is_file()


async def test_syntax_errors_give_the_offset_when_the_token_is_in_one_place(db) -> None:
    # The same messages as `wrangler d1 execute --local` (workerd) gives for these statements.
    assert await db("SELECT 1;  SELECT * FRM t") == (
        'JsException: Error: D1_ERROR: near "FRM": syntax error at offset 9: SQLITE_ERROR'
    )
    assert await db("SELECT * FROM t WHERE") == "JsException: Error: D1_ERROR: incomplete input: SQLITE_ERROR"
    assert await db("SELECT name FROM t WHERE name = 'x' AND AND 1") == (
        'JsException: Error: D1_ERROR: near "AND": syntax error: SQLITE_ERROR'  # "AND" twice: no offset
    )


async def test_changed_db_is_false_for_statements_that_change_nothing(write_worker, make_server) -> None:
    directory = write_worker("w", {"src/entry.py": WORKER}, CONFIG)
    first = make_server(directory).worker("w")
    created = await first.call(None, "sql", ("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)",), {})
    assert created["meta"]["changed_db"] is True
    worker = make_server(directory).worker("w")  # a new start: the first statement is a SELECT

    async def changed(query: str, *values: Any) -> bool:
        return bool((await worker.call(None, "sql", (query, *values), {}))["meta"]["changed_db"])

    assert await changed("SELECT * FROM t") is False
    assert await changed("SELECT count(*) FROM t WHERE id > ?", 3) is False
    assert await changed("UPDATE t SET name = 'x' WHERE id = 99") is False
    assert await changed("INSERT INTO t (name) VALUES (?)", "ann") is True
    assert await changed("DELETE FROM t WHERE id = 99") is False
    assert await changed("CREATE INDEX t_name ON t(name)") is True
    assert await changed("SELECT name FROM t") is False
