"""Workers in a process of their own: the child's side (``pyworker dev <config> --child SPEC``).

The child serves its one worker as any ``pyworker dev`` does, but: on the socket its parent
bound (:func:`pyworker.serving.processes.inherited_listeners`), without a table or a Ready
line of its own (the parent shows them; :func:`announce_ready` tells it instead), and
stopped by its parent through its stdin (:func:`parent_control`): ``stop``, ``force`` (a
second Ctrl-C), ``reload`` (the ``r`` key), and the end of its stdin, which means the
parent is gone. Its lines go to its stdout, a pipe its parent reads (:mod:`pyworker.interop.relay`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Awaitable, Callable, Generator

from pyworker.interop.relay import READY
from pyworker.printer import Printer
from pyworker.runtime.scope import current_worker


def announce_ready(printer: Printer) -> None:
    """Tell the parent this child serves (a line it reads, in order with the lines before it)."""
    printer.write(READY, "always")


class ParentControl:
    """Reads the parent's commands from file descriptor ``fd`` in a thread; runs them on ``loop``.

    Unbuffered reads: a daemon thread blocked in a buffered ``readline`` at interpreter exit
    would hold the buffer's lock, and Python aborts on that.
    """

    def __init__(
        self,
        fd: int,
        loop: asyncio.AbstractEventLoop,
        stop: Callable[[], None],
        reload: Callable[[], Awaitable[None]],
    ) -> None:
        self.fd = fd
        self.loop = loop
        self.stop = stop
        self.reload = reload
        self.thread = threading.Thread(target=self._read, name="pyworker-parent", daemon=True)

    def _read(self) -> None:
        pending = b""
        while chunk := _read(self.fd):
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                self._command(line.strip())
        self._call(self.stop)  # the parent is gone (or closed our stdin): stop

    def _command(self, command: bytes) -> None:
        if command in (b"stop", b"force"):
            self._call(self.stop)
        if command == b"force":
            self._call(self.stop)  # a second stop forces, as a second Ctrl-C
        elif command == b"reload":
            self._call(lambda: asyncio.ensure_future(self.reload()))

    def _call(self, function: Callable[[], object]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: the child is exiting anyway
            self.loop.call_soon_threadsafe(function)


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except OSError:
        return b""


NO_BREAKPOINTS = (
    "breakpoint() was skipped: this worker runs in a process of its own, and pdb needs the terminal, "
    'which pyworker dev keeps. To debug it, run it without [dev] process = "own" or --own-process.'
)


def _breakpoint_skipped(*args: object, **kwargs: object) -> None:
    scope = current_worker.get()
    if scope is not None and scope.printer is not None:
        scope.printer.hint(scope.name, ("breakpoint",), NO_BREAKPOINTS)


@contextlib.contextmanager
def parent_control(stop: Callable[[], None], reload: Callable[[], Awaitable[None]]) -> Generator[None, None, None]:
    """While serving, the parent's commands on stdin (see the module's docstring); ``breakpoint()``
    says why it is skipped, as stdin is the parent's pipe, not a terminal."""
    control = ParentControl(sys.stdin.fileno(), asyncio.get_running_loop(), stop, reload)
    control.thread.start()
    previous, sys.breakpointhook = sys.breakpointhook, _breakpoint_skipped
    try:
        yield
    finally:
        sys.breakpointhook = previous
