"""Who holds a busy port: the process listening on it, from Linux's ``/proc`` (None elsewhere)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

_LISTEN = "0A"  # the TCP state LISTEN in /proc/net/tcp


def _listening_inodes(port: int, proc: Path) -> set[str]:
    inodes = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in (proc / "net" / table).read_text().splitlines()[1:]:
                fields = line.split()
                if len(fields) > 9 and fields[3] == _LISTEN and int(fields[1].rpartition(":")[2], 16) == port:
                    inodes.add(fields[9])
    return inodes


def port_holder(port: int, proc: Path = Path("/proc")) -> tuple[int, str] | None:
    """``(pid, command line)`` of a process of ours listening on ``port``, if one can be seen."""
    inodes = _listening_inodes(port, proc)
    if not inodes:
        return None
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) in wanted:
                    command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                    return int(entry.name), command
    return None


def holder_note(port: int) -> str:
    """`` It is held by another pyworker dev (pid 123)...`` when one of ours holds ``port``, else ""."""
    found = port_holder(port)
    if found is None or "pyworker" not in found[1]:
        return ""
    pid = found[0]
    return f" It is held by another pyworker dev (pid {pid}): stop it with Ctrl-C in its terminal, or kill {pid}."
