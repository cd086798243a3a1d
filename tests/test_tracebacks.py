"""Tracebacks of worker errors: framework frames folded, the worker's own kept, names as users know them."""

from __future__ import annotations

import re
import traceback

import pytest

from pyworker.runtime.http import Request
from pyworker.tracebacks import fold, format_user_traceback, framework, public_name

FASTAPI_WORKER = """
from fastapi import FastAPI
from workers import WorkerEntrypoint
import asgi

app = FastAPI()

def lookup(name):
    return {"a": 1}[name]

@app.get("/items/{name}")
async def item(name: str):
    return {"value": lookup(name)}

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await asgi.fetch(app, request, self.env)
"""


def traceback_lines(output, worker):
    return [line[len(worker) + 3 :] for line in output.lines() if line.startswith(f"[{worker}] ")]


@pytest.mark.anyio
async def test_a_fastapi_error_folds_framework_frames_and_keeps_the_workers(write_worker, make_server, output):
    server = make_server(write_worker("api", {"src/entry.py": FASTAPI_WORKER}))
    response = await server.worker("api").fetch(Request("http://x/items/b"))
    assert response.status == 500
    lines = [line for line in traceback_lines(output, "api") if not line.startswith("state:")]
    start = lines.index("Traceback (most recent call last):")
    shown = lines[start:]
    folds = [line for line in shown if line.startswith("  [... ")]
    assert folds, shown
    assert all(re.fullmatch(r"  \[\.\.\. \d+ frames? in [a-z_]+(, [a-z_]+)* \.\.\.\]", line) for line in folds)
    assert any("starlette" in line or "fastapi" in line for line in folds)
    files = [line for line in shown if line.startswith('  File "')]
    assert all("site-packages" not in line and "/pyworker/" not in line for line in files), files
    assert [line.split(", in ")[-1] for line in files] == ["fetch", "item", "lookup"]
    assert shown[-1] == "KeyError: 'b'"
    assert len(shown) < 20


def test_runs_fold_to_one_line_each_and_leading_pyworker_frames_go(tmp_path):
    import pyworker

    ours = str(tmp_path / "pyworker_stand_in.py")
    site = "/venv/lib/python3.13/site-packages/"
    here = pyworker.__file__
    frames = [
        traceback.FrameSummary(here, 1, "invoke", lookup_line=False),
        traceback.FrameSummary(site + "starlette/routing.py", 2, "handle", lookup_line=False),
        traceback.FrameSummary(site + "fastapi/routing.py", 3, "app", lookup_line=False),
        traceback.FrameSummary(ours, 4, "item", lookup_line=False),
        traceback.FrameSummary(site + "django/db.py", 5, "execute", lookup_line=False),
        traceback.FrameSummary(ours, 6, "helper", lookup_line=False),
        traceback.FrameSummary(here, 7, "sdk_call", lookup_line=False),
    ]
    text = "".join(fold(frames).format())
    assert text == (
        "  [... 2 frames in starlette, fastapi ...]\n"
        f'  File "{ours}", line 4, in item\n'
        "  [... 1 frame in django ...]\n"
        f'  File "{ours}", line 6, in helper\n'
        "  [... 1 frame in pyworker ...]\n"
    )
    assert framework(site + "requests/api.py") is None


def test_sdk_exceptions_print_under_their_public_names():
    import pyworker.sdk.pyodide.ffi  # noqa: F401  (what worker code imports as pyodide.ffi)
    from pyworker.runtime.jsvalues import JsException as Internal

    assert public_name(Internal) == "pyodide.ffi.JsException"
    assert public_name(KeyError) is None
    try:
        raise Internal("TypeError", "x is not a function")
    except Internal as exc:
        last = format_user_traceback(exc)[-1]
    assert last.startswith("pyodide.ffi.JsException: ")
