"""R2 through ``self.env`` inside real workers: objects, metadata, conditions, ranges, listing, multipart, keys."""

from __future__ import annotations

import datetime
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from pyworker.runtime.jsvalues import JsException

pytestmark = pytest.mark.anyio

WORKER = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        found = await self.env.BUCKET.get("page.html")
        headers = {}
        found.writeHttpMetadata(_Headers(headers))
        return Response(found.body, headers={**headers, "etag": found.httpEtag})

    async def roundtrip(self, key, value):
        put = await self.env.BUCKET.put(key, value)
        got = await self.env.BUCKET.get(key)
        return [put.key, put.size, got.key, bytes(await got.arrayBuffer())]


class _Headers:
    def __init__(self, target):
        self.target = target

    def set(self, name, value):
        self.target[name] = value
"""

CONFIG = 'name = "w"\nmain = "src/entry.py"\nr2_buckets = [{ binding = "BUCKET", bucket_name = "media" }]\n'

# Keys that would escape a directory if they were ever used as paths; each must stay an opaque key.
TRAVERSAL_KEYS = [
    "../../etc/passwd", "/etc/passwd", "..", ".", "a/../../b", "blobs/../bucket.sqlite", "bucket.sqlite",
    "nul\x00byte", "\x00", "C:\\Windows\\system32\\drivers", "~/.ssh/id_rsa", "%2e%2e%2f%2e%2e%2fetc", "é/../ü",
    "k" * 1024, "a//b///", " ", "\n",
]  # fmt: skip


@pytest.fixture
def setup(write_worker, make_server):
    directory = write_worker("w", {"src/entry.py": WORKER}, CONFIG)
    server = make_server(directory)
    return server, server.worker("w").env.BUCKET, directory


async def test_put_get_head_delete_with_metadata(setup) -> None:
    _, bucket, _ = setup
    stored = await bucket.put(
        "docs/a.txt", "hello", httpMetadata={"contentType": "text/plain"}, customMetadata={"owner": "ann"}
    )
    md5 = hashlib.md5(b"hello").hexdigest()
    assert (stored.key, stored.size, stored.etag, stored.httpEtag) == ("docs/a.txt", 5, md5, f'"{md5}"')
    assert stored.httpMetadata == {"contentType": "text/plain"} and stored.customMetadata.owner == "ann"
    assert isinstance(stored.uploaded, datetime.datetime) and stored.uploaded.tzinfo is None
    assert stored.checksums.toJSON() == {"md5": md5} and bytes(stored.checksums.md5) == hashlib.md5(b"hello").digest()
    assert stored.checksums.sha256 is None and stored.storageClass == "Standard"
    got = await bucket.get("docs/a.txt")
    assert type(got).JS_NAME == "R2ObjectBody" and got.range is None
    assert await got.text() == "hello"
    with pytest.raises(JsException, match="Body has already been used"):
        await got.text()
    head = await bucket.head("docs/a.txt")
    assert (type(head).JS_NAME, head.size, head.version) == ("R2Object", 5, stored.version)
    assert await bucket.get("missing") is None and await bucket.head("missing") is None
    assert await bucket.delete("docs/a.txt") is None
    assert await bucket.head("docs/a.txt") is None


async def test_values_of_every_kind_and_size(setup) -> None:
    _, bucket, _ = setup
    big = bytes(range(256)) * 4096  # 1 MiB: kept in a blob file
    for value, expected in [(b"\x00\xff", b"\x00\xff"), (memoryview(b"mv"), b"mv"), (None, b""), (big, big)]:
        await bucket.put("k", value)
        assert bytes(await (await bucket.get("k")).bytes()) == expected
    assert (await (await bucket.get("k", range={"offset": 1000000, "length": 4})).arrayBuffer()).tobytes() == big[
        1000000:1000004
    ]
    await bucket.put("j", '{"a": [1]}')
    assert (await (await bucket.get("j")).json()) == {"a": [1]}
    with pytest.raises(JsException) as caught:
        await bucket.put("d", {"a": 1})
    assert str(caught.value).endswith("env.BUCKET.put('d', ...) got a dict: pass a str or bytes.")


async def test_ranges(setup) -> None:
    _, bucket, _ = setup
    await bucket.put("r", "0123456789")

    async def text(**options: Any) -> tuple[str, Any]:
        found = await bucket.get("r", range=options)
        return await found.text(), found.range

    assert await text(offset=2, length=3) == ("234", {"offset": 2, "length": 3})
    assert await text(offset=7) == ("789", {"offset": 7, "length": 3})
    assert await text(suffix=4) == ("6789", {"offset": 6, "length": 4})
    assert await text(offset=8, length=50) == ("89", {"offset": 8, "length": 2})
    with pytest.raises(JsException, match=r"^Error: get: The requested range is not satisfiable \(10039\)$"):
        await bucket.get("r", range={"offset": 11})
    with pytest.raises(JsException) as caught:
        await bucket.get("r", range={"offset": -1})
    assert str(caught.value) == "RangeError: Invalid range. Starting offset (-1) must be greater than or equal to 0."
    with pytest.raises(JsException, match=r"^TypeError: Suffix is incompatible with offset\.$"):
        await bucket.get("r", range={"offset": 1, "suffix": 2})


async def test_conditional_put_and_get(setup) -> None:
    _, bucket, _ = setup
    first = await bucket.put("c", "one")
    assert await bucket.put("c", "two", onlyIf={"etagMatches": "nope"}) is None
    assert await (await bucket.get("c")).text() == "one"
    second = await bucket.put("c", "two", onlyIf={"etagMatches": first.etag})
    assert second.etag == hashlib.md5(b"two").hexdigest()
    assert await bucket.put("new", "x", onlyIf={"etagDoesNotMatch": "*"}) is not None
    assert await bucket.put("new", "y", onlyIf={"etagDoesNotMatch": "*"}) is None
    not_modified = await bucket.get("c", onlyIf={"etagDoesNotMatch": second.etag})
    assert type(not_modified).JS_NAME == "R2Object" and not hasattr(not_modified, "text")
    later = second.uploaded + datetime.timedelta(seconds=5)
    assert type(await bucket.get("c", onlyIf={"uploadedBefore": later})).JS_NAME == "R2ObjectBody"
    assert type(await bucket.get("c", onlyIf={"uploadedAfter": later})).JS_NAME == "R2Object"
    with pytest.raises(JsException, match=r'Conditional ETag should not be wrapped in quotes \("abc"\)'):
        await bucket.get("c", onlyIf={"etagMatches": '"abc"'})


async def test_checksums_are_verified(setup) -> None:
    _, bucket, _ = setup
    good = hashlib.sha256(b"data").hexdigest()
    stored = await bucket.put("s", b"data", sha256=good)
    assert stored.checksums.toJSON() == {"sha256": good, "md5": hashlib.md5(b"data").hexdigest()}
    with pytest.raises(JsException) as caught:
        await bucket.put("s", b"data", md5="0" * 32)
    assert str(caught.value) == (
        "Error: put: The MD5 checksum you specified did not match what we received.\n"
        "You provided a MD5 checksum with value: 00000000000000000000000000000000\n"
        f"Actual MD5 was: {hashlib.md5(b'data').hexdigest()} (10037)"
    )
    with pytest.raises(JsException, match=r"^TypeError: MD5 is 32 hex characters, not 3$"):
        await bucket.put("s", b"data", md5="abc")
    with pytest.raises(JsException, match=r"^TypeError: You cannot specify multiple hashing algorithms\.$"):
        await bucket.put("s", b"data", md5=hashlib.md5(b"data").digest(), sha1="0" * 40)


async def test_limits(setup) -> None:
    _, bucket, _ = setup
    with pytest.raises(JsException, match=r"^Error: put: The specified object name is not valid. \(10020\)$"):
        await bucket.put("k" * 1025, "v")
    with pytest.raises(JsException, match=r"^Error: put: Your metadata headers exceed .* size. \(10012\)$"):
        await bucket.put("k", "v", customMetadata={"m": "x" * 2048})
    with pytest.raises(JsException, match=r"^Error: list: MaxKeys params must be positive integer <= 1000. \(10022\)$"):
        await bucket.list(limit=1001)


async def test_list_with_prefix_delimiter_cursor_and_include(setup) -> None:
    _, bucket, _ = setup
    for key in ["a/1", "a/2", "a/b/3", "a/b/4", "a/c/5", "b", "a/0"]:
        await bucket.put(key, "v", customMetadata={"k": key})
    listed = await bucket.list(prefix="a/", delimiter="/")
    assert [o.key for o in listed.objects] == ["a/0", "a/1", "a/2"]
    assert (listed.delimitedPrefixes, listed.truncated, "cursor" in listed) == (["a/b/", "a/c/"], False, False)
    assert listed.objects[0].customMetadata is None
    pages, cursor = [], None
    while True:
        page = await bucket.list({"prefix": "a/", "delimiter": "/", "limit": 2, "cursor": cursor})
        pages.append(([o.key for o in page.objects], page.delimitedPrefixes))
        if not page.truncated:
            break
        cursor = page.cursor
    assert pages == [(["a/0", "a/1"], []), (["a/2"], ["a/b/"]), ([], ["a/c/"])]
    everything = await bucket.list(include=["customMetadata"])
    assert [o.key for o in everything.objects] == ["a/0", "a/1", "a/2", "a/b/3", "a/b/4", "a/c/5", "b"]
    assert everything.objects[3].customMetadata.to_py() == {"k": "a/b/3"} and everything.objects[3].httpMetadata is None
    assert [o.key for o in (await bucket.list(startAfter="a/c/5")).objects] == ["b"]


async def test_binding_results_follow_the_sdks_binding_wrapper_rules(setup) -> None:
    _, bucket, _ = setup
    put = await bucket.put("k", "v", customMetadata={"owner": "ann"})
    assert (put["key"], put["size"], put["customMetadata"]["owner"], put.checksums["md5"] is not None) == (
        "k", 1, "ann", True
    )  # fmt: skip
    with pytest.raises(AttributeError, match=r"^nope$"):
        put["nope"]
    with pytest.raises(TypeError, match=r"^'R2Object' object has no len\(\)$"):
        len(put)
    with pytest.raises(TypeError, match=r"^'R2Object' object is not iterable$"):
        list(put)
    got = await bucket.get("k")
    assert (got["key"], got["httpEtag"]) == ("k", put.httpEtag)
    upload = await bucket.createMultipartUpload("big")
    assert (upload["key"], upload["uploadId"]) == ("big", upload.uploadId)
    assert bucket["head"].__name__ == "head"
    item = (await bucket.list(include=["customMetadata"])).objects[0]
    assert item.customMetadata.owner == "ann"
    assert item.uploaded.getTime() == put.uploaded.timestamp() * 1000
    assert item.uploaded.toISOString().endswith("Z")
    for probe, message in [
        (lambda: item["key"], "'pyodide.ffi.JsProxy' object is not subscriptable"),
        (lambda: item.customMetadata["owner"], "'pyodide.ffi.JsProxy' object is not subscriptable"),
        (lambda: len(item), "object of type 'pyodide.ffi.JsProxy' has no len()"),
        (lambda: "key" in item, "argument of type 'pyodide.ffi.JsProxy' is not iterable"),
    ]:
        with pytest.raises(TypeError) as info:
            probe()
        assert str(info.value) == message


async def test_multipart_upload(setup) -> None:
    _, bucket, _ = setup
    upload = await bucket.createMultipartUpload("big.bin", httpMetadata={"contentType": "application/zip"})
    assert upload.key == "big.bin" and upload.uploadId
    five = b"a" * (5 * 1024 * 1024)
    part2 = await upload.uploadPart(2, b"tail")
    part1 = await upload.uploadPart(1, five)
    assert part1 == {"partNumber": 1, "etag": hashlib.md5(five).hexdigest()}
    resumed = bucket.resumeMultipartUpload("big.bin", upload.uploadId)
    done = await resumed.complete([part1, part2])
    joined = hashlib.md5(hashlib.md5(five).digest() + hashlib.md5(b"tail").digest()).hexdigest()
    assert (done.size, done.etag, done.httpMetadata) == (
        len(five) + 4,
        f"{joined}-2",
        {"contentType": "application/zip"},
    )
    assert bytes(await (await bucket.get("big.bin")).bytes()) == five + b"tail"
    with pytest.raises(
        JsException, match=r"^Error: uploadPart: The specified multipart upload does not exist. \(10024\)$"
    ):
        await upload.uploadPart(3, b"x")
    small = await bucket.createMultipartUpload("small")
    parts = [await small.uploadPart(1, b"x"), await small.uploadPart(2, b"y")]
    with pytest.raises(JsException, match=r"smaller than the minimum allowed object size. \(10011\)$"):
        await small.complete(parts)
    with pytest.raises(JsException, match=r"One or more of the specified parts could not be found. \(10025\)$"):
        await small.complete([{"partNumber": 1, "etag": "wrong"}])
    with pytest.raises(JsException, match=r"^TypeError: Part number must be between 1 and 10000"):
        await small.uploadPart(0, b"x")
    await small.abort()
    assert await bucket.head("small") is None


async def test_keys_never_become_paths(setup, tmp_path: Path) -> None:
    server, bucket, _ = setup
    big = b"B" * (300 * 1024)
    for key in TRAVERSAL_KEYS:
        value = key.encode() + big if len(key) % 2 else key.encode()
        assert await server.worker("w").call(None, "roundtrip", (key, value), {}) == [key, len(value), key, value]
    listed = await bucket.list()
    assert sorted(o.key for o in listed.objects) == sorted(TRAVERSAL_KEYS)
    await bucket.delete(TRAVERSAL_KEYS[:5])
    assert len((await bucket.list()).objects) == len(TRAVERSAL_KEYS) - 5
    database = server.storage.state.r2("media").name
    made = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file() and "src" not in p.parts)
    assert all(
        re.fullmatch(rf"w/\.wrangler/state/v3/r2/miniflare-R2BucketObject/{database}(-wal|-shm)?", p)
        or re.fullmatch(r"w/\.wrangler/state/v3/r2/media/blobs/[0-9a-f]{80}", p)
        or p == "w/wrangler.toml"
        for p in made
    ), made
    assert not (tmp_path / "etc").exists() and not Path("/etc/passwd").read_bytes().startswith(b"../../etc/passwd")


async def test_a_worker_serves_an_object_with_its_http_metadata(setup) -> None:
    import httpx

    server, bucket, _ = setup
    await bucket.put(
        "page.html", "<h1>hi</h1>", httpMetadata={"contentType": "text/html", "cacheControl": "max-age=60"}
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app("w"))) as client:
        reply = await client.get("http://localhost/")
    assert reply.text == "<h1>hi</h1>"
    assert (reply.headers["content-type"], reply.headers["cache-control"]) == ("text/html", "max-age=60")
    assert reply.headers["etag"] == f'"{hashlib.md5(b"<h1>hi</h1>").hexdigest()}"'


async def _results(bucket: Any) -> dict[str, Any]:
    """One of each R2 result type, as a worker gets it."""
    put = await bucket.put("p", "value", customMetadata={"owner": "ann"})
    upload = await bucket.createMultipartUpload("m")
    part = await upload.uploadPart(1, b"x")
    return {
        "put": put,
        "head": await bucket.head("p"),
        "failed onlyIf": await bucket.get("p", onlyIf={"etagMatches": "other"}),
        "get": await bucket.get("p"),
        "checksums": put.checksums,
        "created upload": upload,
        "resumed upload": bucket.resumeMultipartUpload("m", upload.uploadId),
        "complete": await bucket.resumeMultipartUpload("m", upload.uploadId).complete([part]),
    }


_PROBED = {  # result -> (JavaScript class, an attribute it has)
    "put": ("R2Object", "key"),
    "head": ("R2Object", "etag"),
    "failed onlyIf": ("R2Object", "size"),
    "get": ("R2ObjectBody", "httpEtag"),
    "checksums": ("R2Checksums", "md5"),
    "created upload": ("R2MultipartUpload", "uploadId"),
    "resumed upload": ("R2MultipartUpload", "key"),
    "complete": ("R2Object", "version"),
}


@pytest.mark.parametrize("result", list(_PROBED))
async def test_each_r2_result_type_is_a_binding_wrapper_as_in_the_sdk(setup, result) -> None:
    _, bucket, _ = setup
    value = (await _results(bucket))[result]
    js_name, attr = _PROBED[result]
    assert js_name == type(value).JS_NAME
    assert value[attr] is value[attr] or value[attr] == getattr(value, attr)
    for probe, kind, message in [
        (lambda: value["missing"], AttributeError, "missing"),
        (lambda: value.missing, AttributeError, "missing"),
        (lambda: len(value), TypeError, f"'{js_name}' object has no len()"),
        (lambda: list(value), TypeError, f"'{js_name}' object is not iterable"),
        (lambda: "key" in value, TypeError, f"'{js_name}' object is not iterable"),
    ]:
        with pytest.raises(kind) as info:
            probe()
        assert str(info.value) == message
