"""A running worker: config, env, the current generation of its code, and its invocations."""

from __future__ import annotations

import asyncio
import enum
import inspect
from collections.abc import Awaitable, Mapping
from types import CoroutineType
from typing import Any

from pyworker.bindings.env import Env, build_env
from pyworker.bindings.exceptions import has_crossed
from pyworker.config.model import WorkerConfig
from pyworker.errors import BindingError, WorkerLoadError
from pyworker.loading.code import DEFAULT_ENTRYPOINT, Entrypoint, Handler, WorkerCode, load_code
from pyworker.printer import Printer
from pyworker.registry import WorkerRegistry
from pyworker.runtime.entrypoint import ExecutionContext, current_context
from pyworker.runtime.http import Request, Response


class WorkerState(enum.Enum):
    """Where a worker is in its lifecycle; logged on every change."""

    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"
    STOPPED = "stopped"


class Worker:
    """One worker as the dev server runs it.

    ``fetch`` and ``call`` are the two ways in (HTTP and RPC); both read the current
    generation of code once, so an invocation finishes on the code it started on.
    """

    def __init__(self, config: WorkerConfig, registry: WorkerRegistry, printer: Printer) -> None:
        self.config = config
        self.name = config.name
        self.printer = printer
        self.registry = registry
        self.env: Env = build_env(config, registry, printer)
        self.code: WorkerCode | None = None
        self.error: str | None = None
        self.state = WorkerState.LOADING
        self._generation = 0
        self._tasks: set[asyncio.Future[Any]] = set()

    # -- lifecycle ------------------------------------------------------------------
    def _set_state(self, state: WorkerState) -> None:
        self.state = state
        self.printer.worker(self.name, f"state: {state.value}", "debug")

    def load(self) -> None:
        """Import the worker's code; on failure keep serving the error (state FAILED)."""
        self._set_state(WorkerState.LOADING)
        self._generation += 1
        try:
            code = load_code(self.config, self._generation)
        except WorkerLoadError as exc:
            self.error = str(exc)
            self._set_state(WorkerState.FAILED)
            raise
        previous, self.code, self.error = self.code, code, None
        if previous is not None:
            previous.retire()
        self._set_state(WorkerState.READY)

    def reconfigure(self, config: WorkerConfig) -> None:
        """Use a re-read config: new invocations get an env built from it; running ones keep theirs."""
        self.config = config
        self.env = build_env(config, self.registry, self.printer)

    async def stop(self) -> None:
        """Wait for ``ctx.wait_until`` work, then forget the worker's modules."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.code is not None:
            self.code.unload()
        self._set_state(WorkerState.STOPPED)

    # -- ctx.wait_until -------------------------------------------------------------
    def schedule(self, awaitable: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.printer.worker(self.name, "ctx.wait_until() task failed:", "error")
            self.printer.exception(self.name, task.exception())  # type: ignore[arg-type]

    def context(self, props: Mapping[str, Any] | None) -> ExecutionContext:
        return ExecutionContext(props, self.schedule, self.env)

    # -- invocations ----------------------------------------------------------------
    def exports(self, name: str | None) -> bool:
        """Whether the loaded code has entrypoint ``name`` (``None``: the default); true while unloaded."""
        return self.code is None or (name or DEFAULT_ENTRYPOINT) in self.code.entrypoints

    def _entrypoint(self, code: WorkerCode, name: str | None) -> Entrypoint:
        entrypoint = code.entrypoints.get(name or DEFAULT_ENTRYPOINT)
        if entrypoint is None:
            raise BindingError(
                f'Worker "{self.name}" does not export an entrypoint named "{name or DEFAULT_ENTRYPOINT}".'
            )
        return entrypoint

    def _loaded(self) -> WorkerCode:
        if self.code is None or self.state is WorkerState.FAILED:
            raise WorkerLoadError(self.error or f'Worker "{self.name}" is not loaded.')
        return self.code

    async def call(
        self,
        entrypoint_name: str | None,
        method: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        props: Mapping[str, Any] | None = None,
    ) -> Any:
        """RPC: call ``method`` on a fresh instance of the entrypoint; exceptions reach the caller.

        On every binding call's path, so lookups are inlined.
        """
        code = self.code
        if code is None or self.state is WorkerState.FAILED:
            code = self._loaded()  # raises with the load error
        entrypoint = code.entrypoints.get(entrypoint_name or DEFAULT_ENTRYPOINT) or self._entrypoint(
            code, entrypoint_name
        )
        if method not in entrypoint.methods:
            raise TypeError(f'The RPC receiver does not implement the method "{method}".')
        ctx = self.context(props)
        token = current_context.set(ctx)
        code.enter()
        try:
            result = getattr(entrypoint.cls(ctx, self.env), method)(*args, **kwargs)
            if type(result) is CoroutineType or inspect.isawaitable(result):
                result = await result
        except (Exception, SystemExit) as exc:
            if not has_crossed(exc):  # one that crossed was printed where it was raised
                self.printer.exception(self.name, exc)
            raise
        finally:
            code.leave()
            current_context.reset(token)
        return result

    async def fetch(
        self,
        request: Request,
        entrypoint_name: str | None = None,
        props: Mapping[str, Any] | None = None,
    ) -> Response:
        """HTTP: run the worker's ``fetch``. Never raises: errors become 5xx responses.

        A binding that cannot reach its entrypoint is a 503; code that failed to
        load or a missing ``fetch`` is a 500 naming the problem; an exception in the
        worker's own code is a 500 naming it, with the traceback printed.
        """
        try:
            code = self._loaded()
            entrypoint, handler = self._fetch_handler(code, entrypoint_name)
        except BindingError as exc:
            return Response(str(exc), 503)
        except WorkerLoadError as exc:
            return Response(str(exc), 500)
        except TypeError as exc:
            return Response(error_summary(exc), 500)
        ctx = self.context(props)
        token = current_context.set(ctx)
        code.enter()
        try:
            args = handler.args(request, self.env, ctx)
            result = handler.func(*args) if entrypoint is None else handler.func(entrypoint.cls(ctx, self.env), *args)
            if inspect.isawaitable(result):
                result = await result
            if not isinstance(result, Response):
                raise TypeError(f"fetch() returned {type(result).__name__}, expected a workers.Response.")
        except (Exception, SystemExit) as exc:  # sys.exit() in a worker must not stop the server
            self.printer.exception(self.name, exc)
            return Response(error_summary(exc), 500)
        finally:
            code.leave()
            current_context.reset(token)
        return result

    def _fetch_handler(self, code: WorkerCode, entrypoint_name: str | None) -> tuple[Entrypoint | None, Handler]:
        """The class (``None`` for legacy ``on_fetch``) and handler a fetch goes to."""
        entrypoint = code.default if entrypoint_name is None else self._entrypoint(code, entrypoint_name)
        if entrypoint is None and code.legacy_fetch is not None:
            return None, code.legacy_fetch
        if entrypoint is None or entrypoint.fetch is None:
            raise TypeError(
                f'Handler does not export a fetch() function (worker "{self.name}"). '
                "Define async def fetch(self, request) on a WorkerEntrypoint class named Default."
            )
        return entrypoint, entrypoint.fetch


def error_summary(exc: BaseException) -> str:
    """``ValueError: boom``: how a 500 body names the exception."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
