"""A Workflow's engine: runs its instances, one task each, and keeps what they did in SQLite.

An instance runs its class's ``run(event, step)`` through the host worker's invocation
frame (route kind ``"workflow"``). Each finished step is stored before the next starts; a
run that is interrupted (a restart of ``pyworker dev``, a ``kill -9``, ``pause``, a reload of
the host worker) is replayed from the top later, and every finished step answers from the
store without running again, as Cloudflare's engine does. Time spent in ``step.sleep``,
retry delays and ``wait_for_event`` timeouts is multiplied by ``--workflow-sleep-scale``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime
from typing import Any

from pyworker.bindings.workflows import lifecycle
from pyworker.bindings.workflows.step import WorkflowStep
from pyworker.errors import PyworkerError, WorkerLoadError
from pyworker.printer import Printer
from pyworker.runtime.jsvalues import JsDict
from pyworker.storage import structured
from pyworker.storage.workflows import FINISHED, WorkflowStore, load, now_ms
from pyworker.types import WORKFLOW, Directory, Route

POLL_SECONDS = 0.5  # how often the engine looks for writes of another process (pyworker workflows ...)


class WorkflowEngine:
    """The instances of Workflow ``name``, whose class ``class_name`` lives in worker ``script``."""

    def __init__(
        self,
        name: str,
        class_name: str,
        script: str,
        directory: Directory,
        printer: Printer,
        store: WorkflowStore,
        scale: float = 1.0,
    ) -> None:
        self.name = name
        self.class_name = class_name
        self.script = script
        self.directory = directory
        self.printer = printer
        self.store = store
        self.scale = scale
        self.route = Route(WORKFLOW, "run", class_name)
        self.running: dict[str, asyncio.Task[None]] = {}
        self.stopping: dict[str, str] = {}  # instance -> why its run is being cancelled (pause, terminate...)
        self.in_step: set[str] = set()  # instances whose step function is running now
        self.pause_wanted: set[str] = set()  # paused while a step ran: takes effect when the step ends
        self.wakeups: dict[str, asyncio.Event] = {}  # instance -> set when an event for it arrives
        self.waiting_for: dict[str, str] = {}  # instance -> the event type its wait_for_event waits for
        self._poller: asyncio.Task[None] | None = None
        self._version: Any = None

    # -- starting and stopping -------------------------------------------------------
    def ensure_started(self) -> None:
        """Resume unfinished instances and look for other processes' writes (once, on the running loop)."""
        if self._poller is None:
            self._poller = _spawn(self._poll())

    async def stop(self) -> None:
        """Cut every run short, as a shutdown does: they resume from their last finished step next time."""
        tasks = [task for task in (self._poller, *self.running.values()) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._poller = None
        self.running.clear()

    def start(self, instance_id: str) -> None:
        """Run (or resume) the instance in a task of its own, outside any request's context."""
        self.ensure_started()
        if instance_id not in self.running:
            self.running[instance_id] = task = _spawn(self._drive(instance_id))
            task.add_done_callback(lambda _: self.running.pop(instance_id, None))

    def cancel(self, instance_id: str, reason: str) -> None:
        task = self.running.get(instance_id)
        if task is not None and task is not asyncio.current_task():
            self.stopping[instance_id] = reason
            task.cancel()

    async def _poll(self) -> None:
        for instance in await self.store.instances(lifecycle.RESUMABLE):
            self.start(instance.id)
        self._version = await self.store.data_version()
        while True:
            await asyncio.sleep(POLL_SECONDS)
            with contextlib.suppress(PyworkerError, OSError):
                await self._sync()

    async def _sync(self) -> None:
        """Another process changed the file: start queued instances, stop stopped ones, deliver events."""
        version = await self.store.data_version()
        if version == self._version:
            return
        self._version = version
        for instance in await self.store.instances():
            if instance.status in lifecycle.RESUMABLE and instance.id not in self.running:
                self.start(instance.id)
            elif instance.status in (*FINISHED, "paused") and instance.id in self.running:
                self.cancel(instance.id, instance.status)
        for wakeup in self.wakeups.values():
            wakeup.set()

    # -- one run -----------------------------------------------------------------------
    async def _drive(self, instance_id: str) -> None:
        while True:
            instance = await self.store.get(instance_id)
            if instance is None or instance.status in FINISHED or instance.status == "paused":
                return
            await self.store.set_status(instance_id, "running")
            try:
                result = await self._run_once(instance_id, load(instance.params), instance.created)
            except asyncio.CancelledError:
                reason = self.stopping.pop(instance_id, None)
                if reason is None:
                    raise  # shutdown: the instance resumes next time
                _uncancel()
                if reason == "restart":  # restart() wipes the steps, then starts a new run
                    return
                continue  # the stored status decides: paused or terminated end here; resumed meanwhile runs
            except WorkerLoadError as exc:  # the host's code is broken: wait for a save that fixes it
                self.printer.worker(self.script, f"{self.describe(instance_id)} waits: {exc}", "error")
                await self._reloaded()
                continue
            except BaseException as exc:
                await self._failed(instance_id, exc)
                return
            await self.store.set_status(instance_id, "complete", output=result)
            return

    async def _run_once(self, instance_id: str, params: Any, created: int) -> bytes:
        target = self.directory.get(self.script)
        if target is None:
            raise lifecycle.missing_worker(self.script)
        event = JsDict(
            payload=params,
            timestamp=datetime.datetime.fromtimestamp(created / 1000),
            instanceId=instance_id,
        )
        step = WorkflowStep(self, instance_id, code_of(target))
        result = await target.invoke(self.route, (event, step), {})
        return structured.encode(lifecycle.step_value(result, "the value run() returned"))

    async def _failed(self, instance_id: str, exc: BaseException) -> None:
        error = lifecycle.error_of(exc)
        self.printer.worker(
            self.script, f"{self.describe(instance_id)} errored: {error['name']}: {error['message']}", "error"
        )
        await self.store.set_status(instance_id, "errored", error=structured.encode(error))

    async def _reloaded(self) -> None:
        target = self.directory.get(self.script)
        before = code_of(target) if target is not None else None
        while True:
            await asyncio.sleep(POLL_SECONDS)
            target = self.directory.get(self.script)
            if target is not None and code_of(target) is not before:
                return

    # -- for the steps -----------------------------------------------------------------
    def describe(self, instance_id: str, step: str | None = None) -> str:
        where = f'workflow "{self.name}" instance "{instance_id}"'
        return where if step is None else f'{where} step "{step}"'

    async def wait(self, instance_id: str, until_ms: float) -> None:
        """Sleep until ``until_ms`` (epoch ms) with the instance's status ``waiting``."""
        await self.store.set_status(instance_id, "waiting")
        delay = (until_ms - now_ms()) / 1000
        if delay > 0:
            await asyncio.sleep(delay)
        await self.store.set_status(instance_id, "running")


def code_of(target: Any) -> Any:
    """The generation of code a worker runs now (a reload replaces it)."""
    return getattr(target, "code", None)


def _spawn(coro: Any) -> asyncio.Task[Any]:
    # An empty context: the run belongs to no request (no budget, no ctx, no current worker).
    return asyncio.get_running_loop().create_task(coro, context=contextvars.Context())


def _uncancel() -> None:
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()
