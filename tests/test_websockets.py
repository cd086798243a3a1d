"""WebSockets over the dev server's HTTP port: a plain worker's WebSocketPair, a Durable Object's
(listeners, and the hibernation API), refusals, a disconnect, and 1,000 messages each way in order."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

ECHO = """
import js
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.headers.get("Upgrade") != "websocket":
            return Response("Expected Upgrade: websocket", status=426)
        client, server = js.WebSocketPair.new().object_values()
        server.accept()

        def on_message(event):
            if event.data == "bye":
                server.close(1000, "see you")
            elif isinstance(event.data, str):
                server.send("echo " + event.data)
            else:
                server.send(bytes(event.data) + b"!")

        server.addEventListener("message", on_message)
        return Response(None, status=101, web_socket=client)
"""


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


def test_a_plain_worker_echoes_text_and_bytes_and_closes(write_worker, live) -> None:
    server = live(write_worker("echo", {"src/entry.py": ECHO}))
    url = server.url.replace("http://", "ws://")

    async def talk() -> list[object]:
        async with connect(url + "/ws") as ws:
            await ws.send("hi")
            first = await ws.recv()
            await ws.send(b"\x00\x01")
            second = await ws.recv()
            await ws.send("bye")
            await ws.wait_closed()
            return [first, second, ws.close_code, ws.close_reason]

    assert run(talk()) == ["echo hi", b"\x00\x01!", 1000, "see you"]


def test_a_response_other_than_101_answers_the_handshake(write_worker, live, monkeypatch) -> None:
    source = ECHO.replace('request.headers.get("Upgrade") != "websocket"', "True")
    server = live(write_worker("echo", {"src/entry.py": source}))

    async def refused() -> tuple[int, bytes]:
        with pytest.raises(InvalidStatus) as caught:
            async with connect(server.url.replace("http://", "ws://")):
                pass
        return caught.value.response.status_code, caught.value.response.body

    assert run(refused()) == (426, b"Expected Upgrade: websocket")


CHAT = """
import js
from workers import DurableObject, Response, WorkerEntrypoint


class Room(DurableObject):
    async def fetch(self, request):
        client, server = js.WebSocketPair.new().object_values()
        tag = request.url.rsplit("/", 1)[1]
        self.ctx.acceptWebSocket(server, [tag])
        server.serializeAttachment({"name": tag})
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws, message):
        name = ws.deserializeAttachment()["name"]
        if message == "who":
            ws.send(",".join(sorted(w.deserializeAttachment()["name"] for w in self.ctx.getWebSockets())))
            return
        count = (await self.ctx.storage.get("count") or 0) + 1
        await self.ctx.storage.put("count", count)
        for other in self.ctx.getWebSockets():
            if other is not ws:
                other.send(f"{name}: {message}")

    async def webSocketClose(self, ws, code, reason, was_clean):
        left = ws.deserializeAttachment()["name"]
        await self.ctx.storage.put("left", [left, code])
        for other in self.ctx.getWebSockets():
            other.send(f"{left} left")

    async def left(self):
        return [await self.ctx.storage.get("left"), await self.ctx.storage.get("count")]


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/left"):
            return Response.json(await self.env.ROOM.getByName("lobby").left())
        return await self.env.ROOM.getByName("lobby").fetch(request)
"""

CHAT_CONFIG = """
name = "chat"
main = "src/entry.py"
durable_objects.bindings = [{ name = "ROOM", class_name = "Room" }]
migrations = [{ tag = "v1", new_sqlite_classes = ["Room"] }]
"""


def test_a_chat_between_two_clients_through_a_durable_object(write_worker, live) -> None:
    server = live(write_worker("chat", {"src/entry.py": CHAT}, CHAT_CONFIG))
    url = server.url.replace("http://", "ws://")
    count = 1000

    async def chat() -> list[object]:
        async with connect(url + "/ann") as ann, connect(url + "/bob") as bob:
            await ann.send("who")
            assert await ann.recv() == "ann,bob"

            async def receive(ws, prefix):
                return [await ws.recv() for _ in range(count)] == [f"{prefix}: {i}" for i in range(count)]

            async def say(ws):
                for i in range(count):
                    await ws.send(str(i))

            results = await asyncio.gather(receive(bob, "ann"), receive(ann, "bob"), say(ann), say(bob))
            await bob.close()
            gone = await ann.recv()
            async with httpx.AsyncClient() as http:
                left = (await http.get(server.url + "/left")).json()
        return [results[:2], gone, left]

    assert run(chat()) == [[True, True], "bob left", [["bob", 1000], 2 * count]]


HIBERNATING = """
import asyncio
import js
from workers import DurableObject, Response, WorkerEntrypoint


