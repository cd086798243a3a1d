"""End to end: a real ``pyworker dev`` registers its workers in the (test session's) dev registry."""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

import pytest

from tests.test_e2e import DevProcess, dev  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e

STORE = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("store")

class Admin(WorkerEntrypoint):
    async def count(self):
        return 1
"""
GATEWAY_CONFIG = """
name = "reg-gateway"
main = "src/entry.py"
services = [{ binding = "STORE", service = "reg-store" }]
"""


def start(dev: type[DevProcess], directory: Path) -> DevProcess:  # noqa: F811
    process = dev(str(directory), "--port", "0")
    process.wait_for(r"^Ready on http://127\.0\.0\.1:\d+$")
    return process


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_an_entry_is_written_at_start_and_removed_on_exit(
    dev: type[DevProcess],  # noqa: F811
    write_worker,
    test_registry: Path,
    stop: int,
) -> None:
    process = start(dev, write_worker("reg-store", {"src/entry.py": STORE}))
    entry = json.loads((test_registry / "reg-store").read_text())
    assert re.fullmatch(r"127\.0\.0\.1:\d+", entry["debugPortAddress"])
    assert entry == {
        "debugPortAddress": entry["debugPortAddress"],  # pyworker's debug port, for wrangler dev (interop/wrangler)
        "defaultEntrypointService": "core:user:reg-store",
        "userWorkerService": "core:user:reg-store",
        "pyworker": {
            "format": 1,
            "pid": process.proc.pid,
            "address": entry["pyworker"]["address"],  # the transport's endpoint
            "entrypoints": ["Admin"],
            "durableObjects": [],
            "version": entry["pyworker"]["version"],
        },
    }
    assert re.fullmatch(r"127\.0\.0\.1:\d+", entry["pyworker"]["address"])
    assert process.interrupt(stop) == 0
    assert not (test_registry / "reg-store").exists()


def test_a_killed_process_leaves_an_entry_the_next_reader_ignores(
    dev: type[DevProcess],  # noqa: F811
    write_worker,
    test_registry: Path,
) -> None:
    store = start(dev, write_worker("reg-store", {"src/entry.py": STORE}))
    store.proc.kill()
    store.proc.wait()
    path = test_registry / "reg-store"
    try:
        assert path.exists()
        gateway = start(dev, write_worker("reg-gateway", {"src/entry.py": STORE}, GATEWAY_CONFIG))
        assert f"registry: ignoring {path}: written by process {store.proc.pid}, which is no longer running." in (
            gateway.lines
        )
        assert any(line.endswith("STORE -> reg-store (not running)") for line in gateway.lines)
        assert gateway.interrupt() == 0
        assert sum("registry: ignoring" in line for line in gateway.lines) == 1
    finally:
        if path.exists():
            os.unlink(path)
