"""What ``pyworker dev`` was asked to do: one object, built by the CLI and passed whole.

As uvicorn hands its one ``Config`` to every part of the server, the dev server, the
config loader, the reloader and the printer all read this object; nothing re-passes its
fields under other names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KIB = 1024
MIB = 1024 * KIB
DEFAULT_DEBUGPY_PORT = 5678  # --debugpy without a port: VS Code's default


@dataclass(frozen=True)
class ClientLimits:
    """What one client may send, as Cloudflare limits it where it says (headers, body, URL).

    Sizes are bytes and times seconds. A head over a limit answers 431 (414 for the
    target), a body over ``max_body_bytes`` 413; a connection that takes longer than
    ``header_timeout`` to send a request's head, or stops sending its body for
    ``body_timeout``, is answered 408 and closed; an idle keep-alive connection is
    closed after ``keep_alive_timeout``.
    """

    max_headers: int = 100
    max_header_bytes: int = 128 * KIB  # names + values + ": " and CRLF, as on the wire
    max_target_bytes: int = 16 * KIB  # Cloudflare's URL limit
    max_body_bytes: int = 100 * MIB  # Cloudflare's free and pro plans
    header_timeout: float = 10.0
    body_timeout: float = 10.0
    keep_alive_timeout: float = 5.0


@dataclass(frozen=True)
class ChildSpec:
    """What a ``pyworker dev`` tells the child it starts for a worker of ``[dev] process = "own"``.

    The child serves ``worker`` on the listening socket it inherited as file descriptor
    ``socket`` (``None``: an internal worker), writes its lines as the parent's printer would
    (``colour``, the prefix's colour ``code`` and padded ``width``), and stops when its stdin
    ends (see :mod:`pyworker.interop.child_side`).
    """

    worker: str
    socket: int | None = None
    colour: bool = False
    code: int = 36
    width: int = 0
    cf: dict[str, Any] | None = None  # the parent's --cf object


@dataclass
class DevOptions:
    """Options of ``pyworker dev``; the CLI only builds this."""

    paths: Sequence[Path] = (Path("."),)
    port: int | None = None
    ip: str | None = None
    env: str | None = None
    vars: dict[str, str] = field(default_factory=dict)
    log_level: str = "info"
    reload: bool = True
    persist_to: Path | None = None  # --persist-to: state in DIR/v3 instead of <first config dir>/.wrangler/state/v3
    request_timeout: float = 30.0  # seconds a fetch may take to produce its response (--request-timeout)
    blocked_loop_warning: float = 1.0  # seconds a handler may hold the event loop before a warning
    workflow_sleep_scale: float = 1.0  # --workflow-sleep-scale: multiplies Workflow sleeps, retry delays, waits
    limits: ClientLimits = field(default_factory=ClientLimits)
    cf: dict[str, Any] | None = None  # --cf FILE: request.cf of incoming requests (else each worker's own)
    crons: bool = False  # --crons: fire triggers.crons on their schedule (UTC)
    interactive: bool | None = None  # the hotkey session: None = when stdin and stdout are a terminal
    debugpy: int | None = None  # --debugpy[=PORT]: a debugpy listener on 127.0.0.1:PORT
    env_files: tuple[Path, ...] = ()  # --env-file: read instead of each worker's .env files
    live_reload: bool = False  # --live-reload: HTML responses reload the page when their worker reloads
    own_process: tuple[str, ...] = ()  # --own-process NAME: these workers run in a child process each
    child: ChildSpec | None = None  # set in that child: it serves one worker for its parent
    registry: Path | None = None  # the dev registry shared with wrangler (the CLI resolves it); None = off
    http: str = "auto"  # --http: the HTTP parser, httptools when installed, else h11 (serving/stack.py)
    loop: str = "auto"  # --loop: the event loop, uvloop when installed, else asyncio's own
