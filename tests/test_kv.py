"""KV through ``self.env`` inside real workers: values, options as dicts or keyword arguments, limits, errors."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from pyworker.runtime.jsvalues import JsDict, JsException
from pyworker.runtime.wrappers import _BindingWrapper
from tests.conftest import FIXTURES

pytestmark = pytest.mark.anyio

WORKER = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        key = request.url.rsplit("/", 1)[1]
        await self.env.KV.put(key, "v-" + key)
        return Response("ok")

    async def attempt(self, method, *args, **kwargs):
        try:
            result = await getattr(self.env.KV, method)(*args, **kwargs)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        return show(result)


def show(value):
    if isinstance(value, memoryview):
        return ("memoryview", value.tobytes())
    if isinstance(value, dict):
        return {"class": type(value).__name__, **{k: show(v) for k, v in value.items()}}
    if isinstance(value, list):
        return [show(v) for v in value]
    if value is not None and not isinstance(value, (str, int, float, bool)):
        return type(value).__name__
    return value
"""

CONFIG = 'name = "{name}"\nmain = "src/entry.py"\nkv_namespaces = [{{ binding = "KV", id = "{id}" }}]\n'


@pytest.fixture
def kv(write_worker, make_server):
    server = make_server(write_worker("w", {"src/entry.py": WORKER}, CONFIG.format(name="w", id="ns1")))
    worker = server.worker("w")

    async def call(method: str, *args: Any, **kwargs: Any) -> Any:
        return await worker.call(None, "attempt", (method, *args), kwargs)

    call.server = server  # type: ignore[attr-defined]
    return call


async def test_cloudflare_example_02_binding(tmp_path: Path, make_server) -> None:
    directory = shutil.copytree(FIXTURES / "examples/02-binding", tmp_path / "02-binding")
    server = make_server(directory)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app("hello-python-bindings"))) as client:
        reply = await client.get("http://localhost/")
    assert (reply.status_code, reply.text) == (200, "baz")
    assert (directory / ".wrangler/state/v3/kv/miniflare-KVNamespaceObject").is_dir()


async def test_the_binding_is_the_sdks_kind_of_object(kv) -> None:
    binding = kv.server.worker("w").env.KV
    assert isinstance(binding, _BindingWrapper) and type(binding).JS_NAME == "KvNamespace"
    with pytest.raises(TypeError, match="'KvNamespace' object is not iterable"):
        list(binding)  # the SDK's __iter__ is a generator: the first step raises


async def test_get_in_every_type(kv) -> None:
    assert await kv("put", "k", '{"a": [1, 2.5, null]}') is None
    assert await kv("get", "k") == '{"a": [1, 2.5, null]}'
    assert await kv("get", "k", "json") == {"class": "JsDict", "a": [1, 2.5, None]}
    assert await kv("get", "k", {"type": "json"}) == {"class": "JsDict", "a": [1, 2.5, None]}
    assert await kv("get", "k", type="json") == {"class": "JsDict", "a": [1, 2.5, None]}
    assert await kv("get", "k", "arrayBuffer") == ("memoryview", b'{"a": [1, 2.5, null]}')
    assert await kv("get", "k", "stream") == "ReadableStream"
    assert await kv("get", "missing") is None
    assert await kv("get", "missing", "nonsense") is None  # workerd checks the type only when there is a value
    assert await kv("get", "k", "nonsense") == (
        'JsException: TypeError: Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".'
    )
    assert await kv("put", "bad", "{not json") is None
    assert (
        await kv("get", "bad", "json")
        == "JsException: SyntaxError: Unexpected token 'n', \"{not json\" is not valid JSON"
    )


