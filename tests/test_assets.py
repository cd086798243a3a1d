from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from assets_helpers import call

from pyworker.assets.config import read_assets
from pyworker.assets.content_types import content_type
from pyworker.assets.ignore import Ignore
from pyworker.assets.respond import READ_WHOLE, byte_range
from pyworker.assets.server import decode_path
from pyworker.config import load_config
from pyworker.config.files import describe
from pyworker.errors import ConfigError
from pyworker.reload.reloader import Reloader
from pyworker.reload.watch import code_changes
from pyworker.runtime.http import Request

pytestmark = pytest.mark.anyio

ECHO = """\
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return Response("worker: " + request.url)
"""


def etag(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def site(write_worker, files: dict[str, str | bytes], assets: str = "", code: str | None = ECHO, name: str = "w"):
    main = 'main = "src/entry.py"\n' if code is not None else ""
    config = f'name = "{name}"\n{main}compatibility_date = "2025-09-01"\nassets = {{ directory = "public"{assets} }}\n'
    directory = write_worker(name, {"src/entry.py": code} if code is not None else {}, config=config)
    for relative, content in files.items():
        path = directory / "public" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    (directory / "public").mkdir(exist_ok=True)
    return directory


async def test_a_file_is_served_before_the_worker_with_cloudflares_headers(write_worker, make_server):
    server = make_server(site(write_worker, {"style.css": "body{}", "app.js": "1", "logo.svg": "<svg/>"}))
    answer = await call(server.app("w"), "/style.css")
    assert (answer.status, answer.body) == (200, b"body{}")
    assert answer.headers == {
        "etag": etag(b"body{}"),
        "content-type": "text/css; charset=utf-8",
        "cache-control": "public, max-age=0, must-revalidate",
        "content-length": "6",
    }
    assert (await call(server.app("w"), "/app.js")).headers["content-type"] == "text/javascript; charset=utf-8"
    assert (await call(server.app("w"), "/nothing")).text == "worker: http://w.test/nothing"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("index.html", "text/html; charset=utf-8"), ("a.json", "application/json"), ("a.svg", "image/svg+xml"),
     ("a.png", "image/png"), ("a.JPG", "image/jpeg"), ("favicon.ico", "image/vnd.microsoft.icon"),
     ("f.woff2", "font/woff2"), ("m.wasm", "application/wasm"), ("README", "application/octet-stream"),
     ("a.unknown", "application/octet-stream"), ("dir.v1/file", "application/octet-stream")],
)  # fmt: skip
def test_content_types_come_from_one_table(name, expected):
    assert content_type(name) == expected


async def test_if_none_match_head_and_ranges(write_worker, make_server):
    server = make_server(site(write_worker, {"data.txt": "0123456789"}))
    app = server.app("w")
    tag = etag(b"0123456789")
    for given in (tag, f"W/{tag}"):
        answer = await call(app, "/data.txt", headers={"if-none-match": given})
        assert (answer.status, answer.body, answer.headers["etag"]) == (304, b"", tag)
    head = await call(app, "/data.txt", "HEAD")
    assert (head.status, head.body, head.headers["content-length"]) == (200, b"", "10")
    part = await call(app, "/data.txt", headers={"range": "bytes=2-5"})
    assert (part.status, part.body, part.headers["content-range"]) == (206, b"2345", "bytes 2-5/10")
    assert "cache-control" not in part.headers
    tail = await call(app, "/data.txt", headers={"range": "bytes=-3"})
    assert (tail.status, tail.body, tail.headers["content-range"]) == (206, b"789", "bytes 7-9/10")
    beyond = await call(app, "/data.txt", headers={"range": "bytes=10-"})
    assert (beyond.status, beyond.body, beyond.headers["content-range"]) == (416, b"", "bytes */10")
    ignored = await call(app, "/data.txt", headers={"range": "bytes=0-1,4-5"})
    assert (ignored.status, ignored.body) == (200, b"0123456789")


def test_byte_ranges():
    assert byte_range("bytes=0-0", 5) == (0, 0)
    assert byte_range("bytes=3-100", 5) == (3, 4)
    assert byte_range("bytes=-10", 5) == (0, 4)
    assert byte_range("bytes=-0", 5) == ()
    assert byte_range("bytes=5-", 5) == ()
    assert byte_range("bytes=4-2", 5) is None
    assert byte_range("items=0-1", 5) is None


