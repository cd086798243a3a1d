"""Where local state lives: one root per dev server, laid out exactly as ``wrangler dev`` keeps it.

The root is ``<project directory>/.wrangler/state/v3``, or ``DIR/v3`` with ``--persist-to DIR``
(wrangler's rule: a given directory is taken relative to the working directory). Inside it
each binding kind has Miniflare's folder (``kv``, ``r2``, ``d1``, ``do``...). A namespace is a
Durable Object of Miniflare's: its SQLite file is
``<kind>/<unique key>/<object id>.sqlite`` (:meth:`StateDir.object_file`), and the values it
keeps as loose files sit in ``<kind>/<namespace>/blobs/`` (:meth:`StateDir.blobs`). So
``pyworker dev`` and ``wrangler dev`` read and write the very same files.

File names never come from user keys: blob files are named by random ids, and a namespace's
folder by its configured id, made safe as Miniflare makes it (:func:`sanitise_path`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from pathlib import Path

STATE_DIR = Path(".wrangler") / "state"
VERSION = "v3"
D1_OBJECT = "miniflare-D1DatabaseObject"
KV_OBJECT = "miniflare-KVNamespaceObject"
R2_OBJECT = "miniflare-R2BucketObject"

_DOTS = re.compile(r"(^|/|\\)(\.+)(/|\\|$)")
_ILLEGAL = re.compile(r"[?<>*\"'^/\\:|\x00-\x1f\x80-\x9f]")
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
_LEADING = re.compile(r"^[ /\\]+")
_TRAILING = re.compile(r"[ /\\]+$")


def durable_object_id(unique_key: str, name: str) -> str:
    """The id workerd gives ``namespace.idFromName(name)`` in a namespace with ``unique_key``.

    Miniflare names each Durable Object's SQLite file after it, so this is how wrangler's
    local file for a KV namespace, an R2 bucket or a D1 database is found.
    """
    key = hashlib.sha256(unique_key.encode()).digest()
    name_mac = hmac.new(key, name.encode(), hashlib.sha256).digest()[:16]
    check = hmac.new(key, name_mac, hashlib.sha256).digest()[:16]
    return (name_mac + check).hex()


def sanitise_path(name: str) -> str:
    """A namespace name as Miniflare turns it into one folder name: no separators, dots or device names."""

    def underscores(match: re.Match[str]) -> str:
        return "_" * len(match.group(0))

    def dots(match: re.Match[str]) -> str:
        return match.group(1) + "_" * len(match.group(2)) + match.group(3)

    name = _DOTS.sub(dots, _DOTS.sub(dots, name))
    name = _RESERVED.sub("_", _ILLEGAL.sub("_", name))
    return _TRAILING.sub(underscores, _LEADING.sub(underscores, name))[:255]


@dataclass(frozen=True)
class StateDir:
    """The state root of one dev server (or one command), and the files of each namespace in it."""

    root: Path

    @classmethod
    def resolve(cls, project_dir: Path, persist_to: Path | None = None) -> StateDir:
        """``--persist-to DIR`` (from the working directory), else the project's ``.wrangler/state``, as wrangler."""
        base = Path(os.path.abspath(persist_to)) if persist_to is not None else project_dir / STATE_DIR
        return cls(base / VERSION)

    @classmethod
    def for_project(cls, project_dir: Path, persist_to: Path | None = None) -> StateDir:
        """:meth:`resolve`, except that a project directory without state of its own uses the nearest
        ``.wrangler/state`` above it (as git finds ``.git``, and not past a repository's top), so a
        command run in a worker's folder finds the project's data."""
        if persist_to is None and not (project_dir / STATE_DIR).is_dir():
            for parent in project_dir.resolve().parents:
                if (parent / STATE_DIR).is_dir():
                    return cls(parent / STATE_DIR / VERSION)
                if (parent / ".git").exists():
                    break
        return cls.resolve(project_dir, persist_to)

    def object_file(self, kind: str, unique_key: str, name: str) -> Path:
        """The SQLite file of the Durable Object ``idFromName(name)`` of class ``unique_key``, under ``kind``."""
        return self.root / kind / unique_key / f"{durable_object_id(unique_key, name)}.sqlite"

    def blobs(self, kind: str, namespace: str) -> Path:
        """The folder of a namespace's value files (``kv/<namespace id>/blobs``), as Miniflare names it."""
        return self.root / kind / sanitise_path(namespace) / "blobs"

    def d1(self, database_id: str) -> Path:
        """The SQLite file of D1 database ``database_id`` (``preview_database_id``, else ``database_id``)."""
        return self.object_file("d1", D1_OBJECT, database_id)

    def kv(self, namespace_id: str) -> Path:
        """The SQLite file of KV namespace ``namespace_id`` (its values are in :meth:`blobs`)."""
        return self.object_file("kv", KV_OBJECT, namespace_id)

    def r2(self, bucket_name: str) -> Path:
        """The SQLite file of R2 bucket ``bucket_name`` (its objects are in :meth:`blobs`)."""
        return self.object_file("r2", R2_OBJECT, bucket_name)

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


def legacy_kv(state: StateDir, namespace_id: str) -> Path:
    """Where pyworker up to this release kept a KV namespace (migrated once, see :mod:`pyworker.storage.migrate`)."""
    return state.root / "pyworker" / "kv" / f"{_legacy_digest('kv', namespace_id)}.sqlite"


def legacy_r2(state: StateDir, bucket_name: str) -> Path:
    """Where pyworker up to this release kept an R2 bucket (``bucket.sqlite`` and ``blobs/``)."""
    return state.root / "pyworker" / "r2" / _legacy_digest("r2", bucket_name)


def _legacy_digest(kind: str, name: str) -> str:
    return hashlib.sha256(f"{kind}\0{name}".encode()).hexdigest()[:32]
