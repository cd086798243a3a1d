"""Every import path resolves per worker (pyworker/loading/router.py, bare.py, modules.py): string imports,
``importlib.resources``, ``pkgutil``, ``pickle``, libraries, tasks and threads, reloads."""

from __future__ import annotations

import importlib
import inspect
import sys
import textwrap

import httpx
import pytest

from pyworker.loading.bare import BareModule
from pyworker.loading.router import ImportRouter
from pyworker.printer import Printer
from pyworker.reload.reloader import Reloader

pytestmark = pytest.mark.anyio

ENTRY = """
import asyncio
import importlib
import importlib.resources
import pickle
import pkgutil
import threading

from workers import Response, WorkerEntrypoint

import hello_django


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(importlib.import_module("hello_django.settings").NAME)

    def by_string(self, name, attribute):
        return getattr(importlib.import_module(name), attribute)

    def by_dunder_import(self):
        return __import__("utils").WHO

    def lazily(self):
        import utils
        return utils.WHO

    def resource(self):
        return importlib.resources.files("hello_django").joinpath("data.txt").read_text().strip()

    def package_data(self):
        return pkgutil.get_data("hello_django", "data.txt").decode().strip()

    def submodules(self):
        return sorted(info.name for info in pkgutil.iter_modules(hello_django.__path__))

    def round_trip(self):
        from hello_django.models import Point
        data = pickle.dumps(Point(1, 2))
        point = pickle.loads(data)
        return [type(point) is Point, point.owner(), data.count(b"hello_django.models")]

    def dump(self):
        from hello_django.models import Point
        return pickle.dumps(Point(0, 0))

    def unpickle(self, data):
        return pickle.loads(bytes(data)).owner()

    async def in_task(self):
        return await asyncio.create_task(asyncio.sleep(0, importlib.import_module("utils").WHO))

    async def in_to_thread(self):
        return await asyncio.to_thread(lambda: importlib.import_module("utils").WHO)

    def in_plain_thread(self):
        found = []
        thread = threading.Thread(target=lambda: found.append(importlib.import_module("utils").WHO))
        thread.start()
        thread.join()
        return found

    def names(self):
        from hello_django.models import Point
        return [hello_django.__name__, Point.__module__, Point.__qualname__, __name__]
"""


def worker_files(who: str) -> dict[str, str]:
    return {
        "src/entry.py": ENTRY,
        "src/utils.py": f"WHO = 'utils-{who}'\n",
        "src/hello_django/__init__.py": "",
        "src/hello_django/settings.py": f"NAME = 'settings-{who}'\n",
        "src/hello_django/data.txt": f"data-{who}\n",
        "src/hello_django/models.py": textwrap.dedent(f"""
            class Point:
                def __init__(self, x, y):
                    self.x, self.y = x, y

                def owner(self):
                    return "point-{who}"
        """),
    }


@pytest.fixture
def two(write_worker, make_server):
    a = write_worker("a", worker_files("a"))
    b = write_worker("b", worker_files("b"))
    return make_server(a, b)


async def call(server, worker: str, method: str, *args):
    return await server.worker(worker).call(None, method, args, {})


async def test_string_imports_resolve_to_the_calling_workers_module(two):
    for who in ("a", "b"):
        assert await call(two, who, "by_string", "hello_django.settings", "NAME") == f"settings-{who}"
        assert await call(two, who, "by_string", "utils", "WHO") == f"utils-{who}"
        assert await call(two, who, "by_dunder_import") == f"utils-{who}"
        assert await call(two, who, "lazily") == f"utils-{who}"
    transport = httpx.ASGITransport(app=two.app("b"))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/")).text == "settings-b"


async def test_resources_and_pkgutil_per_worker(two):
    for who in ("a", "b"):
        assert await call(two, who, "resource") == f"data-{who}"
        assert await call(two, who, "package_data") == f"data-{who}"
        assert await call(two, who, "submodules") == ["models", "settings"]


async def test_pickle_round_trips_per_worker_under_the_bare_module_name(two):
    assert await call(two, "a", "round_trip") == [True, "point-a", 1]
    assert await call(two, "b", "round_trip") == [True, "point-b", 1]
    # A pickle names "hello_django.models.Point": whoever unpickles it gets its own class, as on Cloudflare.
    blob = await call(two, "a", "dump")
    assert await call(two, "b", "unpickle", blob) == "point-b"
    assert await call(two, "a", "unpickle", blob) == "point-a"


