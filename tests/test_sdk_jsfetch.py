"""``js.fetch`` and the JavaScript Request/Response/Headers objects (pyworker/sdk/jsfetch.py), against a
loopback server; WHATWG URLs on every outbound path (pyworker/runtime/urls.py)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from pyworker.runtime import outbound
from pyworker.runtime.jsvalues import JsException
from pyworker.sdk import jsfetch
from pyworker.sdk.js import JSON, Object
from pyworker.sdk.pyodide.ffi import to_js
from pyworker.sdk.pyodide.http import pyfetch
from tests.test_runtime_bridges import LocalServer, running_server, server  # noqa: F401  (fixtures)

WORKER = """
from js import fetch, Object, JSON
from pyodide.ffi import to_js
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        base = self.env.BASE
        reply = await fetch(base + "/echo?text=Hey Ada\\nbye", method="POST", body="hi",
                            headers=to_js({"x-a": "1"}, dict_converter=Object.fromEntries))
        data = await reply.json()
        second = await fetch(base + "/echo", to_js({"method": "PUT", "body": "b"}, dict_converter=Object.fromEntries))
        return Response(JSON.stringify([reply.status, reply.ok, reply.headers.get("x-reply"),
                                        reply.headers.get("nope"), data.method, getattr(data, "body"),
                                        (await second.json()).method]))
"""


def run(coro):
    return asyncio.run(coro)


@pytest.mark.anyio
async def test_a_worker_imports_js_fetch_and_reads_a_js_response(server, write_worker, make_server):  # noqa: F811
    directory = write_worker(
        "w", {"src/entry.py": WORKER}, config=f'name = "w"\nmain = "src/entry.py"\nvars = {{ BASE = "{server.url}" }}\n'
    )
    dev = make_server(directory)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=dev.app("w")), base_url="http://w") as client:
        reply = await client.get("/")
    assert reply.text == '[201,true,"yes",null,"POST","hi","PUT"]'
    assert [seen.path for seen in server.seen] == ["/echo?text=Hey%20Adabye", "/echo"]
    assert server.seen[0].headers["x-a"] == "1"


def test_js_fetch_response_body_methods(server):  # noqa: F811
    async def go():
        reply = await jsfetch.fetch(server.url + "/echo")
        copy = reply.clone()
        buffer = await copy.arrayBuffer()
        return reply.statusText, reply.url, await reply.text(), bytes(buffer), next(iter(reply.headers))

    status_text, url, text, raw, first = run(go())
    assert (status_text, url) == ("Created", server.url + "/echo")
    assert text == raw.decode() == '{"method": "GET", "body": ""}'
    assert first == ["content-type", "application/json"]


def test_a_python_dict_init_is_read_as_an_object(server):  # noqa: F811
    reply = run(jsfetch.fetch(server.url + "/echo", to_js({"method": "POST", "body": "x"})))
    assert reply.status == 201
    assert (server.seen[0].method, server.seen[0].body) == ("POST", b"x")


def test_invalid_json_is_a_syntax_error_and_a_network_failure_a_type_error(server):  # noqa: F811
    async def parse_text():
        reply = await jsfetch.fetch(server.url + "/redirect", redirect="manual")
        return await reply.json()

    with pytest.raises(JsException) as caught:
        run(parse_text())
    assert (caught.value.name, caught.value.message) == ("SyntaxError", "Unexpected end of JSON input")
    with pytest.raises(JsException) as caught:
        run(jsfetch.fetch("http://127.0.0.1:9/x"))
    assert caught.value.name == "TypeError"
    assert caught.value.message.startswith("fetch() to http://127.0.0.1:9/x failed: ")


@pytest.mark.parametrize(
    ("url", "sent"),
    [
        ("/echo?text=Hey Ada\nbye", "/echo?text=Hey%20Adabye"),
        ("/echo?t=\tcaf\u00e9 x", "/echo?t=caf%C3%A9%20x"),
        ("/a/../echo/カ?q=<>", "/echo/%E3%82%AB?q=%3C%3E"),
    ],
)
def test_outbound_urls_are_parsed_as_whatwg_does_on_every_path(server, url, sent):  # noqa: F811
    run(outbound.fetch(server.url + url))
    run(jsfetch.fetch(server.url + url))
    run(pyfetch(server.url + url))
    assert [seen.path for seen in server.seen] == [sent, sent, sent]


def test_an_invalid_url_is_refused_in_one_line():
    with pytest.raises(TypeError, match=r'^Invalid URL: "nope"\. A request needs an absolute URL'):
        run(outbound.fetch("nope"))
    with pytest.raises(JsException, match=r'^TypeError: Invalid URL: "nope"'):
        run(jsfetch.fetch("nope"))


def test_js_request_and_headers():
    init = to_js({"method": "post", "headers": {"X-A": "1"}, "body": {"a": 1}}, dict_converter=Object.fromEntries)
    request = jsfetch.JsRequest(jsfetch.make_request("http://h/p", init))
    assert (request.method, request.url, request.headers.get("x-a"), request.headers.has("X-A")) == (
        "POST",
        "http://h/p",
        "1",
        True,
    )
    assert run(request.text()) == "[object Object]"  # String() of a JavaScript object
    request.headers.append("x-b", 2)
    assert [list(pair) for pair in request.headers.entries()] == [
        ["content-type", "text/plain;charset=UTF-8"],
        ["x-a", "1"],
        ["x-b", "2"],
    ]
    assert JSON.stringify(json.loads('{"k": "カレー"}')) == '{"k":"カレー"}'


@pytest.mark.anyio
async def test_js_fetch_counts_one_subrequest_each(server, write_worker, make_server):  # noqa: F811
    code = """
    from js import fetch
    from pyodide.ffi import JsException
    from workers import Response, WorkerEntrypoint

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            first = await fetch(self.env.BASE + "/echo")
            try:
                await fetch(self.env.BASE + "/echo")
            except JsException as exc:
                return Response(f"{first.status} {exc.name}: {exc.message[:38]}")
            return Response("no limit")
    """
    config = f'name = "w"\nmain = "src/entry.py"\nvars = {{ BASE = "{server.url}" }}\n[limits]\nsubrequests = 1\n'
    dev = make_server(write_worker("w", {"src/entry.py": code}, config))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=dev.app("w")), base_url="http://w") as client:
        assert (await client.get("/")).text == "201 Error: Too many subrequests: this request has"
    assert len(server.seen) == 1
