"""``pyworker check --since GIT_REF`` on a git repository made in the test."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pyworker.cli import main

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

CALLER = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(str(await self.env.B.{method}(1, 2)))
"""

TARGET = """
from workers import WorkerEntrypoint


class Default(WorkerEntrypoint):
{methods}
"""


def method(name: str) -> str:
    return f"    async def {name}(self, a, b):\n        return a + b\n"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True,
                   capture_output=True)  # fmt: skip


def write(root: Path, caller_method: str, target_methods: list[str]) -> None:
    for name, config, code in [
        ("a", 'name = "a"\nmain = "src/entry.py"\nservices = [{ binding = "B", service = "b" }]\n',
         CALLER.format(method=caller_method)),
        ("b", 'name = "b"\nmain = "src/entry.py"\n', TARGET.format(methods="\n".join(map(method, target_methods)))),
    ]:  # fmt: skip
        (root / name / "src").mkdir(parents=True, exist_ok=True)
        (root / name / "wrangler.toml").write_text(config)
        (root / name / "src" / "entry.py").write_text(textwrap.dedent(code))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    git(tmp_path, "init", "-q")
    write(tmp_path, "add", ["add"])
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "first")
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", "a", "b", *args])


def test_a_method_added_and_used_deploys_the_target_first(repo: Path) -> None:
    write(repo, "sub", ["add", "sub"])
    result = run("--since", "HEAD")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-6:] == [
        "Since HEAD: changed a, b.",
        "  b gains sub(), which a now calls: deploy b before a.",
        "Deploy order of the changes:",
        "  1. b",
        "  2. a",
        "Checked 2 workers: no problems.",
    ]


def test_a_method_removed_while_the_deployed_caller_calls_it_is_a_warning(repo: Path) -> None:
    write(repo, "add", ["add", "sub"])
    git(repo, "commit", "-q", "-am", "b gains sub")
    write(repo, "sub", ["sub"])  # a moved to sub, and b dropped add in the same change
    result = run("--since", "HEAD", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["warnings"] == [
        {
            "worker": "b",
            "message": "b removes add(), which a as deployed at HEAD still calls: deploy a first, "
            "and remove add() only after it is deployed.",
        }
    ]
    assert report["since"] == {
        "ref": "HEAD",
        "changed": ["a", "b"],
        "new": [],
        "notes": [],
        "deploy_order": [
            {"worker": "a", "without": [], "again": False},
            {"worker": "b", "without": [], "again": False},
        ],
    }


def test_a_method_still_called_now_is_an_error_and_a_warning(repo: Path) -> None:
    write(repo, "add", ["sub"])
    result = run("--since", "HEAD~0")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[-3:] == [
        "Error: a (src/entry.py, line 7): self.env.B.add() calls a method b's Default does not define; the call "
        'would fail once deployed with "The RPC receiver does not implement the method "add"."',
        "Warning: b removes add(), which a as deployed at HEAD~0 still calls: deploy a first, "
        "and remove add() only after it is deployed.",
        "Checked 2 workers: 1 error, 1 warning.",
    ]
    assert "Since HEAD~0: changed b." in lines


def test_a_new_caller_alone_is_the_change_and_unchanged_ones_are_left_out(repo: Path) -> None:
    (repo / "c" / "src").mkdir(parents=True)
    (repo / "c" / "wrangler.toml").write_text('name = "c"\nmain = "src/entry.py"\n'
                                              'services = [{ binding = "B", service = "b" }]\n')  # fmt: skip
    (repo / "c" / "src" / "entry.py").write_text(textwrap.dedent(CALLER.format(method="add")))
    result = CliRunner().invoke(main, ["check", "c", "a", "b", "--since", "HEAD"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-4:] == [
        "Since HEAD: changed c.",
        "Deploy order of the changes:",
        "  1. c",
        "Checked 3 workers: no problems.",
    ]


def test_an_unknown_ref_is_one_error_line(repo: Path) -> None:
    result = run("--since", "no-such-branch")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        'Error: --since no-such-branch: no commit "no-such-branch" in the git repository at .; '
        "give a branch, a tag or a commit id."
    )


def test_outside_a_repository_is_one_error_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    write(tmp_path, "add", ["add"])
    result = run("--since", "HEAD")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == "Error: --since needs a git repository, and a is not in one."


def test_a_worker_at_the_top_of_the_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "wrangler.toml").write_text('name = "solo"\nmain = "src/entry.py"\n')
    (tmp_path / "src/entry.py").write_text(textwrap.dedent(TARGET.format(methods=method("add"))))
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "first")
    assert CliRunner().invoke(main, ["check", "--since", "HEAD"]).output.splitlines()[-2:] == [
        "Since HEAD: changed nothing.",
        "Checked 1 worker: no problems.",
    ]
    (tmp_path / "src/entry.py").write_text(textwrap.dedent(TARGET.format(methods=method("sub"))))
    assert CliRunner().invoke(main, ["check", "--since", "HEAD"]).output.splitlines()[-4:] == [
        "Since HEAD: changed solo.",
        "Deploy order of the changes:",
        "  1. solo",
        "Checked 1 worker: no problems.",
    ]


def test_a_new_target_deploys_before_the_worker_that_now_binds_it(repo: Path) -> None:
    (repo / "d" / "src").mkdir(parents=True)
    (repo / "d" / "wrangler.toml").write_text('name = "d"\nmain = "src/entry.py"\n')
    (repo / "d" / "src" / "entry.py").write_text(textwrap.dedent(TARGET.format(methods=method("mul"))))
    config = (repo / "a" / "wrangler.toml").read_text()
    (repo / "a" / "wrangler.toml").write_text(
        config.replace('service = "b" }', 'service = "b" }, { binding = "D", service = "d" }')
    )
    result = CliRunner().invoke(main, ["check", "a", "b", "d", "--since", "HEAD"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-5:] == [
        "Since HEAD: changed a, d.",
        "Deploy order of the changes:",
        "  1. d",
        "  2. a",
        "Checked 3 workers: no problems.",
    ]
