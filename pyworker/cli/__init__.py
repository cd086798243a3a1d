"""``pyworker``: the command line. Options only build a :class:`DevOptions`; ``run`` does the work.

This package is the only place errors become exit codes: ``dev`` here, wrangler's local data
commands (``d1``, ``kv``, ``r2``) in :mod:`pyworker.cli.data`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from pyworker import __version__
from pyworker.cli.dev_options import REMOTE_REFUSED, DevCommand, session_fields, session_options
from pyworker.errors import PyworkerError
from pyworker.options import ChildSpec
from pyworker.printer import LEVELS, Printer


def _parse_var(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition(":")
        if not sep or not key:
            raise click.BadParameter(f'"{item}" is not KEY:VALUE, e.g. --var API_HOST:example.com')
        parsed[key] = value
    return parsed


# The other commands, imported when asked for: `pyworker dev` starts without their modules (storage, SQL...).
_LAZY = {
    "d1": "pyworker.cli.data:d1",
    "kv": "pyworker.cli.data:kv",
    "r2": "pyworker.cli.data:r2",
    "check": "pyworker.cli.tools:check",
    "types": "pyworker.cli.tools:types",
    "init": "pyworker.cli.tools:init",
    "workflows": "pyworker.cli.workflows:workflows",
}


class _LazyGroup(click.Group):
    """A group whose commands in :data:`_LAZY` are imported only when one of them runs (or help lists them)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *_LAZY])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _LAZY:
            return super().get_command(ctx, cmd_name)
        import importlib

        module, _, name = _LAZY[cmd_name].partition(":")
        command: click.Command = getattr(importlib.import_module(module), name)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-v", "--version", prog_name="pyworker")
def main() -> None:
    """Run Cloudflare-style Python Workers locally, several at once, in one process."""


@main.command(cls=DevCommand)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-c",
    "--config",
    "configs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A worker's wrangler.toml/.json/.jsonc; repeat for more workers.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port of the first worker [default: 8787].")
@click.option("--ip", default=None, help="Address to listen on [default: 127.0.0.1].")
@click.option("-e", "--env", "env_name", default=None, help="Use [env.NAME] from each config.")
@click.option(
    "--var",
    "variables",
    multiple=True,
    callback=_parse_var,
    metavar="KEY:VALUE",
    help="Set or override a var on every worker; repeatable.",
)
@click.option(
    "--log-level",
    type=click.Choice(list(LEVELS)),
    default="info",
    show_default=True,
    help="How much to print.",
)
@click.option(
    "--request-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="How long a request's fetch may take to answer before it is cancelled with a 504.",
)
@click.option(
    "--reload/--no-reload",
    default=True,
    show_default=True,
    help="Reload a worker when its code, config or .dev.vars change.",
)
@click.option(
    "--persist-to",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep KV, D1 and R2 data in DIR/v3 [default: the first worker's .wrangler/state].",
)
@click.option(
    "--workflow-sleep-scale",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    metavar="FACTOR",
    help="Multiply Workflow sleeps, retry delays and event timeouts (0.001: an hour in 3.6 s).",
)
@click.option(
    "--cf",
    "cf_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="request.cf of incoming requests from this JSON object [default: wrangler's offline values].",
)
@click.option("--crons", is_flag=True, default=False, help="Fire each worker's triggers.crons on schedule (UTC).")
@click.option("--test-scheduled", is_flag=True, default=False, help="Accepted for wrangler: /__scheduled is always on.")
@session_options
def dev(
    paths: tuple[Path, ...],
    configs: tuple[Path, ...],
    port: int | None,
    ip: str | None,
    env_name: str | None,
    variables: dict[str, str],
    log_level: str,
    request_timeout: float,
    reload: bool,
    persist_to: Path | None,
    workflow_sleep_scale: float,
    cf_file: Path | None,
    crons: bool,
    test_scheduled: bool,
    **session: object,
) -> None:
    """Serve the workers in PATHS (worker directories or config files; default: the current directory)."""
    from pyworker.interop.location import registry_path
    from pyworker.options import DevOptions
    from pyworker.serving.server import run  # keeps `--help` and `--version` instant

    if session.get("remote"):
        click.echo(f"Error: {REMOTE_REFUSED}", err=True)
        sys.exit(1)
    options = DevOptions(
        paths=[*paths, *configs] or [Path(".")],
        port=port,
        ip=ip,
        env=env_name,
        vars=variables,
        log_level=log_level,
        reload=reload,
        persist_to=persist_to,
        request_timeout=request_timeout,
        workflow_sleep_scale=workflow_sleep_scale,
        crons=crons,
        registry=registry_path(os.environ, Path.home()),
        **session_fields(**session),  # type: ignore[arg-type]
    )
    printer = Printer(level=options.log_level, batch=True, background=True)
    try:
        if options.child is not None:  # a worker's own process: its lines look as its parent's
            printer = child_printer(options.log_level, options.child)
            options.cf = options.child.cf
        if cf_file is not None:
            from pyworker.config.cf import read_cf

            options.cf = read_cf(cf_file, "--cf")
        run(options, printer)
    except PyworkerError as exc:
        printer.flush()
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        pass  # Ctrl-C before the server was up: still a clean exit
    finally:
        printer.flush()


def child_printer(level: str, spec: ChildSpec) -> Printer:
    """The printer of a worker's own process: its parent relays its lines, coloured and padded as its own."""
    printer = Printer(level=level, colour=spec.colour, batch=True, background=True)
    printer.adopt(spec.worker, spec.code, spec.width)
    return printer