async def test_auto_trailing_slash(write_worker, make_server):
    files = {"about.html": "about", "blog/index.html": "blog", "index.html": "home"}
    app = make_server(site(write_worker, files)).app("w")
    assert (await call(app, "/about")).text == "about"
    assert (await call(app, "/")).text == "home"
    assert (await call(app, "/blog/")).text == "blog"
    for target, location in [("/about.html", "/about"), ("/about/", "/about"), ("/blog", "/blog/"),
                             ("/blog/index.html", "/blog/"), ("/blog/index", "/blog/"), ("/index.html", "/"),
                             ("/about.html?x=1", "/about?x=1")]:  # fmt: skip
        answer = await call(app, target)
        assert (answer.status, answer.headers.get("location"), answer.body) == (307, location, b""), target


async def test_force_and_drop_trailing_slash_and_none(write_worker, make_server):
    files = {"about.html": "about", "blog/index.html": "blog"}
    force = make_server(site(write_worker, files, ', html_handling = "force-trailing-slash"', name="f")).app("f")
    assert (await call(force, "/about/")).text == "about"
    assert (await call(force, "/about")).headers["location"] == "/about/"
    assert (await call(force, "/about.html")).headers["location"] == "/about/"
    drop = make_server(site(write_worker, files, ', html_handling = "drop-trailing-slash"', name="d")).app("d")
    assert (await call(drop, "/blog")).text == "blog"
    assert (await call(drop, "/blog/")).headers["location"] == "/blog"
    none = make_server(site(write_worker, files, ', html_handling = "none"', name="n")).app("n")
    assert (await call(none, "/about.html")).text == "about"
    assert (await call(none, "/about")).text == "worker: http://w.test/about"


async def test_not_found_handling(write_worker, make_server):
    files = {"index.html": "app", "404.html": "top 404", "docs/404.html": "docs 404", "docs/a.html": "a"}
    page = make_server(site(write_worker, files, ', not_found_handling = "404-page"', code=None, name="p")).app("p")
    nested = await call(page, "/docs/missing/deep")
    assert (nested.status, nested.text) == (404, "docs 404")
    assert (await call(page, "/missing")).text == "top 404"
    spa = site(write_worker, files, ', not_found_handling = "single-page-application"', code=None, name="s")
    answer = await call(make_server(spa).app("s"), "/dashboard/settings")
    assert (answer.status, answer.text) == (200, "app")
    plain = make_server(site(write_worker, {"a.txt": "a"}, code=None, name="o")).app("o")
    missing = await call(plain, "/missing")
    assert (missing.status, missing.body) == (404, b"")


async def test_spa_with_a_worker_serves_navigations_and_gives_the_rest_to_the_worker(write_worker, make_server):
    config = ', not_found_handling = "single-page-application"'
    app = make_server(site(write_worker, {"index.html": "app"}, config)).app("w")
    assert (await call(app, "/settings", headers={"sec-fetch-mode": "navigate"})).text == "app"
    assert (await call(app, "/api/users")).text == "worker: http://w.test/api/users"


async def test_run_worker_first(write_worker, make_server):
    files = {"api/docs/index.html": "docs", "api/x.txt": "x", "page.txt": "page"}
    every = make_server(site(write_worker, files, ", run_worker_first = true", name="t")).app("t")
    assert (await call(every, "/page.txt")).text == "worker: http://w.test/page.txt"
    rules = ', run_worker_first = ["/api/*", "!/api/docs/*"]'
    app = make_server(site(write_worker, files, rules, name="l")).app("l")
    assert (await call(app, "/api/x.txt")).text == "worker: http://w.test/api/x.txt"
    assert (await call(app, "/api/docs/")).text == "docs"
    assert (await call(app, "/page.txt")).text == "page"
    assert (await call(app, "/api/docs/missing")).status == 404


def test_bad_assets_config_is_one_clear_error(write_worker):
    for assets, message in [
        ('{ directory = "public", html_handling = "smart" }',
         'assets.html_handling must be one of "auto-trailing-slash", "force-trailing-slash", '
         '"drop-trailing-slash", "none"; got \'smart\'.'),
        ('{ directory = "nowhere" }', "assets.directory points to nowhere, which is not a directory."),
        ('{ directory = "public", run_worker_first = ["!/x/*"] }',
         "Only negative `run_worker_first` rules were provided; must provide at least 1 non-negative rule"),
        ('{ directory = "public", run_worker_first = ["api/*"] }',
         "Invalid routes in run_worker_first:\n'api/*': rules must start with '/' or '!/'"),
    ]:  # fmt: skip
        directory = write_worker("bad", {"src/entry.py": ECHO, "public/a.txt": "a"},
                                 config=f'name = "bad"\nmain = "src/entry.py"\nassets = {assets}\n')  # fmt: skip
        with pytest.raises(ConfigError) as caught:
            read_assets(load_config(directory))
        assert str(caught.value) == f"{describe(directory / 'wrangler.toml')}: {message}"


