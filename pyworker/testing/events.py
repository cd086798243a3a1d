"""The event objects ``pyworker.testing`` hands to handlers the runtime calls itself."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class ScheduledController:
    """What a ``scheduled(self, controller)`` handler gets: ``cron``, ``scheduledTime`` (ms) and ``noRetry()``."""

    cron: str
    scheduledTime: float  # the runtime's spelling
    type: str = "scheduled"
    retry: bool = True

    @classmethod
    def at(cls, cron: str, scheduled_time: float | None = None) -> ScheduledController:
        """The controller of ``cron`` firing at ``scheduled_time`` (ms since the epoch; default: now)."""
        return cls(cron, float(scheduled_time if scheduled_time is not None else int(time.time() * 1000)))

    def noRetry(self) -> None:  # the runtime's spelling
        """Ask the runtime not to retry this event if the handler fails."""
        self.retry = False
