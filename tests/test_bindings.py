from __future__ import annotations

import io
import re

import httpx
import pytest

from pyworker import testing
from pyworker.errors import BindingError, WorkerLoadError
from pyworker.runtime.jsvalues import JsException
from tests.conftest import FIXTURES

pytestmark = pytest.mark.anyio


def client_for(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost:8787")


async def test_seed_rpc_and_fetch():
    async with testing.dev([FIXTURES / "seed/worker_a", FIXTURES / "seed/worker_b"], output=io.StringIO()) as dev:
        assert (await dev.fetch("worker_a", "/")).text == "3"
        reply = await dev.fetch("worker_a", "/forward/x?y=1", method="POST", content=b"hello")
    assert reply.status_code == 200
    assert reply.text == "worker_b got POST http://localhost:8787/forward/x?y=1 with body 'hello'"


CALLEE = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        body = await request.bytes()
        return Response.json(
            {
                "method": request.method,
                "url": request.url,
                "header": request.headers.get("X-Custom"),
                "body": body.decode(),
                "props": self.ctx.props,
            },
            status=201,
            headers={"x-from": "callee"},
        )

    async def add(self, a, b):
        return a + b

    async def arguments(self, *args):
        return list(args)

    def sync_double(self, x):
        return x * 2

    async def fail(self, message):
        raise ValueError(message)

    async def props(self):
        return self.ctx.props


class Named(WorkerEntrypoint):
    async def hello(self, name, punctuation="!"):
        return f"hello {name}{punctuation} from Named with {self.ctx.props}"

    async def fetch(self):
        return Response("Named fetch takes no arguments")
"""

CALLER_CONFIG = """
name = "caller"
main = "src/entry.py"
vars = { GREETING = "hi", LIMIT = 5 }
services = [
  { binding = "CALLEE", service = "callee" },
  { binding = "NAMED", service = "callee", entrypoint = "Named", props = { tenant = "acme" } },
  { binding = "MISSING", service = "ghost" },
  { binding = "NO_SUCH_ENTRY", service = "callee", entrypoint = "Nope" },
]
"""

CALLER = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await self.env.CALLEE.fetch(
            "https://callee/echo?q=1", method="PUT", headers={"X-Custom": "yes"}, body="payload"
        )
"""


@pytest.fixture
def pair(write_worker, make_server):
    callee = write_worker("callee", {"src/entry.py": CALLEE})
    caller = write_worker("caller", {"src/entry.py": CALLER}, config=CALLER_CONFIG)
    return make_server(caller, callee)


async def test_rpc_calls_methods_with_args_and_kwargs(pair):
    env = pair.worker("caller").env
    assert await env.CALLEE.add(1, 2) == 3
    assert await env.CALLEE.sync_double(21) == 42
    assert await env.NAMED.hello("bob", "?") == "hello bob? from Named with {'tenant': 'acme'}"


async def test_keyword_arguments_arrive_as_one_trailing_dict_with_a_hint_once(pair, output):
    env = pair.worker("caller").env
    assert await env.CALLEE.arguments(1, b=2, c="x") == [1, {"b": 2, "c": "x"}]
    assert await env.CALLEE.arguments(a=1) == [{"a": 1}]
    with pytest.raises(JsException, match=r"missing 1 required positional argument: 'b'"):
        await env.CALLEE.add(a="x", b="y")  # add({"a": "x", "b": "y"}), as on Cloudflare
    hints = [line for line in output.lines() if "keyword arguments" in line]
    assert hints == [
        "[caller] hint: self.env.CALLEE.arguments(b=..., c=...) passes keyword arguments; over RPC they reach the "
        "callee as one trailing dict, arguments(..., {'b': ..., 'c': ...}), as on Cloudflare. Pass them "
        "positionally, or let the method take that dict.",
        "[caller] hint: self.env.CALLEE.add(a=..., b=...) passes keyword arguments; over RPC they reach the "
        "callee as one trailing dict, add(..., {'a': ..., 'b': ...}), as on Cloudflare. Pass them "
        "positionally, or let the method take that dict.",
    ]


async def test_rpc_requires_await(pair):
    call = pair.worker("caller").env.CALLEE.add(1, 2)
    assert not isinstance(call, int)
    assert await call == 3


async def test_default_entrypoint_gets_empty_props(pair):
    assert await pair.worker("caller").env.CALLEE.props() == {}


async def test_fetch_binding_delivers_method_url_headers_and_body(pair):
    async with client_for(pair.app("caller")) as client:
        reply = await client.get("/")
    assert reply.status_code == 201
    assert reply.headers["x-from"] == "callee"
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == {
        "method": "PUT",
        "url": "https://callee/echo?q=1",
        "header": "yes",
        "body": "payload",
        "props": {},
    }


async def test_fetch_of_named_entrypoint_with_zero_arg_fetch(pair):
    reply = await pair.worker("caller").env.NAMED.fetch("https://callee/")
    assert reply.status == 200
    assert await reply.text() == "Named fetch takes no arguments"


@pytest.mark.parametrize(
    ("binding", "message"),
    [
        (
            "MISSING",
            'Worker "ghost" is not running: start it in this pyworker dev, '
            "or in another pyworker dev or wrangler dev on this machine.",
        ),
        ("NO_SUCH_ENTRY", 'Worker "callee" does not export an entrypoint named "Nope".'),
    ],
)
async def test_binding_that_cannot_reach_its_target(pair, binding, message):
    env = pair.worker("caller").env
    assert hasattr(env, binding)  # still on env, as in production
    with pytest.raises(BindingError) as info:
        await getattr(env, binding).add(1, 2)
    assert str(info.value) == message
    reply = await getattr(env, binding).fetch("https://target/")
    assert reply.status == 503
    assert await reply.text() == message


async def test_unknown_and_private_methods_are_refused(pair):
    env = pair.worker("caller").env
    for name in ("nope", "_private", "connect", "env", "ctx"):
        with pytest.raises(JsException) as info:
            await getattr(env.CALLEE, name)()
        assert (info.value.name, info.value.message) == (
            "TypeError",
            f'The RPC receiver does not implement the method "{name}".',
        )


async def test_callee_exception_reaches_caller_and_is_printed_under_callee(pair, output):
    with pytest.raises(JsException) as info:
        await pair.worker("caller").env.CALLEE.fail("bad input")
    assert (info.value.name, info.value.message) == ("Error", "PythonError: ValueError: bad input")
    assert str(info.value) == "Error: PythonError: ValueError: bad input"
    lines = output.lines()
    assert "[callee] ValueError: bad input" in lines
    assert any(line.startswith("[callee] Traceback") for line in lines)


async def test_env_holds_only_declared_values(pair):
    caller_env = pair.worker("caller").env
    callee_env = pair.worker("callee").env
    assert caller_env.GREETING == "hi"
    assert caller_env.LIMIT == 5
    assert not hasattr(callee_env, "CALLEE")
    assert not hasattr(callee_env, "GREETING")
    assert not hasattr(caller_env, "callee")


async def test_worker_exception_is_a_500_and_server_keeps_serving(write_worker, make_server, output):
    directory = write_worker(
        "err",
        {
            "src/entry.py": """
                from workers import Response, WorkerEntrypoint

                class Default(WorkerEntrypoint):
                    async def fetch(self, request):
                        if request.url.endswith("/boom"):
                            raise ValueError("boom")
                        if request.url.endswith("/wrong"):
                            return "not a response"
                        return Response("fine")
            """
        },
    )
    server = make_server(directory)
    async with client_for(server.app("err")) as client:
        boom = await client.get("/boom")
        wrong = await client.get("/wrong")
        fine = await client.get("/")
    assert (boom.status_code, boom.text) == (500, "ValueError: boom")
    assert wrong.status_code == 500
    assert wrong.text == "TypeError: fetch() returned str, expected a workers.Response."
    assert (fine.status_code, fine.text) == (200, "fine")
    lines = output.lines()
    assert "[err] ValueError: boom" in lines
    assert any(re.fullmatch(r"\[err\] GET /boom 500 Internal Server Error \(\d+ms\)", line) for line in lines)
    assert any(re.fullmatch(r"\[err\] GET / 200 OK \(\d+ms\)", line) for line in lines)
    # Our own frames are left out of the traceback the user sees.
    assert not any("pyworker/worker.py" in line for line in lines)


async def test_legacy_on_fetch_and_missing_fetch(write_worker, make_server):
    legacy = write_worker(
        "legacy",
        {
            "src/entry.py": """
                from workers import Response

                async def on_fetch(request, env):
                    return Response(f"legacy {env.NAME}")
            """
        },
        config='name = "legacy"\nmain = "src/entry.py"\nvars = { NAME = "ok" }\n',
    )
    rpc_only = write_worker(
        "rpc_only",
        {
            "src/entry.py": """
                from workers import WorkerEntrypoint

                class Default(WorkerEntrypoint):
                    def ping(self):
                        return "pong"
            """
        },
    )
    server = make_server(legacy, rpc_only)
    async with client_for(server.app("legacy")) as client:
        assert (await client.get("/")).text == "legacy ok"
    async with client_for(server.app("rpc_only")) as client:
        reply = await client.get("/")
    assert reply.status_code == 500
    assert reply.text == (
        'TypeError: Handler does not export a fetch() function (worker "rpc_only"). '
        "Define async def fetch(self, request) on a WorkerEntrypoint class named Default."
    )


async def test_wait_until_runs_after_response_and_errors_are_logged(write_worker, make_server, output):
    directory = write_worker(
        "bg",
        {
            "src/entry.py": """
                import asyncio
                from workers import Response, WorkerEntrypoint
                import store

                class Default(WorkerEntrypoint):
                    async def fetch(self, request):
                        self.ctx.wait_until(self.record())
                        self.ctx.waitUntil(self.explode())
                        return Response("sent")

                    async def record(self):
                        await asyncio.get_running_loop().run_in_executor(None, lambda: None)
                        store.done.append("recorded")

                    async def explode(self):
                        raise RuntimeError("background failure")

                    def done(self):
                        return store.done
            """,
            "src/store.py": "done = []\n",
        },
    )
    server = make_server(directory)
    worker = server.worker("bg")
    async with client_for(server.app("bg")) as client:
        assert (await client.get("/")).text == "sent"
    await worker.stop()  # waits for ctx.wait_until work: nothing is lost on shutdown
    assert worker.state.value == "stopped"
    assert worker.code.module.store.done == ["recorded"]
    assert "[bg] ctx.wait_until() task failed:" in output.lines()
    assert "[bg] RuntimeError: background failure" in output.lines()


async def test_worker_that_failed_to_load_answers_500_and_others_serve(write_worker, make_server, output):
    broken = write_worker("broken", {"src/entry.py": "def oops(:\n"})
    caller = write_worker(
        "uses_broken",
        {
            "src/entry.py": """
                from workers import Response, WorkerEntrypoint

                class Default(WorkerEntrypoint):
                    async def fetch(self):
                        return Response(str(await self.env.B.anything()))
            """
        },
        config='name = "uses_broken"\nmain = "src/entry.py"\nservices = [{ binding = "B", service = "broken" }]\n',
    )
    server = make_server(broken, caller)
    assert server.worker("broken").state.value == "failed"
    async with client_for(server.app("broken")) as client:
        reply = await client.get("/")
    assert reply.status_code == 500
    assert reply.text.startswith("broken: SyntaxError in ")
    with pytest.raises(WorkerLoadError, match=r"^broken: SyntaxError in "):
        await server.worker("uses_broken").env.B.anything()
    assert any(line.startswith("[broken] broken: SyntaxError in ") for line in output.lines())


async def test_fastapi_through_asgi_fetch(write_worker, make_server):
    directory = write_worker(
        "api",
        {
            "src/entry.py": """
                from fastapi import FastAPI, Request
                from workers import WorkerEntrypoint
                import asgi

                app = FastAPI()

                @app.get("/items/{item_id}")
                async def item(item_id: int, request: Request, q: str = ""):
                    env = request.scope["env"]
                    return {"id": item_id, "q": q, "sum": await env.CALLEE.add(item_id, 1), "var": env.MODE}

                @app.post("/echo")
                async def echo(payload: dict):
                    return payload

                class Default(WorkerEntrypoint):
                    async def fetch(self, request):
                        return await asgi.fetch(app, request, self.env)
            """
        },
        config='name = "api"\nmain = "src/entry.py"\nvars = { MODE = "dev" }\n'
        'services = [{ binding = "CALLEE", service = "callee" }]\n',
    )
    callee = write_worker("callee", {"src/entry.py": CALLEE})
    server = make_server(directory, callee)
    async with client_for(server.app("api")) as client:
        item = await client.get("/items/41?q=x")
        echo = await client.post("/echo", json={"a": [1, 2]})
        missing = await client.get("/nope")
    assert item.json() == {"id": 41, "q": "x", "sum": 42, "var": "dev"}
    assert echo.json() == {"a": [1, 2]}
    assert missing.status_code == 404


async def test_workers_env_and_wait_until_module_helpers(write_worker, make_server):
    directory = write_worker(
        "mod",
        {
            "src/entry.py": """
                import workers
                from workers import Response, WorkerEntrypoint

                class Default(WorkerEntrypoint):
                    async def fetch(self):
                        return Response(workers.env.WHO)
            """
        },
        config='name = "mod"\nmain = "src/entry.py"\nvars = { WHO = "module env" }\n',
    )
    server = make_server(directory)
    async with client_for(server.app("mod")) as client:
        assert (await client.get("/")).text == "module env"


async def test_uncaught_rpc_error_in_caller_is_a_500_naming_it(write_worker, make_server, output):
    directory = write_worker(
        "lonely",
        {
            "src/entry.py": """
                from workers import Response, WorkerEntrypoint

                class Default(WorkerEntrypoint):
                    async def fetch(self):
                        return Response(str(await self.env.GHOST.add(1, 2)))
            """
        },
        config='name = "lonely"\nmain = "src/entry.py"\nservices = [{ binding = "GHOST", service = "ghost" }]\n',
    )
    server = make_server(directory)
    async with client_for(server.app("lonely")) as client:
        reply = await client.get("/")
    assert reply.status_code == 500
    assert (
        reply.text == 'BindingError: Worker "ghost" is not running: start it in this pyworker dev, '
        "or in another pyworker dev or wrangler dev on this machine."
    )
    assert any(line.startswith("[lonely] Traceback") for line in output.lines())


async def test_fetch_binding_hands_the_callee_its_own_request(write_worker, make_server):
    callee = write_worker(
        "mutator",
        {
            "src/entry.py": """
                from workers import Response, WorkerEntrypoint

                class Default(WorkerEntrypoint):
                    async def fetch(self, request):
                        request.js_object.headers.set("x-touched", "by callee")
                        return Response(await request.text())
            """
        },
    )
    caller = write_worker(
        "forwarder",
        {
            "src/entry.py": """
                from workers import Response, WorkerEntrypoint

                class Default(WorkerEntrypoint):
                    async def fetch(self, request):
                        reply = await self.env.M.fetch(request)
                        seen = [await reply.text(), request.headers.get("x-touched"), request.body_used]
                        return Response.json(seen)
            """
        },
        config='name = "forwarder"\nmain = "src/entry.py"\nservices = [{ binding = "M", service = "mutator" }]\n',
    )
    server = make_server(caller, callee)
    async with client_for(server.app("forwarder")) as client:
        reply = await client.post("/", content=b"body")
    assert reply.json() == ["body", None, True]


async def test_sys_exit_never_stops_the_server(write_worker, make_server):
    at_import = write_worker("quits", {"src/entry.py": "import sys\nsys.exit(3)\n"})
    at_request = write_worker(
        "exits",
        {
            "src/entry.py": """
                import sys
                from workers import WorkerEntrypoint

                class Default(WorkerEntrypoint):
                    async def fetch(self):
                        sys.exit("bye")
            """
        },
    )
    server = make_server(at_import, at_request)
    assert server.worker("quits").state.value == "failed"
    error = server.worker("quits").error
    assert error.startswith("quits: importing the worker failed in ")
    assert error.endswith("src/entry.py, line 2: SystemExit: 3")
    async with client_for(server.app("exits")) as client:
        reply = await client.get("/")
    assert (reply.status_code, reply.text) == (500, "SystemExit: bye")


def test_every_binding_kind_is_one_provider_and_none_is_also_called_unsupported():
    from pyworker.bindings.env import PROVIDERS
    from pyworker.config.resolve import UNSUPPORTED_BINDINGS

    keys = [provider.KEY for provider in PROVIDERS]
    assert len(keys) == len(set(keys))
    assert not set(keys) & set(UNSUPPORTED_BINDINGS)
    for kind in PROVIDERS:
        provider = kind.provider()  # the module, imported when a config has the kind's key
        assert provider.KEY == kind.KEY
        assert callable(provider.build) and callable(provider.describe)
