from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pyworker.errors import RegistryError
from pyworker.interop.secret import registry_secret


def test_made_once_private_and_shared_by_the_next_reader(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    secret = registry_secret(registry, home=tmp_path)
    path = tmp_path / "registry.pyworker-secret"
    assert len(secret) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert registry_secret(registry, home=tmp_path) == secret
    assert sorted(os.listdir(tmp_path)) == ["registry.pyworker-secret"]  # no temporary file left


def test_a_secret_others_may_read_is_refused(tmp_path: Path) -> None:
    registry_secret(tmp_path / "registry", home=tmp_path)
    (tmp_path / "registry.pyworker-secret").chmod(0o644)
    with pytest.raises(RegistryError) as raised:
        registry_secret(tmp_path / "registry", home=tmp_path)
    assert str(raised.value) == (
        "registry: the secret file ~/registry.pyworker-secret can be read by other users (mode 0644): "
        f"run chmod 600 {tmp_path}/registry.pyworker-secret, or delete it, and pyworker makes a new one."
    )


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="only root can give a file away")
def test_a_secret_of_another_user_is_refused(tmp_path: Path) -> None:
    registry_secret(tmp_path / "registry", home=tmp_path)
    os.chown(tmp_path / "registry.pyworker-secret", 12345, -1)
    with pytest.raises(RegistryError) as raised:
        registry_secret(tmp_path / "registry", home=tmp_path)
    assert str(raised.value) == (
        "registry: the secret file ~/registry.pyworker-secret belongs to another user (uid 12345); pyworker does "
        "not use a secret others hold. Delete it, or set WRANGLER_REGISTRY_PATH to a directory of your own."
    )


def test_a_symlink_or_garbage_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").write_text("a" * 64)
    (tmp_path / "registry.pyworker-secret").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(RegistryError, match=r"cannot read the secret file ~/registry.pyworker-secret \("):
        registry_secret(tmp_path / "registry", home=tmp_path)
    (tmp_path / "registry.pyworker-secret").unlink()
    fd = os.open(tmp_path / "registry.pyworker-secret", os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"not hex")
    os.close(fd)
    with pytest.raises(RegistryError) as raised:
        registry_secret(tmp_path / "registry", home=tmp_path)
    assert str(raised.value) == (
        "registry: ~/registry.pyworker-secret is not a pyworker secret (64 hex digits): delete it, and pyworker "
        "makes a new one."
    )


def test_a_secret_that_cannot_be_made_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(RegistryError) as raised:
        registry_secret(tmp_path / "file" / "registry", home=tmp_path)
    assert (
        str(raised.value) == "registry: cannot write the secret file ~/file/registry.pyworker-secret (Not a directory)."
    )
