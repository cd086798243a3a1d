"""``import js`` for worker code (pyworker/sdk/js.py): each name it provides, the one error for the rest,
and that it is importable only where Cloudflare code would import it."""

from __future__ import annotations

import datetime
import importlib
import math

import pytest

from pyworker.runtime.headers import Headers
from pyworker.runtime.http import Response
from pyworker.runtime.jsvalues import JsException
from pyworker.runtime.scope import WorkerScope, current_worker
from pyworker.sdk import js
from pyworker.sdk.jsobjects import JsArray, JsObject

pytestmark = pytest.mark.anyio

WORKER = """
import js
from js import JSON, URL, Date, Error, Headers, Object, Response, console, undefined
from pyodide.ffi import to_js
from workers import WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        console.log("hello", 1.0, True, None, {"a": 1})
        console.warn("careful")
        console.error("broken")
        return Response.new("from js", status=201, headers=Headers.new({"x-from": "js"}))

    def values(self):
        obj = to_js({"a": 1, "b": [1, 2]}, dict_converter=Object.fromEntries)
        return [obj.a, obj["b"], JSON.stringify(obj), JSON.parse('{"k": [1, {"z": null}]}').to_py(), undefined]

    def probe(self, name):
        try:
            getattr(js, name)
        except AttributeError as exc:
            return str(exc)

    def from_import(self):
        try:
            from js import HTMLRewriter
        except ImportError as exc:
            return [type(exc).__name__, str(exc)]
"""


@pytest.fixture
def server(write_worker, make_server):
    return make_server(write_worker("w", {"src/entry.py": WORKER}))


async def test_console_prints_under_the_worker_and_response_new_is_a_workers_response(server, output):
    from pyworker.runtime.http import Request

    response = await server.worker("w").fetch(Request("http://localhost/"))
    assert (response.status, await response.text(), response.headers.get("x-from")) == (201, "from js", "js")
    assert [line for line in output.lines() if not line.startswith("[w] state:")] == [
        "[w] hello 1 true undefined {'a': 1}",
        "[w] careful",
        "[w] broken",
    ]


async def test_object_json_and_undefined_in_worker_code(server):
    values = await server.worker("w").call(None, "values", (), {})
    assert values == [1, [1, 2], '{"a":1,"b":[1,2]}', {"k": [1, {"z": None}]}, None]


PROVIDED = (
    "ArrayBuffer, Date, Error, Headers, JSON, Object, Request, Response, TextDecoder, TextEncoder, URL, "
    "URLSearchParams, Uint8Array, WebSocketPair, WebSocketRequestResponsePair, "
    "atob, btoa, clearInterval, clearTimeout, console, crypto, decodeURI, "
    "decodeURIComponent, encodeURI, encodeURIComponent, fetch, setInterval, setTimeout, undefined"
)


async def test_every_other_name_raises_one_error_naming_it(server):
    message = await server.worker("w").call(None, "probe", ("HTMLRewriter",), {})
    assert message == (
        "js.HTMLRewriter is not emulated by pyworker, which provides only: "
        + PROVIDED
        + ". Code that uses js.HTMLRewriter runs in the Workers runtime only "
        "(wrangler dev, or deployed)."
    )
    assert await server.worker("w").call(None, "from_import", (), {}) == [
        "ImportError",
        "js.HTMLRewriter is not emulated by pyworker, which provides only: "
        + PROVIDED
        + ". Code that uses js.HTMLRewriter runs in the Workers runtime only "
        "(wrangler dev, or deployed).",
    ]
    with pytest.raises(AttributeError, match=r"^js\.Object\.freeze is not emulated by pyworker, which provides only: "):
        js.Object.freeze  # noqa: B018


def test_js_and_pyodide_are_not_importable_outside_worker_code():
    for name in ("js", "pyodide", "pyodide.ffi"):
        with pytest.raises(ModuleNotFoundError, match=f"^No module named '{name.split('.')[0]}'"):
            importlib.import_module(name)


