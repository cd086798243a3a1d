"""``pyworker d1 | kv | r2``: wrangler's commands, on the files ``pyworker dev`` uses."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pyworker.cli import main
from pyworker.config import load_config
from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.serving.server import DevServer

CONFIG = """
name = "api"
main = "src/entry.py"
kv_namespaces = [{ binding = "CACHE", id = "cache-id" }]
r2_buckets = [{ binding = "FILES", bucket_name = "files" }]

[[d1_databases]]
binding = "DB"
database_name = "app-db"
database_id = "6b9e1c2a-0000-4000-8000-000000000001"
migrations_dir = "db/migrations"

[env.staging]
kv_namespaces = [{ binding = "CACHE", id = "staging-cache" }]
"""
ENTRY = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(await self.env.CACHE.get("greeting") or "none")
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src/entry.py").write_text(ENTRY)
    (tmp_path / "wrangler.toml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_d1_execute_prints_tables_and_json(project: Path) -> None:
    made = run("d1", "execute", "DB", "--local", "--command", "CREATE TABLE u (id INTEGER, name TEXT); "
               "INSERT INTO u VALUES (1, 'ann'), (2, NULL); SELECT * FROM u ORDER BY id")  # fmt: skip
    assert made.exit_code == 0, made.output
    assert made.stdout == textwrap.dedent("""\
        SELECT * FROM u ORDER BY id
        ┌────┬──────┐
        │ id │ name │
        ├────┼──────┤
        │ 1  │ ann  │
        ├────┼──────┤
        │ 2  │ null │
        └────┴──────┘
        """)
    assert made.stderr == (
        "Executing on local database DB (6b9e1c2a-0000-4000-8000-000000000001) from .wrangler/state/v3/d1:\n"
        "3 commands executed successfully.\n"
    )
    as_json = run("d1", "execute", "app-db", "--command", "SELECT name FROM u WHERE id = 1", "--json")
    assert as_json.exit_code == 0 and as_json.stderr == ""
    [result] = json.loads(as_json.stdout)
    assert (result["results"], result["success"], list(result["meta"])) == ([{"name": "ann"}], True, ["duration"])


def test_d1_execute_a_file_and_errors(project: Path) -> None:
    (project / "init.sql").write_text(
        "CREATE TABLE t (a);\n-- seed\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\n"
    )
    assert run("d1", "execute", "DB", "--file", "init.sql").exit_code == 0
    failed = run("d1", "execute", "DB", "--command", "INSERT INTO t VALUES (3); SELECT * FROM nope")
    assert (failed.exit_code, failed.stderr.splitlines()[-1]) == (1, "Error: no such table: nope: SQLITE_ERROR")
    counted = run("d1", "execute", "DB", "--command", "SELECT count(*) AS n FROM t", "--json")
    assert json.loads(counted.stdout)[0]["results"] == [{"n": 2}]  # the failed batch left nothing behind
    unknown = run("d1", "execute", "nope", "--command", "SELECT 1")
    assert (unknown.exit_code, unknown.stderr) == (
        1, "Error: Couldn't find a D1 DB with the name or binding 'nope' in wrangler.toml in ..\n"
    )  # fmt: skip
    both = run("d1", "execute", "DB", "--command", "SELECT 1", "--file", "init.sql")
    assert both.stderr == "Error: Give either --command or --file, not both.\n"
    remote = run("d1", "execute", "DB", "--remote", "--command", "SELECT 1")
    assert remote.stderr == "Error: pyworker works on local data only; use wrangler for --remote.\n"


def test_d1_migrations_create_list_apply_each_once(project: Path) -> None:
    missing = run("d1", "migrations", "list", "DB")
    assert missing.exit_code == 1
    assert missing.stderr.startswith(f"Error: No migrations present at {project / 'db/migrations'} (the migrations_dir")
    assert run("d1", "migrations", "create", "DB", "init").exit_code == 0
    assert run("d1", "migrations", "create", "app-db", "add users").exit_code == 0
    first, second = sorted((project / "db/migrations").iterdir())
    assert (first.name, second.name) == ("0001_init.sql", "0002_add_users.sql")
    assert second.read_text().startswith("-- Migration number: 0002 \t ")
    first.write_text(first.read_text() + "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n")
    second.write_text("ALTER TABLE users ADD COLUMN email TEXT;\nINSERT INTO users (name) VALUES ('ann');\n")
    listed = run("d1", "migrations", "list", "DB")
    assert listed.stdout.splitlines()[3:6] == [
        "│ 0001_init.sql      │",
        "├────────────────────┤",
        "│ 0002_add_users.sql │",
    ]
    applied = run("d1", "migrations", "apply", "DB", "--local")
    assert applied.exit_code == 0 and applied.stdout.count("applied") == 2
    assert run("d1", "migrations", "list", "DB").stderr == "No migrations to apply!\n"
    assert run("d1", "migrations", "apply", "DB").stderr == "No migrations to apply!\n"
    (project / "db/migrations/0003_broken.sql").write_text("INSERT INTO users (name) VALUES ('bo');\nBROKEN;\n")
    broken = run("d1", "migrations", "apply", "DB")
    assert broken.exit_code == 1
    assert broken.stderr.endswith(
        'Error: Migration 0003_broken.sql failed: near "BROKEN": syntax error at offset 0: SQLITE_ERROR\n'
    )
    rows = run(
        "d1",
        "execute",
        "DB",
        "--command",
        "SELECT name FROM d1_migrations ORDER BY id; SELECT count(*) AS n FROM users",
        "--json",
    )
    names, users = json.loads(rows.stdout)
    assert [r["name"] for r in names["results"]] == ["0001_init.sql", "0002_add_users.sql"]
    assert users["results"] == [{"n": 1}]  # the broken migration's insert was undone with it


def test_kv_key_commands_and_bulk_put(project: Path) -> None:
    put = run("kv", "key", "put", "greeting", "hello", "--binding", "CACHE", "--local", "--metadata", '{"v": 1}')
    assert (put.exit_code, put.stderr) == (0, 'Writing the value "hello" to key "greeting" on namespace cache-id.\n')
    assert run("kv", "key", "get", "greeting", "--binding", "CACHE", "--text").stdout == "hello\n"
    (project / "bulk.json").write_text(json.dumps([
        {"key": "b", "value": "aGk=", "base64": True},
        {"key": "a", "value": "1", "metadata": {"m": True}, "expiration_ttl": 3600},
    ]))  # fmt: skip
    assert run("kv", "bulk", "put", "bulk.json", "--binding", "CACHE").stderr == "Success!\n"
    assert run("kv", "key", "get", "b", "--binding", "CACHE").stdout_bytes == b"hi"
    listed = json.loads(run("kv", "key", "list", "--binding", "CACHE").stdout)
    assert [k["name"] for k in listed] == ["a", "b", "greeting"]
    assert listed[0]["metadata"] == {"m": True} and "expiration" in listed[0] and listed[2]["metadata"] == {"v": 1}
    assert run("kv", "key", "delete", "a", "--binding", "CACHE").exit_code == 0
    assert run("kv", "key", "get", "a", "--binding", "CACHE").stderr == "Value not found\n"
    too_long = run("kv", "key", "put", "k" * 513, "v", "--binding", "CACHE")
    assert too_long.stderr.endswith(
        "Error: KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512.\n"
    )
    unknown = run("kv", "key", "get", "a", "--binding", "NOPE")
    assert unknown.stderr == (
        'Error: A namespace with binding name "NOPE" was not found in "kv_namespaces" (wrangler.toml in .).\n'
    )
    staging = run("kv", "key", "put", "greeting", "staged", "--binding", "CACHE", "-e", "staging")
    assert staging.stderr == 'Writing the value "staged" to key "greeting" on namespace staging-cache.\n'


def test_r2_object_commands(project: Path) -> None:
    (project / "photo.jpg").write_bytes(b"\xff\xd8 jpeg")
    put = run("r2", "object", "put", "files/photos/a.jpg", "--file", "photo.jpg", "--content-type", "image/jpeg")
    assert put.stderr == 'Creating object "photos/a.jpg" in bucket "files".\nUpload complete.\n'
    assert run("r2", "object", "get", "files/photos/a.jpg").stdout_bytes == b"\xff\xd8 jpeg"
    assert run("r2", "object", "get", "files/photos/a.jpg", "--file", "copy.jpg").exit_code == 0
    assert (project / "copy.jpg").read_bytes() == b"\xff\xd8 jpeg"
    assert run("r2", "object", "delete", "files/photos/a.jpg").stderr.endswith("Delete complete.\n")
    gone = run("r2", "object", "get", "files/photos/a.jpg")
    assert (gone.exit_code, gone.stderr) == (
        1,
        'Error: The specified key "photos/a.jpg" does not exist in bucket "files".\n',
    )
    assert run("r2", "object", "put", "nobucketkey", "--file", "photo.jpg").stderr == (
        'Error: "nobucketkey" is not BUCKET/KEY: give the bucket name, a slash, then the object key.\n'
    )


@pytest.mark.anyio
async def test_commands_and_the_dev_server_share_persist_to(project: Path, tmp_path: Path) -> None:
    state = tmp_path / "elsewhere"
    put = await asyncio.to_thread(
        run, "kv", "key", "put", "greeting", "hi", "--binding", "CACHE", "--persist-to", str(state)
    )
    assert put.exit_code == 0
    server = DevServer(DevOptions(persist_to=state), Printer(level="none"), [load_config(project)])
    try:
        assert await server.worker("api").env.CACHE.get("greeting") == "hi"
    finally:
        server.storage.close()
    assert (state / "v3/kv/miniflare-KVNamespaceObject").is_dir() and not (project / ".wrangler").exists()
    d1_file = project / ".wrangler/state/v3/d1/miniflare-D1DatabaseObject"
    assert (await asyncio.to_thread(run, "d1", "execute", "DB", "--command", "CREATE TABLE x (a)")).exit_code == 0
    [file] = d1_file.glob("*.sqlite")
    with contextlib.closing(sqlite3.connect(file)) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("x",)]
