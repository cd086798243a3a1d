"""The baseline: a one-route Starlette app, served by bare uvicorn."""

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def homepage(request):
    return PlainTextResponse("3")


app = Starlette(routes=[Route("/", homepage)])
