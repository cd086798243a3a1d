"""The dev registry directory: entries written, touched, removed; others' read, checked, watched."""

from __future__ import annotations

import asyncio
import io
import json
import os
from pathlib import Path

import pytest

from pyworker import __version__
from pyworker.interop import registry as registry_module
from pyworker.interop.entries import Entry, parse, render
from pyworker.interop.registry import DevRegistry
from pyworker.printer import Printer

OTHER = 4242  # the pid of "another process" (the tests' alive() says which pids run)
DEADLINE = 10.0


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def out() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def running() -> set[int]:
    return {OTHER}


def make(path: Path, out: io.StringIO, clock: Clock, running: set[int], pid: int = 100) -> DevRegistry:
    return DevRegistry(
        path, Printer(out, colour=False), pid=pid, clock=clock, alive=running.__contains__, home=path.parent
    )


@pytest.fixture
def registry(tmp_path: Path, out: io.StringIO, clock: Clock, running: set[int]) -> DevRegistry:
    return make(tmp_path / "registry", out, clock, running)


def write_entry(registry: DevRegistry, name: str, data: object, mtime: float | None = None) -> Path:
    registry.path.mkdir(parents=True, exist_ok=True)
    path = registry.path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    stamp = registry.clock() if mtime is None else mtime
    os.utime(path, (stamp, stamp))
    return path


def pyworker_entry(pid: int = OTHER, **fields: object) -> dict[str, object]:
    own = {"format": 1, "pid": pid, "address": "127.0.0.1:5000", "entrypoints": ["Admin"], "durableObjects": []}
    return {"defaultEntrypointService": "core:user:x", "pyworker": {**own, **fields}}


def test_the_file_written_is_wranglers_format_with_pyworkers_fields() -> None:
    text = render("store", 1234, ["Admin", "Reports"], ["Counter"], "127.0.0.1:5001", "127.0.0.1:6001")
    assert text == json.dumps(
        {
            "debugPortAddress": "127.0.0.1:6001",
            "defaultEntrypointService": "core:user:store",
            "userWorkerService": "core:user:store",
            "pyworker": {
                "format": 1,
                "pid": 1234,
                "address": "127.0.0.1:5001",
                "entrypoints": ["Admin", "Reports"],
                "durableObjects": ["Counter"],
                "version": __version__,
            },
        },
        indent=2,
    )
    assert list(json.loads(render("store", 1, [], []))) == [
        "defaultEntrypointService",
        "userWorkerService",
        "pyworker",
    ]  # no address and no debug port until something serves them