async def test_modules_carry_their_bare_names(two):
    assert await call(two, "a", "names") == ["hello_django", "hello_django.models", "Point", "entry"]


async def test_tasks_and_threads_resolve_through_the_worker_that_started_them(two):
    for who in ("a", "b"):
        assert await call(two, who, "in_task") == f"utils-{who}"
        assert await call(two, who, "in_to_thread") == f"utils-{who}"
        # A plain thread has no context: the worker frame on its stack decides.
        assert await call(two, who, "in_plain_thread") == [f"utils-{who}"]


async def test_outside_every_worker_the_names_are_not_importable(two):
    assert type(sys.modules["hello_django"]) is BareModule
    with pytest.raises(ModuleNotFoundError) as info:
        importlib.import_module("hello_django.settings")
    assert str(info.value) == (
        "No module named 'hello_django' for code outside every worker: the name belongs to the code of "
        'workers "a" and "b", and only their code can import it.'
    )
    # Tools that walk sys.modules keep working: a stand-in with no module answers AttributeError.
    assert not hasattr(sys.modules["hello_django"], "__file__")
    assert inspect.getmodule(ENTRY.strip) is None
    assert repr(sys.modules["hello_django"]) == "<module 'hello_django' (pyworker: each worker's own)>"


async def test_a_worker_without_the_name_gets_module_not_found(write_worker, make_server):
    a = write_worker("a", worker_files("a"))
    lone = write_worker(
        "lone",
        {
            "src/entry.py": """
                import importlib
                from workers import WorkerEntrypoint

                class Default(WorkerEntrypoint):
                    def own_import(self):
                        try:
                            import utils
                        except ModuleNotFoundError as exc:
                            return str(exc)

                    def string_import(self):
                        try:
                            importlib.import_module("hello_django.settings")
                        except ModuleNotFoundError as exc:
                            return str(exc)
            """
        },
    )
    server = make_server(a, lone)
    await call(server, "a", "lazily")  # "utils" has its stand-in now
    expected = (
        'No module named \'{}\' for worker "lone": the name belongs to the code of worker "a", '
        "and only its code can import it."
    )
    assert await call(server, "lone", "own_import") == expected.format("utils")
    assert await call(server, "lone", "string_import") == expected.format("hello_django")


async def test_a_library_imports_the_workers_module_by_string(write_worker, make_server, tmp_path, monkeypatch):
    site = tmp_path / "site"
    (site / "strlib").mkdir(parents=True)
    (site / "strlib" / "__init__.py").write_text(
        "import importlib\n\ndef setting(path):\n"
        "    module, _, name = path.rpartition('.')\n"
        "    return getattr(importlib.import_module(module), name)\n"
    )
    monkeypatch.syspath_prepend(str(site))  # the test's own site dir: an installed library
    lib_user = "import strlib\n\ndef read():\n    return strlib.setting('hello_django.settings.NAME')\n"
    files = {**worker_files("a"), "src/lib_user.py": lib_user}
    method = "\n    def via_library(self):\n        import lib_user\n        return lib_user.read()\n"
    files["src/entry.py"] = ENTRY + method
    a = write_worker("a", files)
    b = write_worker("b", {**files, "src/hello_django/settings.py": "NAME = 'settings-b'\n"})
    server = make_server(a, b)
    assert await call(server, "a", "via_library") == "settings-a"
    assert await call(server, "b", "via_library") == "settings-b"


async def test_jinja2_package_loader_finds_each_workers_templates(write_worker, make_server):
    code = """
        from jinja2 import Environment, PackageLoader
        from workers import WorkerEntrypoint

        class Default(WorkerEntrypoint):
            def render(self):
                return Environment(loader=PackageLoader("site_pages")).get_template("page.html").render()
    """
    package = {"src/entry.py": code, "src/site_pages/__init__.py": ""}
    a = write_worker("a", {**package, "src/site_pages/templates/page.html": "page a"})
    b = write_worker("b", {**package, "src/site_pages/templates/page.html": "page b"})
    server = make_server(a, b)
    assert await call(server, "a", "render") == "page a"
    assert await call(server, "b", "render") == "page b"


