"""Where state lives: wrangler's root and Miniflare's file names; ids and keys never make a path outside it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyworker.storage.state import StateDir, durable_object_id, sanitise_path


def test_d1_file_is_where_wrangler_keeps_it(tmp_path: Path) -> None:
    # Computed with Node from the algorithm wrangler users rely on to find local D1 files
    # (sha256 key, two HMAC-SHA256 halves), for the database id of Cloudflare's 04-query-d1 example.
    assert (
        durable_object_id("miniflare-D1DatabaseObject", "408cddb7-e3f7-40d7-a4f7-33136a7fd3fa")
        == "4bdc987d6cf42250dbe004ca5755a313c0f6932123b1a8054f2afb8a226b830e"
    )
    state = StateDir.resolve(tmp_path)
    assert state.root == tmp_path / ".wrangler/state/v3"
    assert state.d1("DB") == (
        tmp_path / ".wrangler/state/v3/d1/miniflare-D1DatabaseObject/"
        "e7352547963de7050bd7d94658afc4fe78b61811b7815da12d90be8e863abf4d.sqlite"
    )


def test_persist_to_is_taken_from_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert StateDir.resolve(tmp_path / "worker", Path("data")).root == tmp_path / "data/v3"
    assert StateDir.resolve(tmp_path / "worker", tmp_path / "abs").root == tmp_path / "abs/v3"


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "a\x00b", "x" * 5000, "C:\\win", ".."])
def test_kv_and_r2_files_stay_in_the_root_whatever_the_id(tmp_path: Path, name: str) -> None:
    state = StateDir(tmp_path / "v3")
    for path in (state.kv(name), state.r2(name), state.blobs("kv", name), state.blobs("r2", name)):
        assert path.parent.parent.parent == tmp_path / "v3"
        assert os.path.commonpath([path, tmp_path / "v3"]) == str(tmp_path / "v3")
        assert len(path.parent.name) <= 255 and len(path.name) <= 71
    assert state.kv("a") != state.kv("b") and state.r2("a") != state.kv("a")


def test_kv_and_r2_files_are_where_wrangler_keeps_them(tmp_path: Path) -> None:
    # The names wrangler 4.86 gave the namespace "fixture-kv" and the bucket "fixture-bucket" (tests/fixtures).
    state = StateDir(tmp_path)
    assert state.kv("fixture-kv") == tmp_path / (
        "kv/miniflare-KVNamespaceObject/40220726fe292488e831a1faab3f4a91cc1efba7142c27609734d7cc5507e670.sqlite"
    )
    assert state.r2("fixture-bucket") == tmp_path / (
        "r2/miniflare-R2BucketObject/781dd6fb2cfb3f724e8b4a1f954629de034ba712100d46b671be9b05b7fe3cf8.sqlite"
    )
    assert state.blobs("kv", "fixture-kv") == tmp_path / "kv/fixture-kv/blobs"
    assert state.object_file("do", "api-Counter", "x").parent == tmp_path / "do/api-Counter"


@pytest.mark.parametrize(
    ("name", "folder"),
    [("abc", "abc"), ("..", "__"), ("a/../b", "a____b"), ("a/./../b", "a______b"),
     ("/lead", "_lead"), ("con", "_"), ("COM1.txt", "_"),
     ("tail. ", "tail._"), ("a:b?c", "a_b_c"), ("ünï", "ünï"), ("x" * 300, "x" * 255)],
)  # fmt: skip
def test_namespace_folders_are_made_safe_as_miniflare_makes_them(name: str, folder: str) -> None:
    assert sanitise_path(name) == folder
