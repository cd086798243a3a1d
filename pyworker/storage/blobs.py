"""Large values as files, named by random ids and never by the user's keys.

A blob's name is 32 random hex digits and is checked against that shape before any path
is built, so neither a key like ``../../etc/passwd`` nor a damaged database row can reach
a file outside the blob directory. Blobs are written before the row that names them is
committed and removed after the row that named them is gone: a crash in between leaves an
unreferenced file, never a row pointing at nothing. Methods block: call them on the
database's thread.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

from pyworker.errors import StorageError

_BLOB_ID = re.compile(r"[0-9a-f]{32}")


class BlobStore:
    """The files of one bucket, under ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, blob_id: str) -> Path:
        if not _BLOB_ID.fullmatch(blob_id):
            raise StorageError(f"The blob id {blob_id!r} in {self.directory} is not one pyworker wrote; refusing it.")
        return self.directory / blob_id

    def write(self, chunks: Iterable[bytes]) -> str:
        """Store ``chunks`` as one new blob; returns its id."""
        blob_id = secrets.token_hex(16)
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.path(blob_id), "xb") as file:  # "x": a new name, never an existing file
            for chunk in chunks:
                file.write(chunk)
        return blob_id

    def read(self, blob_id: str, start: int = 0, length: int | None = None) -> bytes:
        try:
            with open(self.path(blob_id), "rb") as file:
                file.seek(start)
                return file.read() if length is None else file.read(length)
        except FileNotFoundError as exc:
            raise StorageError(
                f"The value file {self.path(blob_id)} is missing; it may have been deleted by hand."
            ) from exc

    def delete(self, blob_id: str) -> None:
        with contextlib.suppress(FileNotFoundError, StorageError):
            self.path(blob_id).unlink()
