from __future__ import annotations

import asyncio

import pytest
from assets_helpers import call

from pyworker.queues.batch import delivered
from pyworker.queues.body import decode, encode
from pyworker.runtime.jsvalues import JsDict, JsException
from pyworker.storage.host import Storage
from pyworker.storage.queues import New, QueueStore, Stored
from pyworker.storage.state import StateDir

pytestmark = pytest.mark.anyio

PRODUCER = """\
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        await self.env.JOBS.send({"n": 1, "tags": ["a"]})
        await self.env.JOBS.send("plain", contentType="text")
        await self.env.JOBS.sendBatch(
            [{"body": b"\\x00\\x01", "contentType": "bytes"}, {"body": [1, 2], "contentType": "json"}]
        )
        return Response("sent")
"""

CONSUMER = """\
from workers import WorkerEntrypoint, Response

SEEN = []

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("consumer")

    async def queue(self, batch, env, ctx):
        for message in batch.messages:
            body = message.body
            shown = bytes(body) if isinstance(body, memoryview) else body
            SEEN.append((batch.queue, message.attempts, type(body).__name__, shown))
            if body == "boom" or (isinstance(body, dict) and body.get("fail")):
                if body == "boom":
                    message.ack()
                    message.retry()
                continue
            message.ack()
        if any(m.body == "boom" or (isinstance(m.body, dict) and m.body.get("fail")) for m in batch["messages"]):
            raise RuntimeError("consumer failed")
"""


def consumer_config(extra: str = "") -> str:
    return (
        'name = "consumer"\nmain = "src/entry.py"\n'
        f'[[queues.consumers]]\nqueue = "jobs"\nmax_batch_size = 10\nmax_batch_timeout = 0\n{extra}'
    )


PRODUCER_CONFIG = 'name = "producer"\nmain = "src/entry.py"\n[[queues.producers]]\nbinding = "JOBS"\nqueue = "jobs"\n'


async def batches(broker, count: int) -> None:
    """Wait (on the broker's event, never a sleep) until ``count`` batches were settled."""
    while broker.batches < count:
        broker.settled.clear()
        await asyncio.wait_for(broker.settled.wait(), 10)


async def test_messages_reach_the_consumer_as_the_sdk_delivers_them(write_worker, make_server, output):
    producer = write_worker("producer", {"src/entry.py": PRODUCER}, config=PRODUCER_CONFIG)
    consumer = write_worker("consumer", {"src/entry.py": CONSUMER}, config=consumer_config())
    server = make_server(producer, consumer)
    assert (await call(server.app("producer"), "/")).text == "sent"
    server.queues.start()
    try:
        await batches(server.queues, 1)
    finally:
        await server.queues.stop()
    seen = server.worker("consumer").code.module.SEEN  # type: ignore[union-attr]
    assert seen == [
        ("jobs", 1, "JsDict", {"n": 1, "tags": ["a"]}),
        ("jobs", 1, "str", "plain"),
        ("jobs", 1, "memoryview", b"\x00\x01"),
        ("jobs", 1, "list", [1, 2]),
    ]
    assert "[consumer] QUEUE jobs 4/4 (" in output.getvalue()
    assert await server.queues.store.count("jobs") == 0


async def test_retries_dead_letters_and_explicit_acks(write_worker, make_server, output):
    extra = (
        'max_retries = 1\ndead_letter_queue = "jobs-dlq"\n'
        '[[queues.consumers]]\nqueue = "jobs-dlq"\nmax_batch_timeout = 0\nmax_retries = 0\n'
    )
    consumer = write_worker("consumer", {"src/entry.py": CONSUMER}, config=consumer_config(extra))
    server = make_server(consumer)
    await server.queues.send("jobs", [("boom", "text", None), ({"fail": True}, None, None)], 0)
    server.queues.start()
    try:
        await batches(server.queues, 3)
    finally:
        await server.queues.stop()
    seen = server.worker("consumer").code.module.SEEN  # type: ignore[union-attr]
    assert seen == [
        ("jobs", 1, "str", "boom"),
        ("jobs", 1, "JsDict", {"fail": True}),
        ("jobs", 2, "JsDict", {"fail": True}),
        ("jobs-dlq", 1, "JsDict", {"fail": True}),
    ]
    text = output.getvalue()
    assert "[consumer] RuntimeError: consumer failed" in text
    assert "Received a call to retry() on message " in text and "after ack() was already called." in text
    assert "[consumer] QUEUE jobs 1/2 (" in text and "[consumer] QUEUE jobs 0/1 (" in text
    assert 'to dead letter queue "jobs-dlq" after 2 failed attempts...' in text
    assert 'Dropped message "' in text and 'on queue "jobs-dlq" after 1 failed attempt!' in text
    assert await server.queues.store.count("jobs") + await server.queues.store.count("jobs-dlq") == 0