async def test_put_takes_str_bytes_and_numbers_and_refuses_objects_naming_the_binding(kv) -> None:
    await kv("put", "bytes", b"\x00\xff")
    assert await kv("get", "bytes", "arrayBuffer") == ("memoryview", b"\x00\xff")
    await kv("put", "number", 1.5)
    assert await kv("get", "number") == "1.5"
    assert await kv("put", "obj", {"a": 1}) == (
        "JsException: TypeError: KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams "
        "as values. env.KV.put('obj', ...) got a dict: pass a str or bytes (json.dumps() a dict or list first)."
    )
    assert await kv("put", "list", [1]) == (
        "JsException: TypeError: KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams "
        "as values. env.KV.put('list', ...) got a list: pass a str or bytes (json.dumps() a dict or list first)."
    )
    assert await kv("get", "obj") is None


async def test_tuples_and_bytearrays_are_refused_as_the_sdk_refuses_them(kv) -> None:
    binding = kv.server.worker("w").env.KV
    with pytest.raises(TypeError, match=r"^<class 'bytearray'> cannot be sent over RPC\.$"):
        binding.put("k", bytearray(b"x"))
    with pytest.raises(TypeError, match=r"^<class 'tuple'> cannot be sent over RPC\.$"):
        binding.list({"prefix": ("a",)})


async def test_metadata_and_get_with_metadata(kv) -> None:
    await kv("put", "k", "v", metadata={"owner": "ann", "n": 1})
    assert await kv("getWithMetadata", "k") == {
        "class": "JsDict", "value": "v", "metadata": {"class": "JsDict", "owner": "ann", "n": 1}, "cacheStatus": None,
    }  # fmt: skip
    await kv("put", "plain", "p")
    assert await kv("getWithMetadata", "plain", "arrayBuffer") == {
        "class": "JsDict", "value": ("memoryview", b"p"), "metadata": None, "cacheStatus": None,
    }  # fmt: skip
    assert await kv("getWithMetadata", "missing") == {
        "class": "JsDict", "value": None, "metadata": None, "cacheStatus": None,
    }  # fmt: skip


async def test_bulk_get_returns_a_dict_of_every_key_asked(kv) -> None:
    await kv("put", "a", '"x"')
    await kv("put", "b", "[1]", metadata=7)
    assert await kv("get", ["a", "b", "nope"]) == {"class": "JsDict", "a": '"x"', "b": "[1]", "nope": None}
    assert await kv("get", ["a", "b"], "json") == {"class": "JsDict", "a": "x", "b": [1]}
    assert await kv("getWithMetadata", ["b"], {"type": "json"}) == {
        "class": "JsDict", "b": {"class": "JsDict", "value": [1], "metadata": 7},
    }  # fmt: skip
    assert await kv("get", ["a"], "arrayBuffer") == (
        'JsException: Error: KV GET_BULK failed: 400 "arrayBuffer" is not a valid type. Use "json" or "text"'
    )
    keys = [f"k{i}" for i in range(101)]
    assert await kv("get", keys) == "JsException: Error: KV GET_BULK failed: 400 You can request a maximum of 100 keys"
    assert await kv("get", []) == "JsException: Error: KV GET_BULK failed: 400 You must request a minimum of 1 key"


async def test_list_in_utf8_order_with_prefix_pages_and_metadata(kv) -> None:
    for key in ["b", "a", "é", "\U0001f600", "a/2", "a/1", "A"]:
        await kv("put", key, "v")
    await kv("put", "a/3", "v", metadata={"m": True}, expirationTtl=3600)
    listed = await kv("list")
    assert [k["name"] for k in listed["keys"]] == ["A", "a", "a/1", "a/2", "a/3", "b", "é", "\U0001f600"]
    assert (listed["list_complete"], "cursor" in listed, listed["cacheStatus"]) == (True, False, None)
    item = listed["keys"][4]
    assert item["metadata"] == {"class": "JsDict", "m": True}
    assert abs(item["expiration"] - (time.time() + 3600)) < 5
    assert listed["keys"][0] == {"class": "JsDict", "name": "A"}
    first = await kv("list", prefix="a/", limit=2)
    assert ([k["name"] for k in first["keys"]], first["list_complete"]) == (["a/1", "a/2"], False)
    rest = await kv("list", {"prefix": "a/", "limit": 2, "cursor": first["cursor"]})
    assert ([k["name"] for k in rest["keys"]], rest["list_complete"]) == (["a/3"], True)
    assert await kv("list", limit=0) == (
        "JsException: Error: KV LIST failed: 400 Invalid key_count_limit of 0. "
        "Please specify an integer greater than 0."
    )


