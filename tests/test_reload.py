"""Hot reload, driven in process: batches of changes are fed to the reloader, nothing sleeps."""

from __future__ import annotations

import asyncio
import contextlib
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import watchfiles

from pyworker.printer import Printer
from pyworker.reload.reloader import Reloader
from pyworker.reload.watch import Batch, FileWatcher, WorkerFilter, owners, watched_roots

pytestmark = pytest.mark.anyio

COUNTER = """
from workers import Response, WorkerEntrypoint

HITS = []  # module-level state: must survive another worker's reload


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        HITS.append(1)
        if request.url.endswith("/direct"):
            return Response(f"a{len(HITS)}")
        return Response(f"a{len(HITS)} b:{await self.env.B.version()}")
"""

B_CONFIG = """
name = "b"
main = "src/entry.py"
vars = { GREETING = "hello" }
"""


def b_code(version: str, extra: str = "", returns: str | None = None) -> str:
    return textwrap.dedent(f"""
        from workers import Response, WorkerEntrypoint
        {extra}

        class Yield:
            def __await__(self):
                yield


        class Default(WorkerEntrypoint):
            async def version(self):
                return {returns or repr(version)}

            async def fetch(self, request):
                body = await request.text()
                for _ in range(3):  # stay in flight across event-loop turns
                    await Yield()
                return Response(f"{version} {{self.env.GREETING}} {{body}}")
    """)


@pytest.fixture
def setup(write_worker, make_server, output):
    a = write_worker(
        "a",
        {"src/entry.py": COUNTER},
        config='name = "a"\nmain = "src/entry.py"\nservices = [{ binding = "B", service = "b" }]\n',
    )
    b = write_worker("b", {"src/entry.py": b_code("v1")}, config=B_CONFIG)
    server = make_server(a, b)
    reloader = Reloader(server.registry, Printer(output, colour=False))
    return server, reloader, b


def client_for(server, name: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app(name)), base_url="http://localhost")


async def batches(*items: Batch) -> AsyncIterator[Batch]:
    for item in items:
        yield item


async def edit(reloader: Reloader, worker_dir: Path, files: dict[str, str | None]) -> None:
    """Write (or delete, for ``None``) files in a worker, then feed the change to the reloader."""
    for relative, text in files.items():
        path = worker_dir / relative
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    await reloader.run(batches({worker_dir.name: {worker_dir / relative for relative in files}}))


async def test_a_change_reloads_that_worker_alone_and_bindings_reach_the_new_version(setup, output):
    server, reloader, b = setup
    async with client_for(server, "a") as a:
        assert (await a.get("/")).text == "a1 b:v1"
        generation_of_a = server.worker("a").code
        await edit(reloader, b, {"src/entry.py": b_code("v2")})
        assert (await a.get("/")).text == "a2 b:v2"  # A's state kept, its binding reaches the new B
    assert server.worker("a").code is generation_of_a
    assert [line for line in output.lines() if "reloaded" in line] == [
        next(line for line in output.lines() if line.startswith("[b] reloaded in "))
    ]
    assert output.lines()[-2].endswith("ms (src/entry.py)")


async def test_syntax_error_answers_500_everywhere_until_the_next_good_save(setup, output):
    server, reloader, b = setup
    await edit(reloader, b, {"src/entry.py": "def broken(:\n"})
    error_line = next(line for line in output.lines() if "SyntaxError" in line)
    assert error_line.startswith("[b] b: SyntaxError in ") and "src/entry.py, line 1" in error_line
    async with client_for(server, "b") as direct, client_for(server, "a") as a:
        reply = await direct.get("/")
        assert reply.status_code == 500 and "SyntaxError" in reply.text and "src/entry.py, line 1" in reply.text
        through = await a.get("/")
        assert through.status_code == 500 and "SyntaxError" in through.text
        assert (await a.get("/direct")).status_code == 200  # A itself keeps serving
        await edit(reloader, b, {"src/entry.py": b_code("v3")})
        assert (await a.get("/")).text.endswith("b:v3")


async def test_an_exception_at_import_time_is_reported_with_file_and_line(setup, output):
    server, reloader, b = setup
    await edit(reloader, b, {"src/entry.py": "x = 1\nraise ValueError('bad at import')\n"})
    assert any(
        line.startswith("[b] b: importing the worker failed in ") and "line 2: ValueError: bad at import" in line
        for line in output.lines()
    )
    async with client_for(server, "b") as direct:
        assert (await direct.get("/")).status_code == 500


