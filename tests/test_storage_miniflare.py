"""KV and R2 in Miniflare's files: what wrangler 4.86 wrote is read exactly, and what pyworker writes is
what wrangler reads (the same tables, rows and blob files), with crashes, damage and full disks handled."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from pyworker.runtime.jsvalues import JsException
from pyworker.storage import blobs
from pyworker.storage.miniflare import KV_SCHEMA
from pyworker.storage.state import StateDir, legacy_kv, legacy_r2
from tests.conftest import Output

pytestmark = pytest.mark.anyio

FIXTURE = Path(__file__).parent / "fixtures/wrangler_4_86"
CONFIG = """
name = "w"
main = "src/entry.py"
kv_namespaces = [{ binding = "KV", id = "fixture-kv" }]
r2_buckets = [{ binding = "BUCKET", bucket_name = "fixture-bucket" }]
"""
ENTRY = "from workers import WorkerEntrypoint\n\n\nclass Default(WorkerEntrypoint):\n    pass\n"
KV_FILE = "kv/miniflare-KVNamespaceObject/40220726fe292488e831a1faab3f4a91cc1efba7142c27609734d7cc5507e670.sqlite"
R2_FILE = "r2/miniflare-R2BucketObject/781dd6fb2cfb3f724e8b4a1f954629de034ba712100d46b671be9b05b7fe3cf8.sqlite"
OPEN_UPLOAD = (
    "tIxJBj1VAGDRRb4n0apldSC8_kXTsaPdeuFAs7xLrcv-PnDyD__sd-qTDYsU2W-HXFzAOjtJroFYjRddXW4vY1neiryYKdWteMvpPYILvLYDqRGd"
    "igeZBcpRDGZTjGtIV5ErlHomilp710S4lrvsOZ9lK7V0iQeee9RtxgKGOPc"
)
OPEN_PART_ETAG = (
    "Ausq-3rcY5SVv33mQY7a_CegHJ_ZtmvWdPakZUHMeCZE-DWJfJmO6pvDG1acNRxEnQ6V5SAWiDG-hU8A9_3d2bQHsCf2NH2DHnJrV7AY4nX1p6_Q"
    "37s0XK6EKYuT7whW2Vm9NL8n_R-hcjQbIsJXMjjBLWmodRNLSHZPosssD7Y"
)


@pytest.fixture
def project(write_worker) -> Path:
    return write_worker("w", {"src/entry.py": ENTRY}, CONFIG)


@pytest.fixture
def wrangler_state(project: Path) -> Path:
    """The project with the state wrangler 4.86 wrote (tests/fixtures/wrangler_4_86/project/index.js)."""
    shutil.copytree(FIXTURE / "state", project / ".wrangler/state")
    return project / ".wrangler/state/v3"


def rows(path: Path, query: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


async def test_kv_written_by_wrangler_reads_exactly(wrangler_state: Path, project: Path, make_server) -> None:
    kv = make_server(project).worker("w").env.KV
    assert await kv.get("hello") == "world"
    found = await kv.getWithMetadata("日本")
    assert (found["value"], found["metadata"]) == ("ünïcode ✓", {"a": 1, "b": [True, None], "s": "ß"})
    assert bytes(await kv.get("bytes", "arrayBuffer")) == b"\x00\x01\x02\xff"
    assert await kv.get("empty") == ""
    listed = await kv.list()
    assert [dict(k) for k in listed["keys"]] == [
        {"name": "bytes"}, {"name": "empty"}, {"name": "hello"},
        {"name": "later", "expiration": 2000000000, "metadata": "m"},
        {"name": "日本", "metadata": {"a": 1, "b": [True, None], "s": "ß"}},
    ]  # fmt: skip


async def test_r2_written_by_wrangler_reads_exactly(wrangler_state: Path, project: Path, make_server) -> None:
    bucket = make_server(project).worker("w").env.BUCKET
    plain = await bucket.get("plain.txt")
    assert (await plain.text(), plain.size, plain.etag) == ("plain text", 10, "31bc5c2b8fd4f20cd747347b7504a385")
    meta = await bucket.head("dir/meta.json")
    assert dict(meta.httpMetadata) == {
        "contentType": "application/json", "contentLanguage": "en", "contentDisposition": "inline",
        "contentEncoding": "identity", "cacheControl": "max-age=60", "cacheExpiry": meta.httpMetadata["cacheExpiry"],
    }  # fmt: skip
    assert dict(meta.customMetadata) == {"owner": "ada", "ключ": "значение"}
    assert dict(meta.checksums.toJSON()) == {
        "sha256": "5041bf1f713df204784353e82f6a4a535931cb64f1f4b4a5aeaffcb720918b22",
        "md5": "ac3ef48caa08fa3ed5e025da69edc645",
    }
    assert bytes(await (await bucket.get("empty.bin")).arrayBuffer()) == b""
    multi = await bucket.get("multi.bin")
    assert (await multi.text(), multi.etag, dict(multi.customMetadata)) == (
        "only part of the multipart object", "6f19a3157515e3bbd3f0dda6a75535b9-1", {"kind": "multipart"}
    )  # fmt: skip
    ranged = await bucket.get("multi.bin", {"range": {"offset": 5, "length": 4}})
    assert await ranged.text() == "part"
    # An upload wrangler left open is resumed and completed by pyworker.
    upload = bucket.resumeMultipartUpload("open.bin", OPEN_UPLOAD)
    done = await upload.complete([{"partNumber": 1, "etag": OPEN_PART_ETAG}])
    assert (done.size, await (await bucket.get("open.bin")).text()) == (29, "first part, upload still open")
    listed = await bucket.list()
    assert [o.key for o in listed.objects] == ["dir/meta.json", "empty.bin", "multi.bin", "open.bin", "plain.txt"]


async def test_pyworker_writes_rows_and_files_as_miniflare_does(project: Path, make_server) -> None:
    env = make_server(project).worker("w").env
    await env.KV.put("k", "v1")
    await env.KV.put("k", "value", {"expiration": 2000000000, "metadata": {"ü": [1, 2.0]}})
    state = project / ".wrangler/state/v3"
    [(key, blob_id, expiration, metadata)] = rows(state / KV_FILE, "SELECT * FROM _mf_entries")
    assert (key, expiration, metadata) == ("k", 2000000000000, '{"ü":[1,2]}')
    assert re.fullmatch(r"[0-9a-f]{80}", blob_id) and abs(int(blob_id[64:], 16) - time.time() * 1000) < 60_000
    assert os.listdir(state / "kv/fixture-kv/blobs") == [blob_id]  # the first value's file is gone
    assert (state / "kv/fixture-kv/blobs" / blob_id).read_bytes() == b"value"
    await env.BUCKET.put(
        "a/b.txt", "hello", {"httpMetadata": {"contentType": "text/plain"}, "customMetadata": {"x": "1"}}
    )
    [row] = rows(state / R2_FILE, "SELECT key, size, etag, checksums, http_metadata, custom_metadata FROM _mf_objects")
    assert row == ("a/b.txt", 5, "5d41402abc4b2a76b9719d911017c592", "{}", '{"contentType":"text/plain"}', '{"x":"1"}')
    upload = await env.BUCKET.createMultipartUpload("big")
    part = await upload.uploadPart(1, "xyz")
    await upload.complete([part])
    assert rows(state / R2_FILE, "SELECT blob_id, size FROM _mf_objects WHERE key = 'big'") == [(None, 3)]
    assert rows(state / R2_FILE, "SELECT state FROM _mf_multipart_uploads") == [(1,)]
    assert rows(state / R2_FILE, "SELECT part_number, size, object_key FROM _mf_multipart_parts") == [(1, 3, "big")]
    await env.BUCKET.delete("big")
    assert rows(state / R2_FILE, "SELECT count(*) FROM _mf_multipart_parts") == [(0,)]
    assert len(os.listdir(state / "r2/fixture-bucket/blobs")) == 1  # only a/b.txt's file is left


async def test_a_truncated_r2_file_is_an_error_naming_bucket_key_and_file(project: Path, make_server) -> None:
    bucket = make_server(project).worker("w").env.BUCKET
    await bucket.put("doc", b"0123456789")
    [blob] = (project / ".wrangler/state/v3/r2/fixture-bucket/blobs").iterdir()
    blob.write_bytes(b"01234")
    for read in (lambda: bucket.get("doc"), lambda: bucket.get("doc", {"range": {"offset": 6}})):
        with pytest.raises(Exception) as raised:
            await read()
        assert str(raised.value) == (
            f"R2 bucket \"fixture-bucket\": the value file of 'doc', {blob}, holds 5 bytes where 10 were stored; "
            "it was truncated or changed outside pyworker and wrangler. Put the value again."
        )


async def test_values_read_again_come_from_memory_and_their_file_is_looked_at_once_a_second(
    project: Path, make_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(blobs, "_clock", lambda: now[0])
    env = make_server(project).worker("w").env
    await env.KV.put("k", "0123456789")
    await env.BUCKET.put("doc", b"0123456789")
    assert await env.KV.get("k") == "0123456789" and await (await env.BUCKET.get("doc")).text() == "0123456789"
    state = project / ".wrangler/state/v3"
    [kv_blob] = (state / "kv/fixture-kv/blobs").iterdir()
    [r2_blob] = (state / "r2/fixture-bucket/blobs").iterdir()
    looked: list[str] = []
    real_open, real_stat = os.open, os.stat

    def counting_open(path: Any, *args: Any, **kwargs: Any) -> int:
        looked.append(f"open {path}")
        return real_open(path, *args, **kwargs)

    def counting_stat(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        looked.append(f"stat {path}")
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", counting_open)
    monkeypatch.setattr(os, "stat", counting_stat)
    assert await env.KV.get("k") == "0123456789" and await (await env.BUCKET.get("doc")).text() == "0123456789"
    assert await (await env.BUCKET.get("doc", {"range": {"offset": 2, "length": 3}})).text() == "234"
    assert [entry for entry in looked if "blobs" in entry] == []  # within the second: no system call
    now[0] += blobs.RECHECK_AFTER
    assert await env.KV.get("k") == "0123456789" and await (await env.BUCKET.get("doc")).text() == "0123456789"
    assert [entry for entry in looked if "blobs" in entry] == [f"stat {kv_blob}", f"stat {r2_blob}"]  # one each
    monkeypatch.setattr(os, "open", real_open)
    monkeypatch.setattr(os, "stat", real_stat)
    for blob in (kv_blob, r2_blob):  # edited by hand, same size: seen at the next look
        blob.write_bytes(b"abcdefghij")
        os.utime(blob, ns=(1_000_000_000, 1_000_000_000))
    now[0] += blobs.RECHECK_AFTER
    assert await env.KV.get("k") == "abcdefghij" and await (await env.BUCKET.get("doc")).text() == "abcdefghij"
    kv_blob.unlink()
    now[0] += blobs.RECHECK_AFTER
    with pytest.raises(Exception, match=re.escape(f"the value file of 'k', {kv_blob}, is missing")):
        await env.KV.get("k")
    r2_blob.write_bytes(b"01234")
    now[0] += blobs.RECHECK_AFTER
    with pytest.raises(Exception, match=re.escape(f"{r2_blob}, holds 5 bytes where 10 were stored")):
        await env.BUCKET.get("doc")
    await env.KV.put("k", "new value")  # a new value is a new file (also from wrangler): read at once
    assert await env.KV.get("k") == "new value"


def test_the_memory_of_values_read_is_bounded(tmp_path: Path) -> None:
    store = blobs.BlobStore(tmp_path, "test")
    value = b"x" * (blobs.CACHE_VALUE // 2)
    ids = [store.write([value]) for _ in range(2 * blobs.CACHE_BYTES // len(value))]
    for blob_id in ids:
        assert store.read(blob_id) == value
    assert store._kept_bytes <= blobs.CACHE_BYTES and ids[-1] in store._kept and ids[0] not in store._kept
    big = store.write([b"y" * (blobs.CACHE_VALUE + 1)])
    assert store.read(big) == b"y" * (blobs.CACHE_VALUE + 1) and big not in store._kept
    store.delete(ids[-1])
    assert ids[-1] not in store._kept


async def test_leftover_files_no_row_names_are_removed_at_opening(project: Path, make_server) -> None:
    env = make_server(project).worker("w").env
    await env.KV.put("kept", "v")
    await env.BUCKET.put("kept", "v")
    state = project / ".wrangler/state/v3"
    old, young = "a" * 80, "b" * 80
    for folder in (state / "kv/fixture-kv/blobs", state / "r2/fixture-bucket/blobs"):
        (folder / old).write_bytes(b"crash leftover")
        os.utime(folder / old, (time.time() - blobs.SWEEP_AFTER - 5,) * 2)
        (folder / young).write_bytes(b"another process's write in flight")
    env = make_server(project).worker("w").env
    assert await env.KV.get("kept") == "v" and await (await env.BUCKET.get("kept")).text() == "v"
    for folder in (state / "kv/fixture-kv/blobs", state / "r2/fixture-bucket/blobs"):
        assert sorted(p.name for p in folder.iterdir() if p.name in (old, young)) == [young]
        assert len(list(folder.iterdir())) == 2


async def test_read_only_state_is_read_and_writes_refused_as_read_only(project: Path, make_server) -> None:
    env = make_server(project).worker("w").env
    await env.KV.put("k", "v")
    path = project / ".wrangler/state/v3" / KV_FILE
    for name in os.listdir(path.parent):
        (path.parent / name).chmod(0o444)
    try:
        env = make_server(project).worker("w").env
        assert await env.KV.get("k") == "v"
        with pytest.raises(JsException) as raised:
            await env.KV.put("k", "w")
        assert str(raised.value) == (
            f'Error: KV PUT failed: 500 KV namespace "fixture-kv": cannot write its state file {path}: '
            "it is read-only; nothing was stored."
        )
    finally:
        for name in os.listdir(path.parent):
            (path.parent / name).chmod(0o644)


async def test_a_full_disk_fails_the_write_as_the_binding_does_and_leaves_no_file(
    project: Path, make_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = make_server(project).worker("w").env
    await env.KV.put("first", "v")
    state = project / ".wrangler/state/v3"
    inline = env.KV._store.db._inline  # the file may not grow: SQLite's "database or disk is full"
    inline.execute(f"PRAGMA max_page_count = {inline.execute('PRAGMA page_count').fetchall()[0][0]}").fetchall()
    stored = 1
    with pytest.raises(JsException) as raised:
        for n in range(500):
            await env.KV.put(f"{n:0500d}", "x")
            stored += 1
    assert str(raised.value) == (
        f'Error: KV PUT failed: 500 KV namespace "fixture-kv": cannot write its state file {state / KV_FILE}: '
        "its disk is full; nothing was stored."
    )
    assert len(os.listdir(state / "kv/fixture-kv/blobs")) == stored  # the refused value's file is gone

    def full(*args: Any) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(blobs.os, "write", full)
    with pytest.raises(JsException) as raised:
        await env.BUCKET.put("obj", b"data")
    assert re.fullmatch(
        r'Error: put: R2 bucket "fixture-bucket": the disk holding .*/r2/fixture-bucket/blobs/[0-9a-f]{80} is full; '
        r"nothing was stored\. \(10001\)",
        str(raised.value),
    )
    assert os.listdir(state / "r2/fixture-bucket/blobs") == []


def _legacy(project: Path) -> None:
    """KV and R2 data as pyworker kept it before Miniflare's layout."""
    state = StateDir(project / ".wrangler/state/v3")
    kv = legacy_kv(state, "fixture-kv")
    kv.parent.mkdir(parents=True)
    conn = sqlite3.connect(kv)
    conn.executescript(
        "CREATE TABLE kv_entries (key TEXT PRIMARY KEY, value BLOB NOT NULL, expiration INTEGER, metadata TEXT);"
        "INSERT INTO kv_entries VALUES ('a', x'6f6c64', NULL, '{\"m\":1}'), ('b', x'62', 2000000000, NULL),"
        " ('gone', x'00', 1, NULL), ('shared', x'6f6c64', NULL, NULL);"
    )
    conn.commit()
    conn.close()
    r2 = legacy_r2(state, "fixture-bucket")
    (r2 / "blobs").mkdir(parents=True)
    (r2 / "blobs" / ("c" * 32)).write_bytes(b"B" * 300_000)
    conn = sqlite3.connect(r2 / "bucket.sqlite")
    conn.executescript(
        "CREATE TABLE r2_objects (key TEXT PRIMARY KEY, version TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT"
        " NULL, uploaded INTEGER NOT NULL, http_metadata TEXT NOT NULL, custom_metadata TEXT NOT NULL, checksums TEXT"
        " NOT NULL, value BLOB, blob_id TEXT);"
        "CREATE TABLE r2_uploads (upload_id TEXT PRIMARY KEY, key TEXT NOT NULL, http_metadata TEXT NOT NULL,"
        " custom_metadata TEXT NOT NULL);"
        "CREATE TABLE r2_parts (upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, etag TEXT NOT NULL, size"
        " INTEGER NOT NULL, value BLOB, blob_id TEXT, PRIMARY KEY (upload_id, part_number));"
        "INSERT INTO r2_objects VALUES ('small', 'v1', 2, '5a3d3ea0a3a5e5ac6d69b8e6a3aa6c1e', 1700000000000, "
        '\'{"contentType":"text/plain"}\', \'{}\', \'{"md5":"x","sha1":"y"}\', x\'6869\', NULL);'
        f"INSERT INTO r2_objects VALUES ('large', 'v2', 300000, 'e', 1700000000001, '{{}}', '{{\"k\":\"v\"}}', '{{}}',"
        f" NULL, '{'c' * 32}');"
        "INSERT INTO r2_uploads VALUES ('up1', 'later', '{}', '{}');"
        "INSERT INTO r2_parts VALUES ('up1', 1, 'etag1', 3, x'616263', NULL);"
    )
    conn.commit()
    conn.close()


