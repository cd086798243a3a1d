"""What a consumer's ``queue(self, batch)`` receives, and how its calls settle each message.

On Cloudflare the SDK wraps the JavaScript ``MessageBatch`` in ``_BindingWrapper``
(``workers/entrypoints.py::_wrap_queue_handler``): attributes and ``batch["messages"]`` read
the JavaScript properties, ``batch.messages`` is a Python list of wrapped messages, a JSON
body arrives as dicts (``JsDict``) and lists, and ``msg.retry(delaySeconds=5)`` passes its
keyword arguments as the options object. :func:`delivered` builds exactly that, locally; it is
the one place to point at a shared ``_BindingWrapper`` conversion.

The settling rules are workerd's: the first of ``ackAll()``/``retryAll()`` wins, a message's own
``ack()``/``retry()`` wins over the batch's fate (a later contrary call is ignored with
workerd's warning), and a handler that raises retries every message not settled on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyworker.queues.body import decode
from pyworker.runtime.wrappers import _BindingWrapper
from pyworker.storage.queues import Stored

Warn = Callable[[str], None]


@dataclass
class Settlement:
    """What the consumer's calls decided, as workerd's ``QueueEventResult``."""

    ack_all: bool = False
    retry_all: bool = False
    retry_all_delay: int | None = None
    acks: set[str] = field(default_factory=set)
    retries: dict[str, int | None] = field(default_factory=dict)

    def fate(self, message_id: str, raised: bool) -> tuple[bool, int | None]:
        """``(acked, retry delay)`` of one message once the handler returned (or raised)."""
        if message_id in self.acks:
            return True, None
        if message_id in self.retries:
            return False, self.retries[message_id]
        if raised or self.retry_all:
            return False, self.retry_all_delay
        return True, None


def _delay(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    options = dict(args[0]) if args and isinstance(args[0], dict) else {}
    options.update(kwargs)
    delay = options.get("delaySeconds")
    return None if delay is None else int(delay)


def ignored(call: str, earlier: str, message_id: str | None = None) -> str:
    """workerd's warning for a call that an earlier one made pointless."""
    on = "" if message_id is None else f" on message {message_id}"
    on_a = "" if message_id is None else " on a message"
    return (
        f"Received a call to {call}(){on} after {earlier}() was already called. "
        f"Calling {call}(){on_a} after calling {earlier}() has no effect."
    )


class QueueMessage(_BindingWrapper):
    """One delivered message: ``id``, ``timestamp``, ``body``, ``attempts``, ``ack()``, ``retry()``."""

    __slots__ = ("_settlement", "_warn", "attempts", "body", "id", "timestamp")
    JS_NAME = "QueueMessage"

    def __init__(self, stored: Stored, settlement: Settlement, warn: Warn) -> None:
        self.id = stored.id
        self.timestamp = dt.datetime.fromtimestamp(stored.timestamp / 1000)  # the SDK's Date conversion
        self.body = decode(stored.body, stored.content_type)
        self.attempts = stored.failures + 1
        self._settlement = settlement
        self._warn = warn

    def ack(self) -> None:
        result = self._settlement
        if result.ack_all:
            return
        if result.retry_all or self.id in result.retries:
            self._warn(ignored("ack", "retryAll" if result.retry_all else "retry", self.id))
        else:
            result.acks.add(self.id)

    def retry(self, *args: Any, **kwargs: Any) -> None:
        result = self._settlement
        if result.ack_all or self.id in result.acks:
            self._warn(ignored("retry", "ackAll" if result.ack_all else "ack", self.id))
        else:
            result.retries[self.id] = _delay(args, kwargs)

    def __repr__(self) -> str:
        return f"QueueMessage(id={self.id!r}, attempts={self.attempts})"


class MessageBatch(_BindingWrapper):
    """``batch.queue``, ``batch.messages``, ``batch.ackAll()``, ``batch.retryAll(delaySeconds=)``."""

    __slots__ = ("_settlement", "_warn", "messages", "queue")
    JS_NAME = "MessageBatch"

    def __init__(self, queue: str, messages: list[QueueMessage], settlement: Settlement, warn: Warn) -> None:
        self.queue = queue
        self.messages = messages
        self._settlement = settlement
        self._warn = warn

    def ackAll(self) -> None:
        if self._settlement.retry_all:
            self._warn(ignored("ackAll", "retryAll"))
            return
        self._settlement.ack_all = True

    def retryAll(self, *args: Any, **kwargs: Any) -> None:
        if self._settlement.ack_all:
            self._warn(ignored("retryAll", "ackAll"))
            return
        self._settlement.retry_all = True
        self._settlement.retry_all_delay = _delay(args, kwargs)

    def __repr__(self) -> str:
        return f"MessageBatch(queue={self.queue!r}, messages={len(self.messages)})"


def delivered(queue: str, stored: list[Stored], warn: Warn) -> tuple[MessageBatch, Settlement]:
    """The batch as the SDK hands it to ``queue(self, batch)``, and the record of what its calls settle."""
    settlement = Settlement()
    messages = [QueueMessage(message, settlement, warn) for message in stored]
    return MessageBatch(queue, messages, settlement, warn), settlement
