"""--live-reload: HTML pages get a script; its event stream says reload when the worker reloads."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from pyworker.config import load_config
from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.serving.server import DevServer

PAGES = """
from workers import Response

async def on_fetch(request):
    if request.url.endswith("/json"):
        return Response.json({"a": 1})
    return Response("<html><body>hi</body></html>", headers={"content-type": "text/html; charset=utf-8"})
"""


@pytest.fixture
def server(write_worker, output):
    config = load_config(write_worker("site", {"src/entry.py": PAGES}))
    server = DevServer(DevOptions(live_reload=True), Printer(output, colour=False), [config])
    server.load()
    yield server
    server.worker("site").code.unload()
    server.storage.close()


def client(server):
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app("site")), base_url="http://localhost")


@pytest.mark.anyio
async def test_html_gets_the_script_and_other_responses_do_not(server):
    async with client(server) as http:
        page = await http.get("/")
        data = await http.get("/json")
    token = server.live.token("site")
    assert page.text == (
        "<html><body>hi</body></html>\n"
        f'<script>(() => {{ const events = new EventSource("/__pyworker/live-reload?since={token}");'
        " events.onmessage = () => { events.close(); location.reload(); }; })();</script>\n"
    )
    assert page.headers["content-length"] == str(len(page.content))
    assert data.json() == {"a": 1}


@pytest.mark.anyio
async def test_the_stream_says_reload_once_the_worker_reloads(server):
    token = server.live.token("site")
    async with client(server) as http:
        waiting = asyncio.ensure_future(http.get(f"/__pyworker/live-reload?since={token}"))
        while not server.live.listening:  # until the stream waits for a change
            await asyncio.sleep(0)
        server.live.reloaded("site")
        answer = await asyncio.wait_for(waiting, 5)
        assert answer.headers["content-type"] == "text/event-stream"
        assert answer.text == "data: reload\n\n"
        stale = await http.get(f"/__pyworker/live-reload?since={token}")  # a page from before: at once
        assert stale.text == "data: reload\n\n"
        assert re.fullmatch(r"[0-9a-f]{8}-1", server.live.token("site"))


@pytest.mark.anyio
async def test_shutting_down_ends_the_streams_without_a_reload(server):
    async with client(server) as http:
        waiting = asyncio.ensure_future(http.get(f"/__pyworker/live-reload?since={server.live.token('site')}"))
        while not server.live.listening:
            await asyncio.sleep(0)
        server.live.close()
        answer = await asyncio.wait_for(waiting, 5)
    assert answer.status_code == 200
    assert answer.text == ""