async def test_older_pyworker_data_is_moved_once_verified(project: Path, make_server, output: Output) -> None:
    _legacy(project)
    state = project / ".wrangler/state/v3"
    state.joinpath(KV_FILE).parent.mkdir(parents=True)
    conn = sqlite3.connect(state / KV_FILE)  # wrangler had written "shared" meanwhile
    conn.executescript(KV_SCHEMA)
    (state / "kv/fixture-kv/blobs").mkdir(parents=True)
    (state / "kv/fixture-kv/blobs" / ("d" * 80)).write_bytes(b"wrangler's")
    conn.execute("INSERT INTO _mf_entries VALUES ('shared', ?, NULL, NULL)", ("d" * 80,))
    conn.commit()
    conn.close()
    env = make_server(project).worker("w").env
    assert (await env.KV.getWithMetadata("a"))["metadata"] == {"m": 1} and await env.KV.get("a") == "old"
    assert [k["name"] for k in (await env.KV.list())["keys"]] == ["a", "b", "shared"]
    assert (await env.KV.list())["keys"][1]["expiration"] == 2000000000
    assert await env.KV.get("shared") == "wrangler's"
    small = await env.BUCKET.get("small")
    assert (await small.text(), dict(small.httpMetadata), dict(small.checksums.toJSON())) == (
        "hi", {"contentType": "text/plain"}, {"sha1": "y", "md5": "5a3d3ea0a3a5e5ac6d69b8e6a3aa6c1e"}
    )  # fmt: skip
    assert bytes(await (await env.BUCKET.get("large")).arrayBuffer()) == b"B" * 300_000
    upload = env.BUCKET.resumeMultipartUpload("later", "up1")
    await upload.complete([{"partNumber": 1, "etag": "etag1"}])
    assert await (await env.BUCKET.get("later")).text() == "abc"
    assert not (state / "pyworker/kv").exists() or not list((state / "pyworker/kv").iterdir())
    assert not (state / "pyworker/r2").exists() or not list((state / "pyworker/r2").iterdir())
    lines = [line for line in output.lines() if "earlier pyworker" in line]
    assert len(lines) == 2
    assert lines[0].endswith(
        'KV namespace "fixture-kv": moved 2 keys kept by an earlier pyworker from '
        f"{os.path.relpath(legacy_kv(StateDir(state), 'fixture-kv'))}"
        f" into wrangler's layout ({os.path.relpath(state / KV_FILE)}), shared with `wrangler dev`; 1 keys already "
        "there (written by wrangler) kept as they were."
    )
    assert 'R2 bucket "fixture-bucket": moved 2 objects' in lines[1]


