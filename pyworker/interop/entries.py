"""One file of the dev registry: what it says, checked, and what pyworker writes.

The format is wrangler 4.86's (Miniflare's ``DevRegistry``): a file per worker, named by the
worker, holding a JSON object with ``debugPortAddress`` (``127.0.0.1:PORT`` of workerd's debug
port), ``defaultEntrypointService`` and ``userWorkerService``. pyworker adds its own fields under
one key, ``"pyworker"``, which wrangler ignores. A file is *live* while its mtime is younger than
:data:`STALE_AFTER` (its writer touches it every :data:`HEARTBEAT` seconds); a pyworker file is
live only while its process runs. Nothing read here is trusted further than these checks: an
address must be loopback, lists must hold names.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyworker import __version__

FORMAT = 1  # the "pyworker" fields' format this version reads and writes
HEARTBEAT = 30.0  # seconds between touches of a live file, as wrangler
STALE_AFTER = 300.0  # seconds without a touch after which a file is stale (wrangler deletes it then)
_ADDRESS = re.compile(r"^127\.0\.0\.1:([0-9]{1,5})$")
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class Entry:
    """A live registry entry of another process: a pyworker worker (``pid`` set) or a wrangler dev one."""

    name: str
    pid: int | None = None  # None: written by wrangler dev
    address: str | None = None  # pyworker's endpoint, "127.0.0.1:PORT"
    debug_port: str | None = None  # debugPortAddress: workerd's debug port (wrangler, or pyworker's server)
    entrypoints: tuple[str, ...] = ()
    durable_objects: tuple[str, ...] = ()
    version: str = ""

    @property
    def wrangler(self) -> bool:
        return self.pid is None

    @property
    def key(self) -> tuple[object, ...]:
        """What makes two readings the same peer: the same process at the same addresses."""
        return (self.pid, self.address, self.debug_port, self.entrypoints, self.durable_objects)


@dataclass(frozen=True)
class Stale:
    """A registry file that is ignored, and why (one sentence after ``registry: ignoring <file>: ``)."""

    name: str
    reason: str


def parse(name: str, text: str, age: float, alive: Callable[[int], bool]) -> Entry | Stale:
    """The entry file ``name`` holds (``age``: seconds since its mtime), or why it is ignored."""
    if age > STALE_AFTER:
        return Stale(name, f"not refreshed for {int(age)} s (a running wrangler or pyworker refreshes it every 30 s).")
    try:
        data = json.loads(text)
    except ValueError as exc:
        return Stale(name, f"not valid JSON ({exc}).")
    if not isinstance(data, dict):
        return Stale(name, "not a JSON object.")
    own = data.get("pyworker")
    if own is None:
        return _wrangler(name, data)
    return _pyworker(name, data, own, alive)


def _wrangler(name: str, data: dict[str, Any]) -> Entry | Stale:
    debug = data.get("debugPortAddress")
    if not isinstance(debug, str) or not _ADDRESS.match(debug):
        return Stale(name, 'no "debugPortAddress" of the form "127.0.0.1:PORT" and no "pyworker" fields.')
    return Entry(name, debug_port=debug)


def _pyworker(name: str, data: dict[str, Any], own: Any, alive: Callable[[int], bool]) -> Entry | Stale:
    if not isinstance(own, dict):
        return Stale(name, '"pyworker" is not a JSON object.')
    found = own.get("format")
    if not isinstance(found, int) or isinstance(found, bool):
        return Stale(name, '"pyworker.format" is not a number.')
    if found > FORMAT:
        version = own.get("version")
        by = f"pyworker {version}" if isinstance(version, str) else "a newer pyworker"
        return Stale(name, f"written by {by} in format {found}; this pyworker reads format {FORMAT}. Upgrade pyworker.")
    pid = own.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return Stale(name, '"pyworker.pid" is not a process id.')
    if not alive(pid):
        return Stale(name, f"written by process {pid}, which is no longer running.")
    address, debug = own.get("address"), data.get("debugPortAddress")
    for key, value in (("pyworker.address", address), ("debugPortAddress", debug)):
        if value is not None and (not isinstance(value, str) or not _ADDRESS.match(value)):
            return Stale(name, f'"{key}" is not of the form "127.0.0.1:PORT".')
    names = {}
    for key in ("entrypoints", "durableObjects"):
        value = own.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) and _NAME.match(item) for item in value):
            return Stale(name, f'"pyworker.{key}" is not a list of class names.')
        names[key] = tuple(value)
    version = own.get("version")
    return Entry(
        name,
        pid=pid,
        address=address,
        debug_port=debug,
        entrypoints=names["entrypoints"],
        durable_objects=names["durableObjects"],
        version=version if isinstance(version, str) else "",
    )


def render(
    name: str,
    pid: int,
    entrypoints: Sequence[str],
    durable_objects: Sequence[str],
    address: str | None = None,
    debug_port: str | None = None,
) -> str:
    """The file pyworker writes for its worker ``name``: wrangler's fields, then its own."""
    data: dict[str, Any] = {}
    if debug_port is not None:
        data["debugPortAddress"] = debug_port
    data["defaultEntrypointService"] = f"core:user:{name}"
    data["userWorkerService"] = f"core:user:{name}"
    own: dict[str, Any] = {"format": FORMAT, "pid": pid}
    if address is not None:
        own["address"] = address
    own.update(entrypoints=list(entrypoints), durableObjects=list(durable_objects), version=__version__)
    data["pyworker"] = own
    return json.dumps(data, indent=2)  # as wrangler writes it (JSON.stringify(definition, null, 2))


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (one of another user counts: it cannot be signalled, but runs)."""
    if sys.platform == "win32":
        return True  # os.kill(pid, 0) would send CTRL_C_EVENT there: the file's age decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def shown(path: Path, home: Path) -> str:
    """``path`` as the user reads it: under the home directory as ``~/...``."""
    try:
        return "~/" + path.relative_to(home).as_posix()
    except ValueError:
        return str(path)
