"""Queue producers (``queues.producers = [{ binding, queue, delivery_delay? }]``): ``await env.Q.send(body)``.

``send(body, contentType=..., delaySeconds=...)`` and ``sendBatch([{body, contentType?,
delaySeconds?}], delaySeconds=...)`` return once the messages are kept (SQLite, beside the
other state); the server's :class:`~pyworker.queues.broker.QueueBroker` delivers them to the
queue's consumer, in whichever worker of this ``pyworker dev`` declares it.
"""

from __future__ import annotations

from typing import Any

from pyworker.bindings.provider import BindingHost
from pyworker.config.model import WorkerConfig
from pyworker.errors import StorageError
from pyworker.queues.broker import QueueBroker
from pyworker.queues.config import Producer, consumers, producers
from pyworker.runtime.jsvalues import JsException
from pyworker.runtime.wrappers import _BindingWrapper

KEY = "queues"
MAX_BATCH = 100


def _options(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments, or a trailing options dict, as the SDK turns both into one JavaScript object."""
    given = dict(args[0]) if args and isinstance(args[0], dict) else {}
    given.update(kwargs)
    return given


class QueueProducer(_BindingWrapper):
    """``env.<binding>`` of a queue producer."""

    __slots__ = ("_broker", "_producer")
    JS_NAME = "WorkerQueue"

    def __init__(self, producer: Producer, broker: QueueBroker) -> None:
        self._producer = producer
        self._broker = broker

    async def send(self, body: Any, *args: Any, **kwargs: Any) -> None:
        given = _options(args, kwargs)
        message = (body, given.get("contentType"), given.get("delaySeconds"))
        await self._broker.send(self._producer.queue, [message], self._producer.delivery_delay)

    async def sendBatch(self, messages: Any, *args: Any, **kwargs: Any) -> None:
        items = list(messages)
        if not items:
            raise JsException("TypeError", "sendBatch() requires at least one message")
        if len(items) > MAX_BATCH:
            message = f"Queue sendBatch failed: batch message count of {len(items)} exceeds limit of {MAX_BATCH}"
            raise JsException("Error", message)
        delay = _options(args, kwargs).get("delaySeconds")
        batch = []
        for item in items:
            if not isinstance(item, dict):
                raise JsException("TypeError", "sendBatch() expects a list of objects like {'body': ...}")
            own = item.get("delaySeconds")
            batch.append((item.get("body"), item.get("contentType"), delay if own is None else own))
        await self._broker.send(self._producer.queue, batch, self._producer.delivery_delay)

    def __repr__(self) -> str:
        return f"<queue producer {self._producer.binding} -> {self._producer.queue}>"


def build(config: WorkerConfig, host: BindingHost) -> dict[str, Any]:
    found = producers(config)
    consumers(config)  # checked now: a broken consumer table is a config error at start-up
    if not found:
        return {}
    if host.queues is None:
        raise StorageError("This dev server has no queue broker, so it cannot serve queue bindings.")
    return {producer.binding: QueueProducer(producer, host.queues) for producer in found}


def describe(config: WorkerConfig, host: BindingHost) -> list[str]:
    """``Q -> queue "jobs" (consumer: worker_b)``; a queue nobody consumes keeps its messages."""
    lines = []
    served = {} if host.queues is None else host.queues.consumers()
    for producer in producers(config):
        owner = served.get(producer.queue)
        status = f"consumer: {owner[0]}" if owner else "no consumer loaded: messages are kept"
        lines.append(f'{producer.binding} -> queue "{producer.queue}" ({status})')
    for consumer in consumers(config):
        dead = f", dead letters to {consumer.dead_letter_queue}" if consumer.dead_letter_queue else ""
        lines.append(
            f'consumes queue "{consumer.queue}" (batches of {consumer.max_batch_size} or '
            f"{consumer.max_batch_timeout:g} s, {consumer.max_retries} retries{dead})"
        )
    return lines
