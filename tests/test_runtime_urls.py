"""URLs as the WHATWG parser writes them (pyworker/runtime/urls.py): for every Request a worker makes,
a service binding's ``fetch`` included."""

from __future__ import annotations

import httpx
import pytest
from ada_url import URL
from hypothesis import given, settings
from hypothesis import strategies as st

from pyworker.runtime.http import Request
from pyworker.runtime.urls import whatwg_url


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        ("http://h/echo?text=Hey Ada\nbye", "http://h/echo?text=Hey%20Adabye"),
        ("HTTP://EXAMPLE.com:80/a/./b/../c", "http://example.com/a/c"),
        ('https://h/\tpath\r?q="x"#frag ment', "https://h/path?q=%22x%22#frag%20ment"),
        ("http://h", "http://h/"),
        ("http://h/カレー?w=カレー", "http://h/%E3%82%AB%E3%83%AC%E3%83%BC?w=%E3%82%AB%E3%83%AC%E3%83%BC"),
        ("http://münchen.de/", "http://xn--mnchen-3ya.de/"),
    ],
)
def test_whatwg_url(url, parsed):
    assert whatwg_url(url) == parsed
    assert Request(url).url == parsed


@pytest.mark.parametrize("bad", ["nope", "/relative", "http://[::1/x", ""])
def test_an_invalid_url_is_one_type_error(bad):
    with pytest.raises(TypeError) as caught:
        Request(bad)
    assert str(caught.value) == (
        f'Invalid URL: "{bad}". A request needs an absolute URL such as "https://example.com/".'
    )


@pytest.mark.anyio
async def test_a_binding_fetch_url_is_parsed_too(write_worker, make_server):
    caller = write_worker(
        "caller",
        {
            "src/entry.py": """
            from workers import Response, WorkerEntrypoint

            class Default(WorkerEntrypoint):
                async def fetch(self, request):
                    reply = await self.env.B.fetch("http://b/echo?text=Hey Ada\\nbye")
                    return Response(await reply.text())
            """
        },
        config='name = "caller"\nmain = "src/entry.py"\nservices = [{ binding = "B", service = "callee" }]\n',
    )
    callee = write_worker(
        "callee",
        {
            "src/entry.py": """
            from workers import Response, WorkerEntrypoint

            class Default(WorkerEntrypoint):
                async def fetch(self, request):
                    return Response(request.url)
            """
        },
    )
    server = make_server(caller, callee)
    transport = httpx.ASGITransport(app=server.app("caller"))
    async with httpx.AsyncClient(transport=transport, base_url="http://caller") as client:
        assert (await client.get("/")).text == "http://b/echo?text=Hey%20Adabye"


HOSTS = st.sampled_from(
    ["b", "example.com", "Ex.com", "127.0.0.1", "127.1", "0x7f.0.0.1", "a.1", "x-y.z.", "1.2.3.256"]
)
PORTS = st.sampled_from(["", ":80", ":443", ":8787", ":0", ":99999", ":065"])
PATHS = st.text(alphabet="/abc.%2eE~!$&'()*+,;=:@ \"<>`{}?#\t\nカ", max_size=16)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(["http", "https", "HTTP"]), HOSTS, PORTS, PATHS)
def test_the_fast_path_agrees_with_the_parser(scheme, host, port, path):
    url = f"{scheme}://{host}{port}/{path}"
    try:
        expected: str | None = URL(url).href
    except ValueError:
        expected = None
    try:
        got: str | None = whatwg_url(url)
    except TypeError:
        got = None
    assert got == expected
