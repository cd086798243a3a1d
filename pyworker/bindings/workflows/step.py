"""``step``, as ``run(self, event, step)`` receives it: the SDK's ``_WorkflowStepWrapper``.

``step.do`` is a decorator. Without the ``python_workflows_implicit_dependencies``
compatibility flag it is ``do(name, depends=None, concurrent=False, config=None)`` and a
step's parameters other than ``ctx`` take the results of the ``depends`` list, in order;
with the flag it is ``do(name=None, *, concurrent=False, config=None)`` and each parameter
names an earlier step (or ``ctx``). Calling the decorated function runs its dependencies
(at once, with ``concurrent=True``), then the step itself through the engine
(:mod:`~pyworker.bindings.workflows.attempts`), which answers from the store when the step
already finished. The same ``TypeError`` messages as the SDK's.

Worker code holds this object, so it exposes only the SDK's names; the engine behind it is
out of reach (``__getattribute__``).
"""

from __future__ import annotations

import asyncio
import datetime
import inspect
from collections.abc import Callable
from typing import Any

from pyworker.bindings.workflows import attempts, lifecycle
from pyworker.runtime.jsvalues import JsException

IMPLICIT_FLAG = "python_workflows_implicit_dependencies"
_PUBLIC = frozenset(
    {"do", "sleep", "sleep_until", "wait_for_event", "step_closures", "__class__", "__repr__", "__str__", "__eq__",
     "__ne__", "__hash__", "__format__", "__sizeof__", "__dir__", "__doc__", "__init_subclass__", "__subclasshook__"}
)  # fmt: skip


