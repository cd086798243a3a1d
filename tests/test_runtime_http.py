"""Headers, Request, Response and FormData (pyworker/runtime/{headers,body,http}.py)."""

from __future__ import annotations

import asyncio
import http.client
import json
from collections.abc import AsyncIterator, Coroutine
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from pyworker.runtime.body import BodyUsedError, File, FormData
from pyworker.runtime.headers import Headers
from pyworker.runtime.http import Request, Response

T = TypeVar("T")
URL = "https://example.com/path?x=1"


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def agen(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def multipart(boundary: str, *parts: tuple[str, str | None, str | None, bytes]) -> bytes:
    """A multipart/form-data body from (name, filename, content_type, data) parts."""
    out = b""
    for name, filename, content_type, data in parts:
        disposition = f'Content-Disposition: form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        head = disposition + (f"\r\nContent-Type: {content_type}" if content_type else "")
        out += f"--{boundary}\r\n{head}\r\n\r\n".encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


# --- Headers -----------------------------------------------------------------------------------


def test_headers_lookup_is_case_insensitive() -> None:
    headers = Headers({"Content-Type": "text/html"})
    assert headers.get("content-type") == "text/html"
    assert headers.get("CONTENT-TYPE") == "text/html"
    assert headers["Content-type"] == "text/html"
    assert "CoNtEnT-TyPe" in headers
    assert headers.has("content-TYPE")


def test_headers_missing_is_none_like_http_message() -> None:
    message = http.client.HTTPMessage()
    headers = Headers()
    assert message["x-missing"] is None
    assert headers["x-missing"] is None
    assert headers.get("x-missing") is None
    assert headers.get("x-missing", "fallback") == "fallback"
    assert headers.get_all("x-missing") == []
    assert "x-missing" not in headers
    assert 5 not in headers


def test_headers_iteration_yields_sorted_lower_case_entries_as_javascript() -> None:
    headers = Headers(
        [("X-Beta", "2"), ("x-alpha", "1"), ("X-BETA", "3"), ("Set-Cookie", "a=1"), ("set-cookie", "b=2")]
    )
    assert list(headers) == [("set-cookie", "a=1"), ("set-cookie", "b=2"), ("x-alpha", "1"), ("x-beta", "2, 3")]
    headers.delete("set-cookie")
    assert headers.keys() == ["x-alpha", "x-beta"]
    assert len(headers) == 2


def test_headers_items_and_values_join_repeats() -> None:
    headers = Headers([("Accept", "text/html"), ("X-One", "1"), ("accept", "application/json")])
    assert headers.items() == [("accept", "text/html, application/json"), ("x-one", "1")]
    assert headers.values() == ["text/html, application/json", "1"]
    assert dict(headers.items()) == {"accept": "text/html, application/json", "x-one": "1"}


def test_headers_repeated_values_joined_with_comma_space() -> None:
    headers = Headers()
    headers.append("Accept-Encoding", "gzip")
    headers.append("accept-encoding", "br")
    assert headers.get("ACCEPT-ENCODING") == "gzip, br"
    assert headers["accept-encoding"] == "gzip, br"
    assert headers.get_all("Accept-Encoding") == ["gzip", "br"]
    assert headers.getAll("accept-encoding") == ["gzip", "br"]


def test_headers_set_cookie_values_stay_separate() -> None:
    headers = Headers([("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2")])
    assert headers.getSetCookie() == ["a=1; Path=/", "b=2"]
    assert headers.get_all("set-cookie") == ["a=1; Path=/", "b=2"]


def test_headers_set_replaces_every_value() -> None:
    headers = Headers([("X-A", "1"), ("x-a", "2"), ("x-b", "3")])
    headers.set("X-a", "new")
    assert headers.get_all("x-a") == ["new"]
    assert headers["x-b"] == "3"
    headers["X-C"] = "item"
    assert headers["x-c"] == "item"


def test_headers_append_adds_without_replacing() -> None:
    headers = Headers({"x-a": "1"})
    headers.append("X-A", "2")
    assert headers.get_all("x-a") == ["1", "2"]


def test_headers_delete_removes_every_value_case_insensitively() -> None:
    headers = Headers([("X-A", "1"), ("x-a", "2"), ("x-b", "3")])
    headers.delete("X-A")
    assert not headers.has("x-a")
    assert headers["x-a"] is None
    del headers["X-B"]
    assert list(headers) == []
    headers.delete("never-there")  # deleting a missing name is not an error, as in JS


@pytest.mark.parametrize(
    "init",
    [
        {"Content-Type": "text/plain", "X-A": "1"},
        [("Content-Type", "text/plain"), ("X-A", "1")],
        (("content-type", "text/plain"), ("x-a", "1")),
        [["CONTENT-TYPE", "text/plain"], ["x-a", "1"]],
        Headers({"content-type": "text/plain", "x-a": "1"}),
    ],
    ids=["dict", "list-of-pairs", "tuple-of-pairs", "list-of-lists", "headers"],
)
def test_headers_init_forms(init: Any) -> None:
    headers = Headers(init)
    assert headers.items() == [("content-type", "text/plain"), ("x-a", "1")]


def test_headers_init_from_none_is_empty() -> None:
    assert Headers().items() == []
    assert Headers(None).items() == []


def test_headers_init_from_list_keeps_repeats() -> None:
    headers = Headers([("X-A", "1"), ("X-A", "2")])
    assert headers.get_all("x-a") == ["1", "2"]


def test_headers_copied_from_headers_are_independent() -> None:
    original = Headers({"x-a": "1"})
    copy = Headers(original)
    copy.set("x-a", "2")
    copy.append("x-b", "3")
    assert original.items() == [("x-a", "1")]
    other = original.copy()
    other.delete("x-a")
    assert original["x-a"] == "1"


@pytest.mark.parametrize("name", ["", "bad name", "x:y", "x\ny", "tab\tname", "caf\u00e9", "a(b)", 'quote"d', "x/y"])
def test_headers_invalid_names_raise_type_error(name: str) -> None:
    with pytest.raises(TypeError, match="Invalid header name"):
        Headers({name: "v"})
    with pytest.raises(TypeError, match="Invalid header name"):
        Headers().set(name, "v")
    with pytest.raises(TypeError, match="Invalid header name"):
        Headers().append(name, "v")


def test_headers_non_string_name_raises_type_error() -> None:
    with pytest.raises(TypeError, match="Invalid header name"):
        Headers([(b"x-bytes", "v")])


def test_headers_token_characters_are_valid_names() -> None:
    headers = Headers({"X-Weird!#$%&'*+.^_`|~9": "ok"})
    assert headers["x-weird!#$%&'*+.^_`|~9"] == "ok"


@pytest.mark.parametrize("value", ["a\r\nb", "a\nb", "a\rb", "a\0b"])
def test_headers_invalid_values_raise_type_error(value: str) -> None:
    with pytest.raises(TypeError, match="Invalid header value"):
        Headers({"x-a": value})


def test_headers_values_are_trimmed_and_stringified() -> None:
    headers = Headers({"x-a": "  padded \t\r\n", "x-n": 5})
    assert headers["x-a"] == "padded"
    assert headers["x-n"] == "5"


@pytest.mark.parametrize("init", [["ab"], [("only-name",)], [("a", "b", "c")], "ab"])
def test_headers_init_items_must_be_pairs(init: Any) -> None:
    with pytest.raises(TypeError, match="pair"):
        Headers(init)


def test_headers_raw_round_trip() -> None:
    raw = [(b"Content-Type", b"text/plain"), (b"X-Latin", "caf\u00e9".encode("latin-1"))]
    headers = Headers.from_raw(raw)
    assert headers.items() == [("content-type", "text/plain"), ("x-latin", "caf\u00e9")]
    assert headers.raw() == [(b"content-type", b"text/plain"), (b"x-latin", b"caf\xe9")]


def test_headers_raw_encodes_wide_characters_as_utf8() -> None:
    headers = Headers({"x-emoji": "\U0001f600"})
    assert headers.raw() == [(b"x-emoji", "\U0001f600".encode())]


def test_headers_equality_and_repr() -> None:
    headers = Headers({"X-A": "1"})
    assert headers == {"x-a": "1"}
    assert headers == Headers([("x-a", "1")])
    assert headers != {"x-a": "2"}
    assert repr(headers) == "Headers({'x-a': '1'})"


# --- FormData ----------------------------------------------------------------------------------


def test_form_data_parses_urlencoded() -> None:
    form = FormData._parse(b"a=1&b=&a=two+words&c=%26", "application/x-www-form-urlencoded")
    assert form.get("a") == "1"
    assert form.get_all("a") == ["1", "two words"]
    assert form.get_all("a") == ["1", "two words"]
    assert form["b"] == ""
    assert form.get("c") == "&"
    assert "b" in form
    assert "c" in form
    assert form.get("missing") is None
    assert list(form.items()) == [("a", "1"), ("b", ""), ("a", "two words"), ("c", "&")]
    assert list(form) == ["a", "b", "a", "c"]  # iterating yields the names, as in the SDK
    with pytest.raises(KeyError):
        form["missing"]


def test_form_data_parses_multipart_with_file() -> None:
    content = bytes(range(256)) + b"\r\nline\nend\r\n"
    body = multipart(
        "XyZ",
        ("title", None, None, "h\u00e9llo".encode()),
        ("upload", "data.bin", "application/octet-stream", content),
        ("tag", None, None, b"a"),
        ("tag", None, None, b"b"),
    )
    form = FormData._parse(body, "multipart/form-data; boundary=XyZ")
    assert form.get("title") == "h\u00e9llo"
    assert form.get_all("tag") == ["a", "b"]
    upload = form.get("upload")
    assert isinstance(upload, File)
    assert upload.name == "data.bin"
    assert upload.content_type == "application/octet-stream"
    assert run(upload.bytes()) == content
    assert upload.size == len(content)
    assert run(upload.bytes()) == content
    assert repr(upload) == f"File(name='data.bin', type='application/octet-stream', size={len(content)})"


def test_form_data_rejects_other_content_types() -> None:
    with pytest.raises(TypeError, match=r'content-type "text/plain"'):
        FormData._parse(b"a=1", "text/plain")


def test_form_data_body_round_trips_as_multipart() -> None:
    content = b"\x00\xffbinary\r\n--not-a-boundary\r\n"
    form = FormData([("name", "value"), ("file", File(content, "f.bin", "image/png"))])
    form.append("name", "second")
    request = Request(URL, method="POST", body=form)
    assert (request.headers["content-type"] or "").startswith("multipart/form-data; boundary=")
    parsed = run(request.form_data())
    assert parsed.get_all("name") == ["value", "second"]
    upload = parsed.get("file")
    assert isinstance(upload, File)
    assert (upload.name, upload.content_type, run(upload.bytes())) == ("f.bin", "image/png", content)


def test_form_data_body_keeps_an_explicit_content_type() -> None:
    request = Request(URL, method="POST", body=FormData([("a", "1")]), headers={"Content-Type": "x/y"})
    assert request.headers["content-type"] == "x/y"


# --- Request -----------------------------------------------------------------------------------


def test_request_basic_properties() -> None:
    request = Request(URL, method="post", headers={"X-Trace": "abc"})
    assert request.url == URL
    assert request.method == "POST"
    assert isinstance(request.headers, http.client.HTTPMessage)
    assert request.headers["x-trace"] == "abc"
    assert request.headers["X-TRACE"] == "abc"
    assert request.body is None
    assert request.redirect == "follow"
    assert request.cf is None  # as in the SDK: no cf unless given
    assert repr(request) == f"<Request POST {URL}>"


def test_request_defaults_to_get() -> None:
    request = Request("https://example.com/")
    assert request.method == "GET"
    assert request.headers.items() == []
    assert run(request.text()) == ""


@pytest.mark.parametrize("method", ["get", "Put", "delete", "patch", "options"])
def test_request_method_is_upper_cased(method: str) -> None:
    assert Request(URL, method=method).method == method.upper()


def test_request_accepts_a_js_style_init_mapping() -> None:
    request = Request(URL, method="PUT", headers={"x-a": "1"}, body=b"data")
    assert (request.method, request.headers["x-a"]) == ("PUT", "1")
    assert run(request.bytes()) == b"data"


def test_request_text() -> None:
    request = Request(URL, method="POST", body="h\u00e9llo")
    assert request.headers["content-type"] == "text/plain;charset=UTF-8"
    assert run(request.text()) == "h\u00e9llo"


def test_request_json() -> None:
    request = Request(URL, method="POST", body=json.dumps({"a": [1, 2]}))
    assert run(request.json()) == {"a": [1, 2]}


def test_request_json_passes_keyword_arguments_to_json_loads() -> None:
    request = Request(URL, method="POST", body='{"price": 1.10}')
    assert run(request.json(parse_float=Decimal)) == {"price": Decimal("1.10")}


def test_request_bytes() -> None:
    request = Request(URL, method="POST", body=b"\x00\x01\xff")
    assert "content-type" not in request.headers
    assert run(request.bytes()) == b"\x00\x01\xff"


def test_request_streamed_body() -> None:
    request = Request(URL, method="POST", body=agen(b"ab", b"cd"))
    assert request.body is not None and not request.body.buffered
    assert run(request.text()) == "abcd"


def test_request_form_data_urlencoded() -> None:
    request = Request(
        URL,
        method="POST",
        body="name=Ada+Lovelace&lang=py",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    form = run(request.form_data())
    assert form.get("name") == "Ada Lovelace"
    assert form.get("lang") == "py"


def test_request_form_data_multipart_with_file() -> None:
    body = multipart("B0und", ("field", None, None, b"v"), ("doc", "notes.txt", "text/plain", b"hi\nthere"))
    request = Request(URL, method="POST", body=body, headers={"content-type": "multipart/form-data; boundary=B0und"})
    form = run(request.form_data())
    assert form.get("field") == "v"
    doc = form.get("doc")
    assert isinstance(doc, File)
    assert (doc.name, doc.content_type) == ("notes.txt", "text/plain")
    assert run(doc.text()) == "hi\nthere"


def test_request_body_is_readable_once() -> None:
    request = Request(URL, method="POST", body="once")
    assert not request.body_used
    assert run(request.text()) == "once"
    assert request.body_used
    assert request.js_object.bodyUsed
    with pytest.raises(BodyUsedError, match="already used"):
        run(request.text())
    with pytest.raises(OSError):
        run(request.bytes())
    with pytest.raises(OSError):
        run(request.json())


def test_request_without_body_is_also_readable_once() -> None:
    request = Request(URL)
    assert run(request.bytes()) == b""
    with pytest.raises(BodyUsedError):
        run(request.bytes())


def test_request_clone_gives_independent_readers() -> None:
    request = Request(URL, method="POST", body="payload", headers={"x-a": "1"}, cf={"cacheTtl": 5})
    clone = request.clone()
    assert (clone.url, clone.method, clone.cf.to_py()) == (URL, "POST", {"cacheTtl": 5})
    clone.js_object.headers.set("x-a", "changed")
    assert request.headers["x-a"] == "1"
    assert run(request.text()) == "payload"
    assert not clone.body_used
    assert run(clone.text()) == "payload"
    with pytest.raises(BodyUsedError):
        run(clone.text())


def test_request_clone_of_a_stream_reads_it_once_for_both() -> None:
    pulled: list[bytes] = []

    async def source() -> AsyncIterator[bytes]:
        for chunk in (b"a", b"b", b"c"):
            pulled.append(chunk)
            yield chunk

    async def main() -> tuple[str, str]:
        request = Request(URL, method="POST", body=source())
        clone = request.clone()
        first, second = await asyncio.gather(request.text(), clone.text())
        return first, second

    assert run(main()) == ("abc", "abc")
    assert pulled == [b"a", b"b", b"c"]


def test_request_clone_keeps_redirect_mode() -> None:
    clone = Request(URL, redirect="manual").clone()
    assert clone.redirect == "manual"


def test_request_clone_after_read_raises() -> None:
    request = Request(URL, method="POST", body="x")
    run(request.text())
    with pytest.raises(BodyUsedError):
        request.clone()


def test_request_from_request_copies_and_moves_the_body() -> None:
    original = Request(URL, method="POST", body="moved", headers={"x-a": "1"}, redirect="manual", cf={"k": 1})
    copy = Request(original, method="PUT")
    assert (copy.url, copy.method, copy.headers["x-a"]) == (URL, "PUT", "1")
    assert (copy.redirect, copy.cf.k) == ("manual", 1)
    assert original.body_used
    assert not copy.body_used
    assert run(copy.text()) == "moved"
    with pytest.raises(OSError):
        run(original.text())


def test_request_from_request_has_its_own_headers() -> None:
    original = Request(URL, headers={"x-a": "1"})
    copy = Request(original)
    copy.js_object.headers.set("x-a", "2")
    assert original.headers["x-a"] == "1"
    assert copy.method == "GET"


def test_request_from_request_with_new_headers_and_body_leaves_original_unread() -> None:
    original = Request(URL, method="POST", body="old", headers={"x-a": "1"})
    copy = Request(original, body="new", headers={"x-b": "2"})
    assert copy.headers.items() == [("content-type", "text/plain;charset=UTF-8"), ("x-b", "2")]
    assert not original.body_used
    assert run(copy.text()) == "new"
    assert run(original.text()) == "old"


def test_request_from_used_request_raises() -> None:
    original = Request(URL, method="POST", body="x")
    run(original.text())
    with pytest.raises(TypeError, match="already been used"):
        Request(original)


@pytest.mark.parametrize("options", [{"redirect": "error"}, {"headers": {"bad name": "x"}}])
def test_request_from_request_that_fails_leaves_the_original_body(options: dict[str, Any]) -> None:
    original = Request(URL, method="POST", body="kept")
    with pytest.raises(TypeError):
        Request(original, **options)
    assert not original.body_used
    assert run(original.text()) == "kept"


def test_request_from_post_with_body_to_get_raises() -> None:
    original = Request(URL, method="POST", body="x")
    with pytest.raises(TypeError, match="GET/HEAD"):
        Request(original, method="GET")


@pytest.mark.parametrize("url", ["/relative/path", "example.com/x", "", "https://"])
def test_request_relative_url_raises_type_error(url: str) -> None:
    with pytest.raises(TypeError, match="Invalid URL"):
        Request(url)


@pytest.mark.parametrize("method", ["GET", "HEAD", "get", "head"])
@pytest.mark.parametrize("body", ["text", b"bytes", ""])
def test_request_get_or_head_with_body_raises_type_error(method: str, body: str | bytes) -> None:
    with pytest.raises(TypeError, match="GET/HEAD"):
        Request(URL, method=method, body=body)


def test_request_get_with_none_body_is_fine() -> None:
    assert Request(URL, method="GET", body=None).body is None


def test_request_redirect_modes() -> None:
    assert Request(URL, redirect="manual").redirect == "manual"
    with pytest.raises(TypeError, match='redirect value "error"'):
        Request(URL, redirect="error")


def test_request_unsupported_body_type() -> None:
    with pytest.raises(TypeError, match="Unsupported body type dict"):
        Request(URL, method="POST", body={"a": 1})  # type: ignore[arg-type]


# --- Response ----------------------------------------------------------------------------------


def test_response_str_body_defaults_to_text_plain() -> None:
    response = Response("hello")
    assert response.headers["content-type"] == "text/plain;charset=UTF-8"
    assert run(response.text()) == "hello"


def test_response_str_body_keeps_an_explicit_content_type() -> None:
    response = Response("<p>hi</p>", headers={"Content-Type": "text/html"})
    assert response.headers.get_all("content-type") == ["text/html"]


def test_response_bytes_body_has_no_content_type() -> None:
    response = Response(b"\x00\x01")
    assert "content-type" not in response.headers
    assert run(response.bytes()) == b"\x00\x01"


def test_response_none_body() -> None:
    response = Response()
    assert response.body is None
    assert response.headers.items() == []
    assert run(response.text()) == ""


def test_response_status_text_and_ok_defaults() -> None:
    response = Response("x")
    assert (response.status, response.status_text, response.ok) == (200, "OK", True)
    assert (response.url, response.redirected) == ("", False)
    missing = Response("x", 404)
    assert (missing.status, missing.status_text, missing.ok) == (404, "Not Found", False)
    assert Response(None, 299).ok
    assert not Response(None, 300).ok
    assert not Response(None, 500).ok
    assert Response(None, 599).status_text == ""


@pytest.mark.parametrize("status", [None, 0])
def test_response_falsy_status_means_200(status: int | None) -> None:
    assert Response("x", status).status == 200


def test_response_third_positional_is_status_text() -> None:
    response = Response("x", 418, "Short and stout")
    assert (response.status, response.status_text) == (418, "Short and stout")
    assert response.headers.items() == [("content-type", "text/plain;charset=UTF-8")]
    assert repr(response) == "Response(status=418, status_text='Short and stout')"


@pytest.mark.parametrize("headers", [{"X-A": "1"}, [("X-A", "1")], Headers({"x-a": "1"})])
def test_response_third_positional_headers_are_taken_as_headers(headers: Any) -> None:
    response = Response("x", 201, headers)
    assert response.headers["x-a"] == "1"
    assert response.status_text == "Created"


def test_response_keywords_match_cloudflare_signature() -> None:
    response = Response(body="x", status=202, status_text="Later", headers={"x-a": "1"})
    assert (response.status, response.status_text, response.headers["x-a"]) == (202, "Later", "1")
    assert Response(None, 200, "Fine").status_text == "Fine"


def test_response_status_text_with_control_characters_raises() -> None:
    with pytest.raises(TypeError, match="statusText"):
        Response("x", 200, "OK\r\nX-Injected: 1")


def test_response_json_builds_a_json_response() -> None:
    data = {"obj": {"field": 123}, "list": [1, "two", None]}
    response = Response.json(data, status=201, headers={"X-Trace": "t"})
    assert response.status == 201
    assert response.status_text == "Created"
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-trace"] == "t"
    assert run(response.text()) == json.dumps(data)


def test_response_json_default_status_and_body() -> None:
    response = Response.json([1, 2])
    assert (response.status, response.headers["content-type"]) == (200, "application/json")
    assert run(response.bytes()) == b"[1, 2]"


def test_response_json_keeps_an_explicit_content_type() -> None:
    response = Response.json({}, headers={"Content-Type": "application/vnd.api+json"})
    assert response.headers.get_all("content-type") == ["application/vnd.api+json"]


def test_response_json_non_serialisable_raises_type_error() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        Response.json({"s": {1, 2}})


def test_response_json_on_an_instance_parses_the_body() -> None:
    response = Response('{"a": 1.5}', headers={"content-type": "application/json"})
    assert run(response.json()) == {"a": 1.5}
    with pytest.raises(BodyUsedError):
        run(response.json())
    assert run(Response("[1.25]").json(parse_float=Decimal)) == [Decimal("1.25")]


def test_response_redirect() -> None:
    response = Response.redirect("https://example.com/new", 301)
    assert response.status == 301
    assert response.status_text == "Moved Permanently"
    assert response.headers["location"] == "https://example.com/new"
    assert response.body is None
    assert Response.redirect("https://example.com/").status == 302


@pytest.mark.parametrize("status", [200, 300, 304, 404])
def test_response_redirect_bad_status_raises_value_error(status: int) -> None:
    with pytest.raises(ValueError, match=f"Invalid redirect status {status}"):
        Response.redirect("https://example.com/", status)


def test_response_redirect_relative_url_raises_type_error() -> None:
    with pytest.raises(TypeError, match="/login"):
        Response.redirect("/login")


@pytest.mark.parametrize("body", [bytearray(b"x"), memoryview(b"x")])
def test_response_bytearray_and_memoryview_bodies_raise_type_error(body: Any) -> None:
    with pytest.raises(TypeError, match=f"Unsupported type in Response: {type(body).__name__}"):
        Response(body)


@pytest.mark.parametrize("body", [{"a": 1}, [b"a"], 5])
def test_response_other_body_types_raise_type_error(body: Any) -> None:
    with pytest.raises(TypeError, match="Unsupported body type"):
        Response(body)


@pytest.mark.parametrize("status", [99, 100, 199, 600, 1000])
def test_response_status_out_of_range_raises_value_error(status: int) -> None:
    with pytest.raises(ValueError, match=f"range 200 to 599, got {status}"):
        Response(None, status)


@pytest.mark.parametrize("status", [204, 205, 304])
def test_response_null_body_status_with_body_raises_type_error(status: int) -> None:
    with pytest.raises(TypeError, match=f"null body status \\({status}\\)"):
        Response("content", status)
    with pytest.raises(TypeError, match="null body status"):
        Response(agen(b"x"), status)


@pytest.mark.parametrize("body", ["", b""])
def test_response_null_body_status_accepts_an_empty_body(body: str | bytes) -> None:
    response = Response(body, 204)
    assert response.body is None
    assert (response.status, response.status_text) == (204, "No Content")


def test_response_async_iterable_body_streams() -> None:
    response = Response(agen(b"one,", b"two,", b"three"), headers={"content-type": "text/csv"})
    assert response.body is not None
    assert not response.body.buffered

    async def collect() -> list[bytes]:
        assert response.body is not None
        return [chunk async for chunk in response.body.chunks()]

    assert run(collect()) == [b"one,", b"two,", b"three"]


def test_response_async_iterable_body_reads_whole() -> None:
    response = Response(agen(b"a", b"b"))
    assert run(response.text()) == "ab"


def test_response_clone() -> None:
    response = Response("body", 201, "Made", {"x-a": "1"})
    clone = response.clone()
    assert (clone.status, clone.status_text, clone.headers["x-a"]) == (201, "Made", "1")
    clone.js_object.headers.set("x-a", "2")
    assert response.headers["x-a"] == "1"
    assert run(response.text()) == "body"
    assert run(clone.text()) == "body"
    with pytest.raises(BodyUsedError):
        response.clone()


def test_response_clone_of_stream_survives_the_original_being_streamed() -> None:
    response = Response(agen(b"x", b"y"))
    clone = response.clone()

    async def main() -> tuple[bytes, str]:
        assert response.body is not None
        streamed = b"".join([chunk async for chunk in response.body.chunks()])
        return streamed, await clone.text()

    assert run(main()) == (b"xy", "xy")


def test_response_body_is_readable_once() -> None:
    response = Response("x")
    run(response.bytes())
    assert response.body_used
    with pytest.raises(OSError, match="already used"):
        run(response.text())


def test_js_object_is_the_javascript_object_the_sdk_wraps() -> None:
    request = Request("https://example.com/")
    response = Response("x")
    assert (request.js_object.constructor.name, response.js_object.constructor.name) == ("Request", "Response")
    assert Request(request.js_object).url == "https://example.com/"
    assert Response(response.js_object).js_object.headers is response.js_object.headers


def test_form_and_blob_js_objects_have_javascripts_names() -> None:
    form = FormData({"a": "1"})
    js_form = form.js_object
    js_form.append("a", "2")
    js_form.set("b", "x")
    assert (js_form.get("a"), js_form.getAll("a"), js_form.has("b"), js_form.get("zz")) == ("1", ["1", "2"], True, None)
    assert [list(pair) for pair in js_form.entries()] == [["a", "1"], ["a", "2"], ["b", "x"]]
    assert (js_form.constructor.name, FormData(js_form).get_all("a")) == ("FormData", ["1", "2"])
    blob = File([b"hello"], "h.txt", "text/plain").js_object
    assert (blob.constructor.name, blob.size, blob.type, blob.name) == ("File", 5, "text/plain", "h.txt")
    assert run(blob.arrayBuffer()).to_bytes() == b"hello"
    assert run(blob.slice(1, 3).text()) == "el"
    assert run(Response(blob).text()) == "hello"


def test_response_abort_and_unpack_archive_as_pyodides_fetch_response(tmp_path) -> None:
    import io
    import zipfile

    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("inside.txt", "unpacked")
    response = Response(data.getvalue())
    run(response.unpack_archive(extract_dir=str(tmp_path), format="zip"))
    assert (tmp_path / "inside.txt").read_text() == "unpacked"
    aborted = Response("never read")
    aborted.abort()
    with pytest.raises(BodyUsedError):
        run(aborted.text())
