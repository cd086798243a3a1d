"""``workers.workflows``: Workflow-specific classes and exceptions."""

from __future__ import annotations


class NonRetryableError(Exception):
    """Raised in a workflow step so that the step is not retried."""
