"""Workers in a process of their own: the parent's side. One :class:`Child` per such worker.

The parent binds the worker's socket as for any worker (so its URL is in the same table)
and hands it to the child, which serves it, logs its requests and reloads its code as
an in-process worker would; its lines come back through :mod:`pyworker.interop.relay`.
The child runs in a session of its own, so a Ctrl-C reaches the parent only, which tells
its children to stop (``stop`` on their stdin; ``force`` on a second Ctrl-C); a child
whose stdin ends (the parent was killed) stops by itself, so none is left behind.

A child that exits unasked is reported under its name (``process exited with code 1; it
restarts on the next save``); until then the parent answers its URL with a 503 saying so
(:class:`~pyworker.interop.down.DownApp`), and the next change to its files starts it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from pyworker.config.files import display_path
from pyworker.config.model import WorkerConfig
from pyworker.config.workers import reread
from pyworker.errors import ConfigError
from pyworker.interop.location import REGISTRY_VARIABLE
from pyworker.interop.own import child_command
from pyworker.options import ChildSpec, DevOptions
from pyworker.printer import Printer
from pyworker.types import ASGIApp

STOP_GRACE = 45.0  # seconds a child may take to stop (its requests, then its wait_until work) before it is killed
FORCED_GRACE = 5.0  # the same after a second Ctrl-C
READ_SIZE = 1 << 16


class Fallback(Protocol):
    """How the parent serves a worker's socket itself while that worker's process is not running."""

    async def serve(self, worker: str, sock: socket.socket, app: ASGIApp) -> None: ...

    def unserve(self, worker: str) -> None: ...


def exit_text(code: int) -> str:
    """``process exited with code 1``, ``process was killed by SIGKILL``."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"process was killed by {signal.Signals(-code).name}"
    return f"process exited with code {code}"


def forget_entry(registry: Path | None, name: str, pid: int) -> None:
    """Remove registry entry ``name`` if process ``pid`` (a child that crashed) wrote it: so that
    bindings to it disconnect now, and nobody reads a dead process's file."""
    if registry is None:
        return
    path = registry / name
    with contextlib.suppress(OSError, ValueError, AttributeError):
        if json.loads(path.read_text()).get("pyworker", {}).get("pid") == pid:
            path.unlink()


