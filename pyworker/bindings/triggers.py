"""``[triggers] crons``: not a binding, but read with them so a bad expression stops the worker's
config (at start-up and on reload) and each expression shows in the start-up table."""

from __future__ import annotations

from typing import Any

from pyworker.bindings.provider import BindingHost
from pyworker.config.model import WorkerConfig
from pyworker.events.crons import worker_crons

KEY = "triggers"


def build(config: WorkerConfig, host: BindingHost) -> dict[str, Any]:
    worker_crons(config)  # checked: a bad expression is a config error naming the worker
    return {}


def describe(config: WorkerConfig, host: BindingHost) -> list[str]:
    """``cron "*/5 * * * *" (runs with --crons)``."""
    return [f'cron "{cron.text}" (runs with --crons)' for cron in worker_crons(config)]
