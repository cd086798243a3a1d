"""Synchronous worker code waiting on awaitables (pyworker/runtime/blocking.py): WSGI apps run in the worker's
thread pool, and ``run_sync`` there hands the awaitable to the event loop, which keeps serving meanwhile."""

from __future__ import annotations

import asyncio

import httpx
import pytest

pytestmark = pytest.mark.anyio

FLASK_APP = """
import threading

from flask import Flask, request
from pyodide.ffi import run_sync
from workers import WorkerEntrypoint, wsgi

app = Flask(__name__)
seen = threading.local()


@app.route("/total")
def total():
    env = request.environ["workers.env"]
    return str(run_sync(env.B.add(40, 2)))


@app.route("/wait")
def wait():
    return run_sync(request.environ["workers.env"].B.wait())


@app.route("/release")
def release():
    return run_sync(request.environ["workers.env"].B.release())


@app.route("/thread")
def thread():
    # The same pool thread serves requests one after another: thread-locals last, as in one isolate.
    seen.count = getattr(seen, "count", 0) + 1
    return f"{threading.current_thread() is threading.main_thread()} {seen.count}"


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await wsgi.fetch(app, request, self.env)
"""

CALLEE = """
import asyncio

from workers import WorkerEntrypoint

reached = asyncio.Event()  # a test awaits it: the waiting call has arrived
gate = asyncio.Event()


class Default(WorkerEntrypoint):
    async def add(self, a, b):
        return a + b

    async def wait(self):
        reached.set()
        await gate.wait()
        return "released"

    async def release(self):
        gate.set()
        return "releasing"
"""


@pytest.fixture
def server(write_worker, make_server):
    config = 'name = "a"\nmain = "src/entry.py"\nservices = [{ binding = "B", service = "b" }]\n'
    return make_server(
        write_worker("a", {"src/entry.py": FLASK_APP}, config=config), write_worker("b", {"src/entry.py": CALLEE})
    )


def client(server) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app("a")), base_url="http://localhost")


async def test_a_wsgi_view_waits_on_a_binding_call_with_run_sync(server):
    async with client(server) as http:
        assert (await http.get("/total")).text == "42"


async def test_the_event_loop_keeps_serving_while_a_wsgi_view_waits(server):
    callee = server.worker("b").code.module
    async with client(server) as http:
        waiting = asyncio.ensure_future(http.get("/wait"))
        await asyncio.wait_for(callee.reached.wait(), timeout=10)  # the view is blocked in run_sync now
        assert (await asyncio.wait_for(http.get("/release"), timeout=10)).text == "releasing"
        assert (await asyncio.wait_for(waiting, timeout=10)).text == "released"


async def test_wsgi_apps_run_off_the_loop_thread_on_a_reused_thread(server):
    async with client(server) as http:
        assert (await http.get("/thread")).text == "False 1"
        assert (await http.get("/thread")).text == "False 2"
