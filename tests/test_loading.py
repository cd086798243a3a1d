from __future__ import annotations

import importlib
import re
import sys

import httpx
import pytest

from pyworker.config import load_config
from pyworker.errors import WorkerLoadError
from pyworker.loading.bare import BareModule
from pyworker.loading.code import load_code

pytestmark = pytest.mark.anyio

ENTRY = """
from workers import Response, WorkerEntrypoint
import utils


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        import helpers  # lazy, at request time
        return Response(f"{utils.WHO} {helpers.WHO}")

    async def who(self):
        from helpers import WHO
        return WHO
"""


def two_workers(write_worker):
    a = write_worker(
        "a",
        {"src/entry.py": ENTRY, "src/utils.py": "WHO = 'utils-a'\n", "src/helpers.py": "WHO = 'helpers-a'\n"},
    )
    b = write_worker(
        "b",
        {"src/entry.py": ENTRY, "src/utils.py": "WHO = 'utils-b'\n", "src/helpers.py": "WHO = 'helpers-b'\n"},
    )
    return a, b


async def get(app, path="/"):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        return await client.get(path)


async def test_same_named_modules_stay_separate(write_worker, make_server):
    a, b = two_workers(write_worker)
    server = make_server(a, b)
    assert (await get(server.app("a"))).text == "utils-a helpers-a"
    assert (await get(server.app("b"))).text == "utils-b helpers-b"
    assert await server.worker("a").call(None, "who", (), {}) == "helpers-a"
    assert await server.worker("b").call(None, "who", (), {}) == "helpers-b"


async def test_loading_never_changes_sys_path_or_plain_module_names(write_worker, make_server):
    before = list(sys.path)
    a, b = two_workers(write_worker)
    make_server(a, b)
    assert sys.path == before
    # Bare names hold stand-ins that resolve per worker, never a worker's module itself.
    worker_modules = {id(module) for name, module in sys.modules.items() if name.startswith("_pyworker_")}
    bare = [name for name, module in sys.modules.items() if id(module) in worker_modules and "_pyworker_" not in name]
    assert bare == []
    assert type(sys.modules["utils"]) is BareModule
    assert type(sys.modules["entry"]) is BareModule
    with pytest.raises(ModuleNotFoundError) as info:
        importlib.import_module("utils")
    assert str(info.value) == (
        "No module named 'utils' for code outside every worker: the name belongs to the code of workers "
        '"a" and "b", and only their code can import it.'
    )


def test_packages_and_relative_imports(write_worker):
    directory = write_worker(
        "pk",
        {
            "src/entry.py": """
                from workers import WorkerEntrypoint
                import pkg.sub
                from pkg import helper
                from pkg.sub import VALUE

                class Default(WorkerEntrypoint):
                    def values(self):
                        return [pkg.sub.VALUE, helper.double(VALUE)]
            """,
            "src/pkg/__init__.py": "",
            "src/pkg/sub.py": "from .helper import double\nVALUE = double(2)\n",
            "src/pkg/helper.py": "def double(x):\n    return x * 2\n",
        },
    )
    code = load_code(load_config(directory), 1)
    try:
        instance = code.default.cls(None, None)
        assert instance.values() == [4, 8]
        assert code.module.__name__ == "entry"  # as on Cloudflare; stored under the generation's prefix
        assert sys.modules["_pyworker_pk_1.entry"] is code.module
        assert code.modules.prefix + ".pkg.sub" in sys.modules
    finally:
        code.unload()
    assert not any(name.startswith("_pyworker_pk_1") for name in sys.modules)


def test_sdk_modules_are_importable_without_a_package(write_worker):
    directory = write_worker(
        "sdk",
        {
            "src/entry.py": """
                import asgi
                import workers
                from workers import Request, Response, WorkerEntrypoint, fetch, wsgi

                class Default(WorkerEntrypoint):
                    def names(self):
                        return [workers.__name__, asgi.__name__, wsgi.__name__]
            """
        },
    )
    code = load_code(load_config(directory), 1)
    try:
        assert code.default.cls(None, None).names() == [
            "pyworker.sdk.workers",
            "pyworker.sdk.workers.asgi",  # `import asgi` is `workers.asgi`, as in the SDK
            "pyworker.sdk.workers.wsgi",
        ]
    finally:
        code.unload()


