"""``env.MY_WORKFLOW`` and the instance handles it returns, as the SDK wraps them on Cloudflare.

``create``, ``create_batch`` and ``get`` are the SDK's ``_WorkflowBindingWrapper`` methods
(coroutines: nothing happens until they are awaited); an instance's ``status``, ``pause``,
``resume``, ``restart`` and ``terminate`` are JavaScript calls that start when made, and
``send_event`` (also ``sendEvent``) is the SDK's coroutine. Errors are the engine's, as
``pyodide.ffi.JsException``.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from pyworker.bindings.promises import promise
from pyworker.bindings.workflows.engine import WorkflowEngine
from pyworker.bindings.workflows.lifecycle import step_value
from pyworker.runtime.jsvalues import JsDict, JsException
from pyworker.runtime.wrappers import _WorkflowBindingWrapper, _WorkflowInstanceWrapper
from pyworker.storage import structured
from pyworker.storage.workflows import FINISHED, load

_ID = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9\-_]*$")
MAX_ID = 100
MAX_BATCH = 100


def _options(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """``create({"id": ..., "params": ...})``, ``create(to_js({...}))`` or ``create(id=..., params=...)``."""
    if args and args[0] is not None:
        if not isinstance(args[0], dict):
            raise JsException("TypeError", f"create() takes an object like {{id, params}}, got {args[0]!r}.")
        return {**args[0], **kwargs}
    return dict(kwargs)


class WorkflowBinding(_WorkflowBindingWrapper):
    """``env.<binding>`` of a ``workflows`` entry."""

    __slots__ = ("_binding", "_engine")

    def __init__(self, binding: str, engine: WorkflowEngine) -> None:
        self._binding = binding
        self._engine = engine

    def __repr__(self) -> str:
        return f"<Workflow binding {self._binding} ({self._engine.name})>"

    async def create(self, *args: Any, **kwargs: Any) -> WorkflowInstance:
        return await self._create(_options(args, kwargs))

    async def create_batch(self, batch: Any = None, *args: Any) -> list[WorkflowInstance]:
        if not isinstance(batch, list) or not batch:
            raise JsException("Error", "WorkflowError: batchCreate should have at least 1 instance")
        if len(batch) > MAX_BATCH:
            raise JsException("Error", f"WorkflowError: batchCreate supports at most {MAX_BATCH} instances at a time")
        return [await self._create(_options((item,), {})) for item in batch]

    createBatch = create_batch

    async def get(self, instance_id: Any = None, *args: Any) -> WorkflowInstance:
        engine = self._engine
        engine.ensure_started()
        if not isinstance(instance_id, str) or await engine.store.get(instance_id) is None:
            raise JsException("Error", "instance.not_found")
        return WorkflowInstance(engine, instance_id)

    async def _create(self, options: dict[str, Any]) -> WorkflowInstance:
        engine = self._engine
        instance_id = options.get("id")
        if instance_id is None:
            instance_id = str(uuid.uuid4())
        if not isinstance(instance_id, str) or len(instance_id) > MAX_ID or not _ID.match(instance_id):
            raise JsException("Error", "WorkflowError: Workflow instance has invalid id")
        params = step_value(options.get("params", JsDict()), 'create({"params": ...})')
        if not await engine.store.create(instance_id, structured.encode(params)):
            raise JsException(
                "Error", f'WorkflowError: (instance.already_exists) Instance "{instance_id}" already exists'
            )
        engine.start(instance_id)
        return WorkflowInstance(engine, instance_id)


class WorkflowInstance(_WorkflowInstanceWrapper):
    """A handle to one instance: ``.id`` and the instance methods."""

    __slots__ = ("_engine", "id")

    def __init__(self, engine: WorkflowEngine, instance_id: str) -> None:
        self._engine = engine
        self.id = instance_id

    def __repr__(self) -> str:
        return f"<WorkflowInstance {self.id}>"

    async def _instance(self) -> Any:
        instance = await self._engine.store.get(self.id)
        if instance is None:
            raise JsException("Error", "WorkflowError: (instance.not_found) Instance does not exist")
        return instance

    @promise
    async def status(self) -> JsDict:
        """``{status, output, error}``: ``error`` is ``{name, message}`` once the instance errored."""
        instance = await self._instance()
        return JsDict(
            status=instance.status,
            output=None if instance.output is None else load(instance.output),
            error=None if instance.error is None else load(instance.error),
        )

    @promise
    async def pause(self) -> None:
        instance, engine = await self._instance(), self._engine
        if instance.status in FINISHED or instance.status == "paused":
            return
        if self.id in engine.in_step:  # as Cloudflare: the running step finishes first
            engine.pause_wanted.add(self.id)
            await engine.store.set_status(self.id, "waitingForPause")
            return
        await engine.store.set_status(self.id, "paused")
        engine.cancel(self.id, "pause")

    @promise
    async def resume(self) -> None:
        instance, engine = await self._instance(), self._engine
        if instance.status == "waitingForPause":
            engine.pause_wanted.discard(self.id)
            await engine.store.set_status(self.id, "running")
        elif instance.status == "paused":
            await engine.store.set_status(self.id, "queued")
            engine.start(self.id)

    @promise
    async def restart(self) -> None:
        await self._instance()
        engine = self._engine
        engine.cancel(self.id, "restart")
        engine.pause_wanted.discard(self.id)
        await engine.store.restart(self.id)
        task = engine.running.get(self.id)
        if task is not None:
            await _settled(task)
        engine.start(self.id)

    @promise
    async def terminate(self) -> None:
        instance, engine = await self._instance(), self._engine
        if instance.status in FINISHED:
            raise JsException(
                "Error",
                "WorkflowError: (instance.cannot_terminate) Cannot terminate instance since its on a finite state",
            )
        await engine.store.set_status(self.id, "terminated")
        engine.cancel(self.id, "terminate")

    async def send_event(self, *args: Any, **kwargs: Any) -> None:
        """``send_event({"type": ..., "payload": ...})`` (or ``type=..., payload=...``)."""
        event = _options(args, kwargs)
        event_type = event.get("type")
        if not isinstance(event_type, str) or not event_type:
            raise JsException("TypeError", f'send_event() needs "type", a non-empty string, got {event_type!r}.')
        await self._instance()
        payload = step_value(event.get("payload"), 'send_event({"payload": ...})')
        await self._engine.store.send_event(self.id, event_type, structured.encode(payload))
        engine = self._engine
        waiting = engine.waiting_for.get(self.id)
        if waiting is not None and waiting != event_type:
            engine.printer.worker(
                engine.script,
                f'{engine.describe(self.id)}: an event of type "{event_type}" arrived while it waits for "{waiting}"; '
                "it is kept for a later step.wait_for_event of that type.",
                "warn",
            )
        wakeup = engine.wakeups.get(self.id)
        if wakeup is not None:
            wakeup.set()

    sendEvent = send_event


async def _settled(task: Any) -> None:
    try:
        await task
    except BaseException:
        return
