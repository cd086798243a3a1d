"""The js globals plain Python provides (pyworker/sdk/jsglobals.py), each with JavaScript's results and errors."""

from __future__ import annotations

import asyncio

import pytest

from pyworker.runtime.jsvalues import JsException
from pyworker.sdk import js


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ("A-Z_a.z!~*'()", "A-Z_a.z!~*'()"),
        ("a b&c=d/e?f#g", "a%20b%26c%3Dd%2Fe%3Ff%23g"),
        ("カレー", "%E3%82%AB%E3%83%AC%E3%83%BC"),
        ("😀", "%F0%9F%98%80"),
    ],
)
def test_encode_uri_component_leaves_exactly_javascripts_set(text, encoded):
    assert js.encodeURIComponent(text) == encoded
    assert js.decodeURIComponent(encoded) == text


def test_encode_uri_and_the_uri_errors():
    assert js.encodeURI("http://h/a b?x=1&y=カ#f") == "http://h/a%20b?x=1&y=%E3%82%AB#f"
    assert js.decodeURI("%3B%20%E3%82%AB") == "%3B カ"
    for call, arg in [(js.encodeURIComponent, "\ud800"), (js.decodeURIComponent, "%E3%82"), (js.decodeURI, "%zz")]:
        with pytest.raises(JsException) as caught:
            call(arg)
        assert (caught.value.name, caught.value.message) == ("URIError", "URI malformed")


def test_atob_and_btoa():
    assert js.btoa("hello") == "aGVsbG8="
    assert js.atob("aGVsbG8=") == js.atob(" aGVs bG8 ") == "hello"
    assert js.atob("/w==") == "\xff"
    for bad in ["a", "aGVsbG8===", "aGV!bG8="]:
        with pytest.raises(JsException) as caught:
            js.atob(bad)
        assert caught.value.name == "InvalidCharacterError"
        assert caught.value.message.startswith("atob() called with invalid base64-encoded data.")
    with pytest.raises(JsException, match="Latin1"):
        js.btoa("カ")


def test_text_encoder_decoder_and_typed_arrays():
    encoded = js.TextEncoder.new().encode("é")
    assert (bytes(encoded), encoded.length) == (b"\xc3\xa9", 2)
    assert js.TextDecoder.new().decode(js.Uint8Array.new([0xEF, 0xBB, 0xBF, 0x68, 0x69])) == "hi"
    assert js.TextDecoder.new().decode(b"\xff") == "\ufffd"
    with pytest.raises(JsException, match="not valid for encoding utf-8"):
        js.TextDecoder.new("utf-8", {"fatal": True}).decode(b"\xff")
    assert bytes(js.Uint8Array.new(3)) == b"\0\0\0"


def test_crypto():
    uuid = js.crypto.randomUUID()
    assert len(uuid) == 36 and uuid[14] == "4"
    array = js.Uint8Array.new(16)
    assert js.crypto.getRandomValues(array) is array
    with pytest.raises(JsException) as caught:
        js.crypto.getRandomValues(js.Uint8Array.new(65537))
    assert caught.value.name == "QuotaExceededError"
    data = js.TextEncoder.new().encode("abc")
    digest = asyncio.run(js.crypto.subtle.digest("SHA-256", data))
    assert bytes(digest).hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    with pytest.raises(JsException, match="parameter 2 is not of type"):
        asyncio.run(js.crypto.subtle.digest("SHA-256", b"abc"))


def test_set_timeout_and_clear_timeout():
    async def go():
        fired: list[str] = []
        done = asyncio.Event()
        js.setTimeout(lambda: (fired.append("late"), done.set()), 1)
        cancelled = js.setTimeout(lambda: fired.append("never"), 0)
        js.clearTimeout(cancelled)
        await asyncio.wait_for(done.wait(), 5)
        return fired

    assert asyncio.run(go()) == ["late"]


def test_response_new_is_string_of_the_body_and_json_is_compact():
    assert asyncio.run(js.Response.new({"message": "ok"}).text()) == "{'message': 'ok'}"
    assert asyncio.run(js.Response.new(5).text()) == "5"
    reply = js.Response.json([{"id": 1, "t": "カレー"}])
    assert asyncio.run(reply.text()) == '[{"id":1,"t":"カレー"}]'
    assert reply.headers.get("content-type") == "application/json"


def test_url_search_params_and_url():
    params = js.URLSearchParams.new("?a=1&b=x y&a=2")
    params.append("c", "~")
    assert (params.get("a"), list(params.getAll("a")), params.get("z"), str(params)) == (
        "1",
        ["1", "2"],
        None,
        "a=1&b=x+y&a=2&c=%7E",
    )
    url = js.URL.new("/p q?x=カ", "http://Example.com/base")
    assert (url.href, url.searchParams.get("x")) == ("http://example.com/p%20q?x=%E3%82%AB", "カ")


def test_a_body_of_python_bytes_is_its_str_as_javascript_sees_a_proxy():
    from pyworker.sdk.pyodide.ffi import to_js

    assert asyncio.run(js.Response.new(b"raw").text()) == "b'raw'"
    assert asyncio.run(js.Response.new(to_js(b"raw")).text()) == "raw"
    assert asyncio.run(js.Response.new(js.TextEncoder.new().encode("raw")).text()) == "raw"


@pytest.mark.anyio
async def test_a_timer_callback_that_raises_is_reported_under_the_worker(write_worker, make_server, output):
    code = """
    import asyncio
    from js import setTimeout
    from workers import Response, WorkerEntrypoint

    class Default(WorkerEntrypoint):
        async def fetch(self, request):
            done = asyncio.Event()

            def boom():
                done.set()
                raise ValueError("in a timer")

            setTimeout(boom, 0)
            await done.wait()  # the callback has raised and been reported before this resumes
            return Response("ok")
    """
    import httpx

    server = make_server(write_worker("w", {"src/entry.py": code}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server.app("w")), base_url="http://w") as client:
        assert (await client.get("/")).text == "ok"
    lines = output.lines()
    assert "[w] Uncaught error in a setTimeout/setInterval callback:" in lines
    assert any(line.startswith("[w] ValueError: in a timer") for line in lines)