def test_entrypoints_and_their_public_methods(write_worker):
    directory = write_worker(
        "ep",
        {
            "src/entry.py": """
                from workers import WorkerEntrypoint, Response

                LIMIT = 3

                class Base(WorkerEntrypoint):
                    def inherited(self):
                        return "base"

                class Default(Base):
                    async def fetch(self):
                        return Response("no args")

                    async def add(self, a, b):
                        return a + b

                    def _private(self):
                        pass

                    def connect(self):
                        pass

                    attribute = 5

                class Named(WorkerEntrypoint):
                    @staticmethod
                    def static():
                        return 1
            """
        },
    )
    code = load_code(load_config(directory), 1)
    try:
        assert set(code.entrypoints) == {"Base", "Default", "Named"}
        assert code.default.methods == frozenset({"add", "inherited"})
        assert code.entrypoints["Named"].methods == frozenset()  # as the runtime: static methods are not RPC
        assert code.default.fetch is not None and code.default.fetch.arity == 0
        assert code.entrypoints["Named"].fetch is None
    finally:
        code.unload()


def test_syntax_error_names_file_and_line(write_worker):
    directory = write_worker("bad", {"src/entry.py": "x = 1\ndef broken(:\n"})
    with pytest.raises(WorkerLoadError) as info:
        load_code(load_config(directory), 1)
    message = str(info.value)
    assert message.startswith("bad: SyntaxError in ")
    assert "src/entry.py, line 2: " in message
    first, source, caret = message.split("\n")
    assert first.endswith(". Fix the file.")
    assert source == "    def broken(:"
    assert re.fullmatch(r" {4}\s*\^+", caret)
    assert not any(name.startswith("_pyworker_bad_") for name in sys.modules)


def test_exception_at_import_names_file_and_line(write_worker):
    directory = write_worker(
        "boom", {"src/entry.py": "import helper\n", "src/helper.py": "A = 1\nraise RuntimeError('no config')\n"}
    )
    with pytest.raises(WorkerLoadError) as info:
        load_code(load_config(directory), 1)
    message = str(info.value)
    assert message.startswith("boom: importing the worker failed in ")
    assert message.endswith("src/helper.py, line 2: RuntimeError: no config")


def test_missing_module_is_reported(write_worker):
    directory = write_worker("miss", {"src/entry.py": "import does_not_exist_anywhere\n"})
    with pytest.raises(WorkerLoadError, match="ModuleNotFoundError: No module named 'does_not_exist_anywhere'"):
        load_code(load_config(directory), 1)


def test_each_generation_gets_fresh_modules(write_worker):
    directory = write_worker("gen", {"src/entry.py": "import state\n", "src/state.py": "items = []\n"})
    config = load_config(directory)
    first = load_code(config, 1)
    second = load_code(config, 2)
    try:
        first_state = sys.modules[first.modules.prefix + ".state"]
        second_state = sys.modules[second.modules.prefix + ".state"]
        first_state.items.append(1)
        assert second_state.items == []
    finally:
        first.unload()
        second.unload()


def test_a_bare_directory_does_not_shadow_a_real_module_but_is_importable_otherwise(write_worker):
    directory = write_worker(
        "ns",
        {
            "src/entry.py": """
                import json
                import shapes.circle
                from workers import WorkerEntrypoint

                class Default(WorkerEntrypoint):
                    def check(self):
                        return [json.dumps([1]), shapes.circle.NAME]
            """,
            "src/json/readme.txt": "data, not code\n",
            "src/shapes/circle.py": "NAME = 'circle'\n",
        },
    )
    code = load_code(load_config(directory), 1)
    try:
        assert code.default.cls(None, None).check() == ["[1]", "circle"]
    finally:
        code.unload()
