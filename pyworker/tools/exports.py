"""What a worker exports, found by importing its code in isolation (as the dev server would) and unloading it."""

from __future__ import annotations

import contextlib
import itertools
import sys
from dataclasses import dataclass

from pyworker.config.model import WorkerConfig
from pyworker.errors import WorkerLoadError
from pyworker.loading.code import DEFAULT_ENTRYPOINT, load_code


@dataclass(frozen=True)
class Exported:
    """One entrypoint: its RPC methods and the runtime handlers (``fetch``...) it defines."""

    methods: frozenset[str]
    handlers: tuple[str, ...]


@dataclass(frozen=True)
class Exports:
    """A worker's entrypoints by name, or why its code could not be imported (``error``)."""

    entrypoints: dict[str, Exported]
    error: str | None = None


def exports(config: WorkerConfig, generations: itertools.count[int]) -> Exports:
    """Import ``config``'s code under a fresh generation, list its entrypoints, unload it.

    A module with only ``on_fetch``-style functions exports a ``Default`` with those handlers
    and no RPC methods, as Cloudflare treats it.
    """
    try:
        with contextlib.redirect_stdout(sys.stderr):  # what the code prints at import must not mix with a report
            code = load_code(config, next(generations))
    except WorkerLoadError as exc:
        return Exports({}, str(exc))
    try:
        found = {
            name: Exported(entry.methods, tuple(entry.handlers)) for name, entry in sorted(code.entrypoints.items())
        }
        if DEFAULT_ENTRYPOINT not in found and code.legacy:
            found = {DEFAULT_ENTRYPOINT: Exported(frozenset(), tuple(code.legacy)), **found}
    finally:
        code.unload()
    return Exports(found)
