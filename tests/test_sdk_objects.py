"""Workers that show the SDK's objects as deployed: headers copies, read-only fields, env, JSON vars,
request.cf, encode_body, and the warning for config keys pyworker ignores."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest
from click.testing import CliRunner

from pyworker.cli import main
from pyworker.config import load_config
from pyworker.config.cf import FALLBACK_CF
from pyworker.config.files import describe
from pyworker.errors import ConfigError

pytestmark = pytest.mark.anyio

HEADERS_WORKER = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        resp = Response("ok", headers={"X-Made": "1"})
        resp.headers["X-Lost"] = "1"
        resp.js_object.headers.set("X-Set", "2")
        resp.js_object.headers.append("Set-Cookie", "a=1")
        resp.js_object.headers.append("Set-Cookie", "b=2")
        h = request.headers
        h["x-two"] = "1"
        h["x-two"] = "2"
        seen = {
            "type": type(h).__name__,
            "two": h.get_all("x-two"),
            "missing": [h.get_all("x-none"), h["x-none"]],
            "ctype": request.headers.get_content_type(),
            "charset": request.headers.get_content_charset(),
            "fresh": "x-two" in request.headers,
            "cookies": resp.headers.get_all("set-cookie"),
        }
        resp.js_object.headers.set("X-Seen", repr(seen))
        return resp
"""


def client_for(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8787")


async def test_headers_are_fresh_httpmessage_copies_and_js_object_headers_are_sent(write_worker, make_server, output):
    server = make_server(write_worker("h", {"src/entry.py": HEADERS_WORKER}))
    async with client_for(server.app("h")) as client:
        reply = await client.get("/", headers={"content-type": "text/html; charset=latin-1"})
        await client.get("/")
    assert (reply.headers["x-made"], reply.headers["x-set"], "x-lost" in reply.headers) == ("1", "2", False)
    assert reply.headers.get_list("set-cookie") == ["a=1", "b=2"]
    seen = eval(reply.headers["x-seen"])
    assert seen == {
        "type": "HTTPMessageMapping",
        "two": ["1", "2"],
        "missing": [None, None],
        "ctype": "text/html",
        "charset": "latin-1",
        "fresh": False,
        "cookies": ["a=1", "b=2"],
    }
    hints = [line for line in output.lines() if "hint:" in line]
    assert hints == [
        "[h] hint: src/entry.py:7: changes the headers of a Response after it was made ('X-Lost'); "
        "response.headers is a copy made on each access, so the change is not sent, as on Cloudflare. "
        "Give headers to the constructor, Response(..., headers={...}), or change the response's own: "
        "response.js_object.headers.set(name, value)."
    ]


FIELDS_WORKER = """
from workers import Request, Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        errors = []
        resp = Response("x")
        for target, name, value in [(resp, "status", 404), (resp, "headers", {}), (resp, "ok", False),
                                    (resp, "url", "u"), (resp, "status_text", "t"), (resp, "body", None),
                                    (request, "url", "u"), (request, "method", "PUT"), (request, "cf", None),
                                    (request, "headers", {}), (request, "body", None)]:
            try:
                setattr(target, name, value)
            except AttributeError as exc:
                errors.append(str(exc))
        return Response.json(errors)
"""


async def test_request_and_response_fields_are_read_only_properties(write_worker, make_server):
    server = make_server(write_worker("f", {"src/entry.py": FIELDS_WORKER}))
    async with client_for(server.app("f")) as client:
        reply = await client.get("/")
    assert reply.json() == [
        f"property '{name}' of '{kind}' object has no setter"
        for kind, name in [("Response", "status"), ("Response", "headers"), ("Response", "ok"), ("Response", "url"),
                           ("Response", "status_text"), ("Response", "body"), ("Request", "url"),
                           ("Request", "method"), ("Request", "cf"), ("Request", "headers"), ("Request", "body")]
    ]  # fmt: skip


ENV_WORKER = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        errors = []
        for probe in (lambda: self.env["GREETING"], lambda: "GREETING" in self.env, lambda: list(self.env),
                      lambda: self.env.CONFIG["region"]):
            try:
                probe()
            except TypeError as exc:
                errors.append(str(exc))
        config = self.env.CONFIG
        values = [self.env.GREETING, config.region, config.limits.rps, config.tags[1], config.to_py(),
                  getattr(self.env, "MISSING", None), self.env.FLAG]
        return Response.json([errors, values])
"""


async def test_env_is_attribute_only_and_json_vars_are_javascript_objects(write_worker, make_server):
    config = (
        'name = "e"\nmain = "src/entry.py"\n'
        'vars = { GREETING = "hi", FLAG = true, CONFIG = { region = "eu", limits = { rps = 5 }, tags = ["a", "b"] } }\n'
    )
    server = make_server(write_worker("e", {"src/entry.py": ENV_WORKER}, config=config))
    async with client_for(server.app("e")) as client:
        reply = await client.get("/")
    hint = (
        'Read bindings and vars as attributes: self.env.X, or getattr(self.env, "X", None) for one that may be missing.'
    )
    assert reply.json() == [
        [
            f"'_EnvWrapper' object is not subscriptable. {hint}",
            f"argument of type '_EnvWrapper' is not iterable. {hint}",
            f"'_EnvWrapper' object is not iterable. {hint}",
            "'pyodide.ffi.JsProxy' object is not subscriptable",
        ],
        ["hi", "eu", 5, "b", {"region": "eu", "limits": {"rps": 5}, "tags": ["a", "b"]}, None, True],
    ]


CF_WORKER = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        cf = request.cf
        if request.url.endswith("/forward"):
            given = await self.env.SELF.fetch("https://self/given", cf={"colo": "LHR"})
            bare = await self.env.SELF.fetch("https://self/bare")
            return Response.json([await given.json(), await bare.json()])
        if cf is None:
            return Response.json(None)
        if request.url.endswith("/given"):
            return Response.json([cf.colo, getattr(cf, "country", None), cf.to_py()])
        return Response.json([cf.colo, cf.country, cf.botManagement.score, cf.to_py()])
"""


def _cf_worker(write_worker, name: str, extra: str = ""):
    config = f'name = "{name}"\nmain = "src/entry.py"\nservices = [{{ binding = "SELF", service = "{name}" }}]\n{extra}'
    return write_worker(name, {"src/entry.py": CF_WORKER}, config=config)


async def test_request_cf_has_wranglers_offline_values_and_bindings_carry_the_callers(write_worker, make_server):
    server = make_server(_cf_worker(write_worker, "c"))
    async with client_for(server.app("c")) as client:
        plain = (await client.get("/")).json()
        forwarded = (await client.get("/forward")).json()
    assert plain == ["DFW", "US", 99, FALLBACK_CF]
    assert plain[3]["city"] == "Austin" and plain[3]["tlsVersion"] == "TLSv1.3"
    assert forwarded[0] == ["LHR", None, {"colo": "LHR"}]
    assert forwarded[1] is None  # a request made by code has no cf unless given, as on Cloudflare


async def test_dev_cf_file_overrides_the_fallback_values(write_worker, make_server, tmp_path):
    directory = _cf_worker(write_worker, "d", '[dev]\ncf = "cf.json"\n')
    (directory / "cf.json").write_text(json.dumps({"country": "DE", "colo": "FRA"}))
    server = make_server(directory)
    async with client_for(server.app("d")) as client:
        reply = (await client.get("/")).json()
    assert reply[:3] == ["FRA", "DE", 99]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (None, "which does not exist."),
        (
            "{nope",
            "which is not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1).",
        ),
        ("[1]", 'which holds list, not a JSON object like {"country": "DE"}.'),
    ],
)
def test_a_bad_cf_file_is_one_clear_error(write_worker, text, problem):
    directory = _cf_worker(write_worker, "bad", '[dev]\ncf = "cf.json"\n')
    if text is not None:
        (directory / "cf.json").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(directory)
    assert str(info.value) == f"{describe(directory / 'wrangler.toml')}: dev.cf points to cf.json, {problem}"


