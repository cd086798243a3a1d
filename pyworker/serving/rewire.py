"""After a config reload, a worker may move to another port or lose its URL: the listeners follow."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pyworker.errors import ServeError
from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.serving.adapter import WorkerApp
from pyworker.serving.dispatch import PortDispatch
from pyworker.serving.listeners import Listener, bind_other, moves
from pyworker.serving.uvicorn_server import UvicornServer

if TYPE_CHECKING:
    from pyworker.reload.reloader import Reloaded


async def rewire(
    change: Reloaded,
    server: UvicornServer,
    listeners: list[Listener],
    dispatch: PortDispatch,
    options: DevOptions,
    printer: Printer,
    app: Callable[[str], WorkerApp],
) -> None:
    """Move ``change.worker`` to the address its new config asks for (a busy one keeps the old address)."""
    current = next((listener for listener in listeners if listener.worker == change.worker), None)
    if not moves(change.old, change.new, current):
        return
    listener = None
    if not change.new.internal:
        try:
            listener = bind_other(change.new, options, {listener.port for listener in listeners})
        except ServeError as exc:
            printer.worker(change.worker, f"{exc} Keeping its current address.", "error")
            return
    if current is not None:
        server.unlisten(current.sock)
        dispatch.remove(current.port, listener.url if listener is not None else "")
        listeners.remove(current)
        printer.worker(change.worker, f"no longer listens on {current.url}")
    if listener is not None:
        listeners.append(listener)
        dispatch.add(listener.port, app(change.worker))
        await server.listen(listener.sock)
        printer.worker(change.worker, f"now listens on {listener.url}")
