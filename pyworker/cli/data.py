"""``pyworker d1|kv|r2``: wrangler's local data commands. Options build a ``Project``; :mod:`pyworker.commands`
does the work; an error is one ``Error:`` line and exit code 1."""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from pyworker.errors import PyworkerError
from pyworker.printer import Printer


# -- wrangler's local data commands: options build a Project, pyworker.commands does the work --------
def _commands(name: str) -> Any:
    """``pyworker.commands.<name>``, imported when a command runs (so ``--help`` stays instant)."""
    return importlib.import_module(f"pyworker.commands.{name}")


def _project_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``-c``, ``-e``, ``--persist-to``, ``--local/--remote``: the same config and state ``pyworker dev`` uses."""

    @click.option("-c", "--config", "configs", multiple=True, type=click.Path(path_type=Path),
                  help="A worker's config (or directory), as for dev; repeatable [default: .].")  # fmt: skip
    @click.option("-e", "--env", "env_name", default=None, help="Use [env.NAME] from each config.")
    @click.option("--persist-to", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="The state directory given to pyworker dev --persist-to.")  # fmt: skip
    @click.option("--local/--remote", default=True, help="Local data (the only kind pyworker has).")
    @functools.wraps(command)
    def wrapper(configs: tuple[Path, ...], env_name: str | None, persist_to: Path | None, local: bool,
                **kwargs: Any) -> None:  # fmt: skip
        from pyworker.commands.project import Project

        project = Project(configs or (Path("."),), env_name, persist_to, Printer(sys.stderr), remote=not local)
        try:
            command(project, **kwargs)
        except PyworkerError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)

    return wrapper


@click.group()
def d1() -> None:
    """Local D1 databases: run SQL, apply migrations."""


@d1.command("execute")
@click.argument("database")
@click.option("--command", default=None, help="SQL to run; several statements separated by ';'.")
@click.option("--file", type=click.Path(dir_okay=False, path_type=Path), default=None, help="A .sql file to run.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@_project_options
def d1_execute(project: Any, database: str, command: str | None, file: Path | None, as_json: bool) -> None:
    """Run SQL on DATABASE (its binding or database_name), all statements in one transaction."""
    _commands("d1").execute(project, database, command, file, as_json)


@d1.command("export")
@click.argument("database")
@click.option("--output", type=click.Path(path_type=Path), required=True, help="The SQL file to write.")
@click.option("--table", "tables", multiple=True, help="Only this table (repeatable).")
@click.option("--no-schema", is_flag=True, help="Only the rows, not the schema.")
@click.option("--no-data", is_flag=True, help="Only the schema, not the rows.")
@_project_options
def d1_export(
    project: Any, database: str, output: Path, tables: tuple[str, ...], no_schema: bool, no_data: bool
) -> None:
    """Write DATABASE as SQL (as wrangler d1 export --local); d1 execute --file re-imports it."""
    _commands("d1_dump").export(project, database, output, tables, not no_schema, not no_data)


@d1.group("migrations")
def d1_migrations() -> None:
    """List, create and apply the migrations in a database's migrations_dir."""


@d1_migrations.command("list")
@click.argument("database")
@_project_options
def d1_migrations_list(project: Any, database: str) -> None:
    """The migrations not applied yet."""
    _commands("d1").migrations_list(project, database)


@d1_migrations.command("apply")
@click.argument("database")
@_project_options
def d1_migrations_apply(project: Any, database: str) -> None:
    """Apply pending migrations in order, each once, recorded in d1_migrations."""
    _commands("d1").migrations_apply(project, database)


@d1_migrations.command("create")
@click.argument("database")
@click.argument("message")
@_project_options
def d1_migrations_create(project: Any, database: str, message: str) -> None:
    """Write the next numbered migration file, named after MESSAGE."""
    _commands("d1").migrations_create(project, database, message)