def test_listing_and_reading_commands_create_no_files(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from pyworker.cli import main

    monkeypatch.chdir(project)
    runner = CliRunner()
    assert runner.invoke(main, ["kv", "key", "get", "k", "--binding", "KV"]).stderr == "Value not found\n"
    assert json.loads(runner.invoke(main, ["kv", "key", "list", "--binding", "KV"]).stdout) == []
    got = runner.invoke(main, ["r2", "object", "get", "fixture-bucket/nope"])
    assert got.exit_code == 1
    assert not (project / ".wrangler").exists()


async def test_a_value_wrangler_replaces_between_row_and_file_is_read_again(
    project: Path, make_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    kv = make_server(project).worker("w").env.KV
    await kv.put("k", "old")
    state = project / ".wrangler/state/v3"
    read_small = blobs.BlobStore.read_small
    raced: list[str] = []

    def racing(self: blobs.BlobStore, blob_id: str, limit: int, key: str = "") -> bytes | None:
        if not raced:  # what wrangler does meanwhile: a new file, the row moved to it, the old file removed
            raced.append(blob_id)
            (self.directory / ("e" * 80)).write_bytes(b"new")
            conn = sqlite3.connect(state / KV_FILE)
            conn.execute("UPDATE _mf_entries SET blob_id = ? WHERE key = 'k'", ("e" * 80,))
            conn.commit()
            conn.close()
            (self.directory / blob_id).unlink()
        return read_small(self, blob_id, limit, key)

    monkeypatch.setattr(blobs.BlobStore, "read_small", racing)
    assert await kv.get("k") == "new" and len(raced) == 1


def test_a_reading_command_leaves_older_pyworker_data_where_it_is_and_says_so(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from pyworker.cli import main

    _legacy(project)
    monkeypatch.chdir(project)
    got = CliRunner().invoke(main, ["kv", "key", "get", "a", "--binding", "KV"])
    legacy = os.path.join(
        ".wrangler", "state", "v3", "pyworker", "kv", legacy_kv(StateDir(Path("x")), "fixture-kv").name
    )
    assert got.stderr == (
        f'Warning: KV namespace "fixture-kv" has data from an earlier pyworker in {legacy}, not yet moved into '
        "wrangler's layout; this command does not see it. `pyworker dev` or any kv write moves it.\nValue not found\n"
    )
    assert not (project / ".wrangler/state/v3/kv").exists()
    assert CliRunner().invoke(main, ["kv", "key", "put", "z", "1", "--binding", "KV"]).exit_code == 0
    assert CliRunner().invoke(main, ["kv", "key", "get", "a", "--binding", "KV", "--text"]).stdout == "old\n"
