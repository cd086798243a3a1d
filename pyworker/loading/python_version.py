"""Which Python a worker needs, and whether the interpreter pyworker runs on is it.

Cloudflare picks the worker's Python from its ``compatibility_date`` and flags, as
pywrangler's table says: ``python_workers_20250116`` (implied from 2025-09-29 on) is
Python 3.13 (Pyodide 0.28); before that, or with ``no_python_workers_20250116``,
Python 3.12 (Pyodide 0.27). A worker's ``pyproject.toml`` may also say
``requires-python``. Worker code runs here on the interpreter pyworker runs on, so a
mismatch gets one start-up line naming the worker, both versions and the fix; a
``SyntaxError`` the production Python would accept says so (:func:`syntax_hint`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

from pyworker.config.files import display_path
from pyworker.config.model import WorkerConfig

PYTHON_3_13_FLAG = "python_workers_20250116"
PYTHON_3_13_FROM = "2025-09-29"  # the compatibility date from which the flag is on by default
_COMPILE_TIMEOUT = 10.0
# Syntax from Python 3.12 on, to guess by when the newer interpreter is not here to ask: type aliases,
# generic functions and classes, f-strings reusing their quotes.
_NEWER_SYNTAX = re.compile(r"^\s*(type\s+\w+|(async\s+)?def\s+\w+\s*\[|class\s+\w+\s*\[)|\bf(['\"]).*\{[^}]*\3")


def production_python(config: WorkerConfig) -> tuple[int, int]:
    """The Python version Cloudflare runs this worker on."""
    flags = config.compatibility_flags
    if f"no_{PYTHON_3_13_FLAG}" in flags:
        return (3, 12)
    # No compatibility_date: wrangler uses its runtime's current date, which is past the switch.
    if PYTHON_3_13_FLAG in flags or (config.compatibility_date or "9999-12-31") >= PYTHON_3_13_FROM:
        return (3, 13)
    return (3, 12)


def _shown(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version[:2])


def fix_command(version: tuple[int, int]) -> str:
    """The set-up command that gives pyworker the interpreter ``version``."""
    python = f"python{_shown(version)}"
    return f"{python} -m venv .venv && .venv/bin/pip install pyworker (then run .venv/bin/pyworker dev)"


def requires_python(config: WorkerConfig) -> tuple[Path, str] | None:
    """The worker's ``pyproject.toml`` and its ``requires-python``, if it says one."""
    pyproject = config.directory / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None  # a missing or broken pyproject.toml is the dependency check's to report
    project = data.get("project")
    spec = project.get("requires-python") if isinstance(project, dict) else None
    return (pyproject, spec) if isinstance(spec, str) else None


def python_warnings(configs: Sequence[WorkerConfig], running: tuple[int, int] | None = None) -> list[str]:
    """One line per mismatch between the workers' Python needs and the interpreter pyworker runs on
    (workers that Cloudflare runs on the same other Python share one line)."""
    here = running or (sys.version_info.major, sys.version_info.minor)
    lines = []
    elsewhere: dict[tuple[int, int], list[str]] = {}
    for config in configs:
        production = production_python(config)
        if production != here:
            elsewhere.setdefault(production, []).append(config.name)
    for production, names in elsewhere.items():
        who = f'Worker "{names[0]}"' if len(names) == 1 else "Workers " + ", ".join(f'"{name}"' for name in names)
        lines.append(
            f"{who}: Cloudflare runs {'it' if len(names) == 1 else 'them'} on Python {_shown(production)} "
            f"(from the compatibility date and flags), but pyworker runs on Python {_shown(here)}: code that works "
            f"here may fail there, or the other way round. Run pyworker on Python {_shown(production)}: "
            f"{fix_command(production)}"
        )
    for config in configs:
        lines.extend(_requires_python_warning(config, here))
    return lines


def _requires_python_warning(config: WorkerConfig, here: tuple[int, int]) -> list[str]:
    declared = requires_python(config)
    if declared is None:
        return []
    pyproject, spec = declared
    where = f'Worker "{config.name}": {display_path(pyproject)}'
    from packaging.specifiers import InvalidSpecifier, SpecifierSet  # here: only a requires-python pays for it

    try:
        accepted = SpecifierSet(spec).contains(f"{here[0]}.{here[1]}.0", prereleases=True)
    except InvalidSpecifier:
        return [f'{where}: requires-python "{spec}" is not a version specifier (e.g. ">=3.13").']
    if accepted:
        return []
    production = production_python(config)
    return [
        f'{where} has requires-python "{spec}", but pyworker runs on Python {_shown(here)}. '
        f"Run pyworker on Python {_shown(production)}: {fix_command(production)}"
    ]


def syntax_hint(config: WorkerConfig, exc: SyntaxError) -> str:
    """For a ``SyntaxError`` at import: that Cloudflare's newer Python would accept it, if it would; else ""."""
    production = production_python(config)
    if (sys.version_info.major, sys.version_info.minor) >= production or not exc.filename:
        return ""
    accepts = _newer_accepts(production, Path(exc.filename))
    if accepts is False or (accepts is None and not _NEWER_SYNTAX.search(exc.text or "")):
        return ""
    verdict = "accepts this file" if accepts else "may accept this file (it is not installed here to check)"
    return (
        f"Python {_shown(production)}, which Cloudflare runs for this worker, {verdict}; pyworker runs on "
        f"Python {sys.version_info.major}.{sys.version_info.minor}. "
        f"Run pyworker on Python {_shown(production)}: {fix_command(production)}"
    )


def _newer_accepts(version: tuple[int, int], path: Path) -> bool | None:
    """Whether ``python{version}`` compiles ``path``; None when that interpreter is not on PATH."""
    python = shutil.which(f"python{_shown(version)}")
    if python is None:
        return None
    check = "import sys; compile(open(sys.argv[1], 'rb').read(), sys.argv[1], 'exec')"
    try:
        done = subprocess.run([python, "-c", check, str(path)], capture_output=True, timeout=_COMPILE_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode == 0:
        return True
    return False if b"SyntaxError" in done.stderr else None  # else it did not run (a pyenv shim, say)
