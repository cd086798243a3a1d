"""The ``email`` handler, run as wrangler's local email testing runs it: ``POST /cdn-cgi/handler/email``.

``?from=...&to=...`` are the SMTP envelope, the body is the raw RFC 5322 message. The worker's
``email(self, message, env, ctx)`` gets ``message.from_`` (Python's spelling of JavaScript's
``from``), ``to``, ``headers``, ``raw`` (a stream), ``rawSize``, ``setReject(reason)``,
``forward(rcptTo, headers=None)`` and ``reply(message)``. Nothing is sent: each call is printed
and recorded, and ``format=json`` answers with the record, as Miniflare does.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pyworker.bindings.jsapi import ReadableStream
from pyworker.printer import Printer
from pyworker.runtime.headers import Headers
from pyworker.runtime.http import Request, Response
from pyworker.runtime.responses import error_summary
from pyworker.types import Route, Target

EMAIL = Route("email", "email")
PATH = "/cdn-cgi/handler/email"
MAX_LOCAL_BYTES = 1024 * 1024
MAX_BYTES = 25 * 1024 * 1024
_INVALID = (
    "Invalid email. Your request must include URL parameters specifying the `from` and `to` addresses, "
    "as well as an email in the body"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _message_id() -> dict[str, str]:
    return {"messageId": f"{uuid.uuid4().hex}@example.com"}  # production's shape: 32 hex characters at a domain


class ForwardableEmailMessage:
    """What ``email(self, message)`` receives; its calls are printed under the worker and recorded."""

    def __init__(self, worker: str, printer: Printer, envelope: tuple[str, str], raw: bytes, headers: Headers) -> None:
        self.from_, self.to = envelope
        self.raw = ReadableStream(raw)
        self.rawSize = len(raw)
        self.headers = headers
        self._worker, self._printer = worker, printer
        self.reject_reason: str | None = None
        self.events: list[dict[str, str]] = []
        self.forwards: list[dict[str, Any]] = []
        self.replies: list[dict[str, str]] = []

    def __getattr__(self, name: str) -> Any:
        if name == "from":  # getattr(message, "from"), as JavaScript spells it
            return self.from_
        raise AttributeError(f"'ForwardableEmailMessage' object has no attribute {name!r}")

    def setReject(self, reason: str) -> None:
        self._printer.worker(
            self._worker, f'Email handler rejected message with the following reason: "{reason}"', "error"
        )
        self.events.append({"type": "reject", "timestamp": _now()})
        self.reject_reason = str(reason)

    async def forward(self, rcptTo: str, headers: Any = None) -> dict[str, str]:
        given = Headers(headers) if headers is not None else None
        shown = "".join(f"\n    {k}: {v}" for k, v in given.items()) if given else ""
        self._printer.worker(
            self._worker,
            f"Email handler forwarded message with\n  rcptTo: {rcptTo}" + (f"\n  headers:{shown}" if shown else ""),
        )
        result = _message_id()
        self.events.append({"type": "forward", "timestamp": _now(), **result})
        self.forwards.append({"recipient": rcptTo, "headers": given.items() if given else [], **result})
        return result

    async def reply(self, message: Any) -> dict[str, str]:
        sender = getattr(message, "from_", None) or getattr(message, "from", None)
        raw = getattr(message, "raw", None)
        if sender is None or raw is None:
            raise TypeError("reply() needs an EmailMessage with from, to and raw.")
        text = raw if isinstance(raw, str) else bytes(raw).decode("utf-8", errors="replace")
        self._printer.worker(self._worker, f"Email handler replied to sender with the following message:\n{text}")
        result = _message_id()
        self.events.append({"type": "reply", "timestamp": _now(), **result})
        self.replies.append({"sender": str(sender), "raw": text, **result})
        return result


def _parse(raw: bytes) -> tuple[Headers, email.message.Message] | str:
    if len(raw) > MAX_BYTES:
        return (
            "Email message size is bigger than the production size limit of 25MiB. "
            "Local development has a lower limit of 1Mib."
        )
    if len(raw) > MAX_LOCAL_BYTES:
        return (
            "Email message size is within the production size limit of 25MiB, "
            "but exceeds the lower 1Mib limit for testing locally."
        )
    parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
    if not parsed.get("message-id"):
        return "Email could not be parsed: invalid or no message id provided"
    headers = Headers([(name.lower(), str(value)) for name, value in parsed.items()])
    return headers, parsed


def _addresses(value: str | None) -> list[str]:
    return [address for _, address in email.utils.getaddresses([value or ""]) if address]


def _envelope_warnings(worker: str, printer: Printer, sender: str, recipient: str, message: Any) -> None:
    """Miniflare's warnings when the envelope and the message's own From/To disagree."""
    senders, recipients = _addresses(message.get("from")), _addresses(message.get("to"))
    if sender not in senders:
        text = "Provided MAIL FROM address doesn't match the email message's \"From\" header:"
        printer.worker(worker, f'{text}\n  MAIL FROM: {sender}\n  "From" header: {", ".join(senders)}', "warn")
    if recipient not in recipients:
        text = 'Provided RCPT TO address doesn\'t match any "To" header in the email message:'
        printer.worker(worker, f'{text}\n  RCPT TO: {recipient}\n  "To" header: {", ".join(recipients)}', "warn")


async def email_route(target: Target, printer: Printer, request: Request) -> Response:
    """Run the worker's ``email`` handler on the message in ``request``; Miniflare's answers."""
    params = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
    raw = await request.bytes()
    sender, recipient = params.get("from"), params.get("to")
    if not raw or not sender or not recipient:
        return Response(_INVALID, 400)
    parsed = _parse(raw)
    if isinstance(parsed, str):
        return Response(parsed, 400)
    headers, message = parsed
    _envelope_warnings(target.name, printer, sender, recipient, message)
    incoming = ForwardableEmailMessage(target.name, printer, (sender, recipient), raw, headers)
    error: Exception | None = None
    try:
        await target.invoke(EMAIL, (incoming,), {})
    except Exception as exc:  # the handler's error, printed by the frame
        error = exc
    if params.get("format") == "json":
        record = {"outcome": "ok" if error is None else "exception", "rejectReason": incoming.reject_reason,
                  "forwards": incoming.forwards, "replies": incoming.replies, "events": incoming.events}  # fmt: skip
        body = json.dumps({k: v for k, v in record.items() if v is not None})
        return Response(body, 200 if error is None else 500, headers={"content-type": "application/json"})
    if error is not None:
        return Response(error_summary(error), 500)
    if incoming.reject_reason is not None:
        return Response(f"Worker rejected email with the following reason: {incoming.reject_reason}", 400)
    return Response("Worker successfully processed email", 200)
