"""``pyworker check``: bindings, entrypoints, calls and deploy order of a set of workers, read without serving."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pyworker.cli import main
from pyworker.tools.deploy_order import Step, plan

CALLER = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        total = await self.env.B.add(1, 2)
        return Response(str(total))
"""

TARGET = """
from workers import WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return None

    async def add(self, a, b):
        return a + b


class Admin(WorkerEntrypoint):
    async def reset(self):
        return True
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args])


def caller_config(name: str = "a", target: str = "b", extra: str = "") -> str:
    return f'name = "{name}"\nmain = "src/entry.py"\nservices = [{{ binding = "B", service = "{target}"{extra} }}]\n'


def test_a_valid_pair_lists_everything_and_orders_the_target_first(write_worker) -> None:
    write_worker("a", {"src/entry.py": CALLER, ".dev.vars": "TOKEN=never-shown\n"}, caller_config()
                 + 'vars = { API_HOST = "x" }\n[[kv_namespaces]]\nbinding = "CACHE"\nid = "abc"\n')  # fmt: skip
    write_worker("b", {"src/entry.py": TARGET})
    result = run("a", "b")
    assert result.output.splitlines() == [
        "a (a/wrangler.toml)",
        "  entrypoint Default (fetch)",
        "  var API_HOST",
        "  secret TOKEN",
        "  binding B: service b, ok",
        "  binding CACHE: kv abc",
        "  call self.env.B.add() at src/entry.py:7, ok",
        "b (b/wrangler.toml)",
        "  entrypoint Admin: reset",
        "  entrypoint Default (fetch): add",
        "Deploy order (targets first):",
        "  1. b",
        "  2. a",
        "Checked 2 workers: no problems.",
    ]
    assert result.exit_code == 0


def test_a_missing_target_is_an_error(write_worker) -> None:
    write_worker("a", {"src/entry.py": CALLER}, caller_config(target="nowhere"))
    result = run("a")
    assert result.exit_code == 1
    assert result.output.splitlines()[2:] == [
        "  binding B: service nowhere, missing worker",
        "  call self.env.B.add() at src/entry.py:7, unknown",
        "Deploy order (targets first):",
        "  1. a",
        'Error: a: binding B names worker "nowhere", which is not among the checked workers. '
        "Check it too (pass its directory), or deploy it before a.",
        "Checked 1 worker: 1 error.",
    ]


def test_a_missing_entrypoint_is_an_error(write_worker) -> None:
    write_worker("a", {"src/entry.py": CALLER}, caller_config(extra=', entrypoint = "Billing"'))
    write_worker("b", {"src/entry.py": TARGET})
    result = run("a", "b")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[2] == "  binding B: service b (Billing), missing entrypoint"
    assert lines[-2:] == [
        'Error: a: binding B names entrypoint "Billing" of b, which b does not export (it exports Admin, Default).',
        "Checked 2 workers: 1 error.",
    ]


def test_a_call_to_a_method_the_target_does_not_define_is_an_error(write_worker) -> None:
    code = CALLER.replace("self.env.B.add(1, 2)", "self.env.B.sub(1, 2)") + (
        "\n\nasync def helper(env):\n    return await env.B.reset()\n"
    )
    write_worker("a", {"src/entry.py": code}, caller_config(extra=""))
    write_worker("b", {"src/entry.py": TARGET})
    result = run("a", "b", "--json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["workers"][0]["calls"] == [
        {"binding": "B", "method": "sub", "file": "src/entry.py", "line": 7, "status": "missing method"},
        {"binding": "B", "method": "reset", "file": "src/entry.py", "line": 12, "status": "missing method"},
    ]
    assert [e["message"] for e in data["errors"]] == [
        "a (src/entry.py, line 7): self.env.B.sub() calls a method b's Default does not define; the call would "
        'fail once deployed with "The RPC receiver does not implement the method "sub"."',
        "a (src/entry.py, line 12): env.B.reset() calls a method b's Default does not define; the call would "
        'fail once deployed with "The RPC receiver does not implement the method "reset"."',
    ]
    assert data["deploy_order"] == [{"worker": "b", "without": [], "again": False},
                                    {"worker": "a", "without": [], "again": False}]  # fmt: skip


def test_a_cycle_is_deployed_in_two_passes_with_a_warning(write_worker) -> None:
    write_worker("a", {"src/entry.py": CALLER}, caller_config("a", "b"))
    write_worker("b", {"src/entry.py": TARGET}, caller_config("b", "a").replace('"B"', '"BACK"'))
    write_worker("c", {"src/entry.py": TARGET}, caller_config("c", "a").replace('"B"', '"A"'))
    result = run("c", "a", "b")
    assert result.exit_code == 0
    tail = result.output.splitlines()[-7:]
    assert tail == [
        "Deploy order (targets first):",
        "  1. a without B (a cycle: added in step 4)",
        "  2. c",
        "  3. b",
        "  4. a again, with B",
        "Warning: service bindings form a cycle: a -> b -> a. A first deployment must deploy a without B, "
        "then deploy it again with it once the others exist.",
        "Checked 3 workers: 1 warning.",
    ]


def test_a_worker_that_fails_to_import_is_an_error_and_its_callers_unknown(write_worker) -> None:
    write_worker("a", {"src/entry.py": CALLER}, caller_config())
    write_worker("b", {"src/entry.py": "import nowhere_to_be_found\n"})
    result = run("a", "b")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "  binding B: service b, unknown: b failed to import" in lines
    assert "  entrypoints: unknown, the import failed" in lines
    assert lines[-2] == (
        "Error: b: importing the worker failed in b/src/entry.py, line 1: "
        "ModuleNotFoundError: No module named 'nowhere_to_be_found'"
    )


def test_a_broken_config_is_one_error_line(write_worker) -> None:
    write_worker("a", {}, 'name = "a"\nmain = "src/missing.py"\n')
    result = run("a")
    assert result.exit_code == 1
    assert result.output == 'Error: wrangler.toml in a: "main" points to src/missing.py, which does not exist.\n'


def test_the_plan_keeps_the_given_order_between_independent_workers() -> None:
    assert plan(["x", "y", "z"], {"x": [("Z", "z")], "y": []}).steps == [Step("y"), Step("z"), Step("x")]
    two = plan(["a", "b", "c", "d"], {"a": [("B", "b")], "b": [("A", "a")], "c": [("D", "d")], "d": [("C", "c")]})
    assert two.cycles == [["a", "b", "a"], ["c", "d", "c"]]
    assert two.steps == [Step("a", ("B",)), Step("b"), Step("c", ("D",)), Step("d"),
                         Step("a", ("B",), True), Step("c", ("D",), True)]  # fmt: skip
    assert plan(["s"], {"s": [("SELF", "s")]}).steps == [Step("s")]  # a worker may bind itself


def test_json_stays_parseable_when_worker_code_prints_at_import(write_worker) -> None:
    write_worker("b", {"src/entry.py": "print('hello from import')\n" + TARGET})
    result = run("b", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["workers"][0]["entrypoints"]["Default"] == {
        "handlers": ["fetch"],
        "methods": ["add"],
    }
    assert result.stderr == "hello from import\n"


def test_kinds_pyworker_does_not_emulate_are_listed(write_worker) -> None:
    write_worker("w", {"src/entry.py": TARGET}, 'name = "w"\nmain = "src/entry.py"\n'
                 '[[queues.producers]]\nbinding = "JOBS"\nqueue = "jobs"\n[ai]\nbinding = "AI"\n')  # fmt: skip
    lines = run("w").output.splitlines()
    assert [line for line in lines if line.startswith("  binding")] == [
        "  binding AI: ai, not emulated by pyworker",
        "  binding JOBS: queues",
    ]
    assert lines[-2:] == [
        "Warning: wrangler.toml in w: pyworker does not emulate these bindings: ai. They are on env, and using one "
        "raises an error that says whether wrangler dev runs it locally.",
        "Checked 1 worker: 1 warning.",
    ]


def test_a_call_through_a_name_the_config_does_not_declare_is_a_warning(write_worker) -> None:
    code = CALLER.replace("self.env.B.add(1, 2)", "self.env.BB.add(1, 2)") + (
        "\n\ndef token(env):\n    return env.TOKEN.strip() + env.API_HOST.lower() + env._private.x()\n"
    )
    write_worker("a", {"src/entry.py": code, ".dev.vars": "TOKEN=t\n"}, caller_config() + 'vars = { API_HOST = "x" }\n')
    write_worker("b", {"src/entry.py": TARGET})
    result = run("a", "b")
    assert result.exit_code == 0
    assert result.output.splitlines()[-2:] == [
        "Warning: a (src/entry.py, line 7): self.env.BB.add() uses BB, which a/wrangler.toml does not declare "
        "(nor .dev.vars); unless it is a secret set on Cloudflare, the call fails once deployed.",
        "Checked 2 workers: 1 warning.",
    ]


def test_a_durable_object_of_another_worker_orders_that_worker_first(write_worker) -> None:
    config = 'name = "a"\nmain = "src/entry.py"\ndurable_objects = { bindings = [{ name = "COUNTER", ' \
             'class_name = "Counter", script_name = "b" }] }\n'  # fmt: skip
    write_worker("a", {"src/entry.py": TARGET}, config)
    write_worker("b", {"src/entry.py": TARGET})
    lines = run("a", "b").output.splitlines()
    assert "  binding COUNTER: durable_objects b" in lines
    assert lines[lines.index("Deploy order (targets first):") + 1 :][:2] == ["  1. b", "  2. a"]
    missing = run("a")
    assert missing.exit_code == 1
    assert 'Error: a: binding COUNTER names worker "b", which is not among the checked workers.' in missing.output
