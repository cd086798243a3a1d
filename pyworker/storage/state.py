"""Where local state lives: one root per dev server, laid out like ``wrangler dev``'s.

The root is ``<first worker's config directory>/.wrangler/state/v3``, or ``DIR/v3`` with
``--persist-to DIR`` (wrangler's rule: a given directory is taken relative to the working
directory, the default relative to the config). With several workers, as with
``wrangler dev -c a -c b``, the first worker's directory holds the state of all of them,
so two workers naming the same KV ``id``, D1 ``database_id`` or R2 ``bucket_name`` share it.

File names never come from user keys. D1 databases sit exactly where wrangler keeps them
(``d1/miniflare-D1DatabaseObject/<object id>.sqlite``), so an existing project's local data is
the same file. KV and R2 use pyworker's own layout under ``pyworker/``: wrangler's KV and R2
formats are internal to Miniflare (values as loose blob files), and mixing both in one
folder would let either tool misread the other's files.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

STATE_DIR = Path(".wrangler") / "state"
VERSION = "v3"
D1_OBJECT = "miniflare-D1DatabaseObject"


def durable_object_id(unique_key: str, name: str) -> str:
    """The id workerd gives ``namespace.idFromName(name)`` in a namespace with ``unique_key``.

    Miniflare names each Durable Object's SQLite file after it, so this is how wrangler's
    local D1 file for a database id is found.
    """
    key = hashlib.sha256(unique_key.encode()).digest()
    name_mac = hmac.new(key, name.encode(), hashlib.sha256).digest()[:16]
    check = hmac.new(key, name_mac, hashlib.sha256).digest()[:16]
    return (name_mac + check).hex()


def _digest(kind: str, name: str) -> str:
    return hashlib.sha256(f"{kind}\0{name}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class StateDir:
    """The state root of one dev server (or one command), and the file of each namespace in it."""

    root: Path

    @classmethod
    def resolve(cls, config_dir: Path, persist_to: Path | None = None) -> StateDir:
        """wrangler's rule: ``--persist-to DIR`` (from the working directory), else the config's ``.wrangler/state``."""
        base = Path(os.path.abspath(persist_to)) if persist_to is not None else config_dir / STATE_DIR
        return cls(base / VERSION)

    def d1(self, database_id: str) -> Path:
        """The SQLite file of D1 database ``database_id`` (``preview_database_id``, else ``database_id``)."""
        return self.root / "d1" / D1_OBJECT / f"{durable_object_id(D1_OBJECT, database_id)}.sqlite"

    def kv(self, namespace_id: str) -> Path:
        return self.root / "pyworker" / "kv" / f"{_digest('kv', namespace_id)}.sqlite"

    def r2(self, bucket_name: str) -> Path:
        """A bucket's directory: ``bucket.sqlite`` for keys and metadata, ``blobs/`` for large values."""
        return self.root / "pyworker" / "r2" / _digest("r2", bucket_name)

    def workflow(self, name: str) -> Path:
        """The SQLite file of Workflow ``name`` (a name Cloudflare allows, so a safe file name)."""
        return self.root / "workflows" / "pyworker" / f"{name}.sqlite"

    def queues(self) -> Path:
        """Every queue's messages, in one file (Miniflare keeps queues in memory: no wrangler file to share)."""
        return self.root / "queues" / "queues.sqlite"

    def durable_objects(self, worker: str, class_name: str) -> Path:
        """The directory of a Durable Object class, one ``<object id>.sqlite`` per object, as Miniflare's."""
        return self.root / "do" / f"{worker}-{class_name}"

    def display(self, path: Path) -> str:
        """``path`` relative to the working directory when it is below it, for tables and messages."""
        try:
            return os.path.relpath(path)
        except ValueError:  # pragma: no cover - another drive on Windows
            return str(path)
