"""Worker code cannot stop, close or replace the server's event loop: each attempt is that worker's error."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import DEADLINE

HANDLER = """
import asyncio
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/ok"):
            return Response("ok")
        loop = asyncio.get_event_loop()
        {action}
        return Response("went on")
"""

ACTIONS = {
    "stop": ("loop.stop()", "NotImplementedError: worker code cannot stop the event loop"),
    "call_soon_stop": ("loop.call_soon(loop.stop)\n        await asyncio.sleep(0)", None),
    "close": ("loop.close()", "RuntimeError: Cannot close a running event loop"),
    "run_forever": ("loop.run_forever()", ""),  # returns at once, as Pyodide's WebLoop does
    "run_until_complete": (
        "done = loop.create_future()\n        done.set_result(1)\n        loop.run_until_complete(done)",
        "RuntimeError: This event loop is already running",
    ),
    "set_event_loop": (
        "new = asyncio.new_event_loop()\n        try:\n            asyncio.set_event_loop(new)\n"
        "        finally:\n            new.close()",
        "RuntimeError: worker code cannot replace the event loop",
    ),
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_worker_code_cannot_stop_or_replace_the_loop(write_worker, live, output, action):
    code, error = ACTIONS[action]
    server = live(write_worker("w", {"src/entry.py": HANDLER.replace("{action}", code)}))
    reply = httpx.get(f"{server.url}/x", timeout=DEADLINE)
    if not error:  # run_forever() returned, or stop() ran as a callback (refused there): the handler went on
        assert (reply.status_code, reply.text) == (200, "went on")
        if error is None:
            output.wait_for(r"NotImplementedError: worker code cannot stop the event loop")
    else:
        assert reply.status_code == 500
        assert error in reply.text
    assert httpx.get(f"{server.url}/ok", timeout=DEADLINE).text == "ok"
    assert server.thread.is_alive()
