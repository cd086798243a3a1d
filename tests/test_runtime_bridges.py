"""asgi_bridge.fetch (FastAPI, Starlette), wsgi_bridge.fetch (Flask) and outbound.fetch (a local server)."""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import socket
import sys
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import flask
import pytest
from fastapi import FastAPI
from fastapi import Request as FastAPIRequest
from fastapi import Response as FastAPIResponse
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.responses import Response as StarletteResponse
from starlette.routing import Route

from pyworker.runtime import asgi_bridge, outbound, wsgi_bridge
from pyworker.runtime.http import Request, Response

T = TypeVar("T")
BASE = "https://worker.test"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


class Boom(Exception):
    """Raised by the apps under test."""


class Item(BaseModel):
    name: str
    price: float


@dataclass
class Env:
    NAME: str = "test-env"
    seen: list[Any] = field(default_factory=list)


# --- FastAPI through asgi_bridge ----------------------------------------------------------------


def make_fastapi(startups: list[str]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        startups.append("startup")
        yield {"greeting": f"hello #{len(startups)}"}

    app = FastAPI(lifespan=lifespan)

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    @app.get("/items/{item_id}")
    async def read_item(item_id: int, q: str | None = None) -> dict[str, Any]:
        return {"item_id": item_id, "q": q}

    @app.post("/items", status_code=201)
    async def create_item(item: Item) -> dict[str, Any]:
        return {"created": item.model_dump()}

    @app.get("/headers")
    async def headers(request: FastAPIRequest, response: FastAPIResponse) -> dict[str, Any]:
        response.headers["X-Out"] = "out-value"
        return {"x-in": request.headers.get("x-in"), "ua": request.headers.get("user-agent")}

    @app.get("/env")
    async def env(request: FastAPIRequest) -> dict[str, str]:
        scope_env = request.scope["env"]
        scope_env.seen.append(scope_env)
        return {"name": scope_env.NAME}

    @app.get("/state")
    async def state(request: FastAPIRequest) -> dict[str, str]:
        return {"greeting": request.state.greeting}

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for part in (b"one,", b"two,", b"three"):
                yield part

        return StreamingResponse(chunks(), media_type="text/csv")

    @app.get("/boom")
    async def boom() -> None:
        raise Boom("kaboom")

    @app.delete("/items/{item_id}", status_code=204)
    async def delete_item(item_id: int) -> None:
        return None

    return app


@pytest.fixture
def startups() -> list[str]:
    return []


@pytest.fixture
def app(startups: list[str]) -> FastAPI:
    return make_fastapi(startups)


def asgi(app: Any, url: str, env: Any = None, **options: Any) -> Response:
    """One request through the ASGI bridge, body left unread."""
    return run(asgi_bridge.fetch(app, Request(BASE + url, **options), env if env is not None else Env()))


async def asgi_text(app: Any, url: str, env: Any = None, **options: Any) -> tuple[Response, str]:
    response = await asgi_bridge.fetch(app, Request(BASE + url, **options), env if env is not None else Env())
    return response, await response.text()


def test_fastapi_get(app: FastAPI) -> None:
    response, text = run(asgi_text(app, "/hello"))
    assert response.status == 200
    assert response.status_text == "OK"
    assert response.headers["content-type"] == "application/json"
    assert json.loads(text) == {"hello": "world"}


def test_fastapi_path_params_and_query_string(app: FastAPI) -> None:
    response, text = run(asgi_text(app, "/items/42?q=two%20words"))
    assert response.status == 200
    assert json.loads(text) == {"item_id": 42, "q": "two words"}


def test_fastapi_path_param_validation_error(app: FastAPI) -> None:
    response, text = run(asgi_text(app, "/items/not-a-number"))
    assert response.status == 422
    assert json.loads(text)["detail"][0]["loc"] == ["path", "item_id"]


def test_fastapi_post_json_body_gets_201(app: FastAPI) -> None:
    response, text = run(
        asgi_text(
            app,
            "/items",
            method="POST",
            body=json.dumps({"name": "pen", "price": 1.5}),
            headers={"Content-Type": "application/json"},
        )
    )
    assert (response.status, response.status_text) == (201, "Created")
    assert json.loads(text) == {"created": {"name": "pen", "price": 1.5}}


def test_fastapi_headers_in_and_out(app: FastAPI) -> None:
    response, text = run(asgi_text(app, "/headers", headers={"X-In": "in-value", "User-Agent": "pytest"}))
    assert json.loads(text) == {"x-in": "in-value", "ua": "pytest"}
    assert response.headers["x-out"] == "out-value"
    assert response.headers["X-OUT"] == "out-value"


def test_fastapi_scope_env_is_the_env_passed(app: FastAPI) -> None:
    env = Env(NAME="mine")
    _, text = run(asgi_text(app, "/env", env=env))
    assert json.loads(text) == {"name": "mine"}
    assert len(env.seen) == 1
    assert env.seen[0] is env


def test_fastapi_unknown_route_is_404(app: FastAPI) -> None:
    response, text = run(asgi_text(app, "/nope"))
    assert (response.status, response.status_text, response.ok) == (404, "Not Found", False)
    assert json.loads(text) == {"detail": "Not Found"}


def test_fastapi_wrong_method_is_405(app: FastAPI) -> None:
    response = asgi(app, "/hello", method="PUT", body="x")
    assert response.status == 405


def test_fastapi_204_has_no_body(app: FastAPI) -> None:
    response = asgi(app, "/items/3", method="DELETE")
    assert response.status == 204
    assert response.body is None


def test_fastapi_lifespan_starts_once_across_two_calls(app: FastAPI, startups: list[str]) -> None:
    async def main() -> list[str]:
        first = await asgi_bridge.fetch(app, Request(BASE + "/state"), Env())
        second = await asgi_bridge.fetch(app, Request(BASE + "/state"), Env())
        return [await first.text(), await second.text()]

    assert run(main()) == ['{"greeting":"hello #1"}', '{"greeting":"hello #1"}']
    assert startups == ["startup"]


def test_fastapi_lifespan_starts_once_across_event_loops(app: FastAPI, startups: list[str]) -> None:
    assert asgi(app, "/hello").status == 200
    assert asgi(app, "/hello").status == 200
    assert startups == ["startup"]


def test_fastapi_lifespan_starts_once_for_concurrent_first_requests(app: FastAPI, startups: list[str]) -> None:
    async def main() -> list[int]:
        responses = await asyncio.gather(*(asgi_bridge.fetch(app, Request(BASE + "/state"), Env()) for _ in range(3)))
        return [response.status for response in responses]

    assert run(main()) == [200, 200, 200]
    assert startups == ["startup"]


def test_fastapi_streaming_response_is_streamed(app: FastAPI) -> None:
    async def main() -> tuple[Response, list[bytes]]:
        response = await asgi_bridge.fetch(app, Request(BASE + "/stream"), Env())
        assert response.body is not None and not response.body.buffered
        return response, [chunk async for chunk in response.body.chunks()]

    response, chunks = run(main())
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert b"".join(chunks) == b"one,two,three"


def test_fastapi_streaming_response_collected_with_text(app: FastAPI) -> None:
    response, text = run(asgi_text(app, "/stream"))
    assert (response.status, text) == (200, "one,two,three")


def test_fastapi_app_exception_propagates(app: FastAPI) -> None:
    with pytest.raises(Boom, match="kaboom"):
        run(asgi_text(app, "/boom"))


def test_fastapi_head_request_has_no_body(app: FastAPI) -> None:
    response = asgi(app, "/hello", method="HEAD")
    assert response.status == 405  # FastAPI adds no HEAD route for a GET one; the reply still has no body
    assert response.body is None


def test_fastapi_request_body_is_consumed(app: FastAPI) -> None:
    request = Request(BASE + "/items", method="POST", body='{"name": "a", "price": 1}')
    run(asgi_bridge.fetch(app, request, Env()))
    assert request.body_used


# --- Starlette and raw ASGI apps ---------------------------------------------------------------


def make_starlette(startups: list[str], fail_startup: bool = False) -> Starlette:
    async def home(request: StarletteRequest) -> PlainTextResponse:
        return PlainTextResponse(f"hi {request.path_params['name']} from {request.scope['env'].NAME}")

    async def echo(request: StarletteRequest) -> JSONResponse:
        body = await request.body()
        return JSONResponse(
            {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "body": body.decode(),
                "content_type": request.headers.get("content-type"),
            },
            status_code=201,
            headers={"X-Echo": "yes"},
        )

    async def cookies(request: StarletteRequest) -> StarletteResponse:
        response = StarletteResponse("ok")
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        return response

    async def state(request: StarletteRequest) -> PlainTextResponse:
        return PlainTextResponse(request.state.db)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, str]]:
        startups.append("startup")
        if fail_startup:
            raise Boom("no database")
        yield {"db": "connected"}

    return Starlette(
        routes=[
            Route("/hi/{name}", home),
            Route("/echo/{rest:path}", echo, methods=["POST", "PUT"]),
            Route("/cookies", cookies),
            Route("/state", state),
        ],
        lifespan=lifespan,
    )


