"""Values as loose files, as Miniflare keeps them: ``<namespace>/blobs/<blob id>``.

A blob id is Miniflare's: 32 random bytes and the time of writing in milliseconds (8 bytes,
big-endian), in hex. Ids are checked against a plain shape before any path is built, so
neither a key like ``../../etc/passwd`` nor a damaged row can reach a file outside the blob
directory. Blobs are written before the row that names them is committed and removed after
the row that named them is gone: a crash in between leaves an unreferenced file (removed by
:meth:`BlobStore.sweep` at a later start-up), never a row pointing at nothing. Methods block:
the stores call them inline for small values and on the database's thread for large ones.

A blob is never rewritten (a new value is a new blob id, also when wrangler writes it), so small
values read once are kept in memory by their id: a changed value always comes with a new id from
its row, so the memory is never stale for what pyworker and wrangler write. What neither does, a
file deleted, truncated or edited by hand, is caught by one ``stat`` (inode, size, modification
time against those it had when read) at most :data:`RECHECK_AFTER` seconds after the last one, so
a read repeated within that window costs no system call.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pyworker.errors import StateWriteError, StorageError

_BLOB_ID = re.compile(r"[0-9A-Za-z_-]{1,200}")
SWEEP_AFTER = 600.0  # seconds: a younger unreferenced blob may be another process's write in flight
_FULL = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG})
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_READ_ONLY = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})
CACHE_VALUE = 64 * 1024  # values up to this size are kept in memory once read...
CACHE_BYTES = 8 * 1024 * 1024  # ...up to this much per namespace (oldest first out)
_ENTRY_COST = 256  # bytes an entry costs beyond its value (its id, the dict slot, the bytes object)
RECHECK_AFTER = 1.0  # seconds a kept value is served without looking at its file
Stamp = tuple[int, int, int]  # inode, size, modification time (ns) of a blob file when it was read
_clock = time.monotonic  # tests move it past RECHECK_AFTER


class MissingBlob(StorageError):
    """A row names a file that is not there: deleted by hand, or replaced by another process just now."""


def new_blob_id() -> str:
    return secrets.token_hex(32) + int(time.time() * 1000).to_bytes(8, "big").hex()


def write_failure(label: str, path: Path, exc: OSError) -> StateWriteError:
    """The sentence for a failed write: the disk is full, the state is read-only, or what the system said."""
    if exc.errno in _FULL:
        why = f"the disk holding {path} is full"
    elif exc.errno in _READ_ONLY:
        why = f"{path} is read-only"
    else:
        why = f"writing {path} failed ({exc.strerror or exc})"
    return StateWriteError(f"{label}: {why}; nothing was stored.")


class BlobStore:
    """The value files of one namespace, under ``directory``; ``label`` names it in messages."""

    def __init__(self, directory: Path, label: str) -> None:
        self.directory = directory
        self.label = label
        self._prefix = str(directory) + os.sep
        self._kept: dict[str, list[Any]] = {}  # blob id -> [its file's Stamp, its bytes, when to stat again]
        self._kept_bytes = 0
        self._lock = threading.Lock()  # reads happen on the event loop and on the database's thread

    def path(self, blob_id: str) -> str:
        if not _BLOB_ID.fullmatch(blob_id):
            raise StorageError(
                f"{self.label}: the blob id {blob_id!r} in its database is not a file name; refusing it."
            )
        return self._prefix + blob_id

    def write(self, chunks: Iterable[bytes]) -> str:
        """Store ``chunks`` as one new blob and return its id; a failed write leaves no file behind."""
        blob_id = new_blob_id()
        path = self._prefix + blob_id
        try:
            try:
                fd = os.open(path, _CREATE, 0o644)  # O_EXCL: a new name, never an existing file
            except FileNotFoundError:
                self.directory.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, _CREATE, 0o644)
            try:
                for chunk in chunks:
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise write_failure(self.label, Path(path), exc) from exc
        return blob_id

    def _missing(self, key: str, path: str) -> MissingBlob:
        return MissingBlob(
            f"{self.label}: the value file of {key!r}, {path}, is missing; it may have been deleted by hand."
        )

    def _open(self, path: str, key: str) -> int:
        try:
            return os.open(path, os.O_RDONLY)
        except FileNotFoundError as exc:
            raise self._missing(key, path) from exc

    def _recall(self, blob_id: str, key: str) -> bytes | None:
        """The value kept from an earlier read, if its file is still the one read then (a ``stat`` at most
        once in :data:`RECHECK_AFTER` seconds). Only ids that named a file are kept: no path check needed."""
        kept = self._kept.get(blob_id)
        if kept is None:
            return None
        now = _clock()
        if now < kept[2]:
            return kept[1]  # type: ignore[no-any-return]
        path = self._prefix + blob_id
        try:
            info = os.stat(path)
        except FileNotFoundError as exc:
            self._forget(blob_id)
            raise self._missing(key, path) from exc
        if (info.st_ino, info.st_size, info.st_mtime_ns) != kept[0]:
            self._forget(blob_id)
            return None
        kept[2] = now + RECHECK_AFTER
        return kept[1]  # type: ignore[no-any-return]

    def _keep(self, blob_id: str, info: os.stat_result, data: bytes) -> None:
        cost = len(data) + _ENTRY_COST
        if len(data) != info.st_size or len(data) > CACHE_VALUE:
            return
        with self._lock:
            while self._kept and self._kept_bytes + cost > CACHE_BYTES:
                oldest = next(iter(self._kept))
                self._kept_bytes -= len(self._kept.pop(oldest)[1]) + _ENTRY_COST
            if blob_id not in self._kept:
                self._kept[blob_id] = [(info.st_ino, info.st_size, info.st_mtime_ns), data, _clock() + RECHECK_AFTER]
                self._kept_bytes += cost

    def _forget(self, blob_id: str) -> None:
        with self._lock:
            kept = self._kept.pop(blob_id, None)
            if kept is not None:
                self._kept_bytes -= len(kept[1]) + _ENTRY_COST

    def _check_size(self, key: str, path: str, actual: int, size: int | None) -> None:
        if size is not None and actual != size:
            raise StorageError(
                f"{self.label}: the value file of {key!r}, {path}, holds {actual} bytes where {size} were "
                "stored; it was truncated or changed outside pyworker and wrangler. Put the value again."
            )

    def read(
        self, blob_id: str, start: int = 0, length: int | None = None, size: int | None = None, key: str = ""
    ) -> bytes:
        """``length`` bytes from ``start``; with ``size`` (the recorded length), a file of another length is an error.

        ``key`` names the value in that error and in the one for a missing file.
        """
        data = self._recall(blob_id, key)
        if data is not None:
            if size is not None and len(data) != size:
                self._check_size(key, self.path(blob_id), len(data), size)
            end = len(data) if length is None else min(len(data), start + length)
            return data if start == 0 and end == len(data) else data[start:end]
        path = self.path(blob_id)
        fd = self._open(path, key)
        try:
            info = os.fstat(fd)
            self._check_size(key, path, info.st_size, size)
            end = info.st_size if length is None else min(info.st_size, start + length)
            if start or end != info.st_size:
                return _pread(fd, start, end)
            data = _pread(fd, 0, end)
        finally:
            os.close(fd)
        self._keep(blob_id, info, data)
        return data

    def read_small(self, blob_id: str, limit: int, key: str = "") -> bytes | None:
        """The whole value when it is at most ``limit`` bytes (read inline), else ``None`` (read it on a thread)."""
        data = self._recall(blob_id, key)
        if data is not None:
            return data
        path = self.path(blob_id)
        fd = self._open(path, key)
        try:
            info = os.fstat(fd)
            if info.st_size > limit:
                return None
            data = _pread(fd, 0, info.st_size)
        finally:
            os.close(fd)
        self._keep(blob_id, info, data)
        return data

    def delete(self, blob_id: str) -> None:
        self._forget(blob_id)
        with contextlib.suppress(OSError, StorageError):
            os.unlink(self.path(blob_id))

    def sweep(self, referenced: set[str], now: float | None = None) -> int:
        """Remove blob files no row names, written more than :data:`SWEEP_AFTER` seconds ago; how many."""
        cutoff = (time.time() if now is None else now) - SWEEP_AFTER
        removed = 0
        try:
            with os.scandir(self.directory) as found:
                entries = list(found)
        except OSError:
            return 0
        for entry in entries:
            if entry.name in referenced or not _BLOB_ID.fullmatch(entry.name):
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
        return removed


def _pread(fd: int, start: int, end: int) -> bytes:
    """The bytes from ``start`` to ``end``: one ``pread`` (sized from ``fstat``) unless the system returns less."""
    pieces = []
    while start < end and (piece := os.pread(fd, end - start, start)):
        pieces.append(piece)
        start += len(piece)
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)
