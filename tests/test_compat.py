"""Legacy handlers as deployed (pyworker/config/compat.py and loading/code.py): workerd's compatibility-date
rule, the JavaScript Request a module-level on_fetch gets, and js.Response's String()/JSON.stringify bodies."""

from __future__ import annotations

import httpx
import pytest

from tests.test_runtime_bridges import LocalServer, running_server  # noqa: F401  (a fixture)

pytestmark = pytest.mark.anyio

LEGACY_MODULE = """
from js import Response, JSON
from pyodide.ffi import JsException

async def on_fetch(request, env):
    if request.method == "GET":
        return Response.new({"message": "ok"}, headers={"x-h": request.headers.get("x-h")})
    try:
        data = await request.json()
    except JsException as exc:
        return Response.new(f"{exc.name}", status=400)
    return Response.json([{"id": 1, "t": getattr(data, "title")}])
"""

LEGACY_CLASS = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def on_fetch(self, request):
        return Response(f"class {type(request).__name__} {request.headers.get('x-h')}")
"""

MODERN_CLASS_ONLY_FETCH = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("modern")
"""


def config(date: str | None, flags: str = "") -> str:
    line = f'compatibility_date = "{date}"\n' if date else ""
    return f'name = "w"\nmain = "src/entry.py"\n{line}compatibility_flags = ["python_workers"{flags}]\n'


async def get(server, method="GET", **kwargs):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app("w")), base_url="http://w") as client:
        return await client.request(method, "/", **kwargs)


async def test_module_on_fetch_gets_the_js_request_before_2025_08_14(write_worker, make_server):
    server = make_server(write_worker("w", {"src/entry.py": LEGACY_MODULE}, config("2024-03-29")))
    reply = await get(server, headers={"x-h": "v"})
    assert (reply.status_code, reply.text, reply.headers["x-h"]) == (200, "{'message': 'ok'}", "v")
    reply = await get(server, "POST", content='{"title": "カレー"}')
    assert reply.text == '[{"id":1,"t":"カレー"}]'
    assert reply.headers["content-type"] == "application/json"
    reply = await get(server, "POST", content="not json")
    assert (reply.status_code, reply.text) == (400, "SyntaxError")


async def test_module_on_fetch_is_no_handler_from_2025_08_14(write_worker, make_server):
    server = make_server(write_worker("w", {"src/entry.py": LEGACY_MODULE}, config("2025-08-14")))
    reply = await get(server)
    assert reply.status_code == 500
    assert (
        'Handler does not export a fetch() function (worker "w"). The module-level on_fetch is not a handler: '
        "compatibility_date 2025-08-14 (2025-08-14 or later) selects the Default class's fetch(). Define async def "
        "fetch(self, request) on a WorkerEntrypoint class named Default, or set a compatibility_date before 2025-08-14."
    ) in reply.text


async def test_the_flags_override_the_date(write_worker, make_server):
    legacy = make_server(
        write_worker(
            "w", {"src/entry.py": LEGACY_MODULE}, config("2026-01-01", ', "disable_python_no_global_handlers"')
        )
    )
    assert (await get(legacy)).text == "{'message': 'ok'}"


async def test_a_default_class_on_fetch_runs_with_the_sdk_request_on_old_dates(write_worker, make_server):
    server = make_server(write_worker("w", {"src/entry.py": LEGACY_CLASS}, config("2024-03-29")))
    assert (await get(server, headers={"x-h": "v"})).text == "class Request v"


async def test_a_default_class_fetch_on_an_old_date_fails_as_on_cloudflare(write_worker, make_server):
    server = make_server(write_worker("w", {"src/entry.py": MODERN_CLASS_ONLY_FETCH}, config("2024-03-29")))
    reply = await get(server)
    assert reply.status_code == 500
    assert (
        'Worker "w": Method on_fetch does not exist: compatibility_date 2024-03-29 (before 2025-08-14) selects legacy '
        "global handlers, so Cloudflare calls Default.on_fetch, not Default.fetch. Rename the method to on_fetch, or "
        'set compatibility_date to "2025-08-14" or later.'
    ) in reply.text


@pytest.mark.parametrize("code", [LEGACY_MODULE, LEGACY_CLASS, MODERN_CLASS_ONLY_FETCH])
async def test_without_a_date_every_form_answers(write_worker, make_server, code):
    server = make_server(write_worker("w", {"src/entry.py": code}, config(None)))
    assert (await get(server)).status_code == 200


async def test_the_handler_decorator_gives_the_sdk_request(write_worker, make_server):
    code = """
    from workers import Response, handler

    @handler
    async def on_fetch(request, env):
        return Response(type(request).__name__ + " " + str(await request.json()))
    """
    server = make_server(write_worker("w", {"src/entry.py": code}, config("2024-03-29")))
    assert (await get(server, "POST", content='{"a": 1}')).text == "Request {'a': 1}"


@pytest.fixture
def origin(running_server: LocalServer) -> LocalServer:  # noqa: F811
    running_server.seen.clear()
    return running_server


async def test_a_legacy_handler_may_return_what_js_fetch_and_pyfetch_answer(origin, write_worker, make_server):
    code = """
    from js import fetch
    from pyodide.http import pyfetch

    async def on_fetch(request, env):
        if request.url.endswith("/py"):
            return await pyfetch(env.BASE + "/echo")
        return await fetch(env.BASE + "/echo", method="POST", body=await request.text())
    """
    config_text = config("2024-03-29") + f'vars = {{ BASE = "{origin.url}" }}\n'
    dev = make_server(write_worker("w", {"src/entry.py": code}, config_text))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=dev.app("w")), base_url="http://w") as client:
        proxied = await client.post("/", content="hello")
        python = await client.get("/py")
    assert (proxied.status_code, proxied.json(), proxied.headers["x-reply"]) == (
        201,
        {"method": "POST", "body": "hello"},
        "yes",
    )
    assert (python.status_code, python.json()) == (201, {"method": "GET", "body": ""})


async def test_a_legacy_on_fetch_hands_the_js_request_to_asgi_and_to_a_binding(write_worker, make_server):
    # Cloudflare's FastAPI example before 2025-08-14, and a proxy to a service binding.
    code = """
    from fastapi import FastAPI, Request
    from workers import Request as SdkRequest

    app = FastAPI()

    @app.get("/items/{item}")
    async def item(item: str, request: Request):
        return {"item": item, "env": request.scope["env"].NAME, "h": request.headers.get("x-h")}

    async def on_fetch(request, env):
        import asgi

        if request.url.endswith("/proxy"):
            return await env.B.fetch(SdkRequest(request))
        return await asgi.fetch(app, request, env)
    """
    callee = """
    from workers import Response, WorkerEntrypoint

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            return Response(f"callee {request.method} {request.url} {await request.text()}")
    """
    services = 'services = [{ binding = "B", service = "callee" }]\nvars = { NAME = "n" }\n'
    server = make_server(
        write_worker("w", {"src/entry.py": code}, config("2024-03-29") + services),
        write_worker("callee", {"src/entry.py": callee}),
    )
    reply = await get(server, headers={"x-h": "v"})
    assert reply.status_code == 404
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app("w")), base_url="http://w") as client:
        assert (await client.get("/items/7", headers={"x-h": "v"})).json() == {"item": "7", "env": "n", "h": "v"}
        assert (await client.post("/proxy", content="body")).text == "callee POST http://w/proxy body"