def test_an_entry_is_written_whole_by_a_rename(registry: DevRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    registry.register("store", "first")
    seen: list[tuple[str, str, str]] = []
    replace = os.replace

    def watching(source: str | Path, target: str | Path) -> None:
        seen.append((Path(source).name, Path(source).read_text(), Path(target).read_text()))
        replace(source, target)

    monkeypatch.setattr(registry_module.os, "replace", watching)
    registry.register("store", "second")
    assert seen == [(".store.100.tmp", "second", "first")]  # the old file stays whole until the rename
    assert sorted(os.listdir(registry.path)) == ["store"]
    assert (registry.path / "store").read_text() == "second"


def test_the_heartbeat_touches_own_files_and_writes_back_a_deleted_one(registry: DevRegistry, clock: Clock) -> None:
    registry.register("store", "text")
    registry.register("auth", "other")
    clock.now += 30
    registry.heartbeat()
    assert os.stat(registry.path / "store").st_mtime == clock.now
    os.unlink(registry.path / "auth")
    registry.heartbeat()
    assert (registry.path / "auth").read_text() == "other"


def test_the_heartbeat_loop_beats_on_its_interval(registry: DevRegistry, clock: Clock) -> None:
    registry.register("store", "text")
    beats: list[float] = []

    async def main() -> None:
        stop = asyncio.Event()
        registry.on_change(lambda before, after: None)
        original = registry.heartbeat

        def beat() -> None:
            original()
            beats.append(os.stat(registry.path / "store").st_mtime)
            clock.now += 1
            if len(beats) == 3:
                stop.set()

        registry.heartbeat = beat  # type: ignore[method-assign]
        await asyncio.wait_for(registry._beat(stop, interval=0), DEADLINE)

    asyncio.run(main())
    assert beats == [1_000_000.0, 1_000_001.0, 1_000_002.0]


def test_exit_removes_own_files_only(registry: DevRegistry) -> None:
    registry.register("store", "mine")
    write_entry(registry, "auth", pyworker_entry())
    registry.close()
    assert os.listdir(registry.path) == ["auth"]


def test_a_file_another_process_took_over_is_left_to_it(registry: DevRegistry, out: io.StringIO) -> None:
    registry.register("store", "mine")
    write_entry(registry, ".store.tmp", pyworker_entry())
    os.replace(registry.path / ".store.tmp", registry.path / "store")  # as the other process writes it
    registry.heartbeat()
    registry.heartbeat()
    registry.close()
    assert json.loads((registry.path / "store").read_text())["pyworker"]["pid"] == OTHER
    assert out.getvalue() == (
        "registry: process 4242 registered worker store after this process; other processes now reach that one.\n"
    )


def test_the_last_to_register_wins_and_takes_it_back_when_the_other_leaves(
    registry: DevRegistry, out: io.StringIO
) -> None:
    write_entry(registry, "store", pyworker_entry())
    registry.register("store", "mine")
    assert (registry.path / "store").read_text() == "mine"
    write_entry(registry, "store", pyworker_entry())  # the other registers again: it wins
    registry.refresh()
    assert registry.entries["store"].pid == OTHER
    os.unlink(registry.path / "store")  # and leaves
    registry.refresh()
    assert (registry.path / "store").read_text() == "mine"
    assert out.getvalue().splitlines() == [
        "registry: worker store is also registered by process 4242; other processes now reach the one in this "
        "process (the last to register wins, as in wrangler).",
        "registry: process 4242 registered worker store after this process; other processes now reach that one.",
        "registry: worker store is registered by this process again.",
    ]


def test_live_entries_of_pyworker_and_wrangler(registry: DevRegistry) -> None:
    write_entry(registry, "store", pyworker_entry(durableObjects=["Counter"], version="9.9"))
    write_entry(registry, "js", {"debugPortAddress": "127.0.0.1:9229", "defaultEntrypointService": "core:user:js"})
    write_entry(registry, ".store.77.tmp", "half a fi")
    registry.refresh()
    assert registry.entries == {
        "js": Entry("js", debug_port="127.0.0.1:9229"),
        "store": Entry("store", OTHER, "127.0.0.1:5000", None, ("Admin",), ("Counter",), "9.9"),
    }
    assert registry.entries["js"].wrangler and not registry.entries["store"].wrangler


STALE = [
    (pyworker_entry(pid=999), None, "written by process 999, which is no longer running."),
    (pyworker_entry(), 1_000_000.0 - 301,
     "not refreshed for 301 s (a running wrangler or pyworker refreshes it every 30 s)."),
    ("{not json", None,
     "not valid JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))."),
    ("[1, 2]", None, "not a JSON object."),
    (pyworker_entry(format=2, version="2.0"), None,
     "written by pyworker 2.0 in format 2; this pyworker reads format 1. Upgrade pyworker."),
    (pyworker_entry(address="10.0.0.5:80"), None, '"pyworker.address" is not of the form "127.0.0.1:PORT".'),
    (pyworker_entry(entrypoints=["../x"]), None, '"pyworker.entrypoints" is not a list of class names.'),
    ({"defaultEntrypointService": "core:user:x"}, None,
     'no "debugPortAddress" of the form "127.0.0.1:PORT" and no "pyworker" fields.'),
]  # fmt: skip


@pytest.mark.parametrize(("data", "mtime", "reason"), STALE)
def test_a_stale_corrupt_or_newer_file_is_ignored_with_one_line(
    registry: DevRegistry, out: io.StringIO, data: object, mtime: float | None, reason: str
) -> None:
    write_entry(registry, "store", data, mtime)
    registry.refresh()
    registry.clock.now += 40  # type: ignore[attr-defined]
    registry.refresh()
    assert registry.entries == {}
    assert out.getvalue() == f"registry: ignoring ~/registry/store: {reason}\n"


def test_a_rewritten_file_is_read_again(registry: DevRegistry, out: io.StringIO, clock: Clock) -> None:
    write_entry(registry, "store", "{")
    registry.refresh()
    clock.now += 1
    write_entry(registry, "store", pyworker_entry())
    registry.refresh()
    assert list(registry.entries) == ["store"]
    assert len(out.getvalue().splitlines()) == 1


def test_parse_counts_age_before_reading() -> None:
    assert parse("x", "{", 0.0, lambda pid: True).reason.startswith("not valid JSON")  # type: ignore[union-attr]


def test_listeners_hear_each_change_once(registry: DevRegistry) -> None:
    heard: list[tuple[list[str], list[str]]] = []
    registry.on_change(lambda before, after: heard.append((sorted(before), sorted(after))))
    write_entry(registry, "store", pyworker_entry())
    registry.refresh()
    registry.refresh()
    os.unlink(registry.path / "store")
    registry.refresh()
    assert heard == [([], ["store"]), (["store"], [])]


def test_the_watcher_sees_an_entry_arrive_and_leave(registry: DevRegistry) -> None:
    async def main() -> list[list[str]]:
        seen: list[list[str]] = []
        changed = asyncio.Event()

        def heard(before: dict[str, Entry], after: dict[str, Entry]) -> None:
            seen.append(sorted(after))
            changed.set()

        registry.on_change(heard)
        stop = asyncio.Event()
        task = asyncio.ensure_future(registry.watch(stop))
        await asyncio.wait_for(asyncio.to_thread(registry.watching.wait, DEADLINE), DEADLINE)
        write_entry(registry, "store", pyworker_entry())
        await asyncio.wait_for(changed.wait(), DEADLINE)
        changed.clear()
        os.unlink(registry.path / "store")
        await asyncio.wait_for(changed.wait(), DEADLINE)
        stop.set()
        await asyncio.wait_for(task, DEADLINE)
        return seen

    assert asyncio.run(main()) == [["store"], []]


def test_a_registry_that_cannot_be_written_is_one_line_not_a_crash(
    tmp_path: Path, out: io.StringIO, clock: Clock, running: set[int]
) -> None:
    (tmp_path / "registry").write_text("a file where the directory should be")
    registry = make(tmp_path / "registry", out, clock, running)
    registry.register("store", "text")
    registry.heartbeat()
    registry.refresh()
    registry.close()
    assert registry.registered() == []
    assert out.getvalue() == (
        "registry: cannot write ~/registry/store (File exists): other processes do not see store.\n"
    )
