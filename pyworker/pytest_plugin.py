"""The ``pyworker_dev`` pytest fixture (registered through the ``pytest11`` entry point).

``session = await pyworker_dev(["worker_a", "worker_b"])`` inside an async test (anyio or
pytest-asyncio) loads the workers in-process, with KV, D1 and R2 data in the test's own
``tmp_path``; they are unloaded when the test ends (without waiting for ``ctx.wait_until``
work: ``await session.settle()`` does).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pyworker.testing import DevSession

StartDev = Callable[..., Awaitable["DevSession"]]


@pytest.fixture
def pyworker_dev(tmp_path: Path) -> Iterator[StartDev]:
    """A function loading workers for this test: ``await pyworker_dev(paths, env=..., vars=..., state=...)``."""
    sessions: list[DevSession] = []

    async def load(paths: Sequence[str | Path] | str | Path = (".",), **options: Any) -> DevSession:
        from pyworker.testing import start  # here, so pytest runs of other projects import nothing of pyworker

        options.setdefault("state", tmp_path / f"pyworker-state-{len(sessions)}")
        sessions.append(start(paths, **options))
        return sessions[-1]

    yield load
    for session in sessions:
        session.close_now()