def test_starlette_get_with_path_param_and_env(startups: list[str]) -> None:
    response, text = run(asgi_text(make_starlette(startups), "/hi/ada", env=Env(NAME="prod")))
    assert response.status == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert text == "hi ada from prod"


def test_starlette_post_body_path_and_query(startups: list[str]) -> None:
    response, text = run(
        asgi_text(
            make_starlette(startups),
            "/echo/a%20b/c?x=1&y=2",
            method="POST",
            body="payload",
        )
    )
    assert response.status == 201
    assert response.headers["x-echo"] == "yes"
    assert json.loads(text) == {
        "method": "POST",
        "path": "/echo/a b/c",
        "query": "x=1&y=2",
        "body": "payload",
        "content_type": "text/plain;charset=UTF-8",
    }


def test_starlette_repeated_response_headers_are_kept(startups: list[str]) -> None:
    response = asgi(make_starlette(startups), "/cookies")
    cookies = response.headers.get_all("set-cookie")
    assert [cookie.split(";")[0] for cookie in cookies] == ["a=1", "b=2"]


def test_starlette_lifespan_state_reaches_requests(startups: list[str]) -> None:
    app = make_starlette(startups)

    async def main() -> list[str]:
        texts = []
        for _ in range(2):
            _, text = await asgi_text(app, "/state")
            texts.append(text)
        return texts

    assert run(main()) == ["connected", "connected"]
    assert startups == ["startup"]


