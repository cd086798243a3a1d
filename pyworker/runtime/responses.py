"""How a fetch invocation answers when it cannot run or its handler raises.

Shared by the HTTP adapter and ``env.B.fetch``, so a request meets the same answer
whether it came over a socket or through a binding: a target that cannot be reached
is a 503, code that failed to load or has no ``fetch`` is a 500 naming the problem, and
an exception in the worker's own code is a 500 naming it (its traceback was printed
by the worker's invocation frame).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyworker.errors import (
    BindingError,
    InvocationLimit,
    NoHandler,
    UncaughtBaseException,
    WorkerLoadError,
    was_reported,
)
from pyworker.runtime.http import Request, Response
from pyworker.types import Route, Target

ErrorPage = Callable[[Request, BaseException], "Response | None"]


async def respond(target: Target, route: Route, request: Request, page: ErrorPage | None = None) -> Response:
    """Run ``route`` (a fetch) on ``target``; never raises but for the invocation limit.

    ``page``, for requests from outside, may answer a worker's error or a failed load
    with a page of its own (the HTML page browsers get); None keeps the plain-text 500.
    """
    try:
        response: Response = await target.invoke(route, (request,), {})
    except (Exception, SystemExit) as exc:  # sys.exit() in a worker must not stop the server
        if page is not None and (was_reported(exc) or isinstance(exc, WorkerLoadError)):
            answer = page(request, exc)
            if answer is not None:
                return answer
        if was_reported(exc):  # the handler raised it (and its traceback was printed)
            return Response(error_summary(exc), 500)
        if isinstance(exc, InvocationLimit):
            raise  # the call itself went past the limit: the caller's code gets it, as for RPC
        if isinstance(exc, BindingError):
            return Response(str(exc), 503)
        if isinstance(exc, WorkerLoadError):
            return Response(str(exc), 500)
        if isinstance(exc, NoHandler):
            return Response(f"TypeError: {exc}", 500)  # workerd's wording: a TypeError
        return Response(error_summary(exc), 500)
    return response


def error_summary(exc: BaseException) -> str:
    """``ValueError: boom``: how a 500 body names the exception."""
    if isinstance(exc, UncaughtBaseException):
        return str(exc)  # it names the exception worker code raised
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def served(result: Any) -> Response:
    """What a fetch handler returned, as the response to send: a JavaScript ``Response`` or Pyodide's
    ``FetchResponse`` (both hold it as ``js_response``, which Cloudflare serves) or a ``workers.Response``."""
    inner = getattr(result, "js_response", None)
    if isinstance(inner, Response):
        return inner
    raise TypeError(f"fetch() returned {type(result).__name__}, expected a workers.Response.")