class WorkflowStep:
    """The ``step`` of one run of one instance."""

    __slots__ = ("_do", "_in_flight", "_memo", "_names", "_run", "step_closures")

    def __init__(self, engine: Any, instance_id: str, code: Any) -> None:
        self._run = attempts.Run(engine, instance_id, code)
        self._memo: dict[Any, Any] = {}
        self._in_flight: dict[Any, asyncio.Future[Any]] = {}
        self._names: dict[str, Any] = {}
        self.step_closures: dict[str, Any] = {}
        flags = getattr(getattr(engine.directory.get(engine.script), "config", None), "compatibility_flags", ())
        self._do = _get(self, "_do_implicit" if IMPLICIT_FLAG in flags else "_do_legacy")

    def __getattribute__(self, name: str) -> Any:
        if name in _PUBLIC:
            if name == "do":
                return object.__getattribute__(self, "_do")
            return object.__getattribute__(self, name)
        raise AttributeError(f"'WorkflowStep' object has no attribute {name!r}")

    def __repr__(self) -> str:
        return "<WorkflowStep>"

    # -- step.do -----------------------------------------------------------------------
    def _do_legacy(self, name: str, depends: Any = None, concurrent: bool = False, config: Any = None) -> Any:
        return _get(self, "_decorator")(name, depends, concurrent, config, False)

    def _do_implicit(self, name: str | None = None, *, concurrent: bool = False, config: Any = None) -> Any:
        return _get(self, "_decorator")(name, None, concurrent, config, True)

    def _decorator(self, name: str | None, depends: Any, concurrent: bool, config: Any, implicit: bool) -> Any:
        def decorator(func: Callable[..., Any]) -> Any:
            step_name = func.__name__ if name is None else name
            _get(self, "_note_name")(step_name, func)

            async def wrapper() -> Any:
                plan = _get(self, "_plan")(func, depends, implicit)
                results = await _get(self, "_gather")(plan, concurrent)
                return await _get(self, "_call")(wrapper, step_name, config, func, results)

            wrapper._step_name = step_name  # type: ignore[attr-defined]
            self.step_closures[step_name] = wrapper
            return wrapper

        return decorator

    def _note_name(self, step_name: str, func: Callable[..., Any]) -> None:
        code = getattr(func, "__code__", func)
        known = _get(self, "_names").setdefault(step_name, code)
        if known is not code:
            run = _get(self, "_run")
            run.warn(step_name, "this step name is used again for a different function; it runs as a new step")

    def _plan(self, func: Callable[..., Any], depends: Any, implicit: bool) -> list[Any]:
        params = list(inspect.signature(func).parameters.values())
        plan: list[Any] = []
        if implicit:
            for param in params:
                if param.name in self.step_closures:
                    plan.append(self.step_closures[param.name])
                elif param.name == "ctx":
                    plan.append(param)
                else:
                    raise TypeError(f"Received unexpected parameter {param.name}")
            return plan
        others = [p for p in params if p.name != "ctx"]
        if depends is None and others:
            raise TypeError(f"Step has {len(others)} non-ctx parameter(s) but no 'depends' list provided")
        if depends is not None and len(depends) != len(others):
            raise TypeError(
                f"Step declares {len(others)} non-ctx parameter(s) but 'depends' has {len(depends)} item(s)"
            )
        remaining = iter(depends or ())
        for param in params:
            if param.name == "ctx":
                plan.append(param)
                continue
            dep = next(remaining)
            if not hasattr(dep, "_step_name"):
                raise TypeError(
                    f"'depends' entry for parameter {param.name!r} is not a function decorated with step.do"
                )
            plan.append(dep)
        return plan

    async def _gather(self, plan: list[Any], concurrent: bool) -> list[Any]:
        resolve = _get(self, "_resolve")
        if concurrent:
            return list(await asyncio.gather(*(resolve(dep) for dep in plan)))
        return [await resolve(dep) for dep in plan]

    async def _resolve(self, dep: Any) -> Any:
        if isinstance(dep, inspect.Parameter):
            return dep  # ctx: filled in by the engine for each attempt
        memo, in_flight = _get(self, "_memo"), _get(self, "_in_flight")
        if dep in memo:
            return memo[dep]
        if dep in in_flight:
            return await in_flight[dep]
        return await dep()

    async def _call(self, key: Any, name: str, config: Any, func: Callable[..., Any], results: list[Any]) -> Any:
        async def attempt(ctx: Any) -> Any:
            args = [ctx if isinstance(r, inspect.Parameter) else r for r in results]
            result = func(*args)
            if inspect.isawaitable(result):
                result = await result
            return lifecycle.step_value(result, f'the value step "{name}" returned')

        in_flight = _get(self, "_in_flight")
        task = in_flight[key] = asyncio.ensure_future(_get(self, "_run").do(name, config, attempt))
        try:
            result = await task
        except JsException as exc:
            raise lifecycle.from_js_error(exc) from None
        finally:
            in_flight.pop(key, None)
        _get(self, "_memo")[key] = result
        return result

    # -- sleeping and waiting ----------------------------------------------------------
    async def sleep(self, name: str, duration: Any) -> None:
        await _get(self, "_run").sleep(name, duration)

    async def sleep_until(self, name: str, timestamp: Any) -> None:
        await _get(self, "_run").sleep_until(name, _epoch_ms(timestamp))

    async def wait_for_event(self, name: str, event_type: str, /, timeout: Any = "24 hours") -> Any:
        return await _get(self, "_run").wait_for_event(name, event_type, timeout)


def _get(step: WorkflowStep, name: str) -> Any:
    return object.__getattribute__(step, name)


def _epoch_ms(timestamp: Any) -> float:
    """``sleep_until``'s target: a ``datetime`` (naive: local time), epoch milliseconds, or an ISO string."""
    if isinstance(timestamp, datetime.datetime):
        return timestamp.timestamp() * 1000
    if isinstance(timestamp, int | float) and not isinstance(timestamp, bool):
        return float(timestamp)
    if isinstance(timestamp, str):
        try:
            parsed = datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=datetime.UTC)
            return parsed.timestamp() * 1000
    raise JsException(
        "TypeError",
        f"step.sleep_until() takes a datetime, epoch milliseconds or an ISO 8601 string, got {timestamp!r}.",
    )
