"""``pyworker d1 export``: a D1 database as SQL, as ``wrangler d1 export --local`` writes it
(and ``d1 execute --file`` reads it).

The order and spelling are those of Miniflare's local export, itself modelled on SQLite's
``.dump``: ``PRAGMA defer_foreign_keys=TRUE;``, then each table's ``CREATE`` and its rows as
``INSERT INTO "t" VALUES(...);``, then indexes, triggers and views. D1's own tables
(``_cf_*``) and SQLite's internal ones are left out; values are written as D1 hands them to
JavaScript (a number is a double), strings with SQLite's quoting, BLOBs as ``X'..'``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pyworker.commands.d1 import find
from pyworker.commands.output import js_number
from pyworker.commands.project import Project
from pyworker.config import WorkerConfig
from pyworker.errors import CommandError, StorageError
from pyworker.storage.host import Storage

_QUOTED_TABLE = re.compile(r"CREATE TABLE ['\"].*", re.DOTALL)


def quote_id(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _string(text: str) -> str:
    """SQLite's ``.dump`` quoting: ``''`` for a quote, and newlines rebuilt with ``replace(...)``."""
    escaped = text.replace("'", "''").replace("\n", "\\n").replace("\r", "\\r")
    out = f"'{escaped}'"
    if "\r" in text:
        out = f"replace({out},'\\r',char(13))"
    if "\n" in text:
        out = f"replace({out},'\\n',char(10))"
    return out


def cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int | float):
        return js_number(value)
    if isinstance(value, bytes):
        return f"X'{value.hex()}'"
    return _string(str(value))


def dump(conn: sqlite3.Connection, tables: Sequence[str] = (), schema: bool = True, data: bool = True) -> Iterator[str]:
    """The statements of the export, one per item (join them with newlines)."""
    yield "PRAGMA defer_foreign_keys=TRUE;"
    wanted = set(tables)
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND sql NOT NULL "
        "ORDER BY tbl_name = 'sqlite_sequence', rowid"
    ).fetchall()
    for table, sql in rows:
        if wanted and table not in wanted:
            continue
        if table == "sqlite_sequence":
            if schema:
                yield "DELETE FROM sqlite_sequence;"
        elif re.match(r"sqlite_stat.", table):
            if schema:
                yield "ANALYZE sqlite_schema;"
        elif sql.startswith("CREATE VIRTUAL TABLE"):
            raise StorageError("D1 Export error: cannot export databases with Virtual Tables (fts5)")
        elif table.startswith(("_cf_", "sqlite_")):
            continue
        elif schema:
            yield f"CREATE TABLE IF NOT EXISTS {sql[13:]};" if _QUOTED_TABLE.match(sql) else f"{sql};"
        if data:
            yield from _rows(conn, table)
    if schema:
        for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_schema WHERE sql NOT NULL AND type IN ('index', 'trigger', 'view') "
            "ORDER BY type COLLATE NOCASE"
        ).fetchall():
            if not wanted or name in wanted:
                yield f"{sql};"


def _rows(conn: sqlite3.Connection, table: str) -> Iterator[str]:
    columns = [row[1] for row in conn.execute(f"PRAGMA table_info={quote_id(table)}").fetchall()]
    select = f"SELECT {', '.join(map(quote_id, columns))} FROM {quote_id(table)}"
    for row in conn.execute(select):  # wrangler 4's form: no column list
        yield f"INSERT INTO {quote_id(table)} VALUES({','.join(map(cell, row))});"


def export(
    project: Project, database: str, output: Path, tables: Sequence[str], schema: bool = True, data: bool = True
) -> None:
    """``pyworker d1 export DB --output FILE``: the database as SQL that ``d1 execute --file`` re-imports."""
    project.writes = False
    if not schema and not data:
        raise CommandError("Cannot use --no-schema and --no-data together. At least one of schema or data must be "
                           "included in the export. Remove one of the flags.")  # fmt: skip
    if output.is_dir():
        raise CommandError("Please specify a file path for --output, not a directory.")

    async def work(storage: Storage, workers: list[WorkerConfig]) -> str:
        db, _ = find(project, workers, database)
        path = storage.state.d1(db.local_id)
        where = storage.state.display(storage.state.root / "d1")
        project.printer.write(f"Exporting local database {database} ({db.local_id}) from {where}:")
        if not path.exists():
            raise CommandError(f"The local database {database} ({db.local_id}) has no data yet: {path} does not exist.")
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return "\n".join(dump(conn, tables, schema, data))
        except sqlite3.Error as exc:
            raise CommandError(f"Cannot read {path}: {exc}.") from exc
        finally:
            conn.close()

    text = project.run(work)
    project.printer.write(f"Exporting SQL to {output}...")
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"Cannot write {output}: {exc.strerror or exc}.") from exc
    project.printer.write("Done!")
