"""What ``pyworker dev`` was asked to do: one object, built by the CLI and passed whole.

As uvicorn hands its one ``Config`` to every part of the server, the dev server, the
config loader, the reloader and the printer all read this object; nothing re-passes its
fields under other names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


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
