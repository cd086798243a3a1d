"""What every binding kind is: a provider turning its config entries into values on ``env``.

A kind lives in one module of this package (``service.py``, ``queues.py``...), or a subpackage
when it outgrows one (``workflows/``, ``durable_objects/``),
exposing ``KEY`` (its config key, e.g. ``"services"``), ``build`` and ``describe``. They
get a :class:`BindingHost`: what the dev server lends bindings, never the server itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pyworker.bindings.engines import Engines
from pyworker.config.model import WorkerConfig
from pyworker.errors import StorageError
from pyworker.printer import Printer
from pyworker.types import Directory

if TYPE_CHECKING:
    from pyworker.bindings.durable_objects.registry import Objects
    from pyworker.queues.broker import QueueBroker
    from pyworker.storage.host import Storage


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

    _made: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)  # what is made on first use

    @property
    def objects(self) -> Objects:
        """The server's Durable Objects, kept across reloads: made (and their modules imported) on first use."""
        objects: Objects | None = self._made.get("objects")
        if objects is None:
            from pyworker.bindings.durable_objects.registry import Objects

            objects = self._made["objects"] = Objects()
            objects.started = bool(self._made.get("serving"))  # made by a reload: alarms set now are scheduled
        return objects

    def start_objects(self) -> None:
        """Serving starts: the Durable Objects made so far schedule the alarms stored before."""
        self._made["serving"] = True
        if "objects" in self._made:
            self._made["objects"].start()

    async def stop_objects(self) -> None:
        if "objects" in self._made:
            await self._made["objects"].stop()

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
