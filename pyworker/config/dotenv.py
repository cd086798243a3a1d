"""Parse ``.dev.vars`` and ``.env`` files (dotenv syntax), and choose which a worker reads."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from pyworker.errors import ConfigError

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def parse_dotenv(text: str, source: str) -> dict[str, str]:
    """Return the variables in ``text``; ``source`` names the file in error messages.

    Supports comments, ``export KEY=...``, single quotes (literal), double quotes
    (with ``\\n``-style escapes, may span lines) and inline ``# comments`` after
    unquoted values.
    """
    values: dict[str, str] = {}
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        lineno = index + 1
        line = lines[index]
        index += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise ConfigError(f'{source}, line {lineno}: expected KEY=VALUE, got "{line.strip()}".')
        key, rest = match.group(1), match.group(2)
        if rest[:1] in ("'", '"'):
            quote = rest[0]
            body = rest[1:]
            while not _closes(body, quote):
                if index >= len(lines):
                    raise ConfigError(
                        f"{source}, line {lineno}: the value of {key} opens a {quote} quote that never closes."
                    )
                body += "\n" + lines[index]
                index += 1
            end = _closing_index(body, quote)
            raw = body[:end]
            values[key] = _unescape(raw) if quote == '"' else raw
        else:
            values[key] = re.split(r"\s+#", rest, maxsplit=1)[0].strip()
    return values


def _closing_index(body: str, quote: str) -> int:
    escaped = False
    for position, char in enumerate(body):
        if escaped:
            escaped = False
        elif char == "\\" and quote == '"':
            escaped = True
        elif char == quote:
            return position
    return -1


def _closes(body: str, quote: str) -> bool:
    return _closing_index(body, quote) >= 0


def _unescape(raw: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), raw)


def _dev_vars_file(directory: Path, env_name: str | None) -> Path | None:
    """``.dev.vars.<env>`` if it exists (with an env), else ``.dev.vars``, else None."""
    candidates = [directory / f".dev.vars.{env_name}"] if env_name else []
    candidates.append(directory / ".dev.vars")
    return next((path for path in candidates if path.is_file()), None)


def _read(path: Path, display: str) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name} in {display}: cannot be read ({exc}).") from exc
    return parse_dotenv(text, f"{path.name} in {display}")


def read_dev_vars(directory: Path, env_name: str | None, display: str) -> dict[str, str]:
    """Read ``.dev.vars.<env>`` if it exists (with an env), else ``.dev.vars``, else nothing."""
    path = _dev_vars_file(directory, env_name)
    return _read(path, display) if path is not None else {}


def dot_env_files(directory: Path, env_name: str | None) -> list[Path]:
    """wrangler's ``.env`` files, least specific first:
    ``.env``, ``.env.<env>``, ``.env.local``, ``.env.<env>.local``."""
    names = [
        ".env",
        f".env.{env_name}" if env_name else None,
        ".env.local",
        f".env.{env_name}.local" if env_name else None,
    ]
    return [directory / name for name in names if name is not None]


def read_local_vars(
    directory: Path, env_name: str | None, display: str, env_files: Sequence[Path] | None = None
) -> dict[str, str]:
    """The values local dev puts over a worker's vars, as wrangler v4 reads them.

    A ``.dev.vars`` file (``.dev.vars.<env>`` with an env) wins alone: ``.env`` files are
    then not read. Else every ``.env`` file that exists is read and merged, the most specific
    winning (``.env.<env>.local`` > ``.env.local`` > ``.env.<env>`` > ``.env``); ``--env-file``
    names the files instead (later ones win; a named file must exist).
    ``CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV=false`` turns ``.env`` files off, as in wrangler.
    """
    dev_vars = _dev_vars_file(directory, env_name)
    if dev_vars is not None:
        return _read(dev_vars, display)
    if os.environ.get("CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV", "").lower() == "false":
        return {}
    values: dict[str, str] = {}
    if env_files:
        for path in env_files:
            if not path.is_file():
                raise ConfigError(f'--env-file "{path}": no such file. Name an existing .env file.')
            values.update(_read(path, display_path_of(path)))
        return values
    for path in dot_env_files(directory, env_name):
        if path.is_file():
            values.update(_read(path, display))
    return values


def display_path_of(path: Path) -> str:
    """The folder of ``path`` as messages show it."""
    return str(path.parent) if str(path.parent) not in ("", ".") else "the current directory"