def test_lifespan_stays_open_between_requests_even_after_gc() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        events.append("startup")
        try:
            yield
        finally:
            events.append("closed")

    async def ok(request: StarletteRequest) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/", ok)], lifespan=lifespan)

    async def main() -> list[str]:
        await asgi_bridge.fetch(app, Request(BASE + "/"), Env())
        gc.collect()  # the lifespan task must be held strongly, or this closes the lifespan
        await asgi_bridge.fetch(app, Request(BASE + "/"), Env())
        return list(events)

    assert run(main()) == ["startup"]


def test_starlette_lifespan_failure_raises_and_is_retried(startups: list[str]) -> None:
    app = make_starlette(startups, fail_startup=True)
    with pytest.raises(RuntimeError, match="lifespan startup failed") as info:
        asgi(app, "/state")
    assert isinstance(info.value.__cause__, Boom)
    with pytest.raises(RuntimeError, match="lifespan startup failed"):
        asgi(app, "/state")
    assert startups == ["startup", "startup"]


def test_raw_asgi_app_without_lifespan_support() -> None:
    scopes: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http", "this app only speaks http"
        scopes.append(scope)
        message = await receive()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-raw", b"1")]})
        await send({"type": "http.response.body", "body": message["body"][::-1]})

    env = Env()
    response, text = run(asgi_text(app, "/p%C3%A5th?q=1", env=env, method="PUT", body=b"abc"))
    assert (response.status, text, response.headers["x-raw"]) == (200, "cba", "1")
    scope = scopes[0]
    assert scope["env"] is env
    assert (scope["method"], scope["scheme"], scope["path"]) == ("PUT", "https", "/p\u00e5th")
    assert (scope["raw_path"], scope["query_string"]) == (b"/p%C3%A5th", b"q=1")
    assert scope["server"] == ("worker.test", 443)


