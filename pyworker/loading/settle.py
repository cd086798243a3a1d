"""Imports that race a save: a generation is taken only if its source files held still while it imported.

Editors and formatters often rewrite a module in place (``open(path, "w")`` truncates, then
writes), and a reload may import it in between: an empty module, or half of one. Each
source file's size and mtime are recorded when it is read; after the import they are
looked at again, and a generation whose files changed meanwhile (or that read empty a file
its previous generation read non-empty) is thrown away and imported again after
:data:`SETTLE` seconds, at most :data:`ATTEMPTS` times. A file that stays empty that long was
emptied on purpose, and is taken.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

SETTLE = 0.05  # seconds between imports of a generation whose files were still changing
ATTEMPTS = 10  # imports before taking what is there (a file emptied on purpose: 0.5 s)

Reads = dict[str, tuple[int, int, int]]  # source path -> (size, mtime_ns) before reading, and bytes read


def record(reads: Reads, path: str, source: bytes, before: os.stat_result) -> None:
    """Note what was read of ``path`` and how the file looked just before."""
    reads[path] = (before.st_size, before.st_mtime_ns, len(source))


def unsettled(reads: Mapping[str, tuple[int, int, int]], previous: Mapping[str, tuple[int, int, int]] | None) -> bool:
    """Whether a file changed since it was read (or while), or read empty though not empty a moment ago."""
    for path, (size, mtime, length) in reads.items():
        try:
            now = os.stat(path)
        except OSError:
            return True  # gone since: a checkout or a rename under way
        if length != size or (now.st_size, now.st_mtime_ns) != (size, mtime):
            return True
        if length == 0 and previous is not None and previous.get(path, (0, 0, 0))[2] > 0:
            return True
    return False