async def test_headers_and_redirects_files(write_worker, make_server, output):
    files = {
        "_headers": "/*\n  X-Frame-Options: DENY\n/docs/:page\n  X-Page: :page\n  ! X-Frame-Options\nnot a rule\n",
        "_redirects": "/old /new.txt 301\n/blog/:slug/* /posts/:slug/:splat 308\n/go https://example.com/x\n"
        "/shown /new.txt 200\n/bad /x 418\n",
        "new.txt": "new",
        "docs/intro.txt": "intro",
    }
    app = make_server(site(write_worker, files, code=None)).app("w")
    moved = await call(app, "/old?keep=1")
    assert (moved.status, moved.headers["location"], moved.headers["x-frame-options"]) == (
        301,
        "/new.txt?keep=1",
        "DENY",
    )
    deep = await call(app, "/blog/hello/2024/05")
    assert (deep.status, deep.headers["location"]) == (308, "/posts/hello/2024/05")
    away = await call(app, "/go")
    assert (away.status, away.headers["location"]) == (302, "https://example.com/x")
    proxied = await call(app, "/shown")
    assert (proxied.status, proxied.text) == (200, "new")
    docs = await call(app, "/docs/intro.txt")
    assert docs.headers["x-page"] == "intro.txt"
    assert "x-frame-options" not in docs.headers
    for meta in ("/_headers", "/_redirects"):
        assert (await call(app, meta)).status == 404
    assert (
        "[w] _redirects: Valid status codes are 200, 301, 302 (default), 303, 307, or 308. Got 418. "
        "(line 5: /bad /x 418)" in output.getvalue()
    )
    assert (
        "[w] _headers: Expected a colon-separated header pair (e.g. name: value) (line 6: not a rule)"
        in output.getvalue()
    )


async def test_assetsignore(write_worker, make_server):
    files = {".assetsignore": "*.map\nsecret/\n!keep.map\n", "a.js.map": "m", "keep.map": "k",
             "secret/key.txt": "s", "sub/b.js.map": "m", "ok.txt": "ok"}  # fmt: skip
    app = make_server(site(write_worker, files, code=None)).app("w")
    for target in ("/a.js.map", "/secret/key.txt", "/sub/b.js.map", "/.assetsignore"):
        assert (await call(app, target)).status == 404, target
    assert (await call(app, "/keep.map")).text == "k"
    assert (await call(app, "/ok.txt")).text == "ok"


def test_ignore_patterns():
    ignore = Ignore("/top.txt\nbuild/**/*.o\n# comment\n\\#hash\n")
    assert ignore.ignored("top.txt") and not ignore.ignored("sub/top.txt")
    assert ignore.ignored("build/a/b/c.o") and ignore.ignored("build/c.o") and not ignore.ignored("build/c.c")
    assert ignore.ignored("#hash") and ignore.ignored("_headers") and not ignore.ignored("sub/_headers")


TRAVERSALS = [
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E/secret.txt",
    "/.%2e/secret.txt",
    "/..%2fsecret.txt",
    "/public%2f..%2f..%2fsecret.txt",
    "/..%5csecret.txt",
    "/..\\secret.txt",
    "/%5c..%5csecret.txt",
    "//etc/passwd",
    "/%2fetc%2fpasswd",
    "/C:%5cWindows%5cwin.ini",
    "/ok.txt%00",
    "/ok.txt%00.png",
    "/%c0%ae%c0%ae/secret.txt",
    "/%c0%af..%c0%afsecret.txt",
    "/%e0%80%ae%e0%80%ae/secret.txt",
    "/link/secret.txt",
    "/outside.txt",
    "/./ok.txt/..",
    "/sub/../../secret.txt",
]


@pytest.mark.parametrize("target", TRAVERSALS)
async def test_no_path_leaves_the_directory(write_worker, make_server, target):
    directory = site(write_worker, {"ok.txt": "ok", "sub/x.txt": "x"}, code=None)
    (directory / "secret.txt").write_text("SECRET")
    (directory.parent / "secret.txt").write_text("SECRET")
    os.symlink(directory, directory / "public" / "link")
    os.symlink(directory / "secret.txt", directory / "public" / "outside.txt")
    server = make_server(directory)
    answer = await call(server.app("w"), target)
    assert (answer.status, answer.body) == (404, b""), target
    fetched = await server.worker("w").assets.fetch(Request("http://w.test" + target))  # as env.ASSETS.fetch
    assert (fetched.status, await fetched.bytes()) == (404, b""), target