async def test_after_max_retries_without_a_dead_letter_queue_a_message_is_dropped(write_worker, make_server, output):
    consumer = write_worker("consumer", {"src/entry.py": CONSUMER}, config=consumer_config("max_retries = 0\n"))
    server = make_server(consumer)
    await server.queues.send("jobs", [({"fail": 1}, "json", None)], 0)
    server.queues.start()
    try:
        await batches(server.queues, 1)
    finally:
        await server.queues.stop()
    assert 'on queue "jobs" after 1 failed attempt!' in output.getvalue()
    assert await server.queues.store.count("jobs") == 0


async def test_a_queue_without_a_consumer_keeps_its_messages(write_worker, make_server):
    from pyworker.bindings.env import describe_bindings

    server = make_server(write_worker("producer", {"src/entry.py": PRODUCER}, config=PRODUCER_CONFIG))
    assert (await call(server.app("producer"), "/")).text == "sent"
    assert await server.queues.store.count("jobs") == 4
    assert describe_bindings(server.worker("producer").config, server.host) == [
        'JOBS -> queue "jobs" (no consumer loaded: messages are kept)'
    ]


def test_bodies_by_content_type():
    assert decode(encode({"a": [1, None]}, "json"), "json") == {"a": [1, None]}
    assert isinstance(decode(encode({"a": 1}, "v8"), "v8"), JsDict)
    assert bytes(decode(encode({"b": b"\xff"}, "v8"), "v8")["b"]) == b"\xff"
    assert decode(encode("x", "text"), "text") == "x"
    for body, kind, message in [
        (1, "text", 'TypeError: Content Type "text" requires a value of type string, but received: number'),
        (
            "x",
            "bytes",
            'TypeError: Content Type "bytes" requires a value of type ArrayBufferView, but received: string',
        ),
        ("x" * 128_001, "text", "Error: Queue send failed: message length of 128001 bytes exceeds limit of 128000"),
    ]:
        with pytest.raises(JsException) as caught:
            encode(body, kind)
        assert str(caught.value) == message


def test_settling_follows_workerd():
    warnings: list[str] = []
    stored = [Stored(i, b'"x"', "json", 0, 0) for i in ("a", "b", "c")]
    batch, settlement = delivered("q", stored, warnings.append)
    a, b, _ = batch.messages
    a.ack()
    a.retry(delaySeconds=5)
    b.retry({"delaySeconds": 7})
    b.ack()
    batch.retryAll(delaySeconds=3)
    batch.ackAll()
    assert [settlement.fate(i, False) for i in ("a", "b", "c")] == [(True, None), (False, 7), (False, 3)]
    assert [settlement.fate(i, True) for i in ("a", "b", "c")] == [(True, None), (False, 7), (False, 3)]
    assert warnings == [
        "Received a call to retry() on message a after ack() was already called. "
        "Calling retry() on a message after calling ack() has no effect.",
        "Received a call to ack() on message b after retry() was already called. "
        "Calling ack() on a message after calling retry() has no effect.",
        "Received a call to ackAll() after retryAll() was already called. "
        "Calling ackAll() after calling retryAll() has no effect.",
    ]
    plain, result = delivered("q", stored, warnings.append)
    assert result.fate("a", False) == (True, None) and result.fate("a", True) == (False, None)
    assert plain["queue"] == "q" and plain["messages"][0]["body"] == "x" and len(plain.messages) == 3


