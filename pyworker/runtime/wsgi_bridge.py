"""``workers.wsgi.fetch(app, request, env)``: run a WSGI app (Flask, Django) as the worker."""

from __future__ import annotations

import io
import sys
from typing import Any
from urllib.parse import unquote, urlsplit

from pyworker.runtime.blocking import run_in_thread
from pyworker.runtime.body import headers_of
from pyworker.runtime.headers import Headers
from pyworker.runtime.http import Request, Response
from pyworker.runtime.jswrapped import unwrap


async def fetch(app: Any, request: Request, env: Any, ctx: Any = None, encode_body: str = "automatic") -> Response:
    """Call ``app`` with a PEP 3333 environ; ``env`` is at ``environ["workers.env"]`` (and ``"env"``).

    The app runs in a thread of the worker's pool (:func:`~pyworker.runtime.blocking.run_in_thread`),
    so synchronous code in it may wait for the event loop with ``pyodide.ffi.run_sync``, as
    Django's ORM does through django-cf's D1 backend.
    """
    request = unwrap(request)  # a legacy on_fetch hands over the JavaScript Request
    body = await request.bytes() if request.body is not None else b""
    environ = build_environ(request, env, body)
    status_line, header_list, payload = await run_in_thread(_call, app, environ)
    code, _, reason = status_line.partition(" ")
    headers = Headers(header_list)
    headers.delete("content-length")
    status = int(code)
    no_body = status in (204, 205, 304) or request.method == "HEAD"
    response = Response(None if no_body else payload, status, reason, headers)
    response._encode_body = encode_body
    return response


def _call(app: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    started: list[Any] = []
    chunks: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        # PEP 3333: an error page may replace the status until body bytes exist ("headers sent").
        if exc_info is not None and any(chunks):
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, headers]
        return chunks.append

    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not started:
        raise RuntimeError("The WSGI app returned without calling start_response().")
    return started[0], started[1], b"".join(chunks)


def build_environ(request: Request, env: Any, body: bytes) -> dict[str, Any]:
    url = urlsplit(request.url)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(url.path or "/").encode().decode("latin-1"),
        "QUERY_STRING": url.query,
        "SERVER_NAME": url.hostname or "localhost",
        "SERVER_PORT": str(url.port or (443 if url.scheme == "https" else 80)),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "workers.env": env,
        "env": env,
    }
    for name, value in headers_of(request).items():
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
        elif name == "content-length":
            environ["CONTENT_LENGTH"] = value
        else:
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    if body and "CONTENT_LENGTH" not in environ:
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ
