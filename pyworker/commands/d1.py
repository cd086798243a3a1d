"""``pyworker d1 execute`` and ``pyworker d1 migrations list|create|apply``, as wrangler's with ``--local``."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import click

from pyworker.bindings.d1 import Declared, databases
from pyworker.commands.output import box_table, js_json, js_text
from pyworker.commands.project import Project
from pyworker.config import WorkerConfig
from pyworker.errors import CommandError, ConfigError, QueryError
from pyworker.storage.d1 import D1Store, Query, Result
from pyworker.storage.host import Storage
from pyworker.storage.sqltext import split_statements


def find(project: Project, workers: list[WorkerConfig], name: str) -> tuple[Declared, WorkerConfig]:
    """The database whose binding or ``database_name`` is ``name``, as wrangler looks it up."""
    for worker in workers:
        for db in databases(worker):
            if name in (db.binding, db.name):
                return db, worker
    raise ConfigError(f"Couldn't find a D1 DB with the name or binding '{name}' in {project.where(workers)}.")


def _cell(value: Any) -> Any:
    return f"[{', '.join(map(str, value))}]" if isinstance(value, bytes) else value


def _rows(result: Result) -> list[dict[str, Any]]:
    return [dict(zip(result.columns, map(_cell, row), strict=True)) for row in result.rows]


TRANSACTIONS = (
    "pyworker could not process the provided SQL, as it contains several transactions.\n"
    "D1 runs your SQL in a transaction for you.\nPlease export an SQL file from your SQLite database and try again."
)


def without_transaction(sql: str) -> str:
    """wrangler's rule for dump files: the first ``BEGIN TRANSACTION;`` and ``COMMIT;`` go, as D1 wraps
    the batch in its own transaction; a second ``BEGIN TRANSACTION`` is refused."""
    if "BEGIN TRANSACTION" not in sql:
        return sql
    trimmed = sql.replace("BEGIN TRANSACTION;", "", 1).replace("COMMIT;", "", 1)
    if "BEGIN TRANSACTION" in trimmed:
        raise CommandError(TRANSACTIONS)
    return trimmed


def shorten(query: str, length: int = 48) -> str:
    return query[:length] + "..." if len(query) > length else query


def execute(project: Project, database: str, command: str | None, file: Path | None, as_json: bool) -> None:
    """Run ``--command`` or ``--file`` as one batch (all or nothing); print the rows as tables, or JSON.

    With ``--json`` an error is also wrangler's JSON (``{"error": {"text": ...}}``) on stdout.
    """
    try:
        results = _execute(project, database, command, file, as_json)
    except (CommandError, ConfigError, QueryError) as exc:
        if as_json:
            click.echo(js_json({"error": {"text": str(exc)}}))
        raise
    if as_json:
        click.echo(js_json([{"results": _rows(r), "success": True, "meta": {"duration": round(r.meta["duration"])}}
                            for _, r in results]))  # fmt: skip
        return
    count = len(results)
    project.printer.write(f"{count} command{'' if count == 1 else 's'} executed successfully.")
    for statement, result in results:
        if result.rows:
            click.echo(shorten(statement))
            click.echo(box_table(result.columns, [[js_text(_cell(v)) for v in row] for row in result.rows]))


def _execute(
    project: Project, database: str, command: str | None, file: Path | None, as_json: bool
) -> list[tuple[str, Result]]:
    if command is not None and file is not None:
        raise CommandError("Give either --command or --file, not both.")
    if command is None and file is None:
        raise CommandError('Missing --command or --file: pass SQL with --command="<SQL>" or a .sql file with --file.')
    sql = without_transaction(command if command is not None else _read(file))

    async def work(storage: Storage, workers: list[WorkerConfig]) -> list[tuple[str, Result]]:
        db, _ = find(project, workers, database)
        store = D1Store(storage, db.local_id)
        if not as_json:
            where = storage.state.display(storage.state.root / "d1")
            project.printer.write(f"Executing on local database {database} ({db.local_id}) from {where}:")
        statements = split_statements(sql)
        return list(zip(statements, await store.query([Query(s) for s in statements]), strict=True))

    return project.run(work)


def _read(file: Path | None) -> str:
    assert file is not None
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read the SQL file {file}: {exc}.") from exc


# -- migrations ----------------------------------------------------------------------
def _number(name: str) -> int | None:
    match = re.match(r"(\d+)", name)
    return int(match.group(1)) if match else None


def migration_files(directory: Path) -> list[str]:
    """The ``*.sql`` files in ``directory``, by their leading number, then by name (wrangler's order)."""
    names = [path.name for path in directory.glob("*.sql") if path.is_file()]
    return sorted(names, key=lambda name: (_number(name) is None, _number(name) or 0, name))


def _migrations_dir(db: Declared, worker: WorkerConfig, create: bool, project: Project) -> Path:
    directory = worker.directory / db.migrations_dir
    if directory.is_dir():
        return directory
    if create:
        directory.mkdir(parents=True)
        project.printer.write(f"Created the migrations folder {directory}.")
        return directory
    raise CommandError(
        f"No migrations present at {directory} (the migrations_dir of D1 database {db.binding}). "
        f"Create it, or set migrations_dir in {project.where([worker])}."
    )


async def _applied(store: D1Store, table: str, create: bool = True) -> list[str]:
    """The migrations recorded in ``table``; without ``create`` (listing), a missing table or file is none."""
    quoted = '"' + table.replace('"', '""') + '"'
    if not create:
        if store.db.absent():
            return []
        found = await store.query([Query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", [table])])
        if not found[0].rows:
            return []
    table_sql = (
        f"CREATE TABLE IF NOT EXISTS {quoted}(\n    id         INTEGER PRIMARY KEY AUTOINCREMENT,\n"
        "    name       TEXT UNIQUE,\n    applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL\n);"
    )
    await store.query([Query(table_sql)])
    result = (await store.query([Query(f"SELECT name FROM {quoted} ORDER BY id")]))[0]
    return [row[0] for row in result.rows]


def migrations_list(project: Project, database: str) -> None:
    """The pending migrations; reads only, so it never creates a database file or table."""
    project.writes = False

    async def work(storage: Storage, workers: list[WorkerConfig]) -> list[str]:
        db, worker = find(project, workers, database)
        directory = _migrations_dir(db, worker, False, project)
        applied = await _applied(D1Store(storage, db.local_id), db.migrations_table, create=False)
        return [name for name in migration_files(directory) if name not in applied]

    pending = project.run(work)
    if not pending:
        project.printer.write("No migrations to apply!")
        return
    project.printer.write("Migrations to be applied:")
    click.echo(box_table(["Name"], [[name] for name in pending]))


def migrations_apply(project: Project, database: str) -> None:
    """Apply each pending migration in order, each in one transaction with its ``d1_migrations`` row."""

    async def work(storage: Storage, workers: list[WorkerConfig]) -> None:
        db, worker = find(project, workers, database)
        directory = _migrations_dir(db, worker, False, project)
        store = D1Store(storage, db.local_id)
        applied = await _applied(store, db.migrations_table)
        pending = [name for name in migration_files(directory) if name not in applied]
        if not pending:
            project.printer.write("No migrations to apply!")
            return
        quoted = '"' + db.migrations_table.replace('"', '""') + '"'
        for name in pending:
            sql = _read(directory / name)
            record = f"INSERT INTO {quoted} (name) values ('{name.replace(chr(39), chr(39) * 2)}');"
            try:
                await store.query([Query(s) for s in [*split_statements(sql), record]])
            except QueryError as exc:
                click.echo(box_table(["name", "status"], [[name, "failed"]]))
                raise QueryError(f"Migration {name} failed: {exc}") from None
            click.echo(box_table(["name", "status"], [[name, "applied"]]))

    project.run(work)


def migrations_create(project: Project, database: str, message: str) -> Path:
    """Write the next numbered, empty migration file (``0002_add_users.sql``); returns its path."""
    workers = project.workers()
    db, worker = find(project, workers, database)
    name = message.replace(" ", "_")
    if "/" in name or "\\" in name:
        raise CommandError(f'The migration name "{message}" contains a path separator ("/" or "\\"). Remove it.')
    directory = _migrations_dir(db, worker, True, project)
    numbers = [n for n in map(_number, migration_files(directory)) if n is not None]
    number = f"{max(numbers, default=0) + 1:04d}"
    path = directory / f"{number}_{name}.sql"
    stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    path.write_text(f"-- Migration number: {number} \t {stamp}\n", encoding="utf-8")
    project.printer.write(f"Successfully created Migration '{path.name}'! Edit it here: {path}")
    return path