async def test_config_edit_changes_a_var(setup, output):
    server, reloader, b = setup
    await edit(reloader, b, {"wrangler.toml": B_CONFIG.replace('"hello"', '"bonjour"')})
    async with client_for(server, "b") as direct:
        assert (await direct.post("/", content=b"x")).text == "v1 bonjour x"
    assert any(line.startswith("[b] reloaded in ") and line.endswith("(wrangler.toml)") for line in output.lines())


async def test_dev_vars_edit_changes_a_secret(setup):
    server, reloader, b = setup
    await edit(reloader, b, {".dev.vars": "GREETING=secret-hi\n"})
    async with client_for(server, "b") as direct:
        assert (await direct.get("/")).text == "v1 secret-hi "


async def test_broken_config_keeps_the_last_good_one(setup, output):
    server, reloader, b = setup
    await edit(reloader, b, {"wrangler.toml": 'name = "b"\nmain = [\n'})
    error = next(line for line in output.lines() if "Keeping the last good config" in line)
    assert error.startswith("[b] ") and "wrangler.toml" in error
    async with client_for(server, "b") as direct:
        assert (await direct.get("/")).text == "v1 hello "


async def test_renaming_a_worker_is_refused_until_restart(setup, output):
    server, reloader, b = setup
    await edit(reloader, b, {"wrangler.toml": B_CONFIG.replace('name = "b"', 'name = "c"')})
    assert any('renames worker "b" to "c"' in line for line in output.lines())
    assert server.worker("b").config.name == "b"


async def test_a_new_file_imported_by_the_worker(setup):
    server, reloader, b = setup
    new_code = b_code("v2", "from helper import WORD", returns="WORD")
    await edit(reloader, b, {"src/helper.py": "WORD = 'from helper'\n", "src/entry.py": new_code})
    async with client_for(server, "a") as a:
        assert (await a.get("/")).text.endswith("b:from helper")


async def test_a_deleted_module_fails_clearly_then_recovers(setup, output):
    server, reloader, b = setup
    await edit(reloader, b, {"src/helper.py": "WORD = 'w'\n", "src/entry.py": b_code("v2", "from helper import WORD")})
    await edit(reloader, b, {"src/helper.py": None})
    assert any("ModuleNotFoundError" in line and "helper" in line for line in output.lines())
    async with client_for(server, "b") as direct:
        reply = await direct.get("/")
        assert reply.status_code == 500 and "helper" in reply.text
        await edit(reloader, b, {"src/entry.py": b_code("v3")})
        assert (await direct.get("/")).text == "v3 hello "


async def test_changes_in_one_batch_make_one_reload(setup, output):
    _, reloader, b = setup
    await edit(reloader, b, {"src/entry.py": b_code("v2"), "src/other.py": "X = 1\n"})
    assert reloader.reloads == 1
    assert [line.split(" (", 1)[1] for line in output.lines() if "reloaded in" in line] == [
        "src/entry.py, src/other.py)"
    ]


async def test_requests_in_flight_finish_and_none_fail_across_many_reloads(setup):
    server, reloader, b = setup
    results: list[tuple[int, str]] = []
    stop = asyncio.Event()

    async def post_stream(client: httpx.AsyncClient) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            reply = await client.post("/", content=f"#{n}".encode())
            results.append((reply.status_code, reply.text))

    async with client_for(server, "b") as direct:
        posters = [asyncio.create_task(post_stream(direct)) for _ in range(8)]
        for version in range(2, 22):
            await edit(reloader, b, {"src/entry.py": b_code(f"v{version}")})
            while not any(text.startswith(f"v{version} ") for _, text in results[-8:]):
                await asyncio.wait(posters, timeout=0.001)  # let requests run; bounded by the suite's own timeout
        stop.set()
        await asyncio.gather(*posters)
    assert [status for status, _ in results if status != 200] == []
    assert reloader.reloads == 20


# -- the file watcher ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("relative", "watched"),
    [
        ("src/entry.py", True),
        ("wrangler.toml", True),
        ("wrangler.jsonc", True),
        (".dev.vars", True),
        (".dev.vars.staging", True),
        ("public/index.html", True),
        ("README.md", False),
        ("src/.entry.py.swp", False),
        ("src/entry.py~", False),
        ("src/4913", False),
        (".git/HEAD", False),
        ("src/__pycache__/entry.cpython-311.pyc", False),
        (".venv/lib/site.py", False),
        ("node_modules/x/index.py", False),
        (".wrangler/state/x.py", False),
    ],
)
def test_the_filter_watches_code_config_secrets_and_assets_only(tmp_path, relative, watched):
    path = tmp_path / relative
    assert WorkerFilter([tmp_path / "public"])(watchfiles.Change.modified, str(path)) is watched