def test_json():
    assert js.JSON.stringify({"a": [1, 2.0, 2.5, None, True, math.nan], "é": "ü"}) == (
        '{"a":[1,2,2.5,null,true,null],"é":"ü"}'
    )
    assert js.JSON.stringify([1, {"b": 2}], None, 2) == '[\n  1,\n  {\n    "b": 2\n  }\n]'
    assert js.JSON.stringify(None) is None
    parsed = js.JSON.parse('{"list": [1, {"x": "y"}], "n": null}')
    assert isinstance(parsed, JsObject) and isinstance(parsed.list, JsArray) and parsed.list[1].x == "y"
    assert parsed.to_py() == {"list": [1, {"x": "y"}], "n": None} and type(parsed.to_py()) is dict
    with pytest.raises(JsException) as info:
        js.JSON.parse("{nope")
    assert info.value.name == "SyntaxError"
    with pytest.raises(JsException, match=r"^TypeError: JSON\.stringify cannot serialize a value of type object\.$"):
        js.JSON.stringify(object())


def test_object_from_entries():
    assert js.Object.fromEntries([["a", 1], ("b", 2)]) == {"a": 1, "b": 2}
    assert js.Object.fromEntries([["a", 1]]).a == 1
    assert js.Object.fromEntries({"c": 3}.items()).to_py() == {"c": 3}


def test_date():
    before = datetime.datetime.now(datetime.UTC).timestamp() * 1000
    now = js.Date.now()
    assert isinstance(now, int) and before - 1 <= now <= before + 1000
    date = js.Date.new(1_700_000_000_123)
    assert (date.getTime(), date.valueOf(), date.toISOString()) == (
        1_700_000_000_123,
        1_700_000_000_123,
        "2023-11-14T22:13:20.123Z",
    )
    assert date.to_py() == datetime.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=datetime.UTC)
    assert js.Date.new("2024-01-02T03:04:05Z").getTime() == 1_704_164_645_000
    assert js.JSON.stringify({"at": date}) == '{"at":"2023-11-14T22:13:20.123Z"}'
    with pytest.raises(JsException, match="RangeError: Invalid time value"):
        js.Date.new("not a date").toISOString()


def test_error_is_the_one_js_exception_class():
    error = js.Error.new("boom")
    assert type(error) is JsException and (error.name, error.message, str(error)) == ("Error", "boom", "Error: boom")
    assert error.stack.startswith("Error: boom\n")
    assert type(js.Error("called")) is JsException
    js.Error.stackTraceLimit = 1e10  # as django-cf does
    assert js.Error.stackTraceLimit == 1e10


def test_response_headers_url():
    response = js.Response.new(b"bytes", {"status": 404, "statusText": "Gone away", "headers": [["a", "b"]]})
    assert type(response) is Response and (response.status, response.status_text, response.headers.get("a")) == (
        404,
        "Gone away",
        "b",
    )
    assert js.Response.json({"ok": True}).headers.get("content-type") == "application/json"
    assert js.Response.redirect("https://example.com/", 301).headers.get("location") == "https://example.com/"
    assert js.Headers.new([["X-A", "1"]]) == Headers({"x-a": "1"})
    url = js.URL.new("/path/x?q=1&q=2#top", "https://user:pw@Example.com:443/base")
    assert [url.href, url.origin, url.host, url.port, url.pathname, url.search, url.hash] == [
        "https://user:pw@example.com/path/x?q=1&q=2#top",
        "https://example.com",
        "example.com",
        "",
        "/path/x",
        "?q=1&q=2",
        "#top",
    ]
    assert (url.searchParams.get("q"), url.searchParams.getAll("q"), url.searchParams.get("z")) == (
        "1",
        ["1", "2"],
        None,
    )
    assert js.URL.new("http://localhost:8787").toString() == "http://localhost:8787/"
    with pytest.raises(JsException, match="TypeError: Invalid URL: nope"):
        js.URL.new("nope")


def test_console_outside_a_printer_scope_uses_the_worker_name(capsys):
    token = current_worker.set(WorkerScope("solo", None, lambda awaitable: None))
    try:
        js.console.info("hi", 2.5, math.inf)
    finally:
        current_worker.reset(token)
    assert capsys.readouterr().out == "[solo] hi 2.5 Infinity\n"
