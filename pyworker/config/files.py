"""Find a worker's wrangler config file and parse it into a plain dict."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pyworker.errors import ConfigError

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python < 3.11 has tomli instead
    import tomli as tomllib  # type: ignore[no-redef,import-not-found]

# Wrangler's own precedence when a directory holds more than one.
CONFIG_NAMES = ("wrangler.json", "wrangler.jsonc", "wrangler.toml")


def display_path(path: Path) -> str:
    """``path`` relative to the working directory (``../x`` above it), for messages."""
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)


def shown(value: Any) -> str:
    """``value`` as a message quotes it: its repr, cut short (a config may hold megabytes)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def describe(config_path: Path) -> str:
    """``wrangler.toml in workers/api``: how messages name a config file."""
    return f"{config_path.name} in {display_path(config_path.parent)}"


def _config_in(directory: Path) -> Path | None:
    """The config file in ``directory``, by wrangler's precedence, or ``None``."""
    return next((directory / name for name in CONFIG_NAMES if (directory / name).is_file()), None)


def worker_paths(path: Path) -> list[Path]:
    """The workers ``path`` names: itself if it is a config file or worker directory, else the
    worker directories directly inside it (``pyworker dev fixtures/seed``), sorted by name."""
    if path.is_dir() and _config_in(path) is None:
        children = sorted(child for child in path.iterdir() if child.is_dir() and _config_in(child) is not None)
        if children:
            return children
    return [path]


def project_directory(paths: Sequence[Path], workers: Sequence[Path]) -> Path:
    """The directory that holds the project's ``.wrangler/state``: the first path given when it is a
    directory of workers (``pyworker dev proj``), else the first worker's directory."""
    for path in paths[:1]:
        if path.is_dir() and _config_in(path) is None and worker_paths(path) != [path]:
            return path.resolve()
    return workers[0] if workers else Path.cwd()


def find_config(path: Path) -> Path:
    """Return the config file for ``path``, a worker directory or a config file."""
    if path.is_file():
        return path.resolve()
    if path.is_dir():
        found = _config_in(path)
        if found is not None:
            return found.resolve()
        raise ConfigError(
            f"No wrangler.toml, wrangler.json or wrangler.jsonc in {display_path(path)}. "
            "Pass a worker directory or its config file."
        )
    raise ConfigError(f"{display_path(path)} does not exist. Pass a worker directory or its config file.")


def read_config_file(config_path: Path) -> dict[str, Any]:
    """Parse a ``wrangler.toml``/``.json``/``.jsonc`` into a dict, with line numbers on errors."""
    where = describe(config_path)
    if config_path.suffix not in (".toml", ".json", ".jsonc"):
        raise ConfigError(
            f"{display_path(config_path)} is not a wrangler config: expected a .toml, .json or .jsonc file."
        )
    try:
        text = config_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot be read ({exc}).") from exc
    data = _parse(text, config_path.suffix, where)
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected an object at the top level, got {type(data).__name__}.")
    if _depth_exceeds(data, MAX_DEPTH):
        raise ConfigError(f"{where}: nested too deeply (more than {MAX_DEPTH} levels); a wrangler config never is.")
    return data


# Real configs nest a few levels; deeper input only exhausts the parsers' (and later code's) recursion.
MAX_DEPTH = 64


def _parse(text: str, suffix: str, where: str) -> Any:
    """Parse TOML or JSON(C); every way the input can be bad is one :class:`ConfigError`."""
    kind = "TOML" if suffix == ".toml" else "JSON"
    try:
        if suffix == ".toml":
            return tomllib.loads(text)
        return json.loads(strip_jsonc(text, where))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: invalid TOML: {exc}.") from exc
    except RecursionError as exc:
        raise ConfigError(
            f"{where}: nested too deeply (more than {MAX_DEPTH} levels); a wrangler config never is."
        ) from exc
    except ValueError as exc:  # an integer past Python's digit limit, and the like
        if "integer string conversion" in str(exc):
            limit = sys.get_int_max_str_digits()
            raise ConfigError(f"{where}: invalid {kind}: an integer with more than {limit} digits.") from exc
        raise ConfigError(f"{where}: invalid {kind}: {exc}.") from exc


def _depth_exceeds(data: Any, limit: int) -> bool:
    """Whether lists and tables nest more than ``limit`` levels (iteratively: no recursion to exhaust)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def strip_jsonc(text: str, where: str = "JSONC") -> str:
    """Remove ``//`` and ``/* */`` comments and trailing commas, keeping line numbers.

    Comment text is replaced by spaces (newlines kept) so JSON errors still point
    at the right line and column. A ``/*`` that never closes is a :class:`ConfigError`
    (``where`` names the file).
    """
    out: list[str] = []
    i, n = 0, len(text)
    pending_comma: int | None = None  # index in `out` of a comma that may be trailing
    while i < n:
        char = text[i]
        if char == '"':
            end = i + 1
            while end < n and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            out.append(text[i : end + 1])
            pending_comma = None
            i = end + 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end == -1 else end
            out.append(" " * (end - i))
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end == -1:
                line = text.count("\n", 0, i) + 1
                column = i - text.rfind("\n", 0, i)
                raise ConfigError(f"{where}: a /* comment opened at line {line}, column {column} is never closed.")
            end += 2
            out.append("".join(c if c == "\n" else " " for c in text[i:end]))
            i = end
        elif char == ",":
            pending_comma = len(out)
            out.append(char)
            i += 1
        elif char in "}]" and pending_comma is not None:
            out[pending_comma] = " "
            pending_comma = None
            out.append(char)
            i += 1
        else:
            if not char.isspace():
                pending_comma = None
            out.append(char)
            i += 1
    return "".join(out)