def test_changes_map_to_the_workers_they_belong_to(write_worker, make_server):
    a = write_worker("a", {"src/entry.py": "x = 1\n"})
    b = write_worker(
        "b",
        {"src/entry.py": "x = 1\n"},
        config='name = "b"\nmain = "src/entry.py"\nassets = { directory = "../shared-assets" }\n',
    )
    from pyworker.config import load_config

    configs = [load_config(a), load_config(b)]
    assert watched_roots(configs[1]) == [b, (b.parent / "shared-assets").resolve()]
    assert owners(configs, a / "src/entry.py") == ["a"]
    assert owners(configs, b / "wrangler.toml") == ["b"]
    assert owners(configs, b.parent / "shared-assets/logo.png") == ["b"]
    assert owners(configs, b.parent / "elsewhere.py") == []


async def next_batch_after_registration(changes, poke: Path) -> None:
    """Wait until the watcher sees changes: it registers in a thread once started, and saves made
    before that are not seen, so touch ``poke`` until a batch arrives (bounded), then drain it."""
    pending = asyncio.ensure_future(anext(changes))
    for attempt in range(40):
        poke.write_text(f"x = {attempt}\n")
        done, _ = await asyncio.wait([pending], timeout=0.25)
        if done:
            return
    pytest.fail("the watcher reported nothing")


async def test_the_real_watcher_reports_two_quick_saves_as_one_batch(write_worker):
    from pyworker.config import load_config

    directory = write_worker("w", {"src/entry.py": "x = 1\n", "src/other.py": "y = 1\n"})
    config = load_config(directory)
    stop = asyncio.Event()
    changes = FileWatcher(lambda: [config]).batches(stop)
    entry, other = directory / "src/entry.py", directory / "src/other.py"
    try:
        await next_batch_after_registration(changes, directory / "src/poke.py")
        # Two saves of two files, back to back: one batch must hold both (two batches would not).
        entry.write_text("x = 2\n")
        other.write_text("y = 2\n")
        batch = await asyncio.wait_for(anext(changes), 10)
        while batch == {"w": {directory / "src/poke.py"}}:  # a late event of the registration pokes
            batch = await asyncio.wait_for(anext(changes), 10)
    finally:
        stop.set()
        await changes.aclose()
    assert batch == {"w": {entry, other}}


async def test_the_watcher_follows_a_config_that_moves_main_to_a_new_folder(tmp_path):
    from pyworker.config import load_config

    directory = tmp_path / "w"
    (directory / "src").mkdir(parents=True)
    (directory / "src/entry.py").write_text("x = 1\n")
    (directory / "wrangler.toml").write_text('name = "w"\nmain = "src/entry.py"\n')
    elsewhere = tmp_path / "elsewhere"  # outside the worker's directory: not watched until main moves there
    elsewhere.mkdir()
    (elsewhere / "entry.py").write_text("x = 1\n")
    configs = [load_config(directory)]
    watcher = FileWatcher(lambda: configs)
    stop = asyncio.Event()
    changes = watcher.batches(stop)
    try:
        await next_batch_after_registration(changes, directory / "src/entry.py")
        assert watcher.roots() == [directory.resolve()]
        (directory / "wrangler.toml").write_text('name = "w"\nmain = "../elsewhere/entry.py"\n')
        configs[:] = [load_config(directory)]
        assert watcher.refresh() is True
        await next_batch_after_registration(changes, elsewhere / "entry.py")
    finally:
        stop.set()
        await changes.aclose()
    assert sorted(watcher.roots()) == sorted([directory.resolve(), elsewhere.resolve()])


LAZY = """
import asyncio
import contextlib

from workers import Response, WorkerEntrypoint

GATE = asyncio.Event()


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/open"):
            GATE.set()
            return Response("opened")
        await GATE.wait()
        import helper  # lazily, after a reload replaced this generation

        return Response(helper.WORD)
"""


async def test_a_request_in_flight_finishes_on_its_own_generation_lazy_imports_included(write_worker, make_server):
    directory = write_worker("lazy", {"src/entry.py": LAZY, "src/helper.py": "WORD = 'first'\n"})
    server = make_server(directory)
    reloader = Reloader(server.registry, Printer(colour=False, level="none"))
    old = server.worker("lazy").code
    async with client_for(server, "lazy") as client:
        waiting = asyncio.ensure_future(client.get("/"))
        for _ in range(1000):  # until the request is inside the worker (bounded)
            if old is None or old.active:
                break
            await asyncio.wait([waiting], timeout=0.001)
        await edit(reloader, directory, {"src/helper.py": "WORD = 'new'\n"})
        assert old is not None and old.retired and old.active == 1
        old.module.GATE.set()
        reply = await waiting
        # It imports helper.py as it is on disk now; what matters is that the import still works.
        assert (reply.status_code, reply.text) == (200, "new")
        assert old.active == 0
        await client.get("/open")
        assert (await client.get("/")).text == "new"


