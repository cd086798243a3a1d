"""A raw ASGI call (the target exactly as sent: httpx would normalise ``..``), for the asset and event tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


async def call(
    app: Any, target: str, method: str = "GET", headers: dict[str, str] | None = None, body: bytes = b""
) -> Answer:
    path, _, query = target.partition("?")
    raw = [(b"host", b"w.test")] + [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if body:
        raw.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http", "http_version": "1.1", "method": method, "scheme": "http", "path": path,
        "raw_path": path.encode("latin-1"), "query_string": query.encode("latin-1"), "headers": raw,
        "server": ("127.0.0.1", 8787), "client": ("127.0.0.1", 5000),
    }  # fmt: skip
    sent: list[dict[str, Any]] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # the client stays connected: the app stops listening when it is done
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    head: dict[str, str] = {}
    for name, value in start["headers"]:
        key = name.decode().lower()
        head[key] = f"{head[key]}, {value.decode()}" if key in head else value.decode()
    return Answer(
        start["status"], head, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    )
