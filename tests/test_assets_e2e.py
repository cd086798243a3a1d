"""Assets with the real ``pyworker dev``: an edited asset is served at once, and never reloads the code."""

from __future__ import annotations

import httpx
import pytest

from tests.test_e2e import dev  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e

WORKER = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("{version}")
"""


def test_an_edited_asset_is_served_without_a_reload(dev, write_worker) -> None:  # noqa: F811
    config = 'name = "site"\nmain = "src/entry.py"\nassets = { directory = "public" }\n'
    worker = write_worker("site", {"src/entry.py": WORKER.format(version="v1"), "public/a.txt": "one"}, config)
    process = dev(str(worker), "--port", "0")
    url = process.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)
    with httpx.Client(base_url=url) as client:
        assert client.get("/a.txt").text == "one"
        (worker / "public/a.txt").write_text("two!")  # another size: a new file for any clock resolution
        assert client.get("/a.txt").text == "two!"
        assert client.get("/a.txt", headers={"range": "bytes=1-2"}).text == "wo"
        assert client.get("/other").text == "v1"
        (worker / "src/entry.py").write_text(WORKER.format(version="v2"))
        process.wait_for(r"^\[site\] reloaded in \d+ms \(src/entry\.py\)$")
        assert client.get("/other").text == "v2"
    assert [line for line in process.lines if "reloaded in" in line] == [
        next(line for line in process.lines if "reloaded in" in line)
    ]
    assert process.interrupt() == 0