async def test_unsettled_messages_are_delivered_again_after_a_restart(tmp_path):
    storage = Storage(StateDir(tmp_path / "v3"))
    store = QueueStore(storage)
    await store.add("q", [New("m1", b'"x"', "json", 1.0, 0.0), New("m2", b'"y"', "json", 2.0, 0.0)])
    leased = await store.lease("q", 10.0, 10)
    assert [m.id for m in leased] == ["m1", "m2"]
    assert await store.lease("q", 10.0, 10) == []
    storage.close()  # the process ends mid-batch: nothing was settled
    again = Storage(StateDir(tmp_path / "v3"))
    try:
        redelivered = await QueueStore(again).lease("q", 10.0, 10)
    finally:
        again.close()
    assert [(m.id, m.failures) for m in redelivered] == [("m1", 0), ("m2", 0)]
    assert (tmp_path / "v3" / "queues" / "queues.sqlite").is_file()


def test_two_consumers_of_one_queue_stop_start_up(write_worker):
    from pyworker.config import load_config
    from pyworker.errors import ConfigError
    from pyworker.options import DevOptions
    from pyworker.printer import Printer
    from pyworker.serving.server import DevServer

    configs = [load_config(write_worker(name, {"src/entry.py": CONSUMER}, config=consumer_config().replace(
        'name = "consumer"', f'name = "{name}"'))) for name in ("one", "two")]  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        DevServer(DevOptions(), Printer(level="none"), configs)
    assert str(caught.value) == (
        'Queue "jobs" has two consumers, workers one and two; a queue has one consumer. '
        "Remove one of the [[queues.consumers]] entries."
    )


async def test_a_delivery_loop_that_fails_says_so(write_worker, make_server, output):
    server = make_server(write_worker("consumer", {"src/entry.py": CONSUMER}, config=consumer_config()))

    async def broken(queue):
        raise OSError("disk gone")

    server.queues.store.ready = broken  # type: ignore[method-assign]
    server.queues.start()
    loop = server.queues._loops["jobs"]
    await asyncio.wait([loop], timeout=10)
    assert 'Delivery on queue "jobs" stopped: OSError: disk gone. Its messages are kept; restart to resume.' in (
        output.getvalue()
    )


async def test_delays_hold_messages_back(write_worker, make_server):
    import time

    config = PRODUCER_CONFIG + "delivery_delay = 60\n"
    server = make_server(write_worker("producer", {"src/entry.py": PRODUCER}, config=config))
    env = server.worker("producer").env
    before = time.time()
    await env.JOBS.send("later", contentType="text")  # the producer's delivery_delay
    await env.JOBS.send("sooner", contentType="text", delaySeconds=5)
    await env.JOBS.sendBatch([{"body": "a"}, {"body": "b", "delaySeconds": 1}], delaySeconds=30)
    store = server.queues.store
    assert await store.visible("jobs", before + 0.5) == 0
    assert await store.visible("jobs", before + 2) == 1  # b
    assert await store.visible("jobs", before + 6) == 2  # and sooner
    assert await store.visible("jobs", before + 31) == 3  # and a
    assert await store.visible("jobs", time.time() + 61) == 4
    with pytest.raises(JsException) as caught:
        await env.JOBS.send("x", contentType="yaml")
    assert str(caught.value) == "TypeError: Unsupported queue message content type: yaml"
    with pytest.raises(JsException) as caught:
        await env.JOBS.sendBatch([])
    assert str(caught.value) == "TypeError: sendBatch() requires at least one message"


CONCURRENT = """\
import asyncio
from workers import WorkerEntrypoint

STATE = {"active": 0, "peak": 0}
BOTH = asyncio.Event()

class Default(WorkerEntrypoint):
    async def queue(self, batch, env, ctx):
        STATE["active"] += 1
        STATE["peak"] = max(STATE["peak"], STATE["active"])
        if STATE["active"] == 2:
            BOTH.set()
        await asyncio.wait_for(BOTH.wait(), 10)  # both batches run at once, or this one times out
        STATE["active"] -= 1
"""


async def test_max_concurrency_runs_batches_side_by_side(write_worker, make_server):
    extra = "max_concurrency = 2\n"
    config = consumer_config(extra).replace("max_batch_size = 10", "max_batch_size = 1")
    server = make_server(write_worker("consumer", {"src/entry.py": CONCURRENT}, config=config))
    await server.queues.send("jobs", [("a", "text", None), ("b", "text", None)], 0)
    server.queues.start()
    try:
        await batches(server.queues, 2)
    finally:
        await server.queues.stop()
    assert server.worker("consumer").code.module.STATE == {"active": 0, "peak": 2}  # type: ignore[union-attr]
    assert await server.queues.store.count("jobs") == 0
