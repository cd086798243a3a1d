"""One run of an instance, step by step, as Cloudflare's engine does it: stored results, retries, sleeps, events.

Each step has a key: its kind, name and how many times a step of that kind and name came
before it in this run (so a name used twice is two steps, as on Cloudflare). A finished
step's result (or final error) is read back from the store instead of running it again,
which is how a replayed run reaches the step where it stopped. Before each step the run
checks whether it should stop here: the host worker reloaded (replay on the new code) or a
pause asked while the last step ran.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Awaitable, Callable
from typing import Any

from pyworker.bindings.workflows import durations, lifecycle
from pyworker.runtime.jsvalues import JsDict, JsException, number_text
from pyworker.storage import structured
from pyworker.storage.workflows import Step, load, now_ms

Attempt = Callable[[JsDict], Awaitable[Any]]


class Run:
    """The engine's side of ``step`` for one run of instance ``instance_id`` on generation ``code``."""

    def __init__(self, engine: Any, instance_id: str, code: Any) -> None:
        self.engine = engine
        self.instance = instance_id
        self.code = code
        self.counts: dict[str, int] = {}

    def _key(self, kind: str, name: str) -> tuple[str, int]:
        count = self.counts[f"{kind}:{name}"] = self.counts.get(f"{kind}:{name}", 0) + 1
        return f"{kind}:{name}:{count}", count

    def warn(self, step: str, text: str) -> None:
        self.engine.printer.worker(self.engine.script, f"{self.engine.describe(self.instance, step)}: {text}", "warn")

    async def checkpoint(self) -> None:
        """Stop this run here if it must: the host reloaded (replayed on the new code) or a pause waits."""
        engine = self.engine
        target = engine.directory.get(engine.script)
        if self.instance in engine.pause_wanted:
            engine.pause_wanted.discard(self.instance)
            await engine.store.set_status(self.instance, "paused")
            await self._stop("pause")
        if target is not None and getattr(target, "code", None) is not self.code:
            await self._stop("replay")

    async def _stop(self, reason: str) -> None:
        task = self.engine.running.get(self.instance)
        if task is None:
            return
        self.engine.stopping[self.instance] = reason
        task.cancel()
        await asyncio.Event().wait()  # the cancellation arrives here

    # -- step.do -----------------------------------------------------------------------
    async def do(self, name: str, config: Any, attempt: Attempt) -> Any:
        await self.checkpoint()
        if not isinstance(name, str) or len(name) > 256 or any(ord(c) < 32 for c in name):
            raise JsException(
                "Error",
                f'WorkflowFatalError: Step name "{name}" exceeds max length (256 chars) or invalid characters found',
            )
        resolved = durations.resolve_config(name, config)
        key, count = self._key("do", name)
        store = self.engine.store
        saved = await store.step(self.instance, key)
        if _finished(saved):
            return _replayed(saved)
        tries = saved.attempts if saved is not None else 0
        if saved is not None and saved.wake is not None:  # a retry was waiting when the run stopped
            await self.engine.wait(self.instance, saved.wake)
        while True:
            tries += 1
            await store.save_step(self.instance, key, Step(None, None, None, tries))
            ctx = JsDict(step=JsDict(name=name, count=count), attempt=tries, config=resolved)
            try:
                result = await self._attempt(name, resolved, attempt, ctx)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the step's failure: retried, or the run gets it
                wake = self._retry_after(name, resolved, tries, exc)
                if wake is None:
                    failure = lifecycle.step_failure(exc)
                    stored = structured.encode({"name": failure.name, "message": failure.message})
                    await store.save_step(self.instance, key, Step(None, stored, None, tries))
                    raise failure from None
                await store.save_step(self.instance, key, Step(None, None, wake, tries))
                await self.engine.wait(self.instance, wake)
                continue
            value = structured.encode(result)
            await store.save_step(self.instance, key, Step(value, None, None, tries))
            await self.checkpoint()
            return load(value)

    async def _attempt(self, name: str, config: JsDict, attempt: Attempt, ctx: JsDict) -> Any:
        timeout = durations.duration_ms(config["timeout"]) or 600_000
        self.engine.in_step.add(self.instance)
        try:
            async with asyncio.timeout(timeout / 1000):
                return await attempt(ctx)
        except TimeoutError:
            raise JsException("WorkflowTimeoutError", f"Execution timed out after {round(timeout)}ms") from None
        finally:
            self.engine.in_step.discard(self.instance)

    def _retry_after(self, name: str, config: JsDict, tries: int, exc: Exception) -> int | None:
        """When to try again (epoch ms), or ``None``: a ``NonRetryableError``, or no retries left."""
        limit = int(config["retries"]["limit"])
        error = lifecycle.error_of(exc)
        shown = f"{error['name']}: {error['message']}" if error["message"] else error["name"]
        if lifecycle.step_failure(exc).name == lifecycle.NON_RETRYABLE:
            self.warn(name, f"attempt {tries} failed with {shown}; not retried (NonRetryableError)")
            return None
        if tries > limit:
            self.warn(name, f"attempt {tries} failed with {shown}; no retries left (limit {limit})")
            return None
        delay = durations.retry_delay_ms(config, tries) * self.engine.scale
        self.warn(name, f"attempt {tries} of {limit + 1} failed with {shown}; retrying in {round(delay)} ms")
        return int(now_ms() + round(delay))

    # -- sleeping and waiting ----------------------------------------------------------
    async def sleep(self, name: str, duration: Any) -> None:
        await self.checkpoint()
        millis = durations.require_duration(duration, f'step.sleep("{name}")')
        await self._sleep_for(f"{name}:{number_text(millis)}", millis)

    async def sleep_until(self, name: str, target_ms: float) -> None:
        await self.checkpoint()
        remaining = target_ms - now_ms()
        if remaining < 0:
            raise JsException("Error", "You can't sleep until a time in the past, time-traveler")
        await self._sleep_for(name, remaining, kind="sleepUntil")

    async def _sleep_for(self, name: str, millis: float, kind: str = "sleep") -> None:
        key, _ = self._key(kind, name)
        saved = await self.engine.store.step(self.instance, key)
        if saved is not None and saved.value is not None:
            return
        wake = (
            saved.wake if saved is not None and saved.wake is not None else now_ms() + round(millis * self.engine.scale)
        )
        await self.engine.store.save_step(self.instance, key, Step(None, None, wake, 0))
        await self.engine.wait(self.instance, wake)
        await self.engine.store.save_step(self.instance, key, Step(structured.encode(True), None, None, 0))

    async def wait_for_event(self, name: str, event_type: str, timeout: Any) -> Any:
        await self.checkpoint()
        millis = durations.require_duration(timeout, f'step.wait_for_event("{name}", timeout=...)')
        key, _ = self._key("waitForEvent", name)
        store = self.engine.store
        saved = await store.step(self.instance, key)
        if _finished(saved):
            return _replayed(saved)
        wake = (
            saved.wake if saved is not None and saved.wake is not None else now_ms() + round(millis * self.engine.scale)
        )
        await store.save_step(self.instance, key, Step(None, None, wake, 0))
        event = await self._next_event(event_type, wake)
        if event is None:
            error = JsDict(name="WorkflowTimeoutError", message=f"Execution timed out after {round(millis)}ms")
            await store.save_step(self.instance, key, Step(None, structured.encode(error), None, 0))
            raise JsException(error["name"], error["message"])
        await store.save_step(self.instance, key, Step(structured.encode(event), None, None, 0))
        return event

    async def _next_event(self, event_type: str, wake: int) -> JsDict | None:
        engine, store = self.engine, self.engine.store
        await store.set_status(self.instance, "waiting")
        wakeup = engine.wakeups.setdefault(self.instance, asyncio.Event())
        engine.waiting_for[self.instance] = event_type
        try:
            while (taken := await store.take_event(self.instance, event_type)) is None:
                left = (wake - now_ms()) / 1000
                if left <= 0:
                    return None
                wakeup.clear()
                try:
                    async with asyncio.timeout(left):
                        await wakeup.wait()
                except TimeoutError:
                    continue
        finally:
            engine.wakeups.pop(self.instance, None)
            engine.waiting_for.pop(self.instance, None)
        await store.set_status(self.instance, "running")
        payload, stamp = taken
        return JsDict(payload=load(payload), timestamp=_date(stamp), type=event_type)


def _date(stamp: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(stamp / 1000)


def _finished(saved: Step | None) -> bool:
    return saved is not None and (saved.value is not None or saved.error is not None)


def _replayed(saved: Step | None) -> Any:
    """A finished step's stored result, or its stored final error raised again, as on a replay."""
    assert saved is not None
    if saved.value is not None:
        return load(saved.value)
    assert saved.error is not None
    error = load(saved.error)
    raise JsException(error["name"], error["message"])
