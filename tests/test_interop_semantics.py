"""The service-binding semantics tests (``tests/test_binding_semantics.py``), run again with the callee in
another dev server reached over a real loopback connection: nothing changes for worker code."""

from __future__ import annotations

import httpx
import pytest

from tests import test_binding_semantics as semantics
from tests.interop_pairs import joined

pytestmark = pytest.mark.anyio

# Left to the in-process run: two look into the callee's own server (``server.worker("callee")``), which is in
# the other "process" here; one counts event-loop turns, and a call over a socket takes more of them.
IN_PROCESS_ONLY = {
    "test_a_crossed_exception_carries_nothing_of_the_callee",
    "test_no_path_through_a_binding_reaches_the_callee",
    "test_a_call_never_awaited_still_runs_and_warns_once",
}

for _name in dir(semantics):
    if _name.startswith("test_") and _name not in IN_PROCESS_ONLY:
        globals()[_name] = getattr(semantics, _name)


@pytest.fixture
async def server(write_worker, make_server):
    callee = make_server(write_worker("callee", {"src/entry.py": semantics.CALLEE}))
    caller = make_server(write_worker("caller", {"src/entry.py": semantics.CALLER}, config=semantics.CALLER_CONFIG))
    async with joined() as pairs:
        await pairs.join(caller, callee, "callee")
        yield caller


@pytest.fixture
def b(server):
    return server.worker("caller").env.B


async def test_an_unawaited_call_cut_short_stops_in_the_other_process_too(write_worker, make_server):
    source = "from workers import Response, WorkerEntrypoint\n\nclass Default(WorkerEntrypoint):\n"
    source += "    async def fetch(self, request):\n        self.env.B.hang()\n"
    # Answered after hang() started over there (one connection: the callee takes the calls in order).
    source += "        await self.env.B.logged()\n        return Response('sent')\n"
    callee = make_server(write_worker("callee", {"src/entry.py": semantics.CALLEE}))
    caller = make_server(write_worker("caller", {"src/entry.py": source}, config=semantics.CALLER_CONFIG))
    async with joined() as pairs:
        await pairs.join(caller, callee, "callee")
        b = caller.worker("caller").env.B
        assert await b.logged() == []  # connected: the call below is sent in its first step
        transport = httpx.ASGITransport(app=caller.app("caller"))
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            assert (await client.get("/")).text == "sent"
        for _ in range(10_000):  # one round trip per look, until the callee's finally ran
            if (logged := await b.logged()) != []:
                break
    assert logged == ["hang cancelled"]
