"""Everything around serving that the terminal session adds: worker output, hotkeys, debuggers."""

from __future__ import annotations

import contextlib
from collections.abc import Generator

from pyworker.options import DevOptions
from pyworker.runtime.output import WorkerOutput
from pyworker.session.debugger import Breakpoints, debugger_help, start_debugpy
from pyworker.session.hotkeys import hotkey_session
from pyworker.session.listing import SessionServer


@contextlib.contextmanager
def dev_session(server: SessionServer, options: DevOptions) -> Generator[None, None, None]:
    """While serving: worker ``print``/``logging`` under their prefixes, the hotkey bar on a terminal,
    pdb at ``breakpoint()``, and debugpy with ``--debugpy``."""
    printer = server.printer
    attach = start_debugpy(options.debugpy, printer) if options.debugpy is not None else None
    with (
        WorkerOutput(printer).installed(options.log_level),
        hotkey_session(server, options.interactive, lambda: debugger_help(attach)) as session,
    ):
        if session is None:
            breakpoints = Breakpoints(printer, lambda: None, lambda: None)
        else:
            breakpoints = Breakpoints(printer, session.pause, session.resume)
        with breakpoints.installed():
            yield
