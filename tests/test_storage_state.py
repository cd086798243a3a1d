"""Where state lives: wrangler's root and D1 file names; KV/R2 names never come from ids or keys."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pyworker.storage.state import StateDir, durable_object_id


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
    for path in (state.kv(name), state.r2(name)):
        assert path.parent.parent.parent == tmp_path / "v3"
        assert os.path.commonpath([path, tmp_path / "v3"]) == str(tmp_path / "v3")
        assert len(path.name) <= 40
    assert state.kv("a") != state.kv("b") and state.r2("a") != state.kv("a")
