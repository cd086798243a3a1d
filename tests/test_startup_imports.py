"""Start-up stays lean: what `pyworker dev` imports before its first request leaves out what only some
sessions use (each is imported where it is first needed)."""

from __future__ import annotations

import json
import subprocess
import sys

# Imported on first use only: a breakpoint(), an interrupted handler, the "b" hotkey, a non-integral number
# written as JavaScript text, an error page, a WebSocket, a queue, a child process, another pyworker's or
# wrangler's worker as a binding's target.
LATER = [
    "pdb",
    "bdb",
    "ctypes",
    "webbrowser",
    "decimal",
    "html",
    "importlib.abc",
    "importlib.resources",
    "pyworker.serving.websocket",
    "pyworker.storage.queues",
    "pyworker.queues.batch",
    "pyworker.interop.child_side",
    "pyworker.interop.relay",
    "pyworker.interop.down",
    "pyworker.interop.remote",
    "pyworker.interop.endpoint",
    "pyworker.interop.wrangler.client",
    "pyworker.interop.wrangler.server",
]


def test_the_dev_server_imports_none_of_what_it_uses_later() -> None:
    code = (
        "import json, sys; import pyworker.cli, pyworker.serving.server; "
        f"print(json.dumps([name for name in {LATER!r} if name in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []
