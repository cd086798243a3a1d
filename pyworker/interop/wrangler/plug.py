"""What the dev server plugs into its registry side (:class:`pyworker.serving.peers.Interop`) for wrangler:
a wrangler dev entry's target, and the debug port whose address goes into this process's entries.
Both share one :class:`~.link.CapnpLink`, closed when the server stops."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from pyworker.interop.wrangler.link import CapnpLink
from pyworker.printer import Printer
from pyworker.types import Directory, Target

if TYPE_CHECKING:
    from pyworker.interop.entries import Entry

Starter = Callable[[Directory, bytes], AbstractAsyncContextManager[str]]


def wrangler_parts(printer: Printer) -> tuple[Callable[[Entry], Target | None], Starter]:
    """(the target factory for wrangler dev entries, the debug port starter)."""
    link = CapnpLink()

    def target(entry: Entry) -> Target | None:
        if entry.debug_port is None:
            return None
        from pyworker.interop.wrangler.client import WranglerTarget  # here: only once a wrangler dev runs

        return WranglerTarget(entry.name, entry.debug_port, link, entry.default_service)

    @contextlib.asynccontextmanager
    async def debug_port(local: Directory, secret: bytes) -> AsyncIterator[str]:
        from pyworker.interop.wrangler.server import DebugPortServer  # here: started after the imports of start-up

        # workerd's debug port takes no secret, and wrangler knows none of ours: loopback is the bound.
        server = DebugPortServer(local, printer, link)
        address = await server.start()
        try:
            yield address
        finally:
            await server.aclose()
            await link.aclose()

    return target, debug_port
