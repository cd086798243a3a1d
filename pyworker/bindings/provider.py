"""What every binding kind is: a provider turning its config entries into values on ``env``.

A kind lives in one module of this package (``service.py``, ``queues.py``...), or a subpackage
when it outgrows one (``workflows/``, ``durable_objects/``),
exposing ``KEY`` (its config key, e.g. ``"services"``), ``build`` and ``describe``. They
get a :class:`BindingHost`: what the dev server lends bindings, never the server itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pyworker.bindings.durable_objects.registry import Objects
from pyworker.bindings.engines import Engines
from pyworker.config.model import WorkerConfig
from pyworker.errors import StorageError
from pyworker.printer import Printer
from pyworker.queues.broker import QueueBroker
from pyworker.storage.host import Storage
from pyworker.types import Directory


@dataclass(frozen=True)
class BindingHost:
    """What bindings may use: the directory of running workers, the printer, local storage
    (the state directory and its open databases, shared by every worker of the server), and
    the engines that outlive a reload (Workflows)."""

    directory: Directory
    printer: Printer
    storage: Storage | None = None
    workflows: Engines = field(default_factory=Engines)
    queues: QueueBroker | None = None  # the server's queue broker (producers send through it)
    objects: Objects = field(default_factory=Objects)  # the server's Durable Objects, kept across reloads

    def state(self) -> Storage:
        """The server's storage; a host without one cannot serve KV, D1 or R2 bindings."""
        if self.storage is None:
            raise StorageError("This dev server has no state directory, so it cannot serve KV, D1 or R2 bindings.")
        return self.storage


class Provider(Protocol):
    """One binding kind, as a module: see :mod:`pyworker.bindings.service`."""

    KEY: str
    build: Callable[[WorkerConfig, BindingHost], dict[str, Any]]
    describe: Callable[[WorkerConfig, BindingHost], list[str]]
