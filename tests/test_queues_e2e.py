"""Queues with the real ``pyworker dev``: a ``kill -9`` mid-batch loses nothing ``send`` acknowledged."""

from __future__ import annotations

import signal

import httpx
import pytest

from tests.test_e2e import dev  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e

WORKER = """
import asyncio
import os

from workers import Response, WorkerEntrypoint

HANG = os.path.join(os.path.dirname(__file__), "..", "hang.flag")


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("/", 3)[3]
        if path.startswith("send/"):
            await self.env.JOBS.send({"n": int(path.split("/")[1])})
            return Response("sent")
        listed = await self.env.KV.list()
        return Response(" ".join(sorted(key["name"] for key in listed["keys"])))

    async def queue(self, batch, env, ctx):
        if os.path.exists(HANG):
            print(f"holding a batch of {len(batch.messages)}")
            await asyncio.Event().wait()
        for message in batch.messages:
            await self.env.KV.put(f"seen{message.body['n']}", str(message.attempts))
"""
CONFIG = """
name = "q"
main = "src/entry.py"
kv_namespaces = [{ binding = "KV", id = "seen" }]
[[queues.producers]]
binding = "JOBS"
queue = "jobs"
[[queues.consumers]]
queue = "jobs"
max_batch_timeout = 0
"""


def test_kill_9_mid_batch_redelivers_every_message(dev, write_worker) -> None:  # noqa: F811
    worker = write_worker("q", {"src/entry.py": WORKER}, CONFIG)
    (worker / "hang.flag").write_text("")
    process = dev(str(worker), "--port", "0", "--no-reload")
    url = process.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)
    assert any('JOBS -> queue "jobs" (consumer: q)' in line for line in process.lines)
    with httpx.Client(base_url=url) as client:
        for n in range(5):
            assert client.get(f"/send/{n}").text == "sent"
    process.wait_for(r"holding a batch of \d")
    process.proc.send_signal(signal.SIGKILL)
    process.proc.wait()
    (worker / "hang.flag").unlink()
    process = dev(str(worker), "--port", "0", "--no-reload")
    url = process.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)
    process.wait_for(r"QUEUE jobs 5/5 \(\d+ms\)")
    assert httpx.get(url + "/").text == "seen0 seen1 seen2 seen3 seen4"
    assert process.interrupt() == 0
