"""The SDK's surface as worker code meets it: module layout, Request/Response/FormData/Blob, workers.env,
patch_env, import_from_javascript, and the ASGI/WSGI adapters' entrypoints and options."""

from __future__ import annotations

import json

import httpx
import pytest

pytestmark = pytest.mark.anyio


def client_for(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")


LAYOUT = """
import asgi
import workers
import workers.asgi
import workers.blob
import workers.entrypoints
import workers.fetch
import workers.formdata
import workers.gateway
import workers.gateway.options
import workers.request
import workers.response
import workers.rpc
import workers.types
import workers.utils
import workers.workflows
import workers.wsgi
from workers import Response, WorkerEntrypoint
from workers.rpc import JsDict, _BindingWrapper, _EnvWrapper, _FetcherWrapper
from workers.workflows import NonRetryableError

AT_IMPORT = {"name": workers.env.NAME}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response.json({
            "asgi_is_workers_asgi": asgi is workers.asgi,
            "env_wrapper": isinstance(self.env, _EnvWrapper),
            "fetcher": isinstance(self.env.SELF, _FetcherWrapper),
            "binding_wrapper": isinstance(self.env.SELF, _BindingWrapper),
            "non_retryable": issubclass(NonRetryableError, Exception),
            "at_import": AT_IMPORT,
            "workers_env": workers.env.NAME,
            "cloudflare_workers": workers.import_from_javascript("cloudflare:workers").env.NAME,
            "patched": self.patched(),
            "after_patch": workers.env.NAME,
            "all": sorted(name for name in workers.__all__ if name != "env"),
        })

    def patched(self):
        with workers.patch_env(NAME="patched", EXTRA=1):
            return [workers.env.NAME, workers.env.EXTRA]
"""


async def test_the_module_layout_and_module_level_env_of_the_sdk(write_worker, make_server):
    directory = write_worker(
        "layout",
        {"src/entry.py": LAYOUT},
        config='name = "layout"\nmain = "src/entry.py"\nvars = { NAME = "layout" }\n'
        'services = [{ binding = "SELF", service = "layout" }]\n',
    )
    server = make_server(directory)
    async with client_for(server.app("layout")) as client:
        reply = await client.get("/")
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body.pop("all") == sorted(
        ["Blob", "BlobEnding", "BlobValue", "Body", "Context", "DurableObject", "FetchKwargs",
         "FetchResponse", "File", "FormData", "FormDataValue", "Headers", "JSBody", "Request",
         "RequestInitCfProperties", "Response", "WorkerEntrypoint", "WorkflowEntrypoint", "fetch", "handler",
         "import_from_javascript", "patch_env", "python_from_rpc", "python_to_rpc", "waitUntil", "wait_until"]
    )  # fmt: skip
    assert body == {
        "asgi_is_workers_asgi": True,
        "env_wrapper": True,
        "fetcher": True,
        "binding_wrapper": True,
        "non_retryable": True,
        "at_import": {"name": "layout"},
        "workers_env": "layout",
        "cloudflare_workers": "layout",
        "patched": ["patched", 1],
        "after_patch": "layout",
    }


def test_import_from_javascript_names_what_it_provides():
    from pyworker.sdk.workers.utils import import_from_javascript

    with pytest.raises(ImportError, match=r"^Failed to import 'cloudflare:sockets': pyworker runs no JavaScript"):
        import_from_javascript("cloudflare:sockets")


def test_workers_env_outside_worker_code_says_where_it_works():
    from pyworker.sdk.envaccess import current_env

    with pytest.raises(RuntimeError, match=r"^workers.env is only available in worker code"):
        current_env()


REQUESTS = """
from http import HTTPMethod

from workers import Blob, File, FormData, Request, Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        copy = request.clone()
        buffer = await copy.buffer()
        blob = await request.clone().blob()
        made = Request("https://example.com/x", method="patch")
        return Response.json({
            "method_is_enum": request.method is HTTPMethod.POST,
            "method_eq_str": request.method == "POST",
            "buffer": [buffer.to_bytes().decode(), bytes(buffer.to_memoryview()).decode(), buffer.byteLength],
            "blob": [blob.size, blob.content_type, await blob.text()],
            "made_method": str(made.method),
            "cf": made.cf,
            "text": await request.text(),
        })
"""


async def test_request_methods_of_the_sdk(write_worker, make_server):
    server = make_server(write_worker("req", {"src/entry.py": REQUESTS}))
    async with client_for(server.app("req")) as client:
        reply = await client.post("/", content=b"hello", headers={"content-type": "text/plain"})
    assert reply.json() == {
        "method_is_enum": True,
        "method_eq_str": True,
        "buffer": ["hello", "hello", 5],
        "blob": [5, "text/plain", "hello"],
        "made_method": "PATCH",
        "cf": None,
        "text": "hello",
    }


def test_response_methods_of_the_sdk():
    import asyncio

    from pyworker.runtime.http import Response

    async def scenario() -> None:
        made = Response.from_json({"a": 1}, status=201, headers={"x-a": "1"})
        assert (made.status, made.headers["content-type"], made.headers["x-a"]) == (201, "application/json", "1")
        assert await made.clone().json() == {"a": 1}
        assert (await made.clone().memoryview()).tobytes() == b'{"a": 1}'
        assert await made.clone().string() == '{"a": 1}'
        replaced = made.replace_body("other")
        assert (replaced.status, await replaced.text()) == (201, "other")
        assert (made.ok, made.type, made.redirected) == (True, "default", False)
        assert (await made.blob()).content_type == "application/json"
        with pytest.raises(OSError, match=r"^404 Client Error: Not Found for url: $"):
            Response("x", 404).raise_for_status()
        with pytest.raises(OSError, match=r"^503 Server Error: Service Unavailable"):
            Response("x", 503).raise_for_status()
        Response("x", 200).raise_for_status()

    asyncio.run(scenario())


def test_form_data_is_a_mutable_mapping_as_in_the_sdk():
    from pyworker.runtime.blob import Blob, File
    from pyworker.runtime.formdata import FormData

    form = FormData({"a": "1"})
    form.append("a", "2")
    form.append("upload", Blob([b"abc"], "text/plain"), filename="a.txt")
    assert list(form) == ["a", "a", "upload"]
    assert form["a"] == "1"
    assert form.get_all("a") == ["1", "2"]
    upload = form["upload"]
    assert isinstance(upload, File) and (upload.name, upload.content_type, upload.size) == ("a.txt", "text/plain", 3)
    form["a"] = "3"
    assert form.get_all("a") == ["3"]
    form.delete("upload")
    del form["a"]
    assert list(form) == [] and "a" not in form
    with pytest.raises(TypeError, match=r"^object of type 'generator' has no len\(\)$"):
        len(form)  # the SDK's FormData.__len__ takes len() of a generator
    with pytest.raises(TypeError, match=r"^Expected single item"):
        form["x"] = ["1", "2"]


def test_blob_and_file_as_in_the_sdk():
    import asyncio

    from pyworker.runtime.blob import Blob, File

    blob = Blob(["ab", b"cd", Blob("ef")], content_type="Text/Plain")
    assert (blob.size, blob.content_type) == (6, "text/plain")
    assert asyncio.run(blob.slice(1, 3).bytes()) == b"bc"
    assert asyncio.run(Blob("single").text()) == "single"
    file = File(blob, "f.txt", last_modified=5)
    assert (file.name, file.content_type, file.last_modified, file.size) == ("f.txt", "text/plain", 5, 6)
    with pytest.raises(TypeError, match=r"^Don't know how to handle <class 'int'> for Blob"):
        Blob([1])


ASGI_APP = """
from fastapi import FastAPI

import asgi
from workers import WorkerEntrypoint

app = FastAPI()


@app.get("/name")
async def name(env=asgi.env):
    return {"name": env.NAME}


Default = asgi.entrypoint(app, options=asgi.Options(encode_body="manual"))
"""

WSGI_APP = """
from flask import Flask, request

from workers import wsgi

app = Flask(__name__)


@app.route("/name")
def name():
    return {"name": request.environ["workers.env"].NAME}


Default = wsgi.entrypoint(app)
"""


@pytest.mark.parametrize(("name", "code"), [("fastapi_app", ASGI_APP), ("flask_app", WSGI_APP)])
async def test_asgi_and_wsgi_entrypoints_and_the_env_dependency(write_worker, make_server, name, code):
    directory = write_worker(
        name, {"src/entry.py": code}, config=f'name = "{name}"\nmain = "src/entry.py"\nvars = {{ NAME = "{name}" }}\n'
    )
    server = make_server(directory)
    async with client_for(server.app(name)) as client:
        reply = await client.get("/name")
    assert (reply.status_code, json.loads(reply.text)) == (200, {"name": name})


def test_asgi_options_check_their_values():
    from pyworker.sdk.workers.asgi import Options

    assert Options().response_init() == {}
    assert Options(encode_body="manual").response_init() == {"encodeBody": "manual"}
    with pytest.raises(ValueError, match=r"^encode_body must be one of"):
        Options(encode_body="sometimes")  # type: ignore[arg-type]