class Child:
    """One worker's process: started, its output shown, stopped, restarted on the next save after it exits."""

    def __init__(
        self,
        config: WorkerConfig,
        options: DevOptions,
        printer: Printer,
        persist_to: Path,
    ) -> None:
        self.config = config
        self.name = config.name
        self.options = options
        self.printer = printer
        self.persist_to = persist_to
        self.sock: socket.socket | None = None
        self.fallback: Fallback | None = None
        self.pid: int | None = None
        self.down: str | None = None  # why it is not running ("process exited with code 1"), None while it is
        self.ready = asyncio.Event()  # set once the child serves (and when it gave up trying)
        self.exited = asyncio.Event()
        self.exited.set()
        self._proc: asyncio.subprocess.Process | None = None
        self._stopping = False
        self._forced = False
        self._watch: asyncio.Event | None = None  # set to end the watch for a save that restarts it
        self._tasks: set[asyncio.Task[None]] = set()
        self.on_ready: list[Callable[[], None]] = []  # called when it serves (before it says so)

    def environ(self) -> dict[str, str]:
        """The process's environment (workers' own changes stay theirs), and this process's registry."""
        registry = self.options.registry
        return {**os.environ, REGISTRY_VARIABLE: "" if registry is None else str(registry)}

    def command(self) -> list[str]:
        code, width = self.printer.style(self.name)
        fd = self.sock.fileno() if self.sock is not None else None
        spec = ChildSpec(self.name, fd, self.printer.colour, code, width, self.options.cf)
        return child_command(self.config, self.options, spec, self.persist_to)

    async def start(self) -> None:
        """Start the process; one that cannot start is down, as one that exited."""
        self.ready.clear()
        self.down = None
        command = self.command()
        try:
            proc = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                pass_fds=() if self.sock is None else (self.sock.fileno(),),
                start_new_session=True,  # Ctrl-C is the parent's: it stops its children itself
                env=self.environ(),
            )
        except (OSError, ValueError) as exc:  # ValueError: no pass_fds (Windows)
            await self._gone(f"process could not start ({command[0]}: {getattr(exc, 'strerror', None) or exc})")
            return
        self._proc, self.pid = proc, proc.pid
        self.exited.clear()
        self._spawn(self._follow(proc))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _follow(self, proc: asyncio.subprocess.Process) -> None:
        from pyworker.interop.relay import Relay  # here: only once a worker runs in its own process

        relay = Relay(self.printer, self.name, self._serving)
        assert proc.stdout is not None
        while chunk := await proc.stdout.read(READ_SIZE):
            relay.feed(chunk)
        relay.close()
        code = await proc.wait()
        self._proc = None
        self.exited.set()
        if not self._stopping:
            forget_entry(self.options.registry, self.name, proc.pid)
            await self._gone(exit_text(code) + ("" if self.ready.is_set() else self._early()))

    def _early(self) -> str:
        """Why a process may end before it serves: what its lines above say, or a python without pyworker."""
        python = self.config.dev.python
        if python is None:
            return " before it served"
        return f" before it served (is pyworker installed for {display_path(python)}? {python} -m pip install pyworker)"

    def _serving(self) -> None:
        for then in self.on_ready:
            then()
        self.ready.set()
        self.printer.worker(self.name, f"running in its own process, pid {self.pid}")

    async def _gone(self, why: str) -> None:
        """Not running, unasked: say so, answer its URL with a 503, start again on the next save."""
        self.down = why
        self.ready.set()
        self.printer.worker(self.name, f"{why}; it restarts on the next save", "error")
        if self.fallback is not None and self.sock is not None:
            from pyworker.interop.down import DownApp

            await self.fallback.serve(self.name, self.sock, DownApp(self.name, self.printer, self.not_running))
        self._spawn(self._restart_on_save())

    def not_running(self) -> str:
        return f'Worker "{self.name}" is not running: its {self.down}. It restarts on the next save of its files.'

    async def _restart_on_save(self) -> None:
        from pyworker.reload.watch import FileWatcher  # only once a child is down

        self._watch = stop = asyncio.Event()
        watcher = FileWatcher(lambda: [self.config])
        async for batch in watcher.batches(stop):
            if self.name in batch and not self._stopping and await self.restart():
                return

    async def restart(self) -> bool:
        """Start the process again, with its config read again (one that does not read is an error line);
        nothing if it runs (or is starting) already."""
        if self.down is None:
            return False
        try:
            self.config = reread(self.config, self.options)
        except ConfigError as exc:
            self.printer.worker(self.name, str(exc), "error")
            return False
        if self._watch is not None:
            self._watch.set()
        if self.fallback is not None:
            self.fallback.unserve(self.name)
        self.printer.worker(self.name, "restarting its process")
        await self.start()
        return True

    def reload(self) -> None:
        """The ``r`` key: a running child reloads its worker; one that is down starts again."""
        if self._proc is not None:
            self.send(b"reload")
        elif self.down is not None and not self._stopping:
            self._spawn(self._restart())

    async def _restart(self) -> None:
        await self.restart()

    def send(self, command: bytes) -> None:
        """A line to the child's control (``stop``, ``force``, ``reload``); nothing if it is not running."""
        proc = self._proc
        if proc is not None and proc.stdin is not None:
            with contextlib.suppress(OSError, RuntimeError):  # it exited meanwhile
                proc.stdin.write(command + b"\n")

    def stop(self, force: bool = False) -> None:
        """Ask the child to stop (at once with ``force``); it restarts no more."""
        self._stopping = True
        self._forced = self._forced or force
        if self._watch is not None:
            self._watch.set()
        self.send(b"force" if force else b"stop")

    async def stopped(self) -> None:
        """Wait until the child has exited; one that takes longer than its grace is killed."""
        started = asyncio.get_running_loop().time()
        while not self.exited.is_set():
            grace = FORCED_GRACE if self._forced else STOP_GRACE
            left = started + grace - asyncio.get_running_loop().time()
            if left <= 0:
                self._kill(grace)
                break
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.exited.wait(), min(left, 0.5))
        await self.exited.wait()
        for task in list(self._tasks):
            task.cancel()

    def _kill(self, grace: float) -> None:
        proc = self._proc
        if proc is not None:
            self.printer.worker(self.name, f"its process did not stop within {grace:g} s, so it was killed", "warn")
            with contextlib.suppress(ProcessLookupError):
                proc.kill()


class Children:
    """Every worker of this ``pyworker dev`` that runs in a process of its own."""

    def __init__(
        self, configs: Sequence[WorkerConfig], options: DevOptions, printer: Printer, persist_to: Path
    ) -> None:
        self.printer = printer
        self.by_name = {config.name: Child(config, options, printer, persist_to) for config in configs}
        self.on_ready: list[Callable[[], None]] = []  # called whenever a child serves

    def _ready(self) -> None:
        for then in self.on_ready:
            then()

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def __iter__(self) -> Iterator[Child]:
        return iter(self.by_name.values())

    async def start(self, sockets: Mapping[str, socket.socket], fallback: Fallback) -> None:
        """Start every child, each serving its socket in ``sockets`` (none for an internal worker)."""
        for child in self.by_name.values():
            child.sock, child.fallback = sockets.get(child.name), fallback
            child.on_ready.append(self._ready)
            await child.start()

    async def settle(self, grace: float) -> list[str]:
        """Wait up to ``grace`` seconds for every child to serve; the names of those not serving yet."""
        waits = [asyncio.ensure_future(child.ready.wait()) for child in self.by_name.values()]
        if waits:
            await asyncio.wait(waits, timeout=grace)
        for wait in waits:
            wait.cancel()
        return [child.name for child in self.by_name.values() if not child.ready.is_set()]

    def reload(self) -> None:
        for child in self.by_name.values():
            child.reload()

    def stop(self, force: bool = False) -> None:
        for child in self.by_name.values():
            child.stop(force)

    async def stopped(self) -> None:
        await asyncio.gather(*(child.stopped() for child in self.by_name.values()))
