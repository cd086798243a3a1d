"""Sending a worker's ``Response`` over ASGI, and what happens when it cannot be sent as it is.

uvicorn (h11) refuses some responses a worker can build: a Content-Length that
disagrees with the body, two Content-Lengths, status 101 without a WebSocket, a
control character in a header, a stream that yields ``str`` or raises. Left to
uvicorn, each is a silent drop with ``Exception in ASGI application``. Here each is
one line under the worker's prefix naming the request and the cause (with the
traceback when worker code raised), and the client gets a 500 when nothing was sent
yet, else a closed connection.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from pyworker.errors import ResponseAborted, mark_reported
from pyworker.printer import Printer
from pyworker.runtime.body import StreamTypeError, headers_of
from pyworker.runtime.http import Response
from pyworker.runtime.tasks import cancelled_by_caller
from pyworker.serving.encoding import compressor, encoded
from pyworker.types import Send

_CONTROL = re.compile(b"[\x00-\x08\x0a-\x1f\x7f]")
_NO_BODY = (204, 304)


async def send_response(response: Response, send: Send, head: bool = False) -> None:
    """Send a response pyworker itself made (its body is bytes or nothing)."""
    body = b"" if response.body is None else await response.body.read()
    headers = headers_of(response).raw()
    if not headers_of(response).has("content-length") and response.status not in _NO_BODY:
        headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


class Sender:
    """Sends one worker's response for one request; reports under ``worker`` what goes wrong.

    ``started`` says whether the response head went out (after that, only closing the
    connection can signal an error).
    """

    __slots__ = ("head", "method", "printer", "started", "status", "status_text", "target", "worker")

    def __init__(self, worker: str, printer: Printer, method: str, target: str, head: bool) -> None:
        self.worker = worker
        self.printer = printer
        self.method = method
        self.target = target
        self.head = head
        self.started = False
        self.status = 0
        self.status_text = ""

    @property
    def request_line(self) -> str:
        return f"{self.method} {self.target}"

    async def send(self, response: Response, send: Send) -> None:
        source = response.body
        streamed = source is not None and not source.buffered
        body = b"" if source is None or streamed else await source.read()
        headers = headers_of(response).raw()
        status = response.status
        length, coded = _scan(headers)  # one pass over the head: what the checks and the encoding need
        if length is _BAD or (length is not None and not streamed and not self.head and length != len(body)):
            problem = head_problem(status, headers, None if streamed else body, self.head)
        else:
            problem = head_problem(status, [], None, self.head) if status == 101 else None
        if problem is not None:
            self.printer.worker(self.worker, f"{self.request_line}: {problem}; answered 500 instead.", "error")
            if streamed:
                await source.aclose()  # type: ignore[union-attr]
            response = Response(f"The worker's response could not be sent: {problem}.", 500)
            source, streamed, body, headers = None, False, await response.bytes(), headers_of(response).raw()
            status, length, coded = 500, None, False
        self.status_text = response.status_text
        encode = compressor(response, self.printer, self.worker) if coded else None
        if encode is not None:
            headers, length = headers_of(response).raw(), None
            if not streamed:
                body = encode(body, True)
        if not streamed and length is None and status not in _NO_BODY:
            headers.append((b"content-length", b"%d" % len(body)))
        self.started, self.status = True, status
        try:
            await send({"type": "http.response.start", "status": status, "headers": headers})
        except Exception as exc:  # a check above missed what uvicorn refuses: still one story, then close
            self.abort(f"the response head could not be sent ({type(exc).__name__}: {exc})")
        if not streamed:
            await send({"type": "http.response.body", "body": b"" if self.head else body})
            return
        assert source is not None
        if self.head:
            await source.aclose()
        else:
            chunks = source.chunks() if encode is None else encoded(source.chunks(), encode)
            await self._stream(chunks, declared_length(response), send)
        await send({"type": "http.response.body", "body": b""})

    async def _stream(self, chunks: AsyncIterator[bytes], length: int | None, send: Send) -> None:
        sent = 0
        try:
            async for chunk in chunks:
                sent += len(chunk)
                if length is not None and sent > length:
                    self.abort(f"the response stream went past the {length} bytes its Content-Length promised")
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except StreamTypeError as exc:
            self.abort(f"the response stream yielded {exc.type_name}, not bytes (encode it, e.g. chunk.encode())")
        except ResponseAborted:
            raise
        except BaseException as exc:  # the worker's generator raised (anything, KeyboardInterrupt too): tell, close
            if cancelled_by_caller(exc):
                raise
            self.printer.worker(
                self.worker, f"{self.request_line}: the response stream raised; the connection was closed:", "error"
            )
            self.printer.exception(self.worker, exc)
            raise mark_reported(ResponseAborted(str(exc))) from None
        finally:
            await chunks.aclose()  # type: ignore[attr-defined]  # an async generator: its finally blocks run now
        if length is not None and sent < length:
            self.abort(f"the response stream ended after {sent} of the {length} bytes its Content-Length promised")

    def abort(self, cause: str) -> None:
        """Report ``cause`` and close the connection (uvicorn closes it on an exception it was told of)."""
        self.printer.worker(self.worker, f"{self.request_line}: {cause}; the connection was closed.", "error")
        raise mark_reported(ResponseAborted(cause))


_BAD = -1  # _scan's length when head_problem has something to say


def _scan(headers: list[tuple[bytes, bytes]]) -> tuple[int | None, bool]:
    """(the Content-Length, ``None`` if none, or ``_BAD``; whether a Content-Encoding may ask to encode).

    ``_BAD`` when a value holds a control character or the Content-Length is not one number:
    :func:`head_problem` then says which.
    """
    length: int | None = None
    coded = False
    for name, value in headers:
        if name == b"content-length":
            if length is not None or not value.isdigit():
                return _BAD, coded
            length = int(value)
        elif name == b"content-encoding":
            coded = True
    if _CONTROL.search(b"\t".join([value for _, value in headers])):  # a tab is allowed: it joins them
        return _BAD, coded
    return length, coded


def head_problem(status: int, headers: list[tuple[bytes, bytes]], body: bytes | None, head: bool) -> str | None:
    """Why uvicorn would refuse a response (``body``: its bytes, ``None`` when streamed), or ``None``."""
    if status == 101:
        return "status 101 (Switching Protocols) needs a WebSocket, which pyworker does not emulate yet"
    lengths = []
    for name, value in headers:
        if _CONTROL.search(value):
            return f'the response header "{name.decode("latin-1")}" holds a control character'
        if name == b"content-length":
            lengths.append(value.decode("latin-1"))
    if len(lengths) > 1:
        shown = ", ".join(f'"{value}"' for value in lengths)
        return f"the response has {len(lengths)} Content-Length headers ({shown}); set it once"
    if lengths and not lengths[0].isdigit():
        return f'the response\'s Content-Length "{lengths[0]}" is not a number'
    if lengths and body is not None and not head and status not in _NO_BODY and int(lengths[0]) != len(body):
        return f"the response's Content-Length is {lengths[0]} but its body has {len(body)} bytes"
    return None


def declared_length(response: Response) -> int | None:
    length = headers_of(response).get("content-length")
    return int(length) if length is not None and length.isdigit() else None
