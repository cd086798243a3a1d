"""Typed view of a worker's wrangler config, after env rules and secrets are applied."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ServiceBinding:
    """One entry of ``services``: ``env.<binding>`` reaches worker ``service``."""

    binding: str
    service: str
    entrypoint: str | None = None
    props: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DevSettings:
    """The ``[dev]`` table; only the keys pyworker uses."""

    port: int | None = None
    ip: str | None = None
    cf: dict[str, Any] | None = None  # dev.cf: the request.cf object read from that JSON file
    process: str | None = None  # dev.process: "own" runs the worker in a child process (pyworker.interop.children)
    python: Path | None = None  # dev.python: that child's interpreter (absolute, symlinks kept)


@dataclass(frozen=True)
class Limits:
    """The ``[limits]`` table: ``subrequests`` per incoming request, ``cpu_ms`` per invocation."""

    subrequests: int | None = None
    cpu_ms: int | None = None


@dataclass(frozen=True)
class WorkerConfig:
    """Everything pyworker needs to load and serve one worker."""

    name: str
    main: Path | None  # None: a worker of static assets only
    config_path: Path
    compatibility_date: str | None = None
    compatibility_flags: tuple[str, ...] = ()
    workers_dev: bool | None = None
    routes: tuple[Any, ...] = ()
    services: tuple[ServiceBinding, ...] = ()
    vars: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    var_overrides: dict[str, str] = field(default_factory=dict)
    dev: DevSettings = field(default_factory=DevSettings)
    limits: Limits = field(default_factory=Limits)
    env_name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def directory(self) -> Path:
        """The worker's directory: where its config file lives."""
        return self.config_path.parent

    @property
    def import_root(self) -> Path:
        """Where the worker's own top-level modules are found: ``main``'s directory (else the config's)."""
        return self.directory if self.main is None else self.main.parent

    @property
    def internal(self) -> bool:
        """As in production, a worker with ``workers_dev = false`` and no routes has no URL."""
        return self.workers_dev is False and not self.routes

    def env_values(self) -> dict[str, Any]:
        """Plain values on ``env``: vars, overridden by ``.dev.vars`` secrets, then by ``--var``."""
        return {**self.vars, **self.secrets, **self.var_overrides}
