"""pycapnp, loaded on first use: the debug-port schema, and KJ's event loop running inside asyncio's."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path
from typing import Any

from pyworker.errors import BindingError
from pyworker.interop.wrangler.messages import MISSING

SCHEMA = Path(__file__).with_name("debug_port.capnp")


class CapnpMissing(BindingError):
    """pycapnp is not installed (the ``wrangler`` extra)."""


class CapnpLink:
    """One per dev server. :meth:`ready` imports pycapnp (about 60 ms, so never at start-up) and joins
    KJ's event loop to the running asyncio loop, sharing it with another link of the same loop;
    :meth:`aclose` stops it again if this link started it."""

    def __init__(self) -> None:
        self.capnp: Any = None
        self.schema: Any = None
        self._stack: contextlib.AsyncExitStack | None = None
        self._lock = asyncio.Lock()

    async def ready(self) -> CapnpLink:
        if self.schema is None:
            async with self._lock:
                if self.schema is None:
                    await self._load()
        return self

    async def _load(self) -> None:
        try:
            import capnp  # type: ignore[import-untyped, import-not-found, unused-ignore]
        except ImportError as exc:
            raise CapnpMissing(MISSING) from exc
        if not hasattr(asyncio.get_running_loop(), "_kj_loop"):  # pycapnp's mark of a loop that runs KJ's
            stack = contextlib.AsyncExitStack()
            await stack.enter_async_context(capnp.kj_loop())
            self._stack = stack
        # "/capnp/stream.capnp" (for "-> stream") ships inside pycapnp's package.
        imports = [os.path.dirname(os.path.dirname(capnp.__file__))]
        self.schema = capnp.load(str(SCHEMA), imports=imports)
        self.capnp = capnp

    async def aclose(self) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.aclose()
