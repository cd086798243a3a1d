"""The event objects ``pyworker.testing`` hands to handlers the runtime calls itself."""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass


@dataclass
class ScheduledController:
    """What a ``scheduled(self, controller)`` handler gets: ``cron``, ``scheduledTime`` (ms) and ``noRetry()``."""

    cron: str
    scheduledTime: int  # the runtime's spelling: ms since the epoch (a JavaScript number, integral: an int)
    type: str = "scheduled"
    retry: bool = True

    @classmethod
    def at(cls, cron: str, scheduled_time: float | datetime.datetime | None = None) -> ScheduledController:
        """The controller of ``cron`` firing at ``scheduled_time`` (ms since the epoch or a datetime; default: now)."""
        if isinstance(scheduled_time, datetime.datetime):
            scheduled_time = scheduled_time.timestamp() * 1000
        return cls(cron, int(scheduled_time if scheduled_time is not None else time.time() * 1000))

    def noRetry(self) -> None:  # the runtime's spelling
        """Ask the runtime not to retry this event if the handler fails."""
        self.retry = False
