"""Which worker's code is running now.

Set while a worker's modules are imported and by the invocation frame around every
handler, so code with no ``self`` at hand (``workers.env``, ``workers.wait_until``,
imports by name, ``console.log``) knows whose it is. One scope per loaded generation of
a worker's code: a request still running on an old generation keeps seeing its own.
It is part of the invocation's one state (:mod:`pyworker.runtime.invocation`), a ``ContextVar``,
so tasks a handler starts inherit it and concurrent requests never share it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import Context, Token
from dataclasses import dataclass
from typing import Any

from pyworker.printer import Printer
from pyworker.runtime.invocation import SCOPE, Invocation, current


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


class _CurrentWorker:
    """``current_worker``: the scope of the running worker's code, read and set like a ``ContextVar``
    (``get``, ``set``, ``reset``); setting it changes only the scope of the invocation's state."""

    __slots__ = ()

    def get(self) -> WorkerScope | None:
        invocation = current.get()
        return None if invocation is None else invocation[SCOPE]

    def set(self, scope: WorkerScope | None) -> Token[Invocation | None]:
        invocation = current.get()
        if invocation is None:
            return current.set((None, "", None, 0, None, None, scope))
        return current.set((*invocation[:SCOPE], scope))

    def reset(self, token: Token[Invocation | None]) -> None:
        current.reset(token)


def scope_in(context: Context) -> WorkerScope | None:
    """The scope of the worker whose code runs in ``context`` (a task's or a callback's), if any."""
    invocation = context.get(current)
    return None if invocation is None else invocation[SCOPE]


current_worker = _CurrentWorker()
