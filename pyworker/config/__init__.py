"""Reading wrangler configs: files, env rules, ``.dev.vars``."""

from __future__ import annotations

from pyworker.config.model import DevSettings, ServiceBinding, WorkerConfig
from pyworker.config.resolve import load_config

__all__ = ["DevSettings", "ServiceBinding", "WorkerConfig", "load_config"]