async def test_reload_string_imports_see_the_new_code_and_running_calls_keep_theirs(write_worker, make_server, output):
    slow = """
        import asyncio, importlib
        from workers import WorkerEntrypoint

        class Default(WorkerEntrypoint):
            async def read(self, gate=False):
                if gate:
                    await asyncio.sleep(0)
                    await asyncio.sleep(0)
                return importlib.import_module("config_mod").VERSION
    """
    directory = write_worker("r", {"src/entry.py": slow, "src/config_mod.py": "VERSION = 1\n"})
    server = make_server(directory)
    assert await call(server, "r", "read") == 1
    import asyncio

    in_flight = asyncio.ensure_future(call(server, "r", "read", True))
    await asyncio.sleep(0)  # the call has started on generation 1
    (directory / "src" / "config_mod.py").write_text("VERSION = 2\n")
    reloader = Reloader(server.registry, Printer(output, colour=False))
    await reloader.reload(server.worker("r"), {directory / "src/config_mod.py"})
    assert await call(server, "r", "read") == 2
    assert await in_flight == 1


async def test_the_router_is_removed_with_the_last_worker(write_worker, make_server):
    server = make_server(write_worker("a", worker_files("a")))
    await call(server, "a", "lazily")
    assert any(isinstance(finder, ImportRouter) for finder in sys.meta_path)
    await server.worker("a").stop()
    assert not any(isinstance(finder, ImportRouter) for finder in sys.meta_path)
    assert not [name for name, module in sys.modules.items() if type(module) is BareModule]
    assert not [name for name in sys.modules if name.startswith("_pyworker_a_")]


@pytest.fixture
def venv_workers(tmp_path, monkeypatch):
    """A site dir like the .venv-workers pywrangler sync makes: workers-runtime-sdk's and pyodide-py's modules."""
    site = tmp_path / "venv-workers-site"
    for relative, text in {
        "workers/__init__.py": "FROM = 'workers-runtime-sdk'\n",
        "js.py": "FROM = 'a js module'\n",
        "pyodide/__init__.py": "FROM = 'pyodide-py'\n",
        "pyodide/ffi.py": "FROM = 'pyodide-py ffi'\n",
        "probe.py": "def names():\n    import js, workers, pyodide.ffi\n"
        "    return [js.__name__, workers.__name__, pyodide.ffi.__name__]\n",
    }.items():
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text(text)
    monkeypatch.syspath_prepend(str(site))
    names = ("workers", "js", "pyodide", "pyodide.ffi", "probe")
    yield site
    for name in names:
        sys.modules.pop(name, None)


async def test_packages_named_like_the_sdk_never_shadow_pyworkers_modules(venv_workers, write_worker, make_server):
    installed = importlib.import_module("workers")  # imported before any worker loads
    assert installed.FROM == "workers-runtime-sdk"
    code = """
import probe
from workers import WorkerEntrypoint

class Default(WorkerEntrypoint):
    def names(self):
        return probe.names()
"""
    server = make_server(write_worker("a", {"src/entry.py": code}))
    assert await call(server, "a", "names") == ["pyworker.sdk.js", "pyworker.sdk.workers", "pyworker.sdk.pyodide.ffi"]
    # Outside worker code, the names mean the installed packages again.
    assert (importlib.import_module("workers").FROM, importlib.import_module("js").FROM) == (
        "workers-runtime-sdk",
        "a js module",
    )
    assert importlib.import_module("pyodide.ffi").FROM == "pyodide-py ffi"
    await server.worker("a").stop()
    assert sys.modules["workers"] is installed


async def test_a_library_probing_for_pyodide_outside_worker_code_does_not_find_it(
    write_worker, make_server, tmp_path, monkeypatch
):
    site = tmp_path / "site"
    site.mkdir()
    (site / "uses_js.py").write_text("import js\n\nNAME = js.__name__\n")
    (site / "probes_js.py").write_text(
        "try:\n    import js\nexcept ImportError:\n    FOUND = False\nelse:\n    FOUND = True\n"
    )
    monkeypatch.syspath_prepend(str(site))
    code = "import uses_js\nfrom workers import WorkerEntrypoint\n\nclass Default(WorkerEntrypoint):\n    pass\n"
    server = make_server(write_worker("a", {"src/entry.py": code}))
    try:
        assert server.worker("a").code.module.uses_js.NAME == "pyworker.sdk.js"  # a library inside worker code
        assert importlib.import_module("probes_js").FOUND is False  # the same probe outside it
    finally:
        for name in ("uses_js", "probes_js"):
            sys.modules.pop(name, None)
