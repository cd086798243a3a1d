"""``os.environ`` per worker (pyworker/loading/environ.py) and the warning for process-wide singletons
two workers configure differently (pyworker/loading/shared.py)."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.anyio

CODE = """
import os
from os import environ

from workers import WorkerEntrypoint

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{module}")


class Default(WorkerEntrypoint):
    def read(self, name):
        return [os.environ.get(name), os.getenv(name), environ.get(name), name in os.environ, name in dict(os.environ)]

    def write(self, name, value):
        os.environ[name] = value

    def delete(self, name):
        del os.environ[name]
"""


@pytest.fixture
def two(write_worker, make_server, monkeypatch):
    monkeypatch.setenv("PYWORKER_SHARED", "from the process")
    a = write_worker("a", {"src/entry.py": CODE.format(module="site_a.settings"), "src/site_a/__init__.py": ""})
    b = write_worker("b", {"src/entry.py": CODE.format(module="site_b.settings"), "src/site_b/__init__.py": ""})
    return make_server(a, b)


async def read(server, worker: str, name: str) -> list:
    return await server.worker(worker).call(None, "read", (name,), {})


async def test_a_workers_changes_to_os_environ_stay_its_own(two):
    assert await read(two, "a", "DJANGO_SETTINGS_MODULE") == ["site_a.settings"] * 3 + [True, True]
    assert await read(two, "b", "DJANGO_SETTINGS_MODULE") == ["site_b.settings"] * 3 + [True, True]
    assert "DJANGO_SETTINGS_MODULE" not in os.environ  # the process's own environment is untouched

    await two.worker("b").call(None, "write", ("ONLY_B", "b"), {})
    assert await read(two, "b", "ONLY_B") == ["b"] * 3 + [True, True]
    assert await read(two, "a", "ONLY_B") == [None] * 3 + [False, False]

    # What the process has, every worker sees, until it changes it for itself.
    assert await read(two, "a", "PYWORKER_SHARED") == ["from the process"] * 3 + [True, True]
    await two.worker("a").call(None, "delete", ("PYWORKER_SHARED",), {})
    assert await read(two, "a", "PYWORKER_SHARED") == [None] * 3 + [False, False]
    assert await read(two, "b", "PYWORKER_SHARED") == ["from the process"] * 3 + [True, True]
    assert os.environ["PYWORKER_SHARED"] == "from the process"
    with pytest.raises(KeyError):
        await two.worker("a").call(None, "delete", ("PYWORKER_SHARED",), {})


async def test_os_environ_is_plain_again_when_no_worker_is_loaded(two):
    assert type(os.environ).__name__ == "WorkerEnviron"
    for worker in two.workers:
        await worker.stop()
    assert type(os.environ) is os._Environ


def test_two_workers_configuring_django_differently_get_one_warning_with_the_line_to_add(two, output):
    b = os.path.relpath(two.worker("b").config.config_path)
    assert [line for line in output.lines() if line.startswith("Warning")] == [
        'Warning: Workers "a" and "b" need Django\'s settings differently ("a" sets '
        'DJANGO_SETTINGS_MODULE="site_a.settings" from its own site_a; "b" sets '
        'DJANGO_SETTINGS_MODULE="site_b.settings" from its own site_b), but one process has one: '
        f'add [dev] process = "own" to {b} to run "b" in a process of its own.'
    ]


def test_three_django_workers_and_a_json_config_get_the_line_for_each_but_the_first(write_worker, make_server, output):
    configs = {}
    for name in ("a", "b", "c"):
        files = {"src/entry.py": CODE.format(module=f"site_{name}.settings"), f"src/site_{name}/__init__.py": ""}
        json = f'{{"name": "{name}", "main": "src/entry.py"}}' if name == "c" else None
        configs[name] = write_worker(name, files, config=json)
    (configs["c"] / "wrangler.toml").rename(configs["c"] / "wrangler.json")
    make_server(*configs.values())
    b, c = os.path.relpath(configs["b"] / "wrangler.toml"), os.path.relpath(configs["c"] / "wrangler.json")
    [line] = [line for line in output.lines() if line.startswith("Warning")]
    assert line.endswith(
        f'but one process has one: add [dev] process = "own" to {b} and "dev": {{"process": "own"}} to {c} '
        'to run "b" and "c" in processes of their own.'
    )


def test_a_django_worker_in_its_own_process_is_not_loaded_here_so_there_is_no_warning(
    write_worker, make_server, output
):
    a = write_worker("a", {"src/entry.py": CODE.format(module="site_a.settings"), "src/site_a/__init__.py": ""})
    b = write_worker(
        "b",
        {"src/entry.py": CODE.format(module="site_b.settings"), "src/site_b/__init__.py": ""},
        config='name = "b"\nmain = "src/entry.py"\n[dev]\nprocess = "own"\n',
    )
    server = make_server(a, b)
    assert [worker.name for worker in server.workers] == ["a"]
    assert not [line for line in output.lines() if line.startswith("Warning")]


def test_one_django_worker_gets_no_warning(write_worker, make_server, output):
    make_server(
        write_worker("a", {"src/entry.py": CODE.format(module="site_a.settings"), "src/site_a/__init__.py": ""})
    )
    assert not [line for line in output.lines() if line.startswith("Warning")]
