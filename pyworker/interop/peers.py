"""``Peers``: the :class:`~pyworker.types.Directory` bindings see when the dev registry is on.

A name is this process's worker if it runs one of that name (a local worker always wins),
else the live registry entry's worker in another process: a pyworker one through ``remote``
(the transport's target), a wrangler dev one through ``wrangler``. Both factories are handed in,
so this module knows neither transport. A target is made once per entry (the same process at
the same addresses gets the same object, so its connection is reused) and dropped when the
entry changes or leaves. Bindings to other processes' workers say on the terminal, under the
caller's name, when they connect and disconnect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from pyworker.interop.entries import Entry
from pyworker.interop.registry import DevRegistry
from pyworker.printer import Printer
from pyworker.types import Directory, Target

Factory = Callable[[Entry], Target | None]  # None: this entry cannot be called from here
Binding = tuple[str, str, str]  # (calling worker, binding name, target worker)


@runtime_checkable
class Closable(Protocol):
    """A target holding a connection, closed when its entry changes or leaves."""

    def close(self) -> None: ...


class Peers:
    """This process's workers, then the live registry entries of other processes."""

    def __init__(
        self,
        local: Directory,
        registry: DevRegistry,
        remote: Factory | None = None,
        wrangler: Factory | None = None,
        printer: Printer | None = None,
        bindings: Callable[[], list[Binding]] | None = None,
    ) -> None:
        self.local = local
        self.registry = registry
        self.remote = remote
        self.wrangler = wrangler
        self.printer = printer
        self.bindings = bindings  # the bindings whose (dis)connection is printed
        self.telling = False  # print (dis)connections: set once the start-up table has shown how each stands
        self._targets: dict[str, tuple[Entry, tuple[object, ...], Target]] = {}  # by the entry it was built from
        registry.on_change(self._changed)

    def get(self, name: str) -> Target | None:
        local = self.local.get(name)
        if local is not None:
            return local
        entry = self.registry.entries.get(name)
        if entry is None:
            return None
        cached = self._targets.get(name)
        if cached is not None and (cached[0] is entry or cached[1] == entry.key):
            return cached[2]
        target = self._build(entry)
        if target is not None:
            self._targets[name] = (entry, entry.key, target)
        return target

    def _build(self, entry: Entry) -> Target | None:
        if entry.wrangler:
            return self.wrangler(entry) if self.wrangler is not None else None
        if entry.address is None or self.remote is None:
            return None
        return self.remote(entry)

    def status(self, name: str) -> str:
        """``connected`` (this process), ``connected, pid 1234``, ``connected, wrangler dev``, ``not running``;
        ``registered, pid 1234, no endpoint`` for an entry this process has no way to call."""
        if self.local.get(name) is not None:
            return "connected"
        return self._remote_status(name)

    def _remote_status(self, name: str) -> str:
        entry = self.registry.entries.get(name)
        if entry is None:
            return "not running"
        where = "wrangler dev" if entry.wrangler else f"pid {entry.pid}"
        return f"connected, {where}" if self.get(name) is not None else f"registered, {where}, no endpoint"

    def _changed(self, before: dict[str, Entry], after: dict[str, Entry]) -> None:
        for name, (_entry, key, target) in list(self._targets.items()):
            entry = after.get(name)
            if entry is None or entry.key != key:
                del self._targets[name]
                if isinstance(target, Closable):
                    target.close()
        if self.printer is None or self.bindings is None or not self.telling:
            return
        for caller, binding, name in self.bindings():
            if self.local.get(name) is not None:
                continue
            line = _transition(name, before.get(name), after.get(name), self._remote_status(name))
            if line is not None:
                self.printer.worker(caller, f"{binding} -> {line}")


def _transition(name: str, before: Entry | None, after: Entry | None, status: str) -> str | None:
    """What a binding to ``name`` says when its entry goes from ``before`` to ``after`` (None: nothing)."""
    if before is not None and after is not None and before.key == after.key:
        return None
    if after is None:
        return f"{name} disconnected: {name} stopped" if before is not None else None
    state, _, where = status.partition(", ")
    if state == "connected":
        return f"{name} connected ({where})"
    return f"{name} registered ({where.removesuffix(', no endpoint')}) without an endpoint: not callable"