def test_raw_asgi_app_exception_before_responding_propagates() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            raise Boom("before start")

    with pytest.raises(Boom, match="before start"):
        asgi(app, "/")


def test_raw_asgi_app_that_never_responds_raises_runtime_error() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        return None

    with pytest.raises(RuntimeError, match="without sending a response"):
        asgi(app, "/")


def test_raw_asgi_app_exception_while_streaming_surfaces_on_read() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise Boom("mid-stream")

    with pytest.raises(Boom, match="mid-stream"):
        run(asgi_text(app, "/"))


def test_asgi_receive_reports_disconnect_after_the_response() -> None:
    received: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        received.append((await receive())["type"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})
        received.append((await receive())["type"])

    _, text = run(asgi_text(app, "/"))
    assert text == "done"
    assert received == ["http.request", "http.disconnect"]


# --- Flask through wsgi_bridge -----------------------------------------------------------------


def make_flask() -> flask.Flask:
    app = flask.Flask("pyworker_test_flask")

    @app.get("/hello")
    def hello() -> str:
        return f"hello {flask.request.args.get('name', 'nobody')}"

    @app.post("/items")
    def create() -> tuple[dict[str, Any], int, dict[str, str]]:
        payload = flask.request.get_json()
        return {"created": payload}, 201, {"X-Created": "1"}

    @app.post("/form")
    def form() -> dict[str, Any]:
        return {"fields": flask.request.form.to_dict(), "files": sorted(flask.request.files)}

    @app.get("/env")
    def env() -> str:
        workers_env = flask.request.environ["workers.env"]
        workers_env.seen.append(workers_env)
        return workers_env.NAME

    @app.get("/teapot")
    def teapot() -> flask.Response:
        response = flask.make_response("short and stout", 418)
        response.headers["X-Kind"] = "teapot"
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        return response

    @app.get("/empty")
    def empty() -> tuple[str, int]:
        return "", 204

    @app.get("/headers")
    def headers() -> dict[str, Any]:
        return {"x-in": flask.request.headers.get("X-In"), "host": flask.request.host}

    return app


def wsgi(app: Any, url: str, env: Any = None, **options: Any) -> tuple[Response, str]:
    async def main() -> tuple[Response, str]:
        response = await wsgi_bridge.fetch(app, Request(BASE + url, **options), env if env is not None else Env())
        return response, await response.text()

    return run(main())


def test_flask_get_with_query() -> None:
    response, text = wsgi(make_flask(), "/hello?name=ada")
    assert (response.status, response.status_text) == (200, "OK")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert text == "hello ada"


def test_flask_post_json_with_status_and_headers() -> None:
    response, text = wsgi(
        make_flask(),
        "/items",
        method="POST",
        body=json.dumps({"name": "pen"}),
        headers={"Content-Type": "application/json"},
    )
    assert (response.status, response.status_text) == (201, "CREATED")
    assert response.headers["x-created"] == "1"
    assert response.headers["content-type"] == "application/json"
    assert json.loads(text) == {"created": {"name": "pen"}}


