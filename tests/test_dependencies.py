"""A worker's pyproject.toml dependencies, checked at start-up (pyworker/loading/dependencies.py)."""

from __future__ import annotations

import importlib.metadata

import pytest
from packaging.requirements import InvalidRequirement, Requirement

from pyworker.config import load_config
from pyworker.config.files import display_path
from pyworker.errors import WorkerLoadError
from pyworker.loading.code import load_code
from pyworker.loading.dependencies import install_command, unmet_dependencies

PYPROJECT = """
[project]
name = "shop"
dependencies = [
    "pyworker-missing-package>=1.0",
    "httpx>=0.1",
    "httpx>=999",
    "tomli; python_version < '3.0'",
    "workers-runtime-sdk",
    "not a requirement (((",
]
"""


def packaging_reason(text: str) -> str:
    """The first line of packaging's own complaint (its wording changes between versions)."""
    with pytest.raises(InvalidRequirement) as info:
        Requirement(text)
    return str(info.value).splitlines()[0].rstrip(".")


@pytest.fixture
def shop(write_worker):
    return write_worker(
        "shop",
        {"pyproject.toml": PYPROJECT, "src/entry.py": "import pyworker_missing_package\n"},
    )


def test_each_unmet_requirement_gets_one_line_naming_worker_requirement_and_command(shop, make_server, output):
    make_server(shop)
    httpx_version = importlib.metadata.version("httpx")
    path = display_path(shop / "pyproject.toml")
    assert [line.replace(path, "PYPROJECT") for line in output.lines() if line.startswith("Warning")] == [
        'Warning: Worker "shop": PYPROJECT requires "pyworker-missing-package>=1.0", which is not installed in the '
        f"Python environment pyworker runs in: run {install_command(['pyworker-missing-package>=1.0'])}",
        f'Warning: Worker "shop": PYPROJECT requires "httpx>=999", which is installed at {httpx_version} in the '
        f"Python environment pyworker runs in: run {install_command(['httpx>=999'])}",
        "Warning: Worker \"shop\": PYPROJECT: dependency 'not a requirement (((' is not a valid requirement "
        f"({packaging_reason('not a requirement (((')}). Fix it in pyproject.toml.",
    ]


def test_the_server_still_serves_and_the_failed_import_says_what_to_install(shop):
    with pytest.raises(WorkerLoadError) as info:
        load_code(load_config(shop), 1)
    message = str(info.value).replace(display_path(shop / "pyproject.toml"), "PYPROJECT")
    assert message.endswith(
        "ModuleNotFoundError: No module named 'pyworker_missing_package'. PYPROJECT requires "
        '"pyworker-missing-package>=1.0", "httpx>=999", not satisfied in the Python environment pyworker runs in: '
        f"run {install_command(['pyworker-missing-package>=1.0', 'httpx>=999'])}"
    )


def test_a_worker_without_pyproject_has_nothing_to_check(write_worker):
    assert unmet_dependencies(load_config(write_worker("plain", {"src/entry.py": ""}))) == []