def _namespace_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option("--binding", default=None, help="The namespace's binding in kv_namespaces.")(command)
    return click.option("--namespace-id", default=None, help="The namespace id, instead of --binding.")(command)


@click.group()
def kv() -> None:
    """Local KV namespaces: keys and bulk writes."""


@kv.group("key")
def kv_key() -> None:
    """Write, read, list and delete single keys."""


@kv_key.command("put")
@click.argument("key")
@click.argument("value", required=False)
@click.option(
    "--path", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Read the value from a file."
)
@click.option("--ttl", type=int, default=None, help="Seconds until the key expires (at least 60).")
@click.option("--expiration", type=int, default=None, help="When the key expires, in seconds since the epoch.")
@click.option("--metadata", default=None, help="JSON metadata to store with the key.")
@_namespace_options
@_project_options
def kv_key_put(
    project: Any, key: str, value: str | None, path: Path | None, ttl: int | None, expiration: int | None,
    metadata: str | None, binding: str | None, namespace_id: str | None,
) -> None:  # fmt: skip
    """Write VALUE (or --path) to KEY."""
    _commands("kv").key_put(project, key, value, path, binding, namespace_id, ttl, expiration, metadata)


@kv_key.command("get")
@click.argument("key")
@click.option("--text", is_flag=True, help="Decode the value as UTF-8 text.")
@_namespace_options
@_project_options
def kv_key_get(project: Any, key: str, text: bool, binding: str | None, namespace_id: str | None) -> None:
    """Print KEY's value."""
    _commands("kv").key_get(project, key, binding, namespace_id, text)


@kv_key.command("list")
@click.option("--prefix", default=None, help="Only keys starting with this.")
@_namespace_options
@_project_options
def kv_key_list(project: Any, prefix: str | None, binding: str | None, namespace_id: str | None) -> None:
    """Print every key as JSON."""
    _commands("kv").key_list(project, binding, namespace_id, prefix)


@kv_key.command("delete")
@click.argument("key")
@_namespace_options
@_project_options
def kv_key_delete(project: Any, key: str, binding: str | None, namespace_id: str | None) -> None:
    """Delete KEY."""
    _commands("kv").key_delete(project, key, binding, namespace_id)


@kv.group("bulk")
def kv_bulk() -> None:
    """Many keys at once."""


@kv_bulk.command("put")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_namespace_options
@_project_options
def kv_bulk_put(project: Any, file: Path, binding: str | None, namespace_id: str | None) -> None:
    """Write every {key, value, ...} of a JSON array file."""
    _commands("kv").bulk_put(project, file, binding, namespace_id)


@click.group()
def r2() -> None:
    """Local R2 buckets: objects."""


@r2.group("object")
def r2_object() -> None:
    """Put, get and delete objects, named BUCKET/KEY."""


@r2_object.command("put")
@click.argument("object_path", metavar="BUCKET/KEY")
@click.option("--file", "-f", type=click.Path(dir_okay=False, path_type=Path), default=None, help="What to upload.")
@click.option("--content-type", "--ct", default=None, help="The object's Content-Type.")
@_project_options
def r2_object_put(project: Any, object_path: str, file: Path | None, content_type: str | None) -> None:
    """Upload --file to BUCKET/KEY."""
    _commands("r2").put(project, object_path, file, content_type)


@r2_object.command("get")
@click.argument("object_path", metavar="BUCKET/KEY")
@click.option("--file", "-f", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Where to write.")
@_project_options
def r2_object_get(project: Any, object_path: str, file: Path | None) -> None:
    """Download BUCKET/KEY to --file (or stdout)."""
    _commands("r2").get(project, object_path, file)


@r2_object.command("delete")
@click.argument("object_path", metavar="BUCKET/KEY")
@_project_options
def r2_object_delete(project: Any, object_path: str) -> None:
    """Delete BUCKET/KEY."""
    _commands("r2").delete(project, object_path)
