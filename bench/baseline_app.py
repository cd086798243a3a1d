"""The baseline: the seed example's routes as one Starlette app, served by bare uvicorn.

``/hello`` is plain text (worker_a's route without a binding); ``/`` computes ``add(1, 2)`` with a
direct in-process call where worker_a makes an RPC call to worker_b.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def add(a: int, b: int) -> int:
    return a + b


async def hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("Hello from worker_a")


async def homepage(request: Request) -> PlainTextResponse:
    return PlainTextResponse(str(await add(1, 2)))


app = Starlette(routes=[Route("/hello", hello), Route("/", homepage)])
