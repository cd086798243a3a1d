"""``workers.blob``: ``Blob`` and ``File``."""

from __future__ import annotations

from enum import StrEnum

from pyworker.runtime.blob import Blob, File

BlobValue = "str | bytes | memoryview | Blob | File"


class BlobEnding(StrEnum):
    TRANSPARENT = "transparent"
    NATIVE = "native"


__all__ = ["Blob", "BlobEnding", "BlobValue", "File"]
