"""vendor/ and python_modules/ on each worker's import path (pyworker/loading/paths.py), and
``importlib.util.find_spec`` answering as CPython's own path finder does on the same tree."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from tests.conftest import DEADLINE

pytestmark = pytest.mark.anyio

ENTRY = """
import importlib.util
import mylib
import shared
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(f"{mylib.WHERE} {shared.WHERE}")

    def spec(self, name):
        try:
            return importlib.util.find_spec(name) is not None
        except ModuleNotFoundError as exc:
            return f"ModuleNotFoundError: {exc}"
"""

FILES = {
    "src/entry.py": ENTRY,
    "src/vendor/mylib.py": "WHERE = 'vendor'\n",
    "src/vendor/shared.py": "WHERE = 'vendor'\n",
    "python_modules/shared.py": "WHERE = 'python_modules'\n",
    "src/blog/__init__.py": "",
    "src/blog/models.py": "",
    "src/nspkg/inner.py": "",
    "src/nspkg/sub/leaf.py": "",
}


@pytest.fixture
def worker(write_worker, make_server):
    directory = write_worker("w", FILES)
    write_worker("other", {"src/entry.py": ENTRY.replace("import mylib\nimport shared\n", ""), "src/onlyhere.py": ""})
    server = make_server(directory, directory.parent / "other")
    return directory, server


async def test_vendor_and_python_modules_are_importable_in_cloudflares_order(worker):
    _, server = worker
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app("w")), base_url="http://w") as client:
        assert (await client.get("/")).text == "vendor python_modules"


NAMES = [
    "blog",
    "blog.models",
    "blog.management",  # Django's module_has_submodule asks this
    "blog.management.commands",
    "nspkg",  # a namespace package
    "nspkg.inner",
    "nspkg.sub",  # a namespace package inside one
    "nspkg.sub.leaf",
    "nspkg.nothere",
    "mylib",
    "onlyhere",  # exists in the other worker only
]


REFERENCE = """
import importlib.util, json, sys
sys.path[:0] = json.loads(sys.argv[1])
answers = {}
for name in json.loads(sys.argv[2]):
    try:
        answers[name] = importlib.util.find_spec(name) is not None
    except ModuleNotFoundError as exc:
        answers[name] = f"ModuleNotFoundError: {exc}"
print(json.dumps(answers))
"""


def cpython_answers(tree: list[str]) -> dict[str, bool | str]:
    """``importlib.util.find_spec`` of each name in a fresh CPython whose sys.path starts with ``tree``."""
    done = subprocess.run(
        [sys.executable, "-I", "-c", REFERENCE, json.dumps(tree), json.dumps(NAMES)],
        capture_output=True, text=True, check=True, timeout=DEADLINE,
    )  # fmt: skip
    return json.loads(done.stdout)  # type: ignore[no-any-return]


async def test_find_spec_agrees_with_cpythons_path_finder_on_the_same_tree(worker):
    directory, server = worker
    tree = [str(directory / "src"), str(directory / "python_modules"), str(directory / "src" / "vendor")]
    expected = cpython_answers(tree)
    answers = {name: await server.worker("w").call(None, "spec", (name,), {}) for name in NAMES}
    assert answers == expected
    assert expected["blog.management"] is False and expected["nspkg.sub.leaf"] is True


def test_the_new_vendor_path_flag_leaves_vendor_out(write_worker):
    from pyworker.config import load_config
    from pyworker.loading.paths import import_paths

    directory = write_worker(
        "w",
        FILES,
        config='name = "w"\nmain = "src/entry.py"\ncompatibility_flags = ["python_workers_force_new_vendor_path"]\n',
    )
    assert import_paths(load_config(directory)) == [directory / "src", directory / "python_modules"]
    assert "mylib" not in sys.modules
