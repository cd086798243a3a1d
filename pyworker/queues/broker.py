"""The queue broker of one dev server: keeps messages (SQLite) and delivers them in batches.

Each consumed queue has one delivery loop. It waits for a visible message, then until the
batch is full (``max_batch_size``) or the first message has waited ``max_batch_timeout``,
leases the batch and runs the consumer's ``queue`` handler through the invocation frame
(one batch at a time, or up to ``max_concurrency`` at once).
Then each message is acked, retried (after its delay) or, past ``max_retries``, moved to the
``dead_letter_queue`` or dropped, with Miniflare's log lines. A queue with no consumer
loaded keeps its messages until one is.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from pyworker.errors import WorkerLoadError
from pyworker.printer import Printer, escape
from pyworker.queues.body import content_type, encode
from pyworker.queues.config import Consumer
from pyworker.runtime.jsvalues import JsException
from pyworker.storage.host import Storage
from pyworker.types import Directory, Route

if TYPE_CHECKING:
    from pyworker.storage.queues import QueueStore, Stored

QUEUE = Route("queue", "queue")
UNLOADED_BACKOFF = 1.0  # seconds before a batch is offered again to a consumer whose code does not load
Consumers = Callable[[], Mapping[str, tuple[str, Consumer]]]  # queue -> (worker, settings)


class QueueBroker:
    """Every queue of the server; ``consumers`` is read anew on each batch, so reloads take effect."""

    def __init__(self, storage: Storage, directory: Directory, printer: Printer, consumers: Consumers) -> None:
        self.storage = storage
        self.directory = directory
        self.printer = printer
        self.consumers = consumers
        self.batches = 0  # batches delivered, for tests and benchmarks
        self.settled = asyncio.Event()  # set after each batch is settled (tests wait on it)
        self._wake: dict[str, asyncio.Event] = {}
        self._loops: dict[str, asyncio.Task[None]] = {}

    @functools.cached_property
    def store(self) -> QueueStore:
        """The messages on disk; imported and opened on first use (most configs declare no queue)."""
        from pyworker.storage.queues import QueueStore

        return QueueStore(self.storage)

    # -- producing ----------------------------------------------------------------------
    async def send(self, queue: str, messages: list[tuple[object, object, object]], default_delay: float) -> None:
        """Keep ``(body, contentType, delaySeconds)`` messages; returns once they are on disk."""
        from pyworker.storage.queues import New

        now = time.time()
        kept = []
        for body, kind, delay in messages:
            if body is None:
                raise JsException("TypeError", "Message body cannot be undefined")
            chosen = "v8" if kind is None else content_type(kind)
            wait = default_delay if delay is None else float(delay)  # type: ignore[arg-type]
            kept.append(New(uuid.uuid4().hex, encode(body, chosen), chosen, now * 1000, now + wait))
        await self.store.add(queue, kept)
        self._event(queue).set()

    def _event(self, queue: str) -> asyncio.Event:
        event = self._wake.get(queue)
        if event is None:
            event = self._wake[queue] = asyncio.Event()
        return event

    # -- consuming ----------------------------------------------------------------------
    def start(self) -> None:
        """Start a delivery loop for every consumed queue that has none (call again after a reload)."""
        for queue in self.consumers():
            if queue not in self._loops or self._loops[queue].done():
                task = self._loops[queue] = asyncio.ensure_future(self._deliver_forever(queue))
                task.add_done_callback(functools.partial(self._stopped, queue))

    def _stopped(self, queue: str, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (exc := task.exception()) is not None:
            cause = f"{type(exc).__name__}: {exc}"
            message = f'Delivery on queue "{queue}" stopped: {cause}. Its messages are kept; restart to resume.'
            self.printer.write(escape(message), "error")

    async def stop(self) -> None:
        for task in self._loops.values():
            task.cancel()
        for task in self._loops.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loops.clear()

    async def _wait(self, event: asyncio.Event, seconds: float | None) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)

    async def _deliver_forever(self, queue: str) -> None:
        event = self._event(queue)
        running: set[asyncio.Future[None]] = set()  # batches in flight: up to max_concurrency (default 1)
        try:
            while (found := self.consumers().get(queue)) is not None:
                worker, consumer = found
                if len(running) >= (consumer.max_concurrency or 1):
                    await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    continue
                event.clear()  # before looking: a send (or a settled batch) from now on wakes the wait below
                _, first = await self.store.ready(queue)
                now = time.time()
                if first is None or first > now:
                    await self._wait(event, None if first is None else first - now)
                    continue
                deadline = first + consumer.max_batch_timeout
                if now < deadline and await self.store.visible(queue, now) < consumer.max_batch_size:
                    await self._wait(event, deadline - now)
                    continue
                batch = await self.store.lease(queue, time.time(), consumer.max_batch_size)
                if batch:
                    flight = asyncio.ensure_future(self.deliver(queue, worker, consumer, batch))
                    running.add(flight)
                    flight.add_done_callback(running.discard)
        finally:
            for left in list(running):
                left.cancel()

    async def deliver(self, queue: str, worker: str, consumer: Consumer, stored: list[Stored]) -> None:
        """Run one batch through the consumer and settle every message of it."""
        from pyworker.queues.batch import delivered

        target = self.directory.get(worker)
        warn = lambda text: self.printer.worker(worker, text, "warn")  # noqa: E731
        batch, settlement = delivered(queue, stored, warn)
        started = time.perf_counter()
        raised = False
        try:
            if target is None:
                raise WorkerLoadError(f'Worker "{worker}" is not running.')
            await target.invoke(QUEUE, (batch,), {})
        except WorkerLoadError:  # its code does not load: offer the batch again later, no attempt used
            await self.store.settle([], [], [], [message.id for message in stored])
            await asyncio.sleep(UNLOADED_BACKOFF)
            return
        except Exception:  # the handler raised (the frame printed it): the batch is retried
            raised = True
        millis = round((time.perf_counter() - started) * 1000)
        await self._settle(queue, worker, consumer, stored, settlement.fate, raised, millis)

    async def _settle(
        self,
        queue: str,
        worker: str,
        consumer: Consumer,
        stored: list[Stored],
        fate: Callable[[str, bool], tuple[bool, int | None]],
        raised: bool,
        millis: int,
    ) -> None:
        acked, retried, moved, dropped = [], [], [], []
        attempts = consumer.max_retries + 1
        plural = "" if attempts == 1 else "s"
        now = time.time()
        for message in stored:
            ok, delay = fate(message.id, raised)
            if ok:
                acked.append(message.id)
            elif message.failures + 1 < attempts:
                retried.append((message.id, now + (consumer.retry_delay if delay is None else delay)))
            elif consumer.dead_letter_queue is not None:
                self.printer.worker(
                    worker,
                    f'Moving message "{message.id}" on queue "{queue}" to dead letter queue '
                    f'"{consumer.dead_letter_queue}" after {attempts} failed attempt{plural}...',
                    "warn",
                )
                moved.append((message.id, consumer.dead_letter_queue))
            else:
                text = f'Dropped message "{message.id}" on queue "{queue}" after {attempts} failed attempt{plural}!'
                self.printer.worker(worker, text, "warn")
                dropped.append(message.id)
        await self.store.settle(acked + dropped, retried, moved, [])
        self.batches += 1
        self.settled.set()
        self._event(queue).set()  # retried messages may be visible again now
        self.printer.worker(worker, f"QUEUE {queue} {len(acked)}/{len(stored)} ({millis}ms)")
        if moved:
            assert consumer.dead_letter_queue is not None
            self._event(consumer.dead_letter_queue).set()
            self.start()
