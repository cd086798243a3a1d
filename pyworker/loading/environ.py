"""``os.environ`` per worker: what one worker's code sets there, no other worker sees.

On Cloudflare every worker has an isolate of its own, so Django's
``os.environ.setdefault("DJANGO_SETTINGS_MODULE", ...)`` in one worker cannot change
another's. Here every worker shares one process, so while workers are loaded
``os.environ`` (the very object, so ``from os import environ`` holders and ``os.getenv``
agree) has the class :class:`WorkerEnviron`: code of a worker generation reads the
process environment overlaid with that generation's own changes, and writes only to
them. Code outside every worker reads and writes the process environment as usual, and so
does a plain ``threading.Thread`` a worker starts (it inherits no context; ``asyncio.to_thread``
and the WSGI bridge's threads do).

Process state: the class of ``os.environ``, swapped by :func:`install` and back by
:func:`uninstall` (the import router does both, with the first and the last worker).
Changes a worker makes are not passed to ``putenv``: subprocesses see the process's
environment, and ``os.environb`` is not overlaid.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from pyworker.runtime.scope import current_worker

Changes = dict[str, str | None]  # name -> value, or None where the worker deleted it


_current = current_worker.get
_process_getitem = os._Environ.__getitem__


def _changes() -> Changes | None:
    scope = _current()
    return getattr(scope.namespace, "environ", None) if scope is not None else None


class WorkerEnviron(os._Environ[str]):
    """``os.environ`` while workers are loaded: each worker generation's changes over the process's."""

    def __getitem__(self, key: str) -> str:
        scope = _current()  # inlined _changes(): reads are the common case
        if scope is not None:
            changes: Changes | None = getattr(scope.namespace, "environ", None)
            if changes and key in changes:
                value = changes[key]
                if value is None:
                    raise KeyError(key)
                return value
        return _process_getitem(self, key)

    def __setitem__(self, key: str, value: str) -> None:
        changes = _changes()
        if changes is None:
            super().__setitem__(key, value)
            return
        self.encodekey(key)  # the same TypeError as os.environ for a non-str key or value
        self.encodevalue(value)
        changes[key] = value

    def __delitem__(self, key: str) -> None:
        changes = _changes()
        if changes is None:
            super().__delitem__(key)
            return
        if key not in self:
            raise KeyError(key)
        changes[key] = None

    def __iter__(self) -> Iterator[str]:
        changes = _changes()
        if not changes:
            yield from super().__iter__()
            return
        for key in list(super().__iter__()):
            if key not in changes:
                yield key
        yield from (key for key, value in list(changes.items()) if value is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def copy(self) -> dict[str, str]:
        return dict(self)

    def setdefault(self, key: str, value: str) -> str:
        if key not in self:
            self[key] = value
        return self[key]

    def __repr__(self) -> str:
        return f"environ({dict(self)!r})"


def install() -> None:
    if type(os.environ) is os._Environ:
        os.environ.__class__ = WorkerEnviron


def uninstall() -> None:
    if type(os.environ) is WorkerEnviron:
        os.environ.__class__ = os._Environ  # type: ignore[assignment]
