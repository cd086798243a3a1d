"""Events ``pyworker.testing`` hands to the handlers the runtime calls itself: a cron firing, a queue batch."""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pyworker.printer import Printer
from pyworker.queues.batch import delivered
from pyworker.queues.body import content_type as checked_type
from pyworker.queues.body import encode
from pyworker.queues.broker import QUEUE
from pyworker.storage.queues import Stored
from pyworker.worker import Worker


def scheduled_time_ms(when: float | datetime.datetime | None) -> int:
    """A cron event's ``scheduledTime``: whole ms since the epoch (given, from a datetime, or now), as the
    JavaScript number Pyodide hands over as an ``int``."""
    if isinstance(when, datetime.datetime):
        return round(when.timestamp() * 1000)
    return round(time.time() * 1000 if when is None else when)


@dataclass(frozen=True)
class QueueResult:
    """How a delivered batch settled, message by message (ids in delivery order), as workerd decides it.

    ``outcome`` is ``"ok"`` or ``"exception"`` (the handler raised; ``error`` holds it); ``acked`` and
    ``retried`` split ``ids``; ``retry_delays`` gives the delay a retry asked for (``None``: the default).
    """

    outcome: str
    ids: list[str]
    acked: list[str]
    retried: list[str]
    retry_delays: dict[str, int | None] = field(default_factory=dict)
    error: BaseException | None = None


async def deliver_batch(
    worker: Worker, printer: Printer, queue: str, bodies: Sequence[Any], content_type: str = "v8"
) -> QueueResult:
    """One batch of ``bodies`` through the worker's queue handler (its invocation frame), settled in memory."""
    kind = checked_type(content_type)
    now = time.time() * 1000
    stored = [Stored(uuid.uuid4().hex, encode(body, kind), kind, now, 0) for body in bodies]
    batch, settlement = delivered(queue, stored, lambda text: printer.worker(worker.name, text, "warn"))
    error: BaseException | None = None
    try:
        await worker.invoke(QUEUE, (batch,), {})
    except Exception as exc:  # the handler's error, printed by the frame: every unsettled message retries
        error = exc
    ids = [message.id for message in stored]
    fates = {message_id: settlement.fate(message_id, error is not None) for message_id in ids}
    return QueueResult(
        "ok" if error is None else "exception",
        ids,
        [i for i in ids if fates[i][0]],
        [i for i in ids if not fates[i][0]],
        {i: fates[i][1] for i in ids if not fates[i][0]},
        error,
    )
