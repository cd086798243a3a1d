"""The frames of a connection between pyworker processes (see :mod:`pyworker.interop.wire_link`), and its messages."""

from __future__ import annotations

import struct

HEAD = struct.Struct(">IBI")  # u32 length of what follows, u8 frame type, u32 call/reference/stream id
BLANK = bytes(HEAD.size)
CALL, RESULT, ERROR, CALLREF, RELEASE, PULL, CHUNK, END, ABORT, CANCEL, STOP = range(1, 12)
MAX_FRAME = 256 * 1024 * 1024
AUTH_TIMEOUT = 10.0  # seconds a connection may take to authenticate


def gone(name: str, pid: int) -> str:
    """A call in flight when the other process went away."""
    return (
        f'Worker "{name}" (pid {pid}) stopped while this call was in flight: its process closed the connection, '
        "so the call has no result."
    )


def body_gone(pid: int) -> str:
    """A body being read from a process that went away."""
    return f"The pyworker process (pid {pid}) sending this body stopped before the body ended: it is incomplete."
