"""``pyworker init``: each template is written, served in-process, passes its own test; one is curled for real."""

from __future__ import annotations

import asyncio
import datetime
import io
import runpy
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from pyworker import testing
from pyworker.cli import main
from tests.test_e2e import DevProcess


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def init(*args: str) -> Result:
    return CliRunner().invoke(main, ["init", *args])


async def served(paths: list[Path], worker: str, url: str) -> httpx.Response:
    async with testing.dev(paths, output=io.StringIO()) as dev:
        return await dev.fetch(worker, url)


def test_hello_prints_what_it_wrote_and_serves(tmp_path: Path) -> None:
    result = init("my-app")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        'Created my-app from the "hello" template (worker "my-app"):',
        "  my-app/pyproject.toml",
        "  my-app/src/entry.py",
        "  my-app/tests/test_entry.py",
        "  my-app/wrangler.toml",
        "  my-app/.gitignore",
        "Next: pyworker dev my-app   It answers on http://127.0.0.1:8787.",
        "Test: cd my-app && python -m pytest",
    ]
    assert (tmp_path / "my-app/wrangler.toml").read_text() == (
        f'name = "my-app"\nmain = "src/entry.py"\ncompatibility_date = "{datetime.date.today().isoformat()}"\n'
        'compatibility_flags = ["python_workers"]\n\n[vars]\nGREETING = "Hello"\n'
    )
    response = asyncio.run(served([tmp_path / "my-app"], "my-app", "/x"))
    assert (response.status_code, response.text) == (200, "Hello from my-app! You asked for /x")
    runpy.run_path(str(tmp_path / "my-app/tests/test_entry.py"))["test_it_greets"]()


@pytest.mark.parametrize(
    ("template", "test_file", "test_name", "worker", "url", "expected"),
    [
        ("fastapi", "tests/test_entry.py", "test_the_routes", "api", "/items/7", '{"item_id":7}'),
        ("rpc-pair", "tests/test_pair.py", "test_the_gateway_calls_the_backend", "api-gateway", "/?a=1&b=5",
         '{"a": 1, "b": 5, "sum": 6}'),
        ("django", "tests/test_entry.py", "test_home", "api", "/",
         '{"message": "Hello from Django in a Python Worker"}'),
    ],
)  # fmt: skip
def test_each_template_serves_and_passes_its_own_test(
    tmp_path: Path, template: str, test_file: str, test_name: str, worker: str, url: str, expected: str
) -> None:
    result = init("api", "--template", template)
    assert result.exit_code == 0, result.output
    project = tmp_path / "api"
    paths = [project / "gateway", project / "backend"] if template == "rpc-pair" else [project]
    response = asyncio.run(served(paths, worker, url))
    assert (response.status_code, response.text) == (200, expected)
    runpy.run_path(str(project / test_file))[test_name]()


def test_django_gets_a_package_named_for_the_worker(tmp_path: Path) -> None:
    assert init("Hello Site!", "--template", "django").exit_code == 0
    package = tmp_path / "Hello Site!/src/hello_site"
    assert sorted(p.name for p in package.iterdir()) == ["__init__.py", "settings.py", "urls.py", "wsgi.py"]
    assert 'name = "hello-site"' in (tmp_path / "Hello Site!/wrangler.toml").read_text()


def test_a_directory_with_files_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken/keep.txt").write_text("mine")
    result = init("taken")
    assert result.exit_code == 1
    assert result.output == (
        "Error: taken already exists and is not an empty directory: pyworker init never overwrites files. "
        "Choose a new directory.\n"
    )
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["keep.txt"]


def test_a_bad_name_and_a_bad_template_are_one_line_each() -> None:
    assert init("x", "--name", "Bad Name").output == (
        'Error: --name "Bad Name" is not a valid worker name: use 1 to 63 lowercase letters, digits, "-" or "_", '
        "starting and ending with a letter or digit.\n"
    )
    bad = init("x", "--template", "rails")
    assert bad.exit_code == 2
    assert "'rails' is not one of 'hello', 'fastapi', 'rpc-pair', 'django'" in bad.output


@pytest.mark.e2e
def test_the_rpc_pair_is_served_by_the_real_pyworker_dev(tmp_path: Path) -> None:
    assert init("pair", "--template", "rpc-pair").exit_code == 0
    process = DevProcess("pair", "--port", "0", "--no-reload", cwd=tmp_path)
    try:
        url = process.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)
        assert httpx.get(f"{url}/?a=2&b=3").json() == {"a": 2, "b": 3, "sum": 5}
    finally:
        process.close()
