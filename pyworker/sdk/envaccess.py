"""``workers.env``, ``workers.wait_until``, ``patch_env`` and ``import_from_javascript``, as pyworker provides them.

pyworker's own module: worker code reaches these through ``workers`` and ``workers.utils``,
which hold only the SDK's names.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from typing import Any

from pyworker.runtime.entrypoint import current_context
from pyworker.runtime.scope import current_worker

# Overrides ``patch_env`` puts on ``workers.env`` for the code running inside it (per task).
_patched: ContextVar[dict[str, Any] | None] = ContextVar("pyworker_patched_env", default=None)


class _PatchedEnv:
    """``workers.env`` inside ``patch_env``: the overrides first, then the worker's env."""

    def __init__(self, env: Any, overrides: dict[str, Any]) -> None:
        object.__setattr__(self, "_env", env)
        object.__setattr__(self, "_overrides", overrides)

    def __getattr__(self, name: str) -> Any:
        overrides = object.__getattribute__(self, "_overrides")
        return overrides[name] if name in overrides else getattr(object.__getattribute__(self, "_env"), name)


def current_env() -> Any:
    """The env of the worker whose code is running (an invocation, or its module being imported)."""
    scope = current_worker.get()
    if scope is None:
        raise RuntimeError(
            "workers.env is only available in worker code: while a request or RPC call runs, "
            "or while the worker's modules are imported."
        )
    overrides = _patched.get()
    return scope.env if not overrides else _PatchedEnv(scope.env, overrides)


def wait_until(awaitable: Any) -> None:
    """``ctx.wait_until`` of the invocation running now; at import time, the worker's own background work."""
    ctx = current_context.get()
    if ctx is not None:
        ctx.wait_until(awaitable)
        return
    scope = current_worker.get()
    if scope is None:
        raise RuntimeError("workers.wait_until() was called outside worker code (no request, RPC call or import).")
    scope.schedule(awaitable)


@contextlib.contextmanager
def patch_env(d: dict[str, Any] | Sequence[tuple[str, Any]] | None = None, **kwds: Any) -> Iterator[None]:
    """Within the block, ``workers.env`` shows these values over the worker's own."""
    values = {**dict(d or {}), **kwds}
    token = _patched.set({**(_patched.get() or {}), **values})
    try:
        yield
    finally:
        _patched.reset(token)


class _CloudflareWorkers:
    """``import_from_javascript("cloudflare:workers")``: ``env`` and ``waitUntil``."""

    @property
    def env(self) -> Any:
        return current_env()

    waitUntil = staticmethod(wait_until)
    wait_until = staticmethod(wait_until)


def import_from_javascript(module_name: str) -> Any:
    """Import a JavaScript module from Python; pyworker provides ``cloudflare:workers``."""
    if module_name == "cloudflare:workers":
        return _CloudflareWorkers()
    raise ImportError(
        f"Failed to import '{module_name}': pyworker runs no JavaScript and provides only 'cloudflare:workers'."
    )


__all__ = ["current_env", "import_from_javascript", "patch_env", "wait_until"]