def test_flask_form_post() -> None:
    _, text = wsgi(
        make_flask(),
        "/form",
        method="POST",
        body="a=1&b=two+words",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert json.loads(text) == {"fields": {"a": "1", "b": "two words"}, "files": []}


def test_flask_environ_workers_env_is_the_env_passed() -> None:
    env = Env(NAME="flask-env")
    _, text = wsgi(make_flask(), "/env", env=env)
    assert text == "flask-env"
    assert env.seen == [env]
    assert env.seen[0] is env


def test_flask_status_text_and_repeated_headers() -> None:
    response, text = wsgi(make_flask(), "/teapot")
    assert (response.status, response.status_text, response.ok) == (418, "I'M A TEAPOT", False)
    assert response.headers["x-kind"] == "teapot"
    assert [c.split(";")[0] for c in response.headers.get_all("set-cookie")] == ["a=1", "b=2"]
    assert text == "short and stout"


def test_flask_404() -> None:
    response, text = wsgi(make_flask(), "/missing")
    assert (response.status, response.status_text) == (404, "NOT FOUND")
    assert "Not Found" in text


def test_flask_204_has_no_body() -> None:
    response, _ = wsgi(make_flask(), "/empty")
    assert response.status == 204
    assert response.body is None


def test_flask_head_has_no_body() -> None:
    response, _ = wsgi(make_flask(), "/hello", method="HEAD")
    assert response.status == 200
    assert response.body is None


def test_flask_request_headers_and_host() -> None:
    _, text = wsgi(make_flask(), "/headers", headers={"X-In": "v"})
    assert json.loads(text) == {"x-in": "v", "host": "worker.test"}


def test_wsgi_environ_is_pep_3333() -> None:
    env = Env()
    request = Request("http://localhost:8787/a%20b?x=1", method="POST", headers={"X-Multi-Word": "1"})
    environ = wsgi_bridge.build_environ(request, env, b"body")
    assert environ["REQUEST_METHOD"] == "POST"
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"], environ["QUERY_STRING"]) == ("", "/a b", "x=1")
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == ("localhost", "8787")
    assert environ["wsgi.url_scheme"] == "http"
    assert environ["wsgi.input"].read() == b"body"
    assert environ["CONTENT_LENGTH"] == "4"
    assert environ["HTTP_X_MULTI_WORD"] == "1"
    assert environ["workers.env"] is env


def test_raw_wsgi_app_can_replace_status_with_exc_info() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("X-Stage", "first")])
        try:
            raise Boom("render failed")
        except Boom:
            start_response("500 Internal Server Error", [("X-Stage", "error")], sys.exc_info())
        return [b"error page"]

    response, text = wsgi(app, "/")
    assert (response.status, response.status_text, text) == (500, "Internal Server Error", "error page")
    assert response.headers["x-stage"] == "error"


def test_raw_wsgi_app_exc_info_after_body_reraises() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [])
        yield b"already sent"
        try:
            raise Boom("too late")
        except Boom:
            start_response("500 Internal Server Error", [], sys.exc_info())

    with pytest.raises(Boom, match="too late"):
        wsgi(app, "/")


def test_raw_wsgi_app_write_callable_and_close() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            yield b" and iterable"

        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Body:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written")
        return Body()

    _, text = wsgi(app, "/")
    assert text == "written and iterable"
    assert closed == [True]


def test_raw_wsgi_app_exception_propagates() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise Boom("wsgi failure")

    with pytest.raises(Boom, match="wsgi failure"):
        wsgi(app, "/")


def test_raw_wsgi_app_without_start_response_raises() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return [b"no status"]

    with pytest.raises(RuntimeError, match="start_response"):
        wsgi(app, "/")