def test_dev_cf_option_reads_its_file_or_says_what_is_wrong(tmp_path):
    missing = tmp_path / "nope.json"
    result = CliRunner().invoke(main, ["dev", str(tmp_path), "--cf", str(missing)])
    assert result.exit_code == 1
    assert result.output == f"Error: --cf points to {missing}, which does not exist.\n"


def test_every_config_key_pyworker_ignores_gets_a_warning(write_worker):
    config = (
        'name = "k"\nmain = "src/entry.py"\naccount_id = "abc"\n'
        '[triggers]\ncrons = ["*/5 * * * *"]\n[build]\ncommand = "make"\n[dev]\nport = 9000\ninspector_port = 9229\n'
    )
    directory = write_worker("k", {"src/entry.py": "x = 1\n"}, config=config)
    assert load_config(directory).warnings == (
        f"{describe(directory / 'wrangler.toml')}: pyworker does not act on these keys yet and ignores them: "
        "build.command, dev.inspector_port.",
    )


ENCODED_WORKER = """
import gzip
from workers import Response, WorkerEntrypoint
import asgi

async def app(scope, receive, send):
    await receive()
    body = gzip.compress(b"compressed by the app")
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-encoding", b"gzip")]})
    await send({"type": "http.response.body", "body": body})

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/manual"):
            return await asgi.fetch(app, request, self.env, options=asgi.Options(encode_body="manual"))
        if request.url.endswith("/empty"):
            return Response(None, 204, headers={"content-encoding": "gzip"})
        return Response("plain text", headers={"content-encoding": "gzip", "content-length": "10"})
"""


async def _raw(client: httpx.AsyncClient, path: str) -> tuple[dict[str, str], bytes]:
    async with client.stream("GET", path) as reply:
        return dict(reply.headers), b"".join([chunk async for chunk in reply.aiter_raw()])


async def test_encode_body_automatic_compresses_and_manual_sends_as_is(write_worker, make_server):
    server = make_server(write_worker("z", {"src/entry.py": ENCODED_WORKER}))
    async with client_for(server.app("z")) as client:
        headers, automatic = await _raw(client, "/")
        _, manual = await _raw(client, "/manual")
        empty = await client.get("/empty")
    assert (headers["content-encoding"], gzip.decompress(automatic)) == ("gzip", b"plain text")
    assert headers["content-length"] == str(len(automatic))
    assert gzip.decompress(manual) == b"compressed by the app"
    assert (empty.status_code, empty.content) == (204, b"")


def test_headers_arguments_are_what_the_sdks_to_js_headers_takes():
    from pyworker.sdk import workers

    with pytest.raises(TypeError, match=r"^'str' object is not callable$"):
        workers.Headers({"a": "1"})  # a type alias in the SDK
    made = workers.Response("x", headers=[("a", "1"), ("A", "2")])
    assert (made.headers.get_all("a"), made.headers["content-type"]) == (["1, 2"], "text/plain;charset=UTF-8")
    assert workers.Response("y", headers=made.js_object.headers).headers.get_all("a") == ["1, 2"]
    with pytest.raises(TypeError, match=r"^Received unexpected type for headers argument$"):
        workers.Response("z", headers=made.headers)  # an HTTPMessage, as the SDK refuses it
    with pytest.raises(TypeError, match=r"^Received unexpected type for headers argument$"):
        workers.Request("https://example.com/", headers=made.headers)
