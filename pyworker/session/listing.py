"""The ``l`` key: every worker with its URL, state, bindings and where its data is kept."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from pyworker.bindings.env import describe_bindings
from pyworker.bindings.provider import BindingHost
from pyworker.printer import Printer
from pyworker.serving.processes import Processes
from pyworker.storage.host import Storage
from pyworker.worker import Worker


class SessionServer(Protocol):
    """What the session needs of the dev server."""

    printer: Printer
    host: BindingHost
    storage: Storage
    announced: list[Callable[[], None]]
    processes: Processes

    @property
    def workers(self) -> list[Worker]: ...

    def urls(self) -> list[str]: ...

    def url_of(self, worker: str) -> str | None: ...

    def stop(self) -> None: ...

    def reload_all(self) -> Awaitable[None]: ...


def rows(server: SessionServer) -> list[Sequence[str]]:
    table: list[Sequence[str]] = []
    for worker in server.workers:
        bindings = describe_bindings(worker.config, server.host) or [""]
        state = "reloading" if worker.reloading and worker.code is not None else worker.state.value
        table.append([worker.name, server.url_of(worker.name) or "internal", state, bindings[0]])
        table.extend(["", "", "", more] for more in bindings[1:])
    for name, url, state, bindings in server.processes.rows(server.url_of, server.host):  # in their own process
        table.append([name, url, state, (bindings or [""])[0]])
        table.extend(["", "", "", more] for more in bindings[1:])
    return table


def listing(server: SessionServer) -> None:
    server.printer.table(["worker", "url", "state", "bindings"], rows(server))
    state = server.storage.state
    shown = state.display(state.root)
    where = str(state.root) if shown.startswith("..") else shown  # outside the working directory: in full
    server.printer.write(f"Local data (KV, D1, R2): {where}")
