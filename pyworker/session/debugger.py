"""Debuggers under the dev server: ``breakpoint()`` with pdb, and a debugpy listener for editors.

pdb's own SIGINT handler, installed when a session ``c``\\ ontinues, would keep Ctrl-C
for itself long after the session ended (``Program interrupted. (Use 'cont' to resume).``),
so the dev server's pdb has none: Ctrl-C always stops the server. While pdb has the
prompt, the hotkey session gives the terminal back, and pyworker's pending lines are
written first so the prompt comes after them. ``q`` abandons the request (a 500).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Generator
from types import FrameType
from typing import Any

from pyworker.printer import Printer


class Breakpoints:
    """``sys.breakpointhook`` while serving (unless ``PYTHONBREAKPOINT`` chooses another debugger)."""

    def __init__(self, printer: Printer, pause: Callable[[], None], resume: Callable[[], None]) -> None:
        self.printer = printer
        self.pause = pause
        self.resume = resume

    def hook(self, *args: Any, **kwargs: Any) -> None:
        if os.environ.get("PYTHONBREAKPOINT"):
            sys.__breakpointhook__(*args, **kwargs)
            return
        self.printer.flush()
        self.pause()
        stdout = getattr(sys.stdout, "original", sys.stdout)  # the terminal, not the worker's stand-in
        frame: FrameType | None = sys._getframe(1)
        from pyworker.session.server_pdb import ServerPdb  # here: pdb costs ~4 ms at start-up

        ServerPdb(self.resume, sys.__stdin__ or sys.stdin, stdout).set_trace(frame)

    @contextlib.contextmanager
    def installed(self) -> Generator[None, None, None]:
        previous, sys.breakpointhook = sys.breakpointhook, self.hook
        try:
            yield
        finally:
            if sys.breakpointhook == self.hook:
                sys.breakpointhook = previous


def start_debugpy(port: int, printer: Printer) -> str:
    """Listen for a debugger on loopback ``port``; say how to attach (or how to install debugpy).

    Returns what the ``d`` key says from then on.
    """
    try:
        debugpy = importlib.import_module("debugpy")
    except ImportError:
        line = (
            f"--debugpy: debugpy is not installed in {sys.prefix}. Install it with "
            f"{sys.executable} -m pip install debugpy, then restart pyworker dev --debugpy."
        )
        printer.warning(line)
        return line
    try:
        debugpy.listen(("127.0.0.1", port))
    except Exception as exc:  # debugpy raises RuntimeError or OSError for a busy port
        line = f"--debugpy: cannot listen on 127.0.0.1:{port}: {exc}. Pick another port with --debugpy=PORT."
        printer.warning(line)
        return line
    line = debugpy_attach_line(port)
    printer.write(line)
    return line


def debugpy_attach_line(port: int) -> str:
    return (
        f"debugpy listens on 127.0.0.1:{port}: in VS Code, run the debug configuration "
        f'"Python Debugger: Remote Attach" with host 127.0.0.1 and port {port} '
        "(breakpoints in worker code then stop there)."
    )


def debugger_help(debugpy_line: str | None) -> str:
    """What the ``d`` key says."""
    pdb_line = (
        "Put breakpoint() in worker code to stop there in pdb, in this terminal (c continues, q abandons the request)."
    )
    if debugpy_line is not None:
        return f"{debugpy_line}\n{pdb_line}"
    return f"{pdb_line}\nTo attach VS Code instead, restart with pyworker dev --debugpy (needs pip install debugpy)."
