"""A failing request from a browser gets an HTML page with the traceback; other clients plain text."""

from __future__ import annotations

import httpx
import pytest

BROKEN = """
from workers import Response

def helper():
    raise ValueError("no <b>price</b>")

async def on_fetch(request):
    helper()
    return Response("never")
"""

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def client(server, name):
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app(name)), base_url="http://localhost")


@pytest.mark.anyio
async def test_a_browser_gets_an_html_page_with_the_escaped_traceback(write_worker, make_server):
    server = make_server(write_worker("shop", {"src/entry.py": BROKEN}))
    async with client(server, "shop") as http:
        page = await http.get("/cart", headers=BROWSER)
        plain = await http.get("/cart")
    assert page.status_code == 500
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.text.startswith("<!DOCTYPE html>\n")
    assert "<h1>ValueError: no &lt;b&gt;price&lt;/b&gt;</h1>" in page.text
    assert "<p>GET http://localhost/cart on worker <b>shop</b></p>" in page.text
    assert "Traceback (most recent call last):" in page.text
    assert ", in helper\n" in page.text
    assert "ValueError: no &lt;b&gt;price&lt;/b&gt;</pre>" in page.text
    assert plain.status_code == 500
    assert plain.headers["content-type"] == "text/plain;charset=UTF-8"
    assert plain.text == "ValueError: no <b>price</b>"


@pytest.mark.anyio
async def test_a_worker_that_failed_to_load_shows_its_load_error_to_a_browser(write_worker, make_server):
    server = make_server(write_worker("bad", {"src/entry.py": "def broken(:\n"}))
    async with client(server, "bad") as http:
        page = await http.get("/", headers=BROWSER)
        plain = await http.get("/")
    assert page.status_code == 500
    assert "<h1>Worker &quot;bad&quot; failed to load</h1>" in page.text
    assert "bad: SyntaxError in " in page.text
    assert plain.text.startswith("bad: SyntaxError in ")
