"""Answering what the other process asks of this one's exported objects: calls to them, and body chunks."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import Any, Protocol

from pyworker.bindings.errors import exception_line
from pyworker.interop.wire_frames import ABORT, CHUNK, END


class Answering(Protocol):
    """What serving needs of the connection (:class:`~pyworker.interop.wire_link.Link`)."""

    def answer(self, ident: int, value: Any, used: int, sides: Any) -> None: ...
    def answer_error(self, ident: int, exc: BaseException, used: int) -> None: ...
    def send(self, kind: int, ident: int, out: bytearray | bytes) -> None: ...


async def run_ref(link: Answering, ident: int, obj: Any, method: Any, args: Any, sides: Any) -> None:
    """Call ``obj`` (or its method ``method``) with ``args``, here, and answer call ``ident``.

    ``obj`` is a function stub or a binding stub this process sent: calling it runs as its
    owner (a stub's own context and printer); what it raises crosses as an error."""
    try:
        if not isinstance(args, list) or not (method is None or isinstance(method, str)):
            raise TypeError("The other process sent a call this one cannot read.")
        if method is None:
            result = obj(*args)
        elif method.startswith("__"):
            raise TypeError(f'The RPC receiver does not implement the method "{method}".')
        else:
            result = getattr(obj, method)(*args)
        if inspect.isawaitable(result):
            result = await result
    except (Exception, SystemExit) as exc:
        link.answer_error(ident, exc, 0)
    else:
        link.answer(ident, result, 0, sides)


async def serve_pull(link: Answering, sid: int, streams: dict[int, AsyncIterator[bytes]]) -> None:
    """Send the next chunk of body ``sid`` (or its end, or why it failed)."""
    stream = streams.get(sid)
    if stream is None:
        link.send(ABORT, sid, b"The body is no longer available: it was cancelled or already read.")
        return
    try:
        chunk = await stream.__anext__()
    except StopAsyncIteration:
        streams.pop(sid, None)
        link.send(END, sid, b"")
    except Exception as exc:
        streams.pop(sid, None)
        link.send(ABORT, sid, exception_line(exc).encode())
    else:
        link.send(CHUNK, sid, chunk)