def test_decode_path_leaves_what_it_cannot_decode():
    assert decode_path("/a%20b//c") == "/a b/c"
    assert decode_path("/%c0%ae") == "/%c0%ae"
    assert decode_path("/100%") == "/100%"


async def test_assets_binding_and_method_not_allowed(write_worker, make_server):
    code = """\
from workers import WorkerEntrypoint, Response

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        found = await self.env.ASSETS.fetch("https://w.test/ok.txt")
        missing = await self.env.ASSETS.fetch(request)
        return Response(f"{found.status} {await found.text()} {missing.status}")
"""
    app = make_server(site(write_worker, {"ok.txt": "ok"}, ', binding = "ASSETS", run_worker_first = true', code)).app(
        "w"
    )
    assert (await call(app, "/nothing")).text == "200 ok 404"
    plain = make_server(site(write_worker, {"ok.txt": "ok"}, name="m")).app("m")
    refused = await call(plain, "/ok.txt", "POST")
    assert (refused.status, refused.body) == (405, b"")


async def test_an_edited_asset_is_served_on_the_next_request(write_worker, make_server):
    directory = site(write_worker, {"a.txt": "one"}, code=None)
    app = make_server(directory).app("w")
    first = await call(app, "/a.txt")
    (directory / "public" / "a.txt").write_text("two")
    os.utime(directory / "public" / "a.txt", ns=(1, 10**18))
    second = await call(app, "/a.txt")
    assert (first.text, second.text) == ("one", "two")
    assert second.headers["etag"] == etag(b"two")


def test_asset_edits_do_not_reload_code(write_worker):
    directory = site(write_worker, {"a.txt": "one"})
    config = load_config(directory)
    public = (directory / "public").resolve()
    changed = {public / "a.txt", public / "_headers", directory.resolve() / "src/entry.py"}
    assert code_changes(config, changed) == {directory.resolve() / "src/entry.py"}


async def test_large_files_are_streamed(write_worker, make_server):
    data = bytes(range(256)) * (READ_WHOLE // 256 * 3 + 7)
    server = make_server(site(write_worker, {"big.bin": data}, code=None))
    answer = await call(server.app("w"), "/big.bin")
    assert (answer.status, len(answer.body), answer.body == data) == (200, len(data), True)
    response = await server.worker("w").assets.fetch(Request("http://w.test/big.bin"))  # type: ignore[union-attr]
    assert response.body is not None and not response.body.buffered
    part = await call(server.app("w"), "/big.bin", headers={"range": f"bytes={READ_WHOLE}-{READ_WHOLE * 2 + 5}"})
    assert part.status == 206 and part.body == data[READ_WHOLE : READ_WHOLE * 2 + 6]


async def test_canonical_encoding_redirect(write_worker, make_server):
    app = make_server(site(write_worker, {"[id].txt": "brackets", "a b.txt": "space"}, code=None)).app("w")
    assert (await call(app, "/%5Bid%5D.txt")).text == "brackets"
    answer = await call(app, "/[id].txt")
    assert (answer.status, answer.headers["location"]) == (307, "/%5Bid%5D.txt")
    assert (await call(app, "/a%20b.txt")).text == "space"


def test_a_worker_with_assets_and_no_main_loads(write_worker):
    config = load_config(site(write_worker, {"a.txt": "a"}, code=None))
    assert config.main is None
    assert isinstance(Path(config.import_root), Path)


async def test_the_reloader_skips_asset_only_batches(write_worker, make_server, output):
    directory = site(write_worker, {"a.txt": "one"})
    server = make_server(directory)
    reloader = Reloader(server.registry, server.printer, server.options, server.host)
    generation = server.worker("w").code

    async def one(batch):
        yield batch

    asset = (directory / "public" / "a.txt").resolve()
    asset.write_text("two")
    await reloader.run(one({"w": {asset}}))
    assert (reloader.reloads, server.worker("w").code) == (0, generation)
    assert (await call(server.app("w"), "/a.txt")).text == "two"
    await reloader.run(one({"w": {asset, (directory / "src/entry.py").resolve()}}))
    assert reloader.reloads == 1 and server.worker("w").code is not generation
    assert output.lines()[-1].startswith("[w] reloaded in ") and output.lines()[-1].endswith("(src/entry.py)")
