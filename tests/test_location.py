from __future__ import annotations

import os
from pathlib import Path

from pyworker.interop.location import registry_path, secret_path


def test_the_variable_wins_and_empty_disables(tmp_path: Path) -> None:
    assert registry_path({"WRANGLER_REGISTRY_PATH": "/x/reg"}, tmp_path) == Path("/x/reg")
    assert registry_path({"WRANGLER_REGISTRY_PATH": ""}, tmp_path) is None


def test_the_legacy_directory_wins_over_xdg(tmp_path: Path) -> None:
    (tmp_path / ".wrangler").mkdir()
    assert registry_path({"XDG_CONFIG_HOME": "/xdg"}, tmp_path, "linux") == tmp_path / ".wrangler" / "registry"


def test_xdg_config_home_else_dot_config(tmp_path: Path) -> None:
    assert registry_path({"XDG_CONFIG_HOME": "/xdg"}, tmp_path, "linux") == Path("/xdg/.wrangler/registry")
    assert registry_path({}, tmp_path, "linux") == tmp_path / ".config" / ".wrangler" / "registry"
    assert registry_path({"XDG_CONFIG_HOME": ""}, tmp_path, "linux") == tmp_path / ".config" / ".wrangler" / "registry"
    assert registry_path({}, tmp_path, "darwin") == tmp_path / "Library/Preferences/.wrangler/registry"


def test_the_secret_is_a_sibling_of_the_directory() -> None:
    assert secret_path(Path("/a/registry")) == Path("/a/registry.pyworker-secret")


def test_the_suite_never_uses_the_users_registry(test_registry: Path) -> None:
    assert os.environ["WRANGLER_REGISTRY_PATH"] == str(test_registry)
    assert registry_path(os.environ, Path.home()) == test_registry
