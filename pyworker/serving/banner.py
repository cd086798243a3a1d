"""The start-up table (workers, URLs, bindings) and the ``Ready on ...`` line."""

from __future__ import annotations

from collections.abc import Sequence

from pyworker.bindings.env import describe_bindings
from pyworker.bindings.provider import BindingHost
from pyworker.printer import Printer
from pyworker.serving.listeners import Listener
from pyworker.worker import Worker, WorkerState


def announce(
    printer: Printer,
    workers: Sequence[Worker],
    listeners: Sequence[Listener],
    host: BindingHost,
    loading: Sequence[str] = (),
    own: Sequence[tuple[str, str, str, list[str]]] = (),
) -> None:
    """The table of workers, URLs and bindings, and the Ready line naming the workers still ``loading``;
    ``own``: each worker in a process of its own: its name, URL, state and bindings."""
    urls = {listener.worker: listener.url for listener in listeners}
    rows: list[list[str]] = []
    for worker in workers:
        url = urls.get(worker.name, "internal")
        if worker.state is WorkerState.FAILED:
            url += " (failed to load)"
        elif worker.name in loading:
            url += " (loading)"
        bindings = describe_bindings(worker.config, host)
        rows.append([worker.name, url, bindings[0] if bindings else ""])
        rows.extend(["", "", more] for more in bindings[1:])
    for name, url, state, bindings in own:
        rows.append([name, f"{url} ({state})", bindings[0] if bindings else ""])
        rows.extend(["", "", more] for more in bindings[1:])
    printer.table(["worker", "url", "bindings"], rows)
    if host.storage is not None:  # one place for the project's data, named once when a binding keeps any
        root = host.storage.state.display(host.storage.state.root)
        if any(root in row[2] for row in rows):
            printer.write(f"Local data: {root} (the files wrangler dev uses too)")
    still = f" (still loading: {', '.join(loading)})" if loading else ""
    if listeners:
        printer.write(f"Ready on {listeners[0].url}{still}")
    else:
        printer.write(f"Ready (every worker is internal: none has a URL){still}")
