"""``pyworker check``, ``types`` and ``init``: options build the tool's options; :mod:`pyworker.tools` does the work."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from pyworker.errors import PyworkerError
from pyworker.printer import Printer


@contextmanager
def _errors_exit(printer: Printer) -> Iterator[None]:
    """A :class:`PyworkerError` is one ``Error:`` line on stderr and exit code 1."""
    try:
        yield
    except PyworkerError as exc:
        printer.flush()
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)


def _paths(command: Callable[..., None]) -> Callable[..., None]:
    command = click.option("-e", "--env", "env_name", default=None, help="Use [env.NAME] from each config.")(command)
    command = click.option(
        "-c", "--config", "configs", multiple=True, type=click.Path(path_type=Path),
        help="A worker's wrangler.toml/.json/.jsonc; repeat for more workers.",
    )(command)  # fmt: skip
    return click.argument("paths", nargs=-1, type=click.Path(path_type=Path))(command)


@click.command()
@_paths
@click.option("--since", metavar="GIT_REF", default=None, help="Also check the change since GIT_REF (a commit).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def check(paths: tuple[Path, ...], configs: tuple[Path, ...], env_name: str | None, since: str | None,
          as_json: bool) -> None:  # fmt: skip
    """Check workers as deployed together: bindings, calls, deploy order.

    Reads the workers in PATHS without serving them; exits 1 on any error.
    """
    from pyworker.tools.check import check
    from pyworker.tools.check_report import show
    from pyworker.tools.checked import CheckOptions

    options = CheckOptions([*paths, *configs] or [Path(".")], env_name, since, as_json)
    printer = Printer()
    with _errors_exit(printer):
        report = check(options)
        show(report, printer, options.json)
        printer.flush()
        if report.errors:
            sys.exit(1)


@click.command()
@_paths
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Write here [default: worker_configuration.pyi beside each worker's main module].")  # fmt: skip
def types(paths: tuple[Path, ...], configs: tuple[Path, ...], env_name: str | None, output: Path | None) -> None:
    """Write a typed stub of each worker's env.

    worker_configuration.pyi, so editors complete self.env. and mypy catches misspellings.
    """
    from pyworker.tools.types_stub import TypesOptions, write_types

    printer = Printer()
    with _errors_exit(printer):
        write_types(TypesOptions([*paths, *configs] or [Path(".")], env_name, output), printer)


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("-t", "--template", type=click.Choice(["hello", "fastapi", "rpc-pair", "django"]), default="hello",
              show_default=True, help="What the project starts as.")  # fmt: skip
@click.option("--name", default=None, help="The worker's name [default: the directory's name].")
def init(directory: Path, template: str, name: str | None) -> None:
    """Write a new project that pyworker dev serves.

    DIRECTORY must be new or empty; nothing is overwritten.
    """
    from pyworker.tools.init import InitOptions, create

    printer = Printer()
    with _errors_exit(printer):
        create(InitOptions(directory, template, name), printer)
