"""``pyworker dev``'s options for the terminal session, debuggers and wrangler's spellings.

They only add fields to :class:`~pyworker.options.DevOptions` (see :func:`session_fields`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from pyworker.errors import ConfigError
from pyworker.interop.own import decode_spec
from pyworker.options import DEFAULT_DEBUGPY_PORT, ChildSpec

F = TypeVar("F", bound=Callable[..., Any])

REMOTE_REFUSED = (
    "--remote is not supported: pyworker runs every worker locally (as wrangler dev --local does). "
    "Drop --remote, or use wrangler dev --remote to run on Cloudflare."
)


_BOOLEANS = frozenset({"true", "false", "1", "0", "yes", "no", "on", "off", "t", "f", "y", "n"})
# Options whose value may be left out, and how to tell a value from the next argument (a PATH).
_OPTIONAL_VALUES: dict[str, tuple[Callable[[str], bool], str]] = {
    "--debugpy": (str.isdigit, str(DEFAULT_DEBUGPY_PORT)),
    "--show-interactive-dev-session": (lambda word: word.lower() in _BOOLEANS, "true"),
}


class DevCommand(click.Command):
    """``dev``: ``--debugpy worker_a`` means the default port and the path ``worker_a``, as wrangler reads it
    (click alone would take ``worker_a`` as the port)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given: list[str] = []
        for index, word in enumerate(args):
            known = _OPTIONAL_VALUES.get(word)
            following = args[index + 1] if index + 1 < len(args) else None
            if known is not None and (following is None or not known[0](following)):
                word = f"{word}={known[1]}"
            given.append(word)
        return super().parse_args(ctx, given)


def session_options(command: F) -> F:
    """The options below, on ``command``."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


_OPTIONS = [
    click.option(
        "--show-interactive-dev-session",
        "interactive",
        type=click.BOOL,
        default=None,
        is_flag=False,
        flag_value=True,
        metavar="[true|false]",
        help="The hotkey bar (b, d, l, r, c, x) [default: when stdin and stdout are a terminal].",
    ),
    click.option(
        "--debugpy",
        type=click.IntRange(1, 65535),
        default=None,
        is_flag=False,
        flag_value=DEFAULT_DEBUGPY_PORT,
        metavar="[PORT]",
        help=f"Listen for a debugger (VS Code) on 127.0.0.1:PORT [default port: {DEFAULT_DEBUGPY_PORT}].",
    ),
    click.option("--local", is_flag=True, help="Run locally: the only mode (accepted as wrangler dev takes it)."),
    click.option("--remote", is_flag=True, hidden=True),
    click.option(
        "--env-file",
        "env_files",
        multiple=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Read vars from this .env file instead of each worker's .env files; repeatable (later wins).",
    ),
    click.option(
        "--own-process",
        "own_process",
        multiple=True,
        metavar="NAME",
        help='Run worker NAME in a process of its own, as [dev] process = "own" does; repeatable.',
    ),
    click.option("--child", "child", default=None, hidden=True),  # pyworker dev's own: see pyworker.interop.own
    click.option(
        "--http",
        type=click.Choice(["auto", "httptools", "h11"]),
        default="auto",
        envvar="PYWORKER_HTTP",
        show_envvar=True,
        help="The HTTP parser [default: auto, httptools when installed, else h11].",
    ),
    click.option(
        "--loop",
        type=click.Choice(["auto", "uvloop", "asyncio"]),
        default="auto",
        envvar="PYWORKER_LOOP",
        show_envvar=True,
        help="The event loop [default: auto, uvloop when installed, else asyncio's own].",
    ),
    click.option(
        "--live-reload",
        is_flag=True,
        help="HTML responses get a script that reloads the page when their worker reloads.",
    ),
]


def session_fields(
    interactive: bool | None, debugpy: int | None, local: bool, remote: bool, **rest: Any
) -> dict[str, Any]:
    """The :class:`DevOptions` fields these options set; ``--remote`` is refused here."""
    if remote:
        raise click.UsageError(REMOTE_REFUSED)
    env_files = rest.pop("env_files", ())
    return {
        "interactive": interactive,
        "debugpy": debugpy,
        "env_files": tuple(env_files),
        "live_reload": bool(rest.pop("live_reload", False)),
        "own_process": tuple(rest.pop("own_process", ())),
        "child": _child(rest.pop("child", None)),
        "http": rest.pop("http", "auto"),
        "loop": rest.pop("loop", "auto"),
    }


def _child(given: str | None) -> ChildSpec | None:
    try:
        return None if given is None else decode_spec(given)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
