from __future__ import annotations

import json

import pytest
from assets_helpers import Answer, call

pytestmark = pytest.mark.anyio

HANDLER = """\
from workers import WorkerEntrypoint, Response

SEEN = []

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("fetch")

    async def email(self, message, env, ctx):
        raw = b"".join([chunk async for chunk in message.raw])
        SEEN.append((message.from_, message.to, message.headers.get("subject"), message.rawSize, len(raw)))
        subject = message.headers.get("subject")
        if subject == "spam":
            message.setReject("no spam")
        elif subject == "forward":
            result = await message.forward("team@example.com", {"X-Seen": "1"})
            SEEN.append(result["messageId"].endswith("@example.com"))
        elif subject == "boom":
            raise ValueError("mail broke")
"""

MAIL = (
    "From: Ann <ann@example.com>\r\nTo: bob@example.com\r\nSubject: {subject}\r\n"
    "Message-ID: <1@example.com>\r\n\r\nHello\r\n"
)


async def post(app, query: str, body: bytes) -> Answer:
    return await call(app, f"/cdn-cgi/handler/email?{query}", "POST", body=body)


async def test_the_email_handler_gets_the_message(write_worker, make_server, output):
    server = make_server(write_worker("w", {"src/entry.py": HANDLER}))
    app = server.app("w")
    raw = MAIL.format(subject="hi").encode()
    answer = await post(app, "from=ann@example.com&to=bob@example.com", raw)
    assert (answer.status, answer.text) == (200, "Worker successfully processed email")
    seen = server.worker("w").code.module.SEEN  # type: ignore[union-attr]
    assert seen == [("ann@example.com", "bob@example.com", "hi", len(raw), len(raw))]


async def test_reject_forward_and_errors(write_worker, make_server, output):
    app = make_server(write_worker("w", {"src/entry.py": HANDLER})).app("w")
    envelope = "from=ann@example.com&to=bob@example.com"
    rejected = await post(app, envelope, MAIL.format(subject="spam").encode())
    assert (rejected.status, rejected.text) == (400, "Worker rejected email with the following reason: no spam")
    assert '[w] Email handler rejected message with the following reason: "no spam"' in output.getvalue()
    forwarded = await post(app, envelope + "&format=json", MAIL.format(subject="forward").encode())
    record = json.loads(forwarded.text)
    assert (forwarded.status, record["outcome"], record["forwards"][0]["recipient"]) == (200, "ok", "team@example.com")
    assert record["forwards"][0]["headers"] == [["x-seen", "1"]]
    assert "[w] Email handler forwarded message with\n[w]   rcptTo: team@example.com" in output.getvalue()
    failed = await post(app, envelope, MAIL.format(subject="boom").encode())
    assert (failed.status, failed.text) == (500, "ValueError: mail broke")


async def test_bad_requests_and_envelope_warnings(write_worker, make_server, output):
    app = make_server(write_worker("w", {"src/entry.py": HANDLER})).app("w")
    missing = await post(app, "from=ann@example.com", MAIL.format(subject="x").encode())
    assert missing.status == 400 and missing.text.startswith("Invalid email. Your request must include URL parameters")
    no_id = await post(app, "from=a@x.com&to=b@x.com", b"From: a@x.com\r\nTo: b@x.com\r\n\r\nhi")
    assert (no_id.status, no_id.text) == (400, "Email could not be parsed: invalid or no message id provided")
    await post(app, "from=eve@example.com&to=bob@example.com", MAIL.format(subject="x").encode())
    assert "[w] Provided MAIL FROM address doesn't match the email message's \"From\" header:" in output.getvalue()