async def test_changed_files_are_named_relative_to_a_worker_given_by_a_relative_path(
    write_worker, make_server, output, tmp_path, monkeypatch
):
    write_worker("rel", {"src/entry.py": b_code("v1")}, config=B_CONFIG.replace('"b"', '"rel"'))
    monkeypatch.chdir(tmp_path)
    server = make_server(Path("rel"))
    reloader = Reloader(server.registry, Printer(output, colour=False))
    await reloader.run(batches({"rel": {(tmp_path / "rel/src/entry.py").resolve()}}))
    assert output.lines()[-1].startswith("[rel] reloaded in ")
    assert output.lines()[-1].endswith("ms (src/entry.py)")


def test_a_worker_nested_in_another_owns_its_own_files(write_worker):
    from pyworker.config import load_config

    outer = write_worker("outer", {"src/entry.py": "x = 1\n"})
    inner = write_worker("outer/services/inner", {"src/entry.py": "x = 1\n"})
    twin = inner / "twin.toml"
    twin.write_text('name = "twin"\nmain = "src/entry.py"\n')
    configs = [load_config(outer), load_config(inner), load_config(twin)]
    assert owners(configs, outer / "src/entry.py") == ["outer"]
    assert owners(configs, inner / "src/entry.py") == ["outer/services/inner", "twin"]


async def test_the_watcher_reattaches_to_a_worker_folder_removed_and_recreated(tmp_path):
    import shutil

    from pyworker.config import load_config

    directory = tmp_path / "w"
    files = {"src/entry.py": "x = 1\n", "wrangler.toml": 'name = "w"\nmain = "src/entry.py"\n'}

    def create() -> None:
        for relative, text in files.items():
            (directory / relative).parent.mkdir(parents=True, exist_ok=True)
            (directory / relative).write_text(text)

    create()
    configs = [load_config(directory)]
    stop = asyncio.Event()
    changes = FileWatcher(lambda: configs).batches(stop)
    seen: list[Batch] = []
    try:
        await next_batch_after_registration(changes, directory / "src/entry.py")
        shutil.rmtree(directory)  # as `git checkout` of a branch without it, then back
        seen.append(await asyncio.wait_for(anext(changes), 10))  # the deletions
        create()
        after = len(seen)
        edited = directory.resolve() / "src/entry.py"
        pending = asyncio.ensure_future(anext(changes))
        for attempt in range(40):  # an edit of the new folder must be seen (bounded: 40 x 0.25 s)
            edited.write_text(f"x = {attempt + 2}\n")
            done, _ = await asyncio.wait([pending], timeout=0.25)
            if done:
                seen.append(pending.result())
                if edited in seen[-1].get("w", set()):
                    break
                pending = asyncio.ensure_future(anext(changes))
        pending.cancel()
        with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
            await pending
    finally:
        stop.set()
        await changes.aclose()
    assert len(seen) > after, "the re-created folder is not watched"
    assert any(directory.resolve() / "wrangler.toml" in batch.get("w", set()) for batch in seen[after:]), seen
    assert edited in seen[-1]["w"], seen


async def test_at_debug_level_a_reload_says_when_the_watcher_reported_the_save(setup, output):
    import re

    server, _, b = setup
    reloader = Reloader(server.registry, Printer(output, level="debug", colour=False))
    await edit(reloader, b, {"src/entry.py": b_code("v2")})
    lines = [line for line in output.lines() if line.startswith("[b]") and "state:" not in line]
    assert re.fullmatch(
        r"\[b\] the watcher reported the save \d+\.\d ms after it; the reload took \d+\.\d ms", lines[-2]
    ), lines
    assert re.fullmatch(r"\[b\] reloaded in \d+ms \(src/entry\.py\)", lines[-1]), lines


async def test_a_reload_not_from_the_watcher_prints_no_stage_line(setup, output):
    server, _, b = setup
    reloader = Reloader(server.registry, Printer(output, level="debug", colour=False))
    await reloader.reload(server.worker("b"), {b / "wrangler.toml"})
    assert not any("the watcher reported" in line for line in output.lines())
