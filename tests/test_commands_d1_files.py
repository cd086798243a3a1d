"""``pyworker d1 execute --file`` with dump files, ``pyworker d1 export``, output as wrangler prints it, and
where the data commands find the project's state."""

from __future__ import annotations

import itertools
import json
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pyworker.cli import main

FIXTURE = Path(__file__).parent / "fixtures/wrangler_4_86"
CONFIG = """
name = "api"
main = "src/entry.py"

[[d1_databases]]
binding = "DB"
database_name = "expdb"
database_id = "exp-d1"
migrations_dir = "migrations"
"""
SCHEMA = (
    'CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, f REAL, b BLOB); CREATE TABLE "Quoted" (x); '
    "INSERT INTO t (name,f,b) VALUES ('it''s'||char(10)||'x', 2.5, x'00ff'), (NULL, 1e-7, NULL); "
    "CREATE INDEX ti ON t(name); CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET f = 1 WHERE id = new.id AND "
    "f IS NULL; END; CREATE VIEW v AS SELECT id FROM t;"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "api/src").mkdir(parents=True)
    (tmp_path / "api/src/entry.py").write_text("")
    (tmp_path / "api/wrangler.toml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path / "api")
    return tmp_path / "api"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_export_writes_what_wrangler_4_86_writes_and_execute_file_reads_it_back(project: Path) -> None:
    assert run("d1", "execute", "DB", "--command", SCHEMA).exit_code == 0
    exported = run("d1", "export", "DB", "--local", "--output", "dump.sql")
    assert (exported.exit_code, exported.stderr) == (0, (
        "Exporting local database DB (exp-d1) from .wrangler/state/v3/d1:\nExporting SQL to dump.sql...\nDone!\n"
    ))  # fmt: skip
    # The very text `wrangler d1 export DB --local` wrote for the same database.
    assert (project / "dump.sql").read_text() == (FIXTURE / "export.sql").read_text()
    shutil.rmtree(project / ".wrangler")
    assert run("d1", "execute", "DB", "--file", "dump.sql").exit_code == 0
    assert run("d1", "export", "DB", "--output", "again.sql").exit_code == 0
    assert (project / "again.sql").read_text() == (project / "dump.sql").read_text()
    run("d1", "export", "DB", "--output", "schema.sql", "--no-data")
    assert "INSERT INTO" not in (project / "schema.sql").read_text()
    run("d1", "export", "DB", "--output", "rows.sql", "--no-schema", "--table", "t")
    assert (project / "rows.sql").read_text() == textwrap.dedent("""\
        PRAGMA defer_foreign_keys=TRUE;
        INSERT INTO "t" VALUES(1,replace('it''s\\nx','\\n',char(10)),2.5,X'00ff');
        INSERT INTO "t" VALUES(2,NULL,1e-7,NULL);""")
    both = run("d1", "export", "DB", "--output", "x.sql", "--no-data", "--no-schema")
    assert both.stderr.startswith("Error: Cannot use --no-schema and --no-data together.")


def test_a_sqlite_dump_wrapped_in_a_transaction_runs_as_wrangler_runs_it(project: Path) -> None:
    (project / "dump.sql").write_text(
        "PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\nCREATE TABLE a (x);\nINSERT INTO a VALUES(1);\n"
        "CREATE TRIGGER tg AFTER INSERT ON a BEGIN INSERT INTO a VALUES (new.x + 1); END;\nCOMMIT;\n"
    )
    done = run("d1", "execute", "DB", "--file", "dump.sql")
    assert (done.exit_code, done.stderr.splitlines()[-1]) == (0, "4 commands executed successfully.")
    command = run("d1", "execute", "DB", "--command", "BEGIN TRANSACTION; INSERT INTO a VALUES (10); COMMIT;")
    assert command.exit_code == 0
    counted = run("d1", "execute", "DB", "--command", "SELECT x FROM a ORDER BY x", "--json")
    assert json.loads(counted.stdout)[0]["results"] == [{"x": 1}, {"x": 10}, {"x": 11}]
    plain = run("d1", "execute", "DB", "--command", "BEGIN; INSERT INTO a VALUES (5); COMMIT;")
    assert plain.exit_code == 1
    assert plain.stderr.splitlines()[-1].startswith("Error: To execute a transaction, please use the state.storage")
    (project / "two.sql").write_text("BEGIN TRANSACTION;\nSELECT 1;\nCOMMIT;\nBEGIN TRANSACTION;\nSELECT 2;\nCOMMIT;\n")
    twice = run("d1", "execute", "DB", "--file", "two.sql")
    assert twice.stderr == (
        "Error: pyworker could not process the provided SQL, as it contains several transactions.\n"
        "D1 runs your SQL in a transaction for you.\n"
        "Please export an SQL file from your SQLite database and try again.\n"
    )


def test_json_output_and_errors_are_wranglers(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pyworker.storage import d1

    # Each query takes 1.4 ms by this clock (two readings a query), so the duration shown is always 1.
    monkeypatch.setattr(d1, "_clock", itertools.count(0, 0.0014).__next__)
    run("d1", "execute", "DB", "--command", "CREATE TABLE n (i INTEGER, f REAL, s TEXT)")
    run("d1", "execute", "DB", "--command", "INSERT INTO n VALUES (12345678901234567, 2.0, 'ünï'), (NULL, 0.1, NULL)")
    shown = run("d1", "execute", "DB", "--command", "SELECT * FROM n", "--json")
    assert shown.stdout == textwrap.dedent("""\
        [
          {
            "results": [
              {
                "i": 12345678901234568,
                "f": 2,
                "s": "ünï"
              },
              {
                "i": null,
                "f": 0.1,
                "s": null
              }
            ],
            "success": true,
            "meta": {
              "duration": 1
            }
          }
        ]
        """)
    failed = run("d1", "execute", "DB", "--command", "SELECT * FROM nope", "--json")
    assert failed.exit_code == 1
    assert json.loads(failed.stdout) == {"error": {"text": "no such table: nope: SQLITE_ERROR"}}
    assert failed.stderr == "Error: no such table: nope: SQLITE_ERROR\n"
    table = run("d1", "execute", "DB", "--command", "SELECT i, f, s FROM n")
    assert table.stdout == textwrap.dedent("""\
        SELECT i, f, s FROM n
        ┌───────────────────┬─────┬──────┐
        │ i                 │ f   │ s    │
        ├───────────────────┼─────┼──────┤
        │ 12345678901234568 │ 2   │ ünï  │
        ├───────────────────┼─────┼──────┤
        │ null              │ 0.1 │ null │
        └───────────────────┴─────┴──────┘
        """)


def test_commands_find_the_projects_state_from_a_workers_folder(project: Path, monkeypatch) -> None:
    root = project.parent
    (root / "web/src").mkdir(parents=True)
    (root / "web/src/entry.py").write_text("")
    (root / "web/wrangler.toml").write_text('name = "web"\nmain = "src/entry.py"\n')
    monkeypatch.chdir(root)  # the project directory: `pyworker dev .` runs both workers, state here
    assert run("d1", "execute", "DB", "--command", "CREATE TABLE p (x); INSERT INTO p VALUES (7)").exit_code == 0
    assert (root / ".wrangler/state/v3/d1").is_dir() and not (project / ".wrangler").exists()
    monkeypatch.chdir(project / "src")  # deeper: the nearest .wrangler/state above is the project's
    found = run("d1", "execute", "DB", "-c", "..", "--command", "SELECT x FROM p", "--json")
    assert json.loads(found.stdout)[0]["results"] == [{"x": 7}]
    assert not (project / ".wrangler").exists()


def test_migrations_list_creates_no_file_and_no_table(project: Path) -> None:
    (project / "migrations").mkdir()
    (project / "migrations/0001_init.sql").write_text("CREATE TABLE users (id INTEGER);")
    listed = run("d1", "migrations", "list", "DB")
    assert listed.exit_code == 0 and "0001_init.sql" in listed.stdout
    assert not (project / ".wrangler").exists()
    run("d1", "execute", "DB", "--command", "CREATE TABLE other (x)")
    run("d1", "migrations", "list", "DB")
    tables = run("d1", "execute", "DB", "--command", "SELECT name FROM sqlite_master WHERE type = 'table'", "--json")
    assert json.loads(tables.stdout)[0]["results"] == [{"name": "other"}]


def test_dev_on_a_directory_of_workers_keeps_state_in_that_directory(project: Path) -> None:
    from pyworker.options import DevOptions
    from pyworker.printer import Printer
    from pyworker.serving.server import DevServer

    root = project.parent
    (root / "aaa/src").mkdir(parents=True)  # first by name: state used to land here
    (root / "aaa/src/entry.py").write_text("")
    (root / "aaa/wrangler.toml").write_text('name = "aaa"\nmain = "src/entry.py"\n')
    server = DevServer(DevOptions(paths=[root]), Printer(level="none"))
    assert server.storage.state.root == root.resolve() / ".wrangler/state/v3"
    alone = DevServer(DevOptions(paths=[project]), Printer(level="none"))  # one worker: its own directory...
    assert alone.storage.state.root == project / ".wrangler/state/v3"
    (root / ".wrangler/state").mkdir(parents=True)  # ...unless the project above it already keeps state
    assert DevServer(DevOptions(paths=[project]), Printer(level="none")).storage.state.root == (
        root.resolve() / ".wrangler/state/v3"
    )
