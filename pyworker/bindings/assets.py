"""The assets binding (``assets = { directory, binding = "ASSETS" }``): ``await env.ASSETS.fetch(request_or_url)``.

It answers as Cloudflare's asset worker does (:mod:`pyworker.assets.server`): the file, an
``html_handling`` or ``_redirects`` redirect, ``not_found_handling``'s page, or 404.
"""

from __future__ import annotations

from typing import Any

from pyworker.assets.config import read_assets
from pyworker.assets.server import AssetServer
from pyworker.bindings.provider import BindingHost
from pyworker.config.files import display_path
from pyworker.config.model import WorkerConfig
from pyworker.printer import Printer
from pyworker.runtime.http import Request, Response
from pyworker.runtime.wrappers import _FetcherWrapper

KEY = "assets"


def asset_server(config: WorkerConfig, printer: Printer) -> AssetServer | None:
    """The worker's asset server, or ``None`` when its config has no ``assets``."""
    assets = read_assets(config)
    if assets is None:
        return None
    return AssetServer(assets, lambda line: printer.worker(config.name, line, "warn"))


class AssetsBinding(_FetcherWrapper):
    """``env.ASSETS``: ``fetch`` takes a ``Request`` or an absolute URL (and ``fetch``'s keyword options)."""

    __slots__ = ("_server",)

    def __init__(self, server: AssetServer) -> None:
        self._server = server

    async def fetch(self, input: str | Request, **options: Any) -> Response:
        return await self._server.fetch(Request(input, **options))

    def __repr__(self) -> str:
        return f"<assets binding -> {self._server.config.directory}>"


def build(config: WorkerConfig, host: BindingHost) -> dict[str, Any]:
    assets = read_assets(config)
    if assets is None or assets.binding is None:
        return {}
    server = asset_server(config, host.printer)
    assert server is not None
    return {assets.binding: AssetsBinding(server)}


def describe(config: WorkerConfig, host: BindingHost) -> list[str]:
    """``ASSETS -> assets in public/``."""
    assets = read_assets(config)
    if assets is None:
        return []
    name = assets.binding or "(no binding)"
    return [f"{name} -> assets in {display_path(assets.directory)}"]
