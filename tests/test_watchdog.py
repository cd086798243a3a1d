"""The blocked-loop watchdog speaks while the loop is blocked, and interrupts code past --request-timeout."""

from __future__ import annotations

import threading

import httpx

from pyworker.serving import watchdog
from tests.conftest import DEADLINE

UNTIL_FLAG = """
import os
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        while not os.path.exists({flag!r}):  # holds the event loop until the test says
            pass
        return Response("done")
"""

FOREVER = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/ok"):
            return Response("ok")
        while True:
            pass
"""


def test_it_says_so_while_the_loop_is_blocked_and_again_every_few_seconds(
    write_worker, live, output, tmp_path, monkeypatch
):
    monkeypatch.setattr(watchdog, "REPEAT", 0.3)
    flag = tmp_path / "flag"
    server = live(write_worker("w", {"src/entry.py": UNTIL_FLAG.format(flag=str(flag))}), blocked_loop_warning=0.2)
    replies: list[httpx.Response] = []
    client = threading.Thread(target=lambda: replies.append(httpx.get(f"{server.url}/spin?n=1", timeout=DEADLINE)))
    client.start()
    first = output.wait_for(
        r"^\[w\] is blocking the event loop: (\d+\.\d) s so far in GET /spin\?n=1 \(.*entry\.py, line [78]\); "
        r"every worker waits\. Ctrl-C stops the server\.$"
    )
    second = output.wait_for(r"^\[w\] is still blocking the event loop: (\d+\.\d) s so far in GET /spin\?n=1 ")
    assert replies == []  # both said while the handler still held the loop
    assert 0.2 <= float(first.group(1)) < float(second.group(1))
    flag.write_text("go")
    client.join(DEADLINE)
    assert replies[0].text == "done"
    output.wait_for(r"^\[w\] blocked the event loop for \d+\.\d s in GET /spin\?n=1 \(.*entry\.py, line [78]\)$")


def test_code_holding_the_loop_past_the_request_timeout_is_interrupted(write_worker, live, output):
    server = live(write_worker("w", {"src/entry.py": FOREVER}), blocked_loop_warning=0.2, request_timeout=0.6)
    reply = httpx.get(f"{server.url}/spin", timeout=DEADLINE)
    assert (reply.status_code, reply.text) == (
        500,
        "HandlerInterrupted: the handler held the event loop too long and was interrupted.",
    )
    output.wait_for(
        r"^\[w\] GET /spin held the event loop for 0\.\d s, past --request-timeout: interrupting it where it runs\.$"
    )
    output.wait_for(r"^\[w\] .*HandlerInterrupted: the handler held the event loop too long and was interrupted\.$")
    assert httpx.get(f"{server.url}/ok", timeout=DEADLINE).text == "ok"
