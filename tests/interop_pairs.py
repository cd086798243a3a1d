"""Two dev servers of this test process joined over a real loopback socket, as two pyworker processes would be."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

from pyworker.interop.endpoint import Endpoint
from pyworker.interop.remote import Dialer, RemoteTarget
from pyworker.runtime.tasks import containing_tasks
from pyworker.serving.server import DevServer

SECRET = b"0123456789abcdef0123456789abcdef"


class Joined:
    """``server``'s registry reaches ``names`` of ``other`` through an endpoint and a dialer, over loopback."""

    def __init__(self) -> None:
        self.endpoints: list[Endpoint] = []
        self.dialers: list[Dialer] = []
        self.added: list[tuple[DevServer, str]] = []

    async def join(
        self, server: DevServer, other: DevServer, *names: str, secret: bytes = SECRET
    ) -> list[RemoteTarget]:
        endpoint = Endpoint(other.registry, SECRET, other.printer)
        address = await endpoint.start()
        self.endpoints.append(endpoint)
        dialer = Dialer(secret, server.printer)
        self.dialers.append(dialer)
        targets = []
        for name in names:
            worker: Any = other.worker(name)
            entrypoints = [e for e in worker.code.entrypoints if e != "Default"] if worker.code else []
            target = RemoteTarget(name, os.getpid(), address, entrypoints, [], dialer)
            server.registry.add(target)  # type: ignore[arg-type]
            self.added.append((server, name))
            targets.append(target)
        return targets

    async def close(self) -> None:
        for dialer in self.dialers:
            dialer.close()
        for endpoint in self.endpoints:
            await endpoint.stop()
        for server, name in self.added:
            server.registry._workers.pop(name, None)


@contextlib.asynccontextmanager
async def joined() -> AsyncIterator[Joined]:
    """Pairs to join; the loop has the dev server's task factory meanwhile, as under ``pyworker dev``."""
    pairs = Joined()
    with containing_tasks():
        try:
            yield pairs
        finally:
            await pairs.close()
