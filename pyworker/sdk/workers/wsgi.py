"""``workers.wsgi``: run a WSGI app (Flask, Django) as a worker."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any

from pyworker.runtime import wsgi_bridge as _bridge
from pyworker.runtime.entrypoint import WorkerEntrypoint
from pyworker.runtime.jsview import owner_of as _owner_of
from pyworker.sdk.workers.gateway import BaseOptions
from pyworker.sdk.workers.gateway import adapters as _adapters
from pyworker.sdk.workers.types import Context

logger = logging.getLogger("wsgi")
NULL_BODY_STATUSES = frozenset({101, 103, 204, 205, 304})


@dataclass(frozen=True, kw_only=True)
class Options(BaseOptions):
    """Options for the WSGI adapter."""


DEFAULT_OPTIONS = Options()


def build_environ(req: Any, env: dict[str, Any], body: bytes | io.IOBase) -> dict[str, Any]:
    """The PEP 3333 environ for ``req`` (a ``Request`` or its ``js_object``); ``env`` at ``environ["workers.env"]``."""
    data = body if isinstance(body, bytes | bytearray) else body.read()
    return _bridge.build_environ(_owner_of(req), env, bytes(data))


async def fetch(app: Any, req: Any, env: Any, ctx: Context | None = None, *, options: Options | None = None) -> Any:
    """Call ``app`` with a PEP 3333 environ; ``env`` is at ``environ["workers.env"]``."""
    return await _bridge.fetch(app, _owner_of(req), env, ctx, (options or DEFAULT_OPTIONS).encode_body)


def entrypoint(app: Any, *, options: Options | None = None) -> type[WorkerEntrypoint]:
    """The default entrypoint for a WSGI application: ``Default = wsgi.entrypoint(app)``."""
    return _adapters.entrypoint_for(_bridge.fetch, app, (options or DEFAULT_OPTIONS).encode_body)


__all__ = ["DEFAULT_OPTIONS", "Options", "build_environ", "entrypoint", "fetch"]
