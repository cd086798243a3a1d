"""``Peers``: local workers first, then other processes' registry entries; and the dev server wired to it."""

from __future__ import annotations

import asyncio
import io
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from pyworker.bindings.env import describe_bindings
from pyworker.config import load_config
from pyworker.interop.entries import Entry
from pyworker.interop.peers import Peers
from pyworker.interop.registry import DevRegistry
from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.registry import WorkerRegistry
from pyworker.serving.peers import Interop
from pyworker.serving.server import DevServer
from pyworker.session.listing import rows
from pyworker.types import Route
from tests.conftest import LiveServer, Output

PEER = os.getppid()  # a process that runs for as long as the test: pytest's parent


class FakeTarget:
    """What a transport's target would be: answers ``add`` with the sum of its arguments."""

    def __init__(self, entry: Entry) -> None:
        self.name = entry.name
        self.entry = entry
        self.closed = False

    def exports(self, entrypoint: str | None, durable: bool = False) -> bool:
        if durable:
            return entrypoint in self.entry.durable_objects
        return entrypoint is None or entrypoint in self.entry.entrypoints

    async def invoke(self, route: Route, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
        return sum(args)

    def close(self) -> None:
        self.closed = True


class Local:
    name = "auth"

    def exports(self, entrypoint: str | None, durable: bool = False) -> bool:
        return True

    async def invoke(self, route: Route, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
        return "local"


def entry_file(registry_path: Path, name: str, pid: int = PEER, address: str | None = "127.0.0.1:5000") -> None:
    registry_path.mkdir(parents=True, exist_ok=True)
    own: dict[str, Any] = {"format": 1, "pid": pid, "entrypoints": ["Admin"], "durableObjects": ["Counter"]}
    if address is not None:
        own["address"] = address
    (registry_path / name).write_text(json.dumps({"pyworker": own}))


@pytest.fixture
def made() -> list[FakeTarget]:
    return []


@pytest.fixture
def peers(tmp_path: Path, made: list[FakeTarget]) -> Peers:
    local: WorkerRegistry[Any] = WorkerRegistry()
    local.add(Local())
    registry = DevRegistry(tmp_path / "registry", Printer(io.StringIO(), colour=False), pid=1)

    def remote(entry: Entry) -> FakeTarget:
        made.append(FakeTarget(entry))
        return made[-1]

    def wrangler(entry: Entry) -> FakeTarget:
        return FakeTarget(entry)

    return Peers(local, registry, remote, wrangler)


def test_a_local_worker_wins_over_an_entry_of_its_name(peers: Peers, tmp_path: Path) -> None:
    entry_file(tmp_path / "registry", "auth")
    peers.registry.refresh()
    assert isinstance(peers.get("auth"), Local)
    assert peers.status("auth") == "connected"


def test_a_target_is_made_once_per_entry_and_closed_when_it_changes(
    peers: Peers, tmp_path: Path, made: list[FakeTarget]
) -> None:
    entry_file(tmp_path / "registry", "store")
    peers.registry.refresh()
    first = peers.get("store")
    assert first is peers.get("store") is made[0]
    assert peers.status("store") == f"connected, pid {PEER}"
    entry_file(tmp_path / "registry", "store", address="127.0.0.1:5001")  # restarted on another port
    peers.registry.refresh()
    assert made[0].closed
    assert peers.get("store") is made[1] is not first
    (tmp_path / "registry" / "store").unlink()
    peers.registry.refresh()
    assert made[1].closed
    assert (peers.get("store"), peers.status("store")) == (None, "not running")


def test_wrangler_entries_and_entries_without_an_endpoint(peers: Peers, tmp_path: Path) -> None:
    (tmp_path / "registry").mkdir()
    (tmp_path / "registry" / "js").write_text('{"debugPortAddress": "127.0.0.1:9229"}')
    entry_file(tmp_path / "registry", "store", address=None)
    peers.registry.refresh()
    assert peers.status("js") == "connected, wrangler dev"
    assert peers.get("store") is None
    assert peers.status("store") == f"registered, pid {PEER}, no endpoint"
    peers.wrangler = None
    peers.registry.refresh()
    assert peers.status("nowhere") == "not running"


GATEWAY = """
from workers import DurableObject, Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        try:
            return Response(str(await self.env.STORE.add(1, 2)))
        except Exception as exc:
            return Response(f"{type(exc).__name__}: {exc}")

class Admin(WorkerEntrypoint):
    async def ping(self):
        return "pong"

class Counter(DurableObject):
    pass
"""
GATEWAY_CONFIG = """
name = "gateway"
main = "src/entry.py"
services = [{ binding = "STORE", service = "store" }]
durable_objects.bindings = [{ name = "COUNTER", class_name = "Counter" }]
migrations = [{ tag = "v1", new_sqlite_classes = ["Counter"] }]
"""
NOT_RUNNING = (
    'BindingError: Worker "store" is not running: start it in this pyworker dev, or in another pyworker dev or '
    "wrangler dev on this machine."
)


@pytest.fixture
def gateway(write_worker: Any, tmp_path: Path, output: Output) -> Iterator[DevServer]:
    directory = write_worker("gateway", {"src/entry.py": GATEWAY}, GATEWAY_CONFIG)
    options = DevOptions(port=0, reload=False, registry=tmp_path / "registry")
    server = DevServer(options, Printer(output, level="debug", colour=False), [load_config(directory)])
    server.peers.interop = Interop(remote=lambda entry, secret: FakeTarget(entry))
    yield server
    server.storage.close()


def test_the_table_and_the_l_key_say_where_a_binding_goes(gateway: DevServer, tmp_path: Path) -> None:
    config = gateway.worker("gateway").config
    assert describe_bindings(config, gateway.host)[0] == "STORE -> store (not running)"
    entry_file(tmp_path / "registry", "store")
    assert gateway.peers.registry is not None
    gateway.peers.registry.refresh()
    assert describe_bindings(config, gateway.host)[0] == f"STORE -> store (connected, pid {PEER})"
    assert rows(gateway)[0][3] == f"STORE -> store (connected, pid {PEER})"  # type: ignore[arg-type]


def test_a_served_worker_is_registered_reached_live_and_unregistered(
    gateway: DevServer, tmp_path: Path, output: Output
) -> None:
    registry = tmp_path / "registry"
    live = LiveServer(gateway).start()
    try:
        own = json.loads((registry / "gateway").read_text())
        assert own["pyworker"] == {
            "format": 1,
            "pid": os.getpid(),
            "entrypoints": ["Admin"],
            "durableObjects": ["Counter"],
            "version": own["pyworker"]["version"],
        }
        assert gateway.peers.registry is not None
        assert gateway.peers.registry.watching.wait(10)
        assert httpx.get(live.url).text == NOT_RUNNING
        entry_file(registry, "store")
        output.wait_for(rf"^\[gateway\] STORE -> store connected \(pid {PEER}\)$")
        assert httpx.get(live.url).text == "3"
        (registry / "store").unlink()
        output.wait_for(r"^\[gateway\] STORE -> store disconnected: store stopped$")
        assert httpx.get(live.url).text == NOT_RUNNING
    finally:
        live.stop()
    assert not (registry / "gateway").exists()
    assert [line for line in output.lines() if "STORE -> store" in line] == [
        f"gateway  {live.url}  STORE -> store (not running)",
        f"[gateway] STORE -> store connected (pid {PEER})",
        "[gateway] STORE -> store disconnected: store stopped",
    ]


def test_a_file_a_killed_run_left_for_a_worker_of_this_process_is_replaced_without_a_line(
    gateway: DevServer, tmp_path: Path, output: Output
) -> None:
    registry = tmp_path / "registry"
    entry_file(registry, "gateway", pid=2**22 + 12345)  # no such process: what kill -9 of the last run leaves
    live = LiveServer(gateway).start()
    try:
        assert json.loads((registry / "gateway").read_text())["pyworker"]["pid"] == os.getpid()
    finally:
        live.stop()
    assert [line for line in output.lines() if line.startswith("registry:")] == []


def test_a_reload_that_changes_the_entrypoints_registers_them(gateway: DevServer, tmp_path: Path) -> None:
    gateway.load()
    gateway.peers.sync()
    path = tmp_path / "registry" / "gateway"
    assert json.loads(path.read_text())["pyworker"]["entrypoints"] == ["Admin"]
    source = tmp_path / "gateway" / "src" / "entry.py"
    source.write_text(source.read_text() + "\nclass Reports(WorkerEntrypoint):\n    pass\n")
    asyncio.run(gateway.reload_all())
    assert json.loads(path.read_text())["pyworker"]["entrypoints"] == ["Admin", "Reports"]
    gateway.peers.registry.close()  # type: ignore[union-attr]
    assert not path.exists()
    for worker in gateway.workers:
        if worker.code is not None:
            worker.code.unload()


def test_a_durable_object_of_another_process_says_where_it_runs(write_worker: Any, tmp_path: Path) -> None:
    config = """
name = "caller"
main = "src/entry.py"
durable_objects.bindings = [{ name = "REMOTE", class_name = "Counter", script_name = "store" }]
"""
    directory = write_worker("caller", {"src/entry.py": "from workers import WorkerEntrypoint\n"}, config)
    options = DevOptions(registry=tmp_path / "registry")
    server = DevServer(options, Printer(io.StringIO(), colour=False), [load_config(directory)])
    server.peers.interop = Interop(remote=lambda entry, secret: FakeTarget(entry))
    caller = server.worker("caller").config
    try:
        assert describe_bindings(caller, server.host) == [
            "REMOTE -> Durable Object Counter of store (worker store not running)"
        ]
        entry_file(tmp_path / "registry", "store")
        server.peers.registry.refresh()  # type: ignore[union-attr]
        assert describe_bindings(caller, server.host) == [
            f"REMOTE -> Durable Object Counter of store (connected, pid {PEER})"
        ]
    finally:
        server.storage.close()


def test_an_unsafe_secret_turns_the_registry_off_with_one_line(write_worker: Any, tmp_path: Path) -> None:
    secret = tmp_path / "registry.pyworker-secret"
    secret.write_text("a" * 64)
    secret.chmod(0o644)
    directory = write_worker("caller", {"src/entry.py": "from workers import WorkerEntrypoint\n"})
    out = io.StringIO()
    server = DevServer(DevOptions(registry=tmp_path / "registry"), Printer(out, colour=False), [load_config(directory)])
    try:
        assert server.peers.registry is None
        assert server.host.directory is server.registry
        assert out.getvalue() == (
            f"registry: the secret file {secret} can be read by other users (mode 0644): run chmod 600 {secret}, "
            "or delete it, and pyworker makes a new one. The dev registry is off for this run.\n"
        )
    finally:
        server.storage.close()
