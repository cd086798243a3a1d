"""A relay between workerd and pycapnp, so that pycapnp can serve what workerd calls with pipelining.

Two calls workerd makes return only when the work they start is over, while workerd already
pipelines calls on their results: ``HttpService.request()`` (the request body is written to its
``requestBody``) and ``EventDispatcher.jsRpcSession()`` (the one RPC call goes to its ``topLevel``).
A C++ server lets such calls through with ``CallContext::setPipeline()``, which pycapnp does not
expose. pyworker's servers therefore return at once (so the pipelined calls reach them) and finish
the work afterwards; this relay copies every message unchanged both ways but holds back such an
early ``Return`` until the work is over on the wire: for a request, the response body's ``end()``
returned, its stream was released, or ``startResponse()`` returned no body or failed; for a session,
the top-level call returned; for both, workerd sent ``Finish`` (it gave up). workerd then sees what a
C++ server calling ``setPipeline()`` sends. One message is rewritten: pycapnp words an exception
``message = <text>``; when the text is a tunneled JavaScript error (``jsg.Error: ...``), workerd gets
it as that, so the JavaScript caller's ``catch`` reads the message. Frames are Cap'n Proto's
standard stream format, read with the ``rpc.capnp`` schema that ships with pycapnp; payloads are
never decoded.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from typing import Any

HTTP_SERVICE = 0x92963BFDAD2BEB6A  # interface IDs and method ordinals, as debug_port.capnp
CLIENT_REQUEST_CONTEXT = 0xEA3256705C0B63BA
BYTE_STREAM = 0xD2E7D8A0DC0A9766
EVENT_DISPATCHER = 0xF20697475EC1752D
REQUEST, START_RESPONSE, END, JS_RPC_SESSION = 1, 0, 1, 9
PYCAPNP_PREFIX = "message = "
_WORDS = 1 << 40  # frames are copied, not trusted: only their headers are read


async def read_frame(reader: asyncio.StreamReader) -> bytes:
    """One message in Cap'n Proto's stream framing: segment count - 1, the sizes in words, padding, segments."""
    first = await reader.readexactly(4)
    count = struct.unpack("<I", first)[0] + 1
    table = await reader.readexactly(4 * count + (4 if count % 2 == 0 else 0))
    words = sum(struct.unpack_from(f"<{count}I", table))
    return first + table + await reader.readexactly(8 * words)


def _send(writer: asyncio.StreamWriter, frame: bytes) -> None:
    """Write unless the other side has gone (asyncio would log every write to a lost connection)."""
    if not writer.is_closing():
        writer.write(frame)


def _cap_ids(payload: Any) -> list[int]:
    """The export ids of the capabilities the sender hosts in ``payload``, in order."""
    return [getattr(cap, cap.which()) for cap in payload.capTable if cap.which() in ("senderHosted", "senderPromise")]


class Relay:
    """One connection's bookkeeping. Question ids are workerd's (its calls to pycapnp) or pycapnp's (the
    other way); import ids are of capabilities workerd hosts."""

    def __init__(self, rpc: Any, to_workerd: asyncio.StreamWriter) -> None:
        self.rpc = rpc
        self.to_workerd = to_workerd
        self.open: set[int] = set()  # workerd's request()/jsRpcSession() calls whose work is not over
        self.held: dict[int, bytes] = {}  # their early Return, until it is
        self.sessions: set[int] = set()  # the open jsRpcSession() calls
        self.top_calls: dict[int, int] = {}  # workerd's call on a session's topLevel -> the session
        self.contexts: dict[int, int] = {}  # import id of a request's ClientRequestContext -> the request
        self.starts: dict[int, int] = {}  # pycapnp's startResponse() question -> the request (until it returns)
        self.responses: dict[int, int] = {}  # the same, until the request completes (end() may pipeline on it)
        self.bodies: dict[int, int] = {}  # import id of a response body ByteStream -> the request
        self.ends: dict[int, int] = {}  # pycapnp's end() question -> the request

    def inbound(self, frame: bytes) -> None:
        """A message from workerd, before pycapnp gets it."""
        with self.rpc.Message.from_bytes(frame, traversal_limit_in_words=_WORDS) as message:
            kind = message.which()
            if kind == "call":
                self._called(message.call)
            elif kind == "return":
                self._returned(getattr(message, "return"))
            elif kind == "finish" and message.finish.questionId in self.open:
                self.complete(message.finish.questionId)

    def _called(self, call: Any) -> None:
        if call.interfaceId == HTTP_SERVICE and call.methodId == REQUEST:
            self.open.add(call.questionId)
            for import_id in _cap_ids(call.params):  # the ClientRequestContext is the one capability
                self.contexts[import_id] = call.questionId
        elif call.interfaceId == EVENT_DISPATCHER and call.methodId == JS_RPC_SESSION:
            self.open.add(call.questionId)
            self.sessions.add(call.questionId)
        elif call.target.which() == "promisedAnswer" and call.target.promisedAnswer.questionId in self.sessions:
            self.top_calls[call.questionId] = call.target.promisedAnswer.questionId

    def _returned(self, answer: Any) -> None:
        request = self.starts.pop(answer.answerId, None)
        if request is not None:
            ids = _cap_ids(answer.results) if answer.which() == "results" else []
            if ids:
                self.bodies[ids[0]] = request
            else:  # no body, or startResponse() failed: nothing more comes for this response
                self.complete(request)
            return
        request = self.ends.pop(answer.answerId, None)
        if request is not None:
            self.complete(request)

    def outbound(self, frame: bytes) -> bytes | None:
        """A message from pycapnp: what to send workerd now (None: held back, or sent already)."""
        with self.rpc.Message.from_bytes(frame, traversal_limit_in_words=_WORDS) as message:
            kind = message.which()
            if kind == "call":
                self._calling(message.call)
            elif kind == "release":
                request = self.bodies.pop(message.release.id, None)
                if request is not None:
                    self.complete(request)
            elif kind == "return":
                answer = getattr(message, "return")
                if answer.answerId in self.open and answer.which() == "results":
                    self.held[answer.answerId] = frame
                    return None
                if answer.which() == "exception" and answer.exception.reason.startswith(PYCAPNP_PREFIX + "jsg."):
                    frame = self._tunneled(answer)
                session = self.top_calls.pop(answer.answerId, None)
                if session is not None:
                    _send(self.to_workerd, frame)
                    self.complete(session)
                    return None
        return frame

    def _calling(self, call: Any) -> None:
        if call.target.which() == "promisedAnswer":  # end() pipelined on startResponse()'s answer
            response = call.target.promisedAnswer.questionId
            if call.interfaceId == BYTE_STREAM and call.methodId == END and response in self.responses:
                self.ends[call.questionId] = self.responses[response]
            return
        callee = call.target.importedCap
        if call.interfaceId == CLIENT_REQUEST_CONTEXT and call.methodId == START_RESPONSE and callee in self.contexts:
            self.starts[call.questionId] = self.responses[call.questionId] = self.contexts.pop(callee)
        elif call.interfaceId == BYTE_STREAM and call.methodId == END and callee in self.bodies:
            self.ends[call.questionId] = self.bodies.pop(callee)

    def _tunneled(self, answer: Any) -> bytes:
        """The exception Return ``answer`` with pycapnp's prefix taken off its reason."""
        message = self.rpc.Message.new_message()
        copy = message.init("return")
        copy.answerId = answer.answerId
        copy.releaseParamCaps = answer.releaseParamCaps
        exception = copy.init("exception")
        exception.reason = answer.exception.reason[len(PYCAPNP_PREFIX) :].rstrip("\n")
        exception.type = answer.exception.type
        return bytes(message.to_bytes())

    def complete(self, question: int) -> None:
        """The work of ``question`` is over: its Return may go now."""
        for response in [key for key, request in self.responses.items() if request == question]:
            del self.responses[response]
        self.open.discard(question)
        self.sessions.discard(question)
        frame = self.held.pop(question, None)
        if frame is not None:
            _send(self.to_workerd, frame)


async def relay(
    rpc: Any,
    workerd: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    pycapnp: tuple[asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    """Copy messages both ways until either side closes, then close both."""
    state = Relay(rpc, workerd[1])

    async def inbound() -> None:
        while True:
            frame = await read_frame(workerd[0])
            state.inbound(frame)
            _send(pycapnp[1], frame)
            await pycapnp[1].drain()

    async def outbound() -> None:
        while True:
            frame = await read_frame(pycapnp[0])
            sent = state.outbound(frame)
            if sent is not None:
                _send(workerd[1], sent)
            await workerd[1].drain()

    tasks = [asyncio.ensure_future(inbound()), asyncio.ensure_future(outbound())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for _, writer in (workerd, pycapnp):
            writer.close()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
