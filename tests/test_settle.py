"""A generation whose source files change while it imports is not swapped in: it imports again once they settle."""

from __future__ import annotations

import httpx
import pytest

from pyworker.loading import settle

pytestmark = pytest.mark.anyio

ENTRY = """
from pathlib import Path

import helper
from workers import Response, WorkerEntrypoint

# The editor's second write lands while this generation imports: helper.py was empty when imported.
here = Path(__file__).parent / "helper.py"
if not here.read_text():
    here.write_text("def h():\\n    return 'new'\\n")


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response(helper.h())
"""


async def get(server) -> httpx.Response:
    transport = httpx.ASGITransport(app=server.app("w"))
    async with httpx.AsyncClient(transport=transport, base_url="http://w") as client:
        return await client.get("/")


async def test_a_module_rewritten_during_the_import_is_imported_again(write_worker, make_server):
    directory = write_worker("w", {"src/entry.py": ENTRY, "src/helper.py": "def h():\n    return 'old'\n"})
    server = make_server(directory)
    assert (await get(server)).text == "old"
    (directory / "src/helper.py").write_text("")  # open(p, "w"): truncated first, written a moment later
    await server.worker("w").load_in_thread()
    reply = await get(server)
    assert (reply.status_code, reply.text) == (200, "new")


async def test_a_file_emptied_for_good_is_taken_once_it_stays_empty(write_worker, make_server, monkeypatch):
    monkeypatch.setattr(settle, "SETTLE", 0.01)
    directory = write_worker("w", {"src/entry.py": ENTRY.replace("if not here", "if False and not here")})
    (directory / "src/helper.py").write_text("def h():\n    return 'old'\n")
    server = make_server(directory)
    (directory / "src/helper.py").write_text("")
    await server.worker("w").load_in_thread()
    reply = await get(server)
    assert (reply.status_code, reply.text) == (500, "AttributeError: module 'helper' has no attribute 'h'")