async def test_expired_keys_vanish_from_get_and_list(kv, monkeypatch: pytest.MonkeyPatch) -> None:
    await kv("put", "short", "v", expirationTtl=60)
    await kv("put", "long", "v", {"expiration": int(time.time()) + 3600})
    await kv("put", "forever", "v")
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 120)
    assert await kv("get", "short") is None
    assert await kv("get", "long") == "v"
    assert [k["name"] for k in (await kv("list"))["keys"]] == ["forever", "long"]


async def test_cloudflare_limits_and_their_messages(kv) -> None:
    now = int(time.time())
    assert await kv("put", "k" * 513, "v") == (
        "JsException: Error: KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."
    )
    assert await kv("get", "é" * 257) == (
        "JsException: Error: KV GET failed: 414 UTF-8 encoded length of 514 exceeds key length limit of 512."
    )
    assert await kv("put", "k", "v" * (25 * 1024 * 1024 + 1)) == (
        "JsException: Error: KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400."
    )
    assert await kv("put", "k", "v", metadata={"m": "x" * 1020}) == (
        "JsException: Error: KV PUT failed: 413 Metadata length of 1028 exceeds limit of 1024."
    )
    assert await kv("put", "k", "v", expirationTtl=30) == (
        "JsException: Error: KV PUT failed: 400 Invalid expiration_ttl of 30. Expiration TTL must be at least 60."
    )
    assert await kv("put", "k", "v", expiration=now - 5) == (
        f"JsException: Error: KV PUT failed: 400 Invalid expiration of {now - 5}. Please specify integer greater than "
        "the current number of seconds since the UNIX epoch."
    )
    assert await kv("put", "k", "v", expiration=now + 30) == (
        f"JsException: Error: KV PUT failed: 400 Invalid expiration of {now + 30}. Expiration times must be at least "
        "60 seconds in the future."
    )
    assert await kv("get", "k", cacheTtl=10) == (
        "JsException: Error: KV GET failed: 400 Invalid cache_ttl of 10. Cache TTL must be at least 30."
    )
    assert await kv("get", "") == "JsException: TypeError: Key name cannot be empty."
    assert await kv("delete", "..") == 'JsException: TypeError: ".." is not allowed as a key name.'
    assert await kv("put", "k" * 512, "v" * (25 * 1024 * 1024), metadata={"m": "x" * 1016}) is None


async def test_delete(kv) -> None:
    await kv("put", "k", "v")
    assert await kv("delete", "k") is None
    assert await kv("get", "k") is None
    assert await kv("delete", "never-there") is None


async def test_two_workers_binding_one_namespace_share_it(write_worker, make_server) -> None:
    a = write_worker("a", {"src/entry.py": WORKER}, CONFIG.format(name="a", id="shared"))
    b = write_worker("b", {"src/entry.py": WORKER}, CONFIG.format(name="b", id="shared"))
    c = write_worker("c", {"src/entry.py": WORKER}, CONFIG.format(name="c", id="other"))
    server = make_server(a, b, c)
    await server.worker("a").call(None, "attempt", ("put", "k", "from a"), {})
    assert await server.worker("b").call(None, "attempt", ("get", "k"), {}) == "from a"
    assert await server.worker("c").call(None, "attempt", ("get", "k"), {}) is None
    assert server.storage.state.root == a / ".wrangler/state/v3"  # the first worker's directory holds the state


