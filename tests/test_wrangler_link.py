"""Without pycapnp (the ``wrangler`` extra), reaching or being reached by wrangler dev says so in one line."""

from __future__ import annotations

import asyncio
import sys

import pytest

from pyworker.interop.wrangler.client import WranglerTarget
from pyworker.interop.wrangler.link import CapnpLink, CapnpMissing
from pyworker.interop.wrangler.server import DebugPortServer
from pyworker.printer import Printer
from pyworker.registry import WorkerRegistry
from pyworker.runtime.http import Request
from pyworker.types import FETCH, Route
from tests.conftest import Output

pytestmark = pytest.mark.anyio
MISSING = (
    "pycapnp is not installed, and pyworker needs it to reach wrangler dev workers (and to be reached by them): "
    "pip install 'pyworker[wrangler]'."
)


@pytest.fixture
def no_capnp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "capnp", None)  # "import capnp" raises ImportError


async def test_a_call_to_a_wrangler_worker_says_what_to_install(no_capnp: None) -> None:
    target = WranglerTarget("js", "127.0.0.1:1", CapnpLink())
    with pytest.raises(CapnpMissing) as caught:
        await target.invoke(Route(FETCH, "fetch"), (Request("http://js/"),), {})
    assert str(caught.value) == MISSING


async def test_the_debug_port_listens_and_says_it_on_the_first_connection(no_capnp: None) -> None:
    output = Output()
    server = DebugPortServer(WorkerRegistry(), Printer(output, colour=False), CapnpLink())
    host, port = (await server.start()).split(":")
    for _ in range(2):
        reader, writer = await asyncio.open_connection(host, int(port))
        assert await reader.read() == b""  # closed at once
        writer.close()
    await server.aclose()
    assert output.lines() == [f"wrangler dev called a worker of this process: {MISSING}"]
