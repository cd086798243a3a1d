"""Which Python Cloudflare runs a worker on, and the start-up lines when pyworker runs on another."""

from __future__ import annotations

import sys

import pytest

from pyworker.config import load_config
from pyworker.errors import WorkerLoadError
from pyworker.loading.code import load_code
from pyworker.loading.python_version import production_python, python_warnings, syntax_hint

FIX_313 = "python3.13 -m venv .venv && .venv/bin/pip install pyworker (then run .venv/bin/pyworker dev)"


def config_with(write_worker, name="w", date=None, flags=(), pyproject=None):
    lines = [f'name = "{name}"', 'main = "src/entry.py"']
    if date:
        lines.append(f'compatibility_date = "{date}"')
    if flags:
        lines.append("compatibility_flags = [" + ", ".join(f'"{flag}"' for flag in flags) + "]")
    files = {"src/entry.py": "x = 1\n"}
    if pyproject is not None:
        files["pyproject.toml"] = pyproject
    return load_config(write_worker(name, files, config="\n".join(lines) + "\n"))


@pytest.mark.parametrize(
    ("date", "flags", "version"),
    [
        ("2025-09-29", (), (3, 13)),
        ("2025-09-28", (), (3, 12)),
        ("2024-04-01", ("python_workers",), (3, 12)),
        ("2025-01-20", ("python_workers", "python_workers_20250116"), (3, 13)),
        ("2026-01-01", ("no_python_workers_20250116",), (3, 12)),
        (None, (), (3, 13)),  # no date: wrangler uses its runtime's date, past the switch
    ],
)
def test_production_python_follows_the_date_and_flags(write_worker, date, flags, version):
    assert production_python(config_with(write_worker, date=date, flags=flags)) == version


def test_a_mismatch_is_one_line_naming_the_workers_both_versions_and_the_fix(write_worker):
    a = config_with(write_worker, "a", date="2026-01-01")
    b = config_with(write_worker, "b", date="2026-02-01")
    old = config_with(write_worker, "old", date="2024-01-01")
    assert python_warnings([a, b, old], running=(3, 13)) == [
        'Worker "old": Cloudflare runs it on Python 3.12 (from the compatibility date and flags), but pyworker '
        "runs on Python 3.13: code that works here may fail there, or the other way round. Run pyworker on "
        "Python 3.12: python3.12 -m venv .venv && .venv/bin/pip install pyworker (then run .venv/bin/pyworker dev)"
    ]
    assert python_warnings([a, b], running=(3, 11)) == [
        'Workers "a", "b": Cloudflare runs them on Python 3.13 (from the compatibility date and flags), but '
        "pyworker runs on Python 3.11: code that works here may fail there, or the other way round. Run pyworker "
        f"on Python 3.13: {FIX_313}"
    ]
    assert python_warnings([a, b], running=(3, 13)) == []


def test_requires_python_that_excludes_the_interpreter_is_one_line(write_worker):
    config = config_with(
        write_worker, date="2026-01-01", pyproject='[project]\nname = "w"\nrequires-python = ">=3.13"\n'
    )
    lines = python_warnings([config], running=(3, 13))
    assert lines == []
    lines = python_warnings([config], running=(3, 11))
    assert lines[1].startswith('Worker "w": ')
    assert lines[1].endswith(
        'pyproject.toml has requires-python ">=3.13", but pyworker runs on Python 3.11. '
        f"Run pyworker on Python 3.13: {FIX_313}"
    )
    broken = config_with(write_worker, "x", date="2026-01-01", pyproject='[project]\nrequires-python = "three"\n')
    assert python_warnings([broken], running=(3, 13))[0].endswith(
        'pyproject.toml: requires-python "three" is not a version specifier (e.g. ">=3.13").'
    )


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="type aliases are syntax from Python 3.12 on")
def test_a_syntax_error_newer_python_accepts_says_so(write_worker):
    directory = write_worker("typed", {"src/entry.py": "type UserId = int\n"})
    config = load_config(directory)
    with pytest.raises(WorkerLoadError) as info:
        load_code(config, 1)
    lines = str(info.value).split("\n")
    assert lines[0].startswith("typed: SyntaxError in ")
    assert lines[1] == "    type UserId = int"
    assert lines[-1].startswith("Python 3.13, which Cloudflare runs for this worker, ")
    assert lines[-1].endswith(f"pyworker runs on Python 3.11. Run pyworker on Python 3.13: {FIX_313}")
    assert "accepts this file" in lines[-1] or "may accept this file" in lines[-1]


def test_a_syntax_error_no_python_accepts_gets_no_hint(write_worker, tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def broken(:\n")
    config = config_with(write_worker, date="2026-01-01")
    error = SyntaxError("invalid syntax", (str(bad), 1, 12, "def broken(:\n"))
    assert syntax_hint(config, error) == ""