class Hub(DurableObject):
    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.closes = asyncio.Semaphore(0)
        ctx.setWebSocketAutoResponse(js.WebSocketRequestResponsePair.new("ping", "pong"))

    async def fetch(self, request):
        client, server = js.WebSocketPair.new().object_values()
        if request.url.endswith("/plain"):
            server.accept()
            server.addEventListener("message", lambda event: server.send("plain " + event.data))
            server.addEventListener("close", self.plain_closed)
        else:
            self.ctx.acceptWebSocket(server, ["a", "b"])
        return Response(None, status=101, web_socket=client)

    async def plain_closed(self, event):
        await self.ctx.storage.put("plain", [event.code, event.wasClean])
        self.closes.release()

    async def webSocketMessage(self, ws, message):
        stamp = self.ctx.getWebSocketAutoResponseTimestamp(ws)
        ws.send(f"{message} tags={self.ctx.getTags(ws)} b={len(self.ctx.getWebSockets('b'))} "
                f"c={len(self.ctx.getWebSockets('c'))} pinged={stamp is not None}")

    async def webSocketClose(self, ws, code, reason, was_clean):
        await self.ctx.storage.put("closed", [code, reason, was_clean])
        self.closes.release()

    async def report(self):
        for _ in range(2):  # both close events, as the server hears of them
            await asyncio.wait_for(self.closes.acquire(), 10)
        return [await self.ctx.storage.get("closed"), await self.ctx.storage.get("plain")]


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        if request.url.endswith("/report"):
            return Response.json(await self.env.HUB.getByName("h").report())
        return await self.env.HUB.getByName("h").fetch(request)
"""

HUB_CONFIG = """
name = "hub"
main = "src/entry.py"
durable_objects.bindings = [{ name = "HUB", class_name = "Hub" }]
migrations = [{ tag = "v1", new_sqlite_classes = ["Hub"] }]
"""


def test_hibernation_auto_response_tags_and_a_client_that_vanishes(write_worker, live) -> None:
    server = live(write_worker("hub", {"src/entry.py": HIBERNATING}, HUB_CONFIG))
    url = server.url.replace("http://", "ws://")

    async def session() -> list[object]:
        replies = []
        async with connect(url + "/h") as ws:
            await ws.send("ping")
            replies.append(await ws.recv())
            await ws.send("hello")
            replies.append(await ws.recv())
            ws.transport.abort()  # the client vanishes: no close frame
        async with connect(url + "/plain") as plain:
            await plain.send("x")
            replies.append(await plain.recv())
        async with httpx.AsyncClient() as http:
            report = (await http.get(server.url + "/report")).json()
        return [replies, report]

    assert run(session()) == [
        ["pong", "hello tags=['a', 'b'] b=1 c=0 pinged=True", "plain x"],
        [[1006, "", False], [1000, True]],
    ]


def test_cloudflare_example_15_chatroom(tmp_path, live) -> None:
    import json
    import shutil

    from tests.conftest import FIXTURES

    directory = shutil.copytree(FIXTURES / "examples/15-chatroom", tmp_path / "15")
    server = live(directory)
    url = server.url.replace("http://", "ws://") + "/room/lobby"

    def shown(raw: str) -> tuple[object, ...]:
        message = json.loads(raw)
        if message["type"] == "history":
            return ("history", [m["text"] for m in message["messages"]])
        return (message["type"], message.get("username"), message["text"])

    async def chat() -> list[object]:
        async with connect(url) as ann:
            seen = [shown(await ann.recv())]
            await ann.send(json.dumps({"username": "ann", "text": "hi"}))
            seen.append(shown(await ann.recv()))
            async with connect(url) as bob:
                seen += [shown(await bob.recv()), shown(await bob.recv())]
                await bob.send(json.dumps({"username": "bob", "text": "yo"}))
                seen += [shown(await ann.recv()), shown(await bob.recv())]
        return seen

    assert run(chat()) == [
        ("system", None, "Connected to chatroom"),
        ("message", "ann", "hi"),
        ("history", ["hi"]),
        ("system", None, "Connected to chatroom"),
        ("message", "bob", "yo"),
        ("message", "bob", "yo"),
    ]
    assert "<title>" in httpx.get(server.url + "/").text


def test_uvicorn_serves_websockets_with_the_websockets_librarys_sans_io_protocol() -> None:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    from pyworker.serving.uvicorn_server import uvicorn_config

    config = uvicorn_config(lambda scope, receive, send: None)  # type: ignore[arg-type, return-value]
    config.load()
    assert config.ws_protocol_class is not None
    from uvicorn.server import ServerState

    loop = asyncio.new_event_loop()
    try:
        protocol = config.ws_protocol_class(config=config, server_state=ServerState(), app_state={}, _loop=loop)  # type: ignore[call-arg]
    finally:
        loop.close()
    assert isinstance(protocol, WebSocketsSansIOProtocol)
