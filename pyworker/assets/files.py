"""The files of an assets directory, looked up by URL path, never outside the directory.

A path is refused (as if absent) when a segment is empty, ``.`` or ``..``, or holds a
backslash or NUL, when ``.assetsignore`` names it, and when the real file (symlinks
followed) is not inside the directory's real path. Nothing is cached that an edit could
make stale: each lookup stats the file, and ETags and the rules files are remembered by
their ``(inode, size, mtime)``, so an edited asset is served on the next request.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pyworker.assets.ignore import Ignore

T = TypeVar("T")
_HASH_CHUNK = 1 << 20
_FORBIDDEN = ("\\", "\0")


@dataclass(frozen=True, slots=True)
class Asset:
    """A file found for a URL path: where it is, its size, and its strong ETag (from its content)."""

    path: str
    size: int
    etag: str


class AssetFiles:
    """Looks up URL paths (decoded, ``/``-separated) in ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self._etags: dict[str, tuple[tuple[int, int, int], str]] = {}
        self._texts: dict[str, tuple[tuple[int, int, int] | None, object]] = {}

    def meta(self, name: str, parse: Callable[[str | None], T]) -> T:
        """``parse`` of the file ``name`` at the top of the directory (``None`` if absent), re-read when it changes."""
        path = f"{self.real_root}{os.sep}{name}"
        try:
            info = os.stat(path)
            key: tuple[int, int, int] | None = (info.st_ino, info.st_size, info.st_mtime_ns)
        except OSError:
            key = None
        cached = self._texts.get(name)
        if cached is not None and cached[0] == key:
            return cached[1]  # type: ignore[return-value]
        text = None
        if key is not None:
            try:
                text = Path(path).read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = None
        value = parse(text)
        self._texts[name] = (key, value)
        return value

    def ignore(self) -> Ignore:
        return self.meta(".assetsignore", Ignore)

    def find(self, pathname: str) -> Asset | None:
        """The asset served at ``pathname`` (``/css/site.css``), or ``None``."""
        if not pathname.startswith("/") or any(bad in pathname for bad in _FORBIDDEN):
            return None
        relative = pathname[1:]
        parts = relative.split("/")
        if any(part in ("", ".", "..") for part in parts):
            return None
        if self.ignore().ignored(relative):
            return None
        found = self._inside(parts)
        if found is None:
            return None
        real, info = found
        if not stat.S_ISREG(info.st_mode):
            return None
        return Asset(real, info.st_size, self._etag(real, info))

    def _inside(self, parts: list[str]) -> tuple[str, os.stat_result] | None:
        """The real path of ``parts`` under the directory and its stat, or ``None`` if it is absent or outside.

        One ``lstat`` per segment; only a path through a symlink pays for a full ``realpath``.
        """
        path = self.real_root
        try:
            for part in parts:
                path = f"{path}{os.sep}{part}"
                info = os.lstat(path)
                if stat.S_ISLNK(info.st_mode):
                    real = os.path.realpath(os.path.join(self.real_root, *parts))
                    if not real.startswith(self.real_root + os.sep):
                        return None  # a symlink out of the directory
                    return real, os.stat(real)
        except (OSError, ValueError):
            return None
        return path, info

    def _etag(self, path: str, info: os.stat_result) -> str:
        key = (info.st_ino, info.st_size, info.st_mtime_ns)
        cached = self._etags.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as file:
                while chunk := file.read(_HASH_CHUNK):
                    digest.update(chunk)
        except OSError:
            return ""
        etag = digest.hexdigest()[:32]
        self._etags[path] = (key, etag)
        return etag
