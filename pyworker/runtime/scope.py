"""Which worker's code is running now.

Set while a worker's modules are imported and by the invocation frame around every
handler, so code with no ``self`` at hand (``workers.env``, ``workers.wait_until``,
imports by name, ``console.log``) knows whose it is. One scope per loaded generation of
a worker's code: a request still running on an old generation keeps seeing its own.
A ``ContextVar``, so tasks a handler starts inherit it and concurrent requests never share it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from pyworker.printer import Printer


@dataclass(eq=False)
class WorkerScope:
    """One generation of one worker: its name, env, ``wait_until`` outside a request, and import namespace."""

    name: str
    env: Any
    schedule: Callable[[Awaitable[Any]], Any]
    namespace: Any = None  # the generation's import namespace (pyworker.loading.modules.WorkerModules)
    printer: Printer | None = None  # where ``console.log`` goes
    threads: Any = None  # the generation's ThreadPoolExecutor for blocking code (pyworker.runtime.blocking)
    compatibility_flags: tuple[str, ...] = ()  # the config's, for workers.utils.get_compat_flag


current_worker: ContextVar[WorkerScope | None] = ContextVar("pyworker_worker", default=None)
