"""The per-registry secret: what pyworker processes sharing a registry prove to each other.

It sits beside the registry directory (``<registry>.pyworker-secret``), where wrangler's sweep
of stale files never reaches it: 32 random bytes as hex, readable by its owner only. The first
process makes it whole in a private temporary file and links it into place (a link fails if the
name exists), so two processes starting together agree on one secret and neither reads half of
it. A file another user owns, or one others may read, is refused: its secret is not ours alone.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from pathlib import Path

from pyworker.errors import RegistryError
from pyworker.interop.entries import shown
from pyworker.interop.location import secret_path

_HEX = re.compile(r"^[0-9a-f]{64}$")


def registry_secret(registry: Path, home: Path | None = None) -> bytes:
    """The secret of ``registry`` (made if absent). Raises :class:`RegistryError` if it is not safe."""
    path = secret_path(registry)
    where = shown(path, Path.home() if home is None else home)
    try:
        if path.parent.exists() and not path.parent.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RegistryError(f"registry: cannot write the secret file {where} ({exc.strerror}).") from exc
    try:
        _create(path)
    except FileExistsError:
        pass  # made by an earlier run, or by another process just now
    except OSError as exc:
        raise RegistryError(f"registry: cannot write the secret file {where} ({exc.strerror}).") from exc
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise RegistryError(
            f"registry: cannot read the secret file {where} ({exc.strerror}): delete it, and pyworker makes a new one."
        ) from exc
    with os.fdopen(descriptor) as file:
        _check(os.fstat(file.fileno()), where, path)
        text = file.read(200).strip()
    if not _HEX.match(text):
        raise RegistryError(
            f"registry: {where} is not a pyworker secret (64 hex digits): delete it, and pyworker makes a new one."
        )
    return bytes.fromhex(text)


def _create(path: Path) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32) + "\n")
        os.link(temporary, path)  # raises FileExistsError if another process made it first
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _check(info: os.stat_result, where: str, path: Path) -> None:
    getuid = getattr(os, "getuid", None)
    if getuid is not None and info.st_uid != getuid():
        raise RegistryError(
            f"registry: the secret file {where} belongs to another user (uid {info.st_uid}); pyworker does not use "
            "a secret others hold. Delete it, or set WRANGLER_REGISTRY_PATH to a directory of your own."
        )
    if not stat.S_ISREG(info.st_mode):
        raise RegistryError(f"registry: the secret file {where} is not a regular file: delete it.")
    if getuid is not None and info.st_mode & 0o077:
        raise RegistryError(
            f"registry: the secret file {where} can be read by other users (mode {stat.S_IMODE(info.st_mode):04o}): "
            f"run chmod 600 {path}, or delete it, and pyworker makes a new one."
        )
