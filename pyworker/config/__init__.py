"""Reading wrangler configs: files, env rules, ``.dev.vars``."""

from __future__ import annotations

from pyworker.config.model import DevSettings, Limits, ServiceBinding, WorkerConfig
from pyworker.config.resolve import load_config
from pyworker.config.workers import load_workers, reread

__all__ = ["DevSettings", "Limits", "ServiceBinding", "WorkerConfig", "load_config", "load_workers", "reread"]
