"""A running worker: config, env, the current generation of its code, and the one invocation frame.

Every way into a worker (an HTTP request, an RPC call through a binding, a Durable Object's
``fetch``, RPC methods, ``alarm`` and ``webSocket*`` handlers, and the kinds to come) goes through
:meth:`Worker.invoke`, which finds the handler, sets up the context and the request's
invocation budget, runs the handler, reports what it raised, and resets everything.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
from collections.abc import Awaitable, Mapping
from types import CoroutineType
from typing import Any

from pyworker.config.model import WorkerConfig
from pyworker.errors import PyworkerError, UncaughtBaseException, WorkerLoadError, mark_reported, was_reported
from pyworker.events.crons import worker_crons
from pyworker.loading.code import DEFAULT_ENTRYPOINT, WorkerCode, load_code
from pyworker.printer import Printer
from pyworker.runtime import limits
from pyworker.runtime.entrypoint import RUNNING as _running
from pyworker.runtime.entrypoint import ExecutionContext, finish
from pyworker.runtime.http import Request, Response
from pyworker.runtime.invocation import BUDGET, DEPTH, TRACE
from pyworker.runtime.invocation import current as _invocation
from pyworker.runtime.responses import respond, served
from pyworker.runtime.scope import WorkerScope
from pyworker.runtime.tasks import cancelled_by_caller, in_thread
from pyworker.types import FETCH, RPC, Route
from pyworker.worker_setup import asset_server as _asset_server
from pyworker.worker_setup import subrequest_limit as _subrequest_limit

_new = object.__new__
_current, _enter, _DEEPEST = _invocation.get, _invocation.set, limits.MAX_DEPTH


class WorkerState(enum.Enum):
    """Where a worker is in its lifecycle; logged on every change."""

    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"
    STOPPED = "stopped"


class Worker:
    """One worker as the dev server runs it; satisfies :class:`~pyworker.types.Target`.

    Its ``env`` is built by whoever creates it (the server asks the binding providers),
    so the worker knows nothing of other workers. An invocation reads the current
    generation of code once, so it finishes on the code it started on.
    """

    def __init__(self, config: WorkerConfig, env: Any, printer: Printer) -> None:
        self.config = config
        self._subrequests = _subrequest_limit(config)
        self.name = config.name
        self.env = env
        self.printer = printer
        self.assets = _asset_server(config, printer)  # served before the worker runs; None without `assets`
        self.crons = worker_crons(config)  # triggers.crons, checked now: a bad one is a config error
        self.code: WorkerCode | None = None
        self.error: str | None = None
        self.state = WorkerState.LOADING
        self.reloading = 0  # imports under way in a thread (the hotkey list says "reloading")
        self._generation = 0
        self._loaded = asyncio.Event()  # set once the first load is over, loaded or failed
        self._tasks: set[asyncio.Future[Any]] = set()
        self._schedule = self.schedule  # bound once: handed to every invocation's ctx

    # -- lifecycle ------------------------------------------------------------------
    def _set_state(self, state: WorkerState) -> None:
        self.state = state
        self.printer.worker(self.name, f"state: {state.value}", "debug")

    def load(self) -> None:
        """Import the worker's code; on failure keep serving the error (state FAILED)."""
        generation, scope = self._begin_load()
        try:
            code = load_code(self.config, generation, scope, self._reads())
        except WorkerLoadError as exc:
            self._load_failed(generation, exc)
            raise
        self._swap_in(generation, code)

    async def load_in_thread(self) -> None:
        """:meth:`load`, importing in a thread so that a slow import stalls no other worker.

        The new generation is swapped in on the event loop, whole, once its import is done:
        until then requests run on the previous generation (or wait for the first one).
        """
        generation, scope = self._begin_load()
        self.reloading += 1
        try:
            code = await in_thread(load_code, self.config, generation, scope, self._reads())
        except WorkerLoadError as exc:
            self._load_failed(generation, exc)
            raise
        finally:
            self.reloading -= 1
        self._swap_in(generation, code)

    def _reads(self) -> dict[str, tuple[int, int, int]] | None:
        """What the current generation's import read (a copy: the import thread holds nothing of it)."""
        return dict(self.code.modules.reads) if self.code is not None else None

    def _begin_load(self) -> tuple[int, WorkerScope]:
        if self.code is None and self.error is None:
            self._set_state(WorkerState.LOADING)  # a reload keeps serving its current state until the swap
        self._generation += 1
        return self._generation, WorkerScope(
            self.name,
            self.env,
            self.schedule,
            printer=self.printer,
            compatibility_flags=self.config.compatibility_flags,
        )

    def _load_failed(self, generation: int, exc: WorkerLoadError) -> None:
        if generation == self._generation:  # else a newer load already started: it decides
            self.error = str(exc)
            self._set_state(WorkerState.FAILED)
            self._loaded.set()

    def _swap_in(self, generation: int, code: WorkerCode) -> None:
        if generation != self._generation:  # a newer load started while this one imported
            code.unload()
            return
        previous, self.code, self.error = self.code, code, None
        if previous is not None:
            previous.retire()
        self._set_state(WorkerState.READY)
        self._loaded.set()

    def reconfigure(self, config: WorkerConfig, env: Any) -> None:
        """Use a re-read config: new invocations get its env; running ones keep theirs.

        Raises :class:`ConfigError` (and changes nothing) for bad ``assets`` or ``triggers``."""
        assets, crons = _asset_server(config, self.printer), worker_crons(config)
        self.config = config
        self._subrequests = _subrequest_limit(config)
        self.env = env
        self.assets, self.crons = assets, crons

    async def settle(self) -> None:
        """Wait for the ``ctx.wait_until`` work started so far (and what it starts in turn)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def stop(self, timeout: float | None = None) -> None:
        """Wait for ``ctx.wait_until`` work (at most ``timeout`` seconds), then forget the worker's modules."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
        if self.code is not None:
            self.code.unload()
        self._set_state(WorkerState.STOPPED)

    # -- ctx.wait_until -------------------------------------------------------------
    def background(self) -> list[asyncio.Future[Any]]:
        """The ``ctx.wait_until`` work still running."""
        return list(self._tasks)

    def schedule(self, awaitable: Awaitable[Any]) -> asyncio.Future[Any]:
        """Run ``awaitable`` in the background (``ctx.wait_until``); shutdown waits for it."""
        task = asyncio.ensure_future(awaitable)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.printer.worker(self.name, "ctx.wait_until() task failed:", "error")
            self.printer.exception(self.name, task.exception())  # type: ignore[arg-type]

    # -- invocations ----------------------------------------------------------------
    def exports(self, name: str | None, durable: bool = False) -> bool:
        """Whether the loaded code has entrypoint ``name`` (``None``: the default), or with ``durable`` the
        Durable Object class ``name``; true while unloaded."""
        if self.code is None:
            return True
        return (name or "") in self.code.objects if durable else (name or DEFAULT_ENTRYPOINT) in self.code.entrypoints

    async def invoke(self, route: Route, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
        """The invocation frame, on every call's path: raises :class:`WorkerLoadError` while the code is broken,
        the lookup's or the limit's error, or what the handler raised (after printing it under this worker's name)."""
        code = self.code
        if code is None or self.state is WorkerState.FAILED:
            code = await self._loaded_code()
        ctx = ExecutionContext(route.props, self._schedule)
        try:
            handler = code.routes.get(route) or code.route(route)
            if route.caller is None:
                state = limits.incoming(self.name, *self._subrequests, ctx, code.scope)
            elif (up := _current()) and up[DEPTH] < _DEEPEST and (budget := up[BUDGET]) and budget.used < budget.limit:
                budget.used += 1  # limits.enter's common case, inlined: both limits checked, the one state set
                state = _enter((budget, self.name, up, up[DEPTH] + 1, ctx, up[TRACE], code.scope))
            else:  # past a limit (its error), or a call made outside any request (a budget of its own)
                state = limits.enter(route.caller, self.name, ctx, code.scope)
        except PyworkerError as exc:  # no such handler, or past a limit: nothing ran
            if route.raises is None:
                raise
            error = route.raises(exc)
        else:
            code.active += 1
            try:
                if handler.plain:  # the common RPC method: the instance built here, as its __init__ would
                    instance: Any = _new(handler.cls)  # type: ignore[arg-type]
                    instance.ctx = ctx
                    instance.env = self.env
                    method = getattr(instance, handler.name)
                    result = method(*args, **kwargs) if kwargs else method(*args)
                elif route.actor is None:
                    result = handler.call(ctx, self.env, args, kwargs)
                else:  # a Durable Object: its one instance, kept across invocations
                    result = route.actor.run(handler, code, self.env, args)
                if type(result) is CoroutineType or inspect.isawaitable(result):
                    result = await result
                if route.kind == FETCH and not isinstance(result, Response):
                    result = served(result)
                if route.returns is None or type(result) in route.passes:
                    return result
                return self._returned(route, result)
            except BaseException as exc:  # anything worker code raises is its error, never the server's
                if cancelled_by_caller(exc):
                    raise  # the request was cancelled (client gone, time limit, shutdown): not the worker's error
                self._report(route, exc)
                if route.raises is not None:  # a binding call: the caller gets what the SDK delivers
                    error = route.raises(exc)
                elif isinstance(exc, Exception | SystemExit):
                    raise
                else:
                    raise mark_reported(UncaughtBaseException.wrapping(exc)) from exc
            finally:  # finish(ctx) and code.leave(), inlined (every call's path): one test each when idle
                ctx._ended = True
                if _running(ctx):
                    finish(ctx)  # calls still running on their own are cut short once its wait_until work is done
                code.active -= 1
                if code.retired and not code.active:
                    code.unload()
                limits.leave(state)
        raise error  # outside the except blocks: nothing of this worker travels along as __context__

    async def _loaded_code(self) -> WorkerCode:
        """The code to run while there is none, or it failed: wait for the first import, or raise its error."""
        if self.code is None and self.state is WorkerState.LOADING and self._generation:
            await self._loaded.wait()  # the first import is still running (in a thread): wait for it
        code = self.code
        if code is None or self.state is WorkerState.FAILED:
            raise WorkerLoadError(self.error or f'Worker "{self.name}" is not loaded.')
        return code

    def _report(self, route: Route, exc: BaseException) -> None:
        """Print what the handler raised, once: an RPC error that crossed was printed where it arose."""
        if route.kind != RPC or not was_reported(exc):
            self.printer.exception(self.name, exc)
        mark_reported(exc)

    def _returned(self, route: Route, result: Any) -> Any:
        assert route.returns is not None
        try:
            return route.returns(result)
        except TypeError as exc:
            message = f"{route.method}() returned a value that cannot cross a binding: {exc}"
            self.printer.worker(self.name, message, "error")
            raise mark_reported(exc) from None

    # -- conveniences for tests and tools: the same frame ---------------------------
    async def call(
        self,
        entrypoint: str | None,
        method: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        props: Mapping[str, Any] | None = None,
    ) -> Any:
        """RPC ``method`` on a fresh instance of ``entrypoint``, as if from outside any request."""
        return await self.invoke(Route(RPC, method, entrypoint, props), args, kwargs)

    async def fetch(
        self, request: Request, entrypoint: str | None = None, props: Mapping[str, Any] | None = None
    ) -> Response:
        """HTTP: run the worker's ``fetch`` as an incoming request. Never raises: errors become 5xx responses."""
        return await respond(self, Route(FETCH, "fetch", entrypoint, props), request)