async def test_100_concurrent_puts_from_concurrent_requests_all_land(kv) -> None:
    app = kv.server.app("w")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost") as client:
        replies = await asyncio.gather(*(client.get(f"/key{i:03d}") for i in range(100)))
    assert {reply.text for reply in replies} == {"ok"}
    listed = await kv("list")
    assert [k["name"] for k in listed["keys"]] == [f"key{i:03d}" for i in range(100)]
    assert await kv("get", "key042") == "v-key042"


async def test_results_are_dicts_with_attribute_access(kv) -> None:
    binding = kv.server.worker("w").env.KV
    await binding.put("k", "v", metadata={"a": 1})
    result = await binding.getWithMetadata("k")
    assert isinstance(result, JsDict) and result.value == "v" and result.metadata.a == 1
    with pytest.raises(JsException) as caught:
        await binding.put("", "v")
    assert (caught.value.name, caught.value.message) == ("TypeError", "Key name cannot be empty.")


BAD_ENTRIES = [
    ('kv_namespaces = [{ id = "x" }]', 'an entry of "kv_namespaces" needs "binding", a valid name, got None.'),
    (
        'kv_namespaces = { binding = "KV" }',
        '"kv_namespaces" must be a list of tables like { binding = "KV", id = "<namespace id>" }, '
        "got {'binding': 'KV'}.",
    ),
    (
        'kv_namespaces = [{ binding = "KV", id = 7 }]',
        'kv_namespaces binding KV must have "id" as a non-empty string, got 7.',
    ),
    ('d1_databases = [{ binding = "DB" }, { binding = "DB" }]', 'the binding name DB is used twice in "d1_databases".'),
    (
        'r2_buckets = [{ binding = "B", bucket_name = "" }]',
        "r2_buckets binding B must have \"bucket_name\" as a non-empty string, got ''.",
    ),
]


@pytest.mark.parametrize(("entries", "message"), BAD_ENTRIES)
def test_a_bad_storage_entry_is_one_config_error(write_worker, make_server, tmp_path, monkeypatch, entries, message):
    from pyworker.errors import ConfigError

    monkeypatch.chdir(tmp_path)
    directory = write_worker("w", {"src/entry.py": WORKER}, f'name = "w"\nmain = "src/entry.py"\n{entries}\n')
    with pytest.raises(ConfigError) as caught:
        make_server(directory)
    assert str(caught.value) == f"wrangler.toml in w: {message}"


async def test_a_put_that_is_never_awaited_still_writes_as_the_promise_does(write_worker, make_server, output):
    import asyncio

    directory = write_worker(
        "forgetful",
        {
            "src/entry.py": """
                from workers import WorkerEntrypoint

                class Default(WorkerEntrypoint):
                    async def forget(self):
                        self.env.KV.put("k", "written anyway")

                    async def read(self):
                        return await self.env.KV.get("k")
            """
        },
        config='name = "forgetful"\nmain = "src/entry.py"\nkv_namespaces = [{ binding = "KV", id = "ns" }]\n',
    )
    server = make_server(directory)
    worker = server.worker("forgetful")
    await worker.call(None, "forget", (), {})
    for _ in range(5):
        await asyncio.sleep(0)  # event-loop turns, not time
    assert await worker.call(None, "read", (), {}) == "written anyway"
    import gc

    gc.collect()
    assert any("[forgetful] self.env.KV.put(...) was never awaited" in line for line in output.lines())


@pytest.mark.parametrize("tampered", ["not a cursor!", "emVk", "YQ"])
async def test_a_cursor_kv_did_not_give_is_an_error_not_a_restart(kv, tampered) -> None:
    for key in ["a", "b", "c"]:
        await kv("put", key, "v")
    first = await kv("list", limit=1)
    assert first["cursor"] != tampered
    assert await kv("list", cursor=tampered) == f'JsException: Error: KV LIST failed: 400 Invalid cursor "{tampered}".'
    rest = await kv("list", cursor=first["cursor"])
    assert [k["name"] for k in rest["keys"]] == ["b", "c"]
