"""What a :class:`~pyworker.worker.Worker` takes from its config when it is made or reconfigured.

Its asset server (the asset modules are imported only for a config with ``assets``, so start-up
stays light) and the subrequest limit of the requests it receives, with where that limit is set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyworker.config.files import describe
from pyworker.config.model import WorkerConfig
from pyworker.printer import Printer
from pyworker.runtime import limits

if TYPE_CHECKING:
    from pyworker.assets.server import AssetServer


def subrequest_limit(config: WorkerConfig) -> tuple[int, str]:
    """The subrequest limit of requests this worker receives, and where it is set."""
    return (
        config.limits.subrequests or limits.DEFAULT_SUBREQUESTS,
        f"{describe(config.config_path)} (worker {config.name})",
    )


def asset_server(config: WorkerConfig, printer: Printer) -> AssetServer | None:
    """The worker's asset server, or None without ``assets``."""
    if config.extra.get("assets") is None:
        return None
    from pyworker.bindings.assets import asset_server as make

    return make(config, printer)
