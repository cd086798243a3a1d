"""Parse ``.dev.vars`` files, which use dotenv syntax."""

from __future__ import annotations

import re
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


def read_dev_vars(directory: Path, env_name: str | None, display: str) -> dict[str, str]:
    """Read ``.dev.vars.<env>`` if it exists (with an env), else ``.dev.vars``, else nothing."""
    candidates = [directory / f".dev.vars.{env_name}"] if env_name else []
    candidates.append(directory / ".dev.vars")
    for path in candidates:
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{path.name} in {display}: cannot be read ({exc}).") from exc
            return parse_dotenv(text, f"{path.name} in {display}")
    return {}
