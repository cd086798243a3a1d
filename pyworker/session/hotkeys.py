"""The hotkey bar of ``pyworker dev`` on a terminal, as wrangler's: one key, one action, no Enter.

Only when stdin and stdout are a terminal this process owns, and not with
``--show-interactive-dev-session=false``. Keys are read by the event loop from the
terminal in cbreak mode (no echo: keys never appear in the log); Ctrl-C stays a signal.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass

from pyworker.printer import Printer
from pyworker.session.listing import SessionServer, listing
from pyworker.session.terminal import Terminal, interactive

CLEAR = "\x1b[2J\x1b[3J\x1b[H"  # clear the screen and its scrollback, cursor home


@dataclass(frozen=True)
class Hotkey:
    keys: str  # the keys that do it (the first is shown)
    label: str


HOTKEYS = (
    Hotkey("b", "open a browser"),
    Hotkey("d", "debugger"),
    Hotkey("l", "list workers"),
    Hotkey("r", "reload"),
    Hotkey("c", "clear console"),
    Hotkey("xq", "to exit"),
)


def bar() -> str:
    """``[b] open a browser, [d] debugger, ... [x] to exit``."""
    return ", ".join(f"[{hotkey.keys[0]}] {hotkey.label}" for hotkey in HOTKEYS)


class HotkeySession:
    """Reads keys on the event loop and runs their actions on ``server``."""

    def __init__(self, server: SessionServer, terminal: Terminal, debugger_help: Callable[[], str]) -> None:
        self.server = server
        self.printer: Printer = server.printer
        self.terminal = terminal
        self.debugger_help = debugger_help
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reading = False
        self._blocking = True  # the terminal's mode before add_reader, given back in pause()
        self._tasks: set[asyncio.Task[None]] = set()
        self.actions: dict[str, Callable[[], None]] = {
            "b": self.open_browser,
            "d": lambda: self.printer.write(self.debugger_help()),
            "l": lambda: listing(self.server),
            "r": self.reload,
            "c": self.clear,
            "x": self.server.stop,
            "q": self.server.stop,
        }

    def start(self) -> None:
        """Once the server is ready: the bar, then keys."""
        self._loop = asyncio.get_running_loop()
        self.printer.write(bar())
        self.resume()

    def pause(self) -> None:
        """Give the terminal back as it was (pdb needs it), until :meth:`resume`."""
        if self._reading and self._loop is not None:
            self._loop.remove_reader(self.terminal.fd)
            os.set_blocking(self.terminal.fd, self._blocking)  # uvloop's add_reader left it non-blocking
            self._reading = False
        self.terminal.restore()

    def resume(self) -> None:
        if self._loop is None or self._reading:
            return
        self.terminal.keys()
        self._blocking = os.get_blocking(self.terminal.fd)
        self._loop.add_reader(self.terminal.fd, self._pressed)
        self._reading = True

    def _pressed(self) -> None:
        for key in self.terminal.read():
            if key == "\x04":  # end of input: no more keys will come
                self.pause()
                return
            action = self.actions.get(key.lower())
            if action is not None:
                action()

    # -- the actions ------------------------------------------------------------------
    def open_browser(self) -> None:
        urls = self.server.urls()
        if not urls:
            self.printer.write("No worker has a URL to open (every worker is internal).")
            return
        self.printer.write(f"Opening {urls[0]} in a browser...")
        # A thread: a browser command may take its time, and the loop must keep serving.
        threading.Thread(target=self._browse, args=(urls[0],), name="pyworker-browser", daemon=True).start()

    def _browse(self, url: str) -> None:
        import webbrowser  # here: ~2 ms at start-up, for a hotkey few sessions press

        try:
            opened = webbrowser.open(url)
        except webbrowser.Error:
            opened = False
        if not opened:
            self.printer.write(f"Could not open a browser here: open {url} yourself.")

    def reload(self) -> None:
        self.printer.write("Reloading every worker...")
        task = asyncio.ensure_future(self.server.reload_all())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def clear(self) -> None:
        self.printer.write(CLEAR + bar())

    def close(self) -> None:
        self.pause()
        for task in self._tasks:
            task.cancel()


@contextlib.contextmanager
def hotkey_session(
    server: SessionServer, enabled: bool | None, debugger_help: Callable[[], str]
) -> Generator[HotkeySession | None, None, None]:
    """The session for ``server`` while serving, if the terminal allows one (``enabled`` None: when it does).

    It starts when the server says Ready (``server.announced``) and leaves the terminal as it found it.
    """
    if enabled is False or not interactive(sys.stdin, server.printer.stream):
        yield None
        return
    session = HotkeySession(server, Terminal(sys.stdin.fileno()), debugger_help)
    server.announced.append(session.start)
    try:
        yield session
    finally:
        session.close()