# --- outbound.fetch against a local server -----------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Handler(BaseHTTPRequestHandler):
    seen: list[Seen]

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.seen.append(Seen(self.command, self.path, headers, body))  # type: ignore[attr-defined]
        if self.path.startswith("/redirect"):
            self._reply(302, b"", [("Location", "/echo?from=redirect")])
        elif self.path == "/empty":
            self._reply(204, None, [])
        else:
            reply = json.dumps({"method": self.command, "body": body.decode()}).encode()
            extra = [
                ("Content-Type", "application/json"),
                ("X-Reply", "yes"),
                ("Set-Cookie", "a=1"),
                ("Set-Cookie", "b=2"),
            ]
            self._reply(201, reply, extra)

    def _reply(self, status: int, body: bytes | None, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if body is not None:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _handle  # http.server's naming


class LocalServer:
    def __init__(self) -> None:
        # Bound and listening when the constructor returns: no readiness wait is needed.
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.seen = []  # type: ignore[attr-defined]
        # A short poll interval only makes shutdown() quick; requests are served as they arrive.
        serve = functools.partial(self.httpd.serve_forever, poll_interval=0.02)
        self.thread = threading.Thread(target=serve, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def seen(self) -> list[Seen]:
        return self.httpd.seen  # type: ignore[attr-defined,no-any-return]


@pytest.fixture(scope="module")
def running_server() -> Iterator[LocalServer]:
    local = LocalServer()
    local.thread.start()
    try:
        yield local
    finally:
        local.httpd.shutdown()
        local.httpd.server_close()
        local.thread.join()


@pytest.fixture
def server(running_server: LocalServer) -> LocalServer:
    running_server.seen.clear()
    return running_server


def test_outbound_sends_method_headers_body_and_reads_the_reply(server: LocalServer) -> None:
    async def main() -> tuple[Response, Any]:
        response = await outbound.fetch(
            server.url + "/echo?x=1", method="POST", headers={"X-Custom": "abc"}, body=b"ping"
        )
        return response, await response.json()

    response, data = run(main())
    (seen,) = server.seen
    assert (seen.method, seen.path, seen.body) == ("POST", "/echo?x=1", b"ping")
    assert seen.headers["x-custom"] == "abc"
    assert seen.headers["content-length"] == "4"
    assert (response.status, response.status_text, response.ok) == (201, "Created", True)
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-reply"] == "yes"
    assert response.headers.get_all("set-cookie") == ["a=1", "b=2"]
    assert data == {"method": "POST", "body": "ping"}
    assert response.url == server.url + "/echo?x=1"
    assert response.redirected is False


def test_outbound_accepts_a_request_object(server: LocalServer) -> None:
    request = Request(server.url + "/echo", method="PUT", body="text body")

    async def main() -> str:
        response = await outbound.fetch(request)
        return await response.text()

    assert json.loads(run(main())) == {"method": "PUT", "body": "text body"}
    assert server.seen[0].headers["content-type"] == "text/plain;charset=UTF-8"
    assert request.body_used


def test_outbound_get_sends_no_body(server: LocalServer) -> None:
    response = run(outbound.fetch(server.url + "/echo"))
    assert response.status == 201
    (seen,) = server.seen
    assert (seen.method, seen.body) == ("GET", b"")
    assert "content-length" not in seen.headers


def test_outbound_recomputes_host_and_content_length(server: LocalServer) -> None:
    proxied = {"Host": "localhost:8787", "Content-Length": "999", "X-Keep": "1"}
    run(outbound.fetch(server.url + "/echo", method="POST", headers=proxied, body="abc"))
    (seen,) = server.seen
    assert seen.headers["host"] == server.url.removeprefix("http://")
    assert seen.headers["content-length"] == "3"
    assert seen.body == b"abc"
    assert seen.headers["x-keep"] == "1"


def test_outbound_follows_redirects(server: LocalServer) -> None:
    response = run(outbound.fetch(server.url + "/redirect"))
    assert response.status == 201
    assert response.redirected is True
    assert response.url == server.url + "/echo?from=redirect"
    assert [seen.path for seen in server.seen] == ["/redirect", "/echo?from=redirect"]


def test_outbound_manual_redirect_returns_the_3xx(server: LocalServer) -> None:
    response = run(outbound.fetch(server.url + "/redirect", redirect="manual"))
    assert (response.status, response.headers["location"]) == (302, "/echo?from=redirect")
    assert response.body is None
    assert [seen.path for seen in server.seen] == ["/redirect"]


def test_outbound_204_has_no_body(server: LocalServer) -> None:
    response = run(outbound.fetch(server.url + "/empty"))
    assert (response.status, response.body) == (204, None)


def test_outbound_connection_refused_raises_os_error() -> None:
    # A bound socket that is not listening refuses connections, and nobody else can take the port.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        with pytest.raises(OSError, match=f"fetch\\(\\) to http://127.0.0.1:{port}/ failed"):
            run(outbound.fetch(f"http://127.0.0.1:{port}/"))


def test_outbound_fetcher_option_replaces_the_network() -> None:
    calls: list[Request] = []

    async def fetcher(request: Request) -> Response:
        calls.append(request)
        return Response(f"{request.method} {request.url} {await request.text()}")

    async def main() -> str:
        response = await outbound.fetch("https://svc.internal/x", method="POST", body="b", fetcher=fetcher)
        return await response.text()

    assert run(main()) == "POST https://svc.internal/x b"
    assert len(calls) == 1


def test_outbound_positional_options_raise_type_error() -> None:
    with pytest.raises(TypeError):
        run(outbound.fetch("https://example.com/", {"method": "POST"}))  # type: ignore[call-arg]
