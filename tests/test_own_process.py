"""Workers in a process of their own (pyworker/interop/own.py, relay.py, down.py, children.py): which
workers, the child's command line, its output, and the supervisor, driven with a fake child (a script
standing in for the child's python). ``tests/test_own_process_e2e.py`` runs the real ``pyworker dev``."""

from __future__ import annotations

import asyncio
import io
import os
import socket
import sys
from pathlib import Path

import httpx
import pytest

from pyworker.config import load_config
from pyworker.errors import ConfigError
from pyworker.interop.children import Child, exit_text
from pyworker.interop.down import DownApp
from pyworker.interop.own import child_command, decode_spec, encode_spec, own_process_workers
from pyworker.interop.relay import READY, Relay
from pyworker.options import ChildSpec, DevOptions
from pyworker.printer import Printer
from pyworker.types import ASGIApp
from tests.conftest import DEADLINE, Output

pytestmark = pytest.mark.anyio


def config_of(root: Path, name: str, dev: str = "", filename: str = "wrangler.toml") -> Path:
    directory = root / name
    (directory / "src").mkdir(parents=True, exist_ok=True)
    (directory / "src/entry.py").write_text("")
    (directory / filename).write_text(f'name = "{name}"\nmain = "src/entry.py"\n{dev}')
    return directory


# -- config ------------------------------------------------------------------------------
def test_dev_process_own_and_python_are_read_relative_to_the_worker(tmp_path):
    shop = config_of(tmp_path, "shop", '[dev]\nprocess = "own"\n')
    assert (load_config(shop).dev.process, load_config(shop).dev.python) == ("own", None)
    blog = config_of(tmp_path, "blog", '[dev]\npython = ".venv-blog/bin/python"\n')
    python = blog / ".venv-blog/bin/python"
    python.parent.mkdir(parents=True)
    python.symlink_to(sys.executable)  # a venv's python is a symlink: it is kept, not resolved
    config = load_config(blog)
    assert (config.dev.process, config.dev.python, config.warnings) == ("own", python, ())


@pytest.mark.parametrize(
    ("dev", "message"),
    [
        (
            '[dev]\nprocess = "separate"\n',
            'wrangler.toml in {d}: dev.process must be "own" (run this worker in a process of its own) or '
            "\"shared\", got 'separate'.",
        ),
        (
            "[dev]\nprocess = true\n",
            'wrangler.toml in {d}: dev.process must be "own" (run this worker in a process of its own) or '
            '"shared", got True.',
        ),
        (
            '[dev]\npython = ".venv/bin/python"\n',
            "wrangler.toml in {d}: dev.python points to .venv/bin/python, which does not exist. Create that "
            "virtual environment and install pyworker in it, or remove dev.python.",
        ),
        (
            "[dev]\npython = 3\n",
            'wrangler.toml in {d}: dev.python must be the path of a Python such as ".venv/bin/python", got 3.',
        ),
        (
            f'[dev]\nprocess = "shared"\npython = "{sys.executable}"\n',
            'wrangler.toml in {d}: dev.python needs a process of its own: drop process = "shared".',
        ),
    ],
)
def test_bad_dev_process_or_python_is_one_line_naming_the_file(tmp_path, monkeypatch, dev, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_config(config_of(tmp_path, "w", dev))
    assert str(caught.value) == message.format(d="w")


def test_dev_process_in_a_json_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "j"
    (directory / "src").mkdir(parents=True)
    (directory / "src/entry.py").write_text("")
    (directory / "wrangler.jsonc").write_text('{"name": "j", "main": "src/entry.py", "dev": {"process": "mine"}}')
    with pytest.raises(ConfigError, match=r'^wrangler\.jsonc in j: dev\.process must be "own"'):
        load_config(directory)


def test_own_process_workers_from_config_and_flag_and_unknown_names(tmp_path):
    configs = [
        load_config(config_of(tmp_path, "a")),
        load_config(config_of(tmp_path, "b", '[dev]\nprocess = "own"\n')),
        load_config(config_of(tmp_path, "c")),
    ]
    assert [c.name for c in own_process_workers(configs, DevOptions())] == ["b"]
    assert [c.name for c in own_process_workers(configs, DevOptions(own_process=("c",)))] == ["b", "c"]
    assert own_process_workers(configs, DevOptions(own_process=("c",), child=ChildSpec("b"))) == []
    with pytest.raises(ConfigError) as caught:
        own_process_workers(configs, DevOptions(own_process=("shop",)))
    assert str(caught.value) == (
        '--own-process shop: no worker is named "shop" (the workers are: a, b, c). '
        "Give a worker's name from its config."
    )


# -- the child's command line ------------------------------------------------------------
def test_the_child_gets_the_parents_options_and_its_spec(tmp_path):
    config = load_config(config_of(tmp_path, "shop", '[dev]\nprocess = "own"\n'))
    options = DevOptions(
        env="staging",
        vars={"A": "1", "URL": "http://x:80"},
        log_level="debug",
        reload=False,
        request_timeout=12.5,
        workflow_sleep_scale=0.01,
        crons=True,
        env_files=(Path("/e/.env"),),
        live_reload=True,
    )
    spec = ChildSpec("shop", 7, True, 33, 8)
    command = child_command(config, options, spec, tmp_path / "state")
    assert command == [
        sys.executable, "-m", "pyworker", "dev", str(config.config_path), "--child", encode_spec(spec),
        "--show-interactive-dev-session=false", "--log-level", "debug", "--request-timeout", "12.5",
        "--workflow-sleep-scale", "0.01", "--persist-to", str(tmp_path / "state"), "--env", "staging",
        "--var", "A:1", "--var", "URL:http://x:80", "--env-file", "/e/.env", "--no-reload", "--crons", "--live-reload",
    ]  # fmt: skip
    assert decode_spec(encode_spec(spec)) == spec


def test_a_spec_that_is_not_pyworkers_own_is_refused():
    with pytest.raises(ConfigError, match=r"^--child is for pyworker dev's own use: '\{\"x\": 1\}' is not what it"):
        decode_spec('{"x": 1}')


def test_exit_texts():
    assert (exit_text(1), exit_text(0), exit_text(-9)) == (
        "process exited with code 1",
        "process exited with code 0",
        "process was killed by SIGKILL",
    )


# -- the child's output ------------------------------------------------------------------
def test_relayed_lines_get_the_prefix_once_whole_and_in_order():
    out = io.StringIO()
    printer = Printer(out, colour=False)
    ready: list[bool] = []
    relay = Relay(printer, "shop", lambda: ready.append(True))
    relay.feed(b"[shop] GET / 200 OK (1ms)\nWarning: from the ch")
    relay.feed(b"ild\n" + READY.encode() + b"\n[shopping] not ours\r\n\xff broken\nno newline at the end")
    assert ready == [True]
    relay.close()
    assert out.getvalue().splitlines() == [
        "[shop] GET / 200 OK (1ms)",
        "[shop] Warning: from the child",
        "[shop] [shopping] not ours",
        "[shop] \ufffd broken",
        "[shop] no newline at the end",
    ]


def test_relayed_lines_keep_the_childs_colours_and_padding():
    out = io.StringIO()
    parent = Printer(out, colour=True)
    parent.known(["shop", "gateway"])
    code, width = parent.style("shop")
    child_out = io.StringIO()
    child = Printer(child_out, colour=True)
    child.adopt("shop", code, width)
    child.request("shop", "GET", "/", 500, "Internal Server Error", 2)
    Relay(parent, "shop", lambda: None).feed(child_out.getvalue().encode())
    assert out.getvalue() == child_out.getvalue()
    assert out.getvalue().startswith(parent.prefix("shop") + " GET / ")


async def test_the_url_of_a_worker_whose_process_is_down_answers_503_and_logs_it():
    out = io.StringIO()
    app: ASGIApp = DownApp("shop", Printer(out, colour=False), lambda: "Worker shop is not running.")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as client:
        reply = await client.get("/a?b=1")
    assert (reply.status_code, reply.text, reply.headers["connection"]) == (503, "Worker shop is not running.", "close")
    assert out.getvalue().startswith("[shop] GET /a?b=1 503 Service Unavailable (")


# -- the supervisor, with a fake child ---------------------------------------------------
FAKE_CHILD = """\
#!{python}
import json, os, sys
args = sys.argv[1:]  # -m pyworker dev CONFIG --child SPEC ...
spec = json.loads(args[args.index("--child") + 1])
directory = os.path.dirname(args[3])
mode = open(os.path.join(directory, "mode")).read().strip()
os.fstat(spec["socket"])  # the socket it serves is open here
if mode == "early":
    sys.exit("no module named pyworker, say")
print(f"[{{spec['worker']}}] hello from pid {{os.getpid()}}, colour {{spec['colour']}}", flush=True)
print("a line of its own", flush=True)
print("\\x00pyworker:ready", flush=True)
if mode.startswith("exit "):
    sys.exit(int(mode.split()[1]))
for line in sys.stdin:
    print(f"[{{spec['worker']}}] told {{line.strip()}}", flush=True)
    if line.strip() in ("stop", "force"):
        break
"""


class Fallback:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def serve(self, worker, sock, app) -> None:
        self.calls.append(("serve", worker))

    def unserve(self, worker) -> None:
        self.calls.append(("unserve", worker))


@pytest.fixture
def fake_child(tmp_path, output):
    directory = config_of(tmp_path, "shop", '[dev]\npython = "fake-python"\n')
    script = directory / "fake-python"
    script.write_text(FAKE_CHILD.format(python=sys.executable))
    script.chmod(0o755)
    (directory / "mode").write_text("serve")
    child = Child(load_config(directory), DevOptions(), Printer(output, colour=False), tmp_path / "state")
    child.fallback = Fallback()
    child.sock = socket.create_server(("127.0.0.1", 0))
    yield child
    child.sock.close()


async def lines(output: Output, pattern: str) -> str:
    return (await asyncio.to_thread(output.wait_for, pattern)).group(0)


async def test_a_child_shows_its_lines_says_when_it_serves_and_stops_when_told(fake_child, output):
    await fake_child.start()
    await asyncio.wait_for(fake_child.ready.wait(), DEADLINE)
    pid = fake_child.pid
    assert output.lines() == [
        f"[shop] hello from pid {pid}, colour False",
        "[shop] a line of its own",
        f"[shop] running in its own process, pid {pid}",
    ]
    fake_child.send(b"reload")
    await lines(output, r"^\[shop\] told reload$")
    fake_child.stop()
    await asyncio.wait_for(fake_child.stopped(), DEADLINE)
    assert output.lines()[-2:] == ["[shop] told reload", "[shop] told stop"]
    assert fake_child.down is None  # asked to stop: not a crash
    assert fake_child.fallback.calls == []


async def test_a_child_that_exits_is_reported_answered_for_and_restarted_on_the_next_save(fake_child, output):
    (fake_child.config.directory / "mode").write_text("exit 1")
    await fake_child.start()
    await lines(output, r"^\[shop\] process exited with code 1; it restarts on the next save$")
    assert fake_child.down == "process exited with code 1"
    assert fake_child.not_running() == (
        'Worker "shop" is not running: its process exited with code 1. It restarts on the next save of its files.'
    )
    assert fake_child.fallback.calls == [("serve", "shop")]
    first = fake_child.pid
    (fake_child.config.directory / "mode").write_text("serve")
    (fake_child.config.directory / "src/entry.py").write_text("# saved\n")
    await lines(output, r"^\[shop\] restarting its process$")
    await asyncio.wait_for(fake_child.ready.wait(), DEADLINE)
    await lines(output, rf"^\[shop\] running in its own process, pid {fake_child.pid}$")
    assert fake_child.pid != first and fake_child.down is None
    assert fake_child.fallback.calls == [("serve", "shop"), ("unserve", "shop")]
    fake_child.stop()
    await asyncio.wait_for(fake_child.stopped(), DEADLINE)


async def test_a_python_that_cannot_start_is_reported_as_down(fake_child, output):
    (fake_child.config.directory / "fake-python").chmod(0o644)
    await fake_child.start()
    line = await lines(output, r"^\[shop\] process could not start .*$")
    assert line == (
        f"[shop] process could not start ({fake_child.config.dev.python}: Permission denied); "
        "it restarts on the next save"
    )
    fake_child.stop()
    await asyncio.wait_for(fake_child.stopped(), DEADLINE)


async def test_a_child_that_does_not_stop_is_killed_after_its_grace(fake_child, output, monkeypatch):
    from pyworker.interop import children

    script = fake_child.config.directory / "fake-python"
    script.write_text(
        script.read_text().replace('if line.strip() in ("stop", "force"):\n        break', "pass")
    )  # ignores stop
    monkeypatch.setattr(children, "FORCED_GRACE", 0.2)
    await fake_child.start()
    await asyncio.wait_for(fake_child.ready.wait(), DEADLINE)
    fake_child.stop(force=True)
    await asyncio.wait_for(fake_child.stopped(), DEADLINE)
    assert "[shop] its process did not stop within 0.2 s, so it was killed" in output.lines()


# -- the command line and the dev server -------------------------------------------------
def test_own_process_is_repeatable_on_the_command_line(monkeypatch):
    from click.testing import CliRunner

    from pyworker.cli import main
    from pyworker.serving import server as server_module

    calls: list[DevOptions] = []
    monkeypatch.setattr(server_module, "run", lambda options, printer: calls.append(options))
    result = CliRunner().invoke(main, ["dev", "a", "b", "--own-process", "a", "--own-process", "b"])
    assert result.exit_code == 0, result.output
    assert (calls[0].own_process, calls[0].child) == (("a", "b"), None)


def test_an_unknown_own_process_name_is_one_error_line(tmp_path):
    from click.testing import CliRunner

    from pyworker.cli import main

    result = CliRunner().invoke(main, ["dev", str(config_of(tmp_path, "a")), "--own-process", "nope", "--port", "0"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        'Error: --own-process nope: no worker is named "nope" (the workers are: a). '
        "Give a worker's name from its config.\n"
    )


def test_a_worker_in_its_own_process_is_listed_but_not_loaded_here(tmp_path, make_server):
    from pyworker.session.listing import rows

    server = make_server(config_of(tmp_path, "a"), config_of(tmp_path, "b", '[dev]\nprocess = "own"\n'))
    assert [worker.name for worker in server.workers] == ["a"]
    assert rows(server) == [["a", "internal", "ready", ""], ["b", "internal", "own process, starting", ""]]


async def test_the_child_obeys_its_parents_commands_and_stops_when_its_stdin_ends():
    from pyworker.interop.child_side import ParentControl

    calls: list[str] = []
    all_four = asyncio.Event()  # reload, stop, force (a second stop) and the end of stdin (one more)

    def record(what: str) -> None:
        calls.append(what)
        if len(calls) == 4:
            all_four.set()

    async def reload() -> None:
        record("reload")

    read, write = os.pipe()
    control = ParentControl(read, asyncio.get_running_loop(), lambda: record("stop"), reload)
    control.thread.start()
    os.write(write, b"reload\nfor")
    os.write(write, b"ce\n")
    os.close(write)  # the parent is gone
    await asyncio.to_thread(control.thread.join, DEADLINE)
    await asyncio.wait_for(all_four.wait(), DEADLINE)  # the callbacks it scheduled have run
    os.close(read)
    assert sorted(calls) == ["reload", "stop", "stop", "stop"]  # force is a second stop; the end of stdin one more


async def test_pyworker_testing_loads_a_worker_of_its_own_process_here(tmp_path):
    from pyworker import testing

    directory = config_of(tmp_path, "own", '[dev]\nprocess = "own"\n')
    (directory / "src/entry.py").write_text(
        "import os\nfrom workers import Response, WorkerEntrypoint\n\nclass Default(WorkerEntrypoint):\n"
        "    async def fetch(self, request):\n        return Response(str(os.getpid()))\n"
    )
    async with testing.dev([directory], output=io.StringIO()) as dev:
        assert (await dev.fetch("own")).text == str(os.getpid())


async def test_a_child_that_exits_before_it_serves_asks_whether_its_python_has_pyworker(fake_child, output):
    (fake_child.config.directory / "mode").write_text("early")
    await fake_child.start()
    line = await lines(output, r"^\[shop\] process exited with code 1 before .*$")
    python = fake_child.config.dev.python
    assert output.lines()[-2:] == [
        "[shop] no module named pyworker, say",
        f"[shop] process exited with code 1 before it served (is pyworker installed for {os.path.relpath(python)}? "
        f"{python} -m pip install pyworker); it restarts on the next save",
    ]
    assert line == output.lines()[-1]
    fake_child.stop()
    await asyncio.wait_for(fake_child.stopped(), DEADLINE)


async def test_the_r_key_starts_a_child_that_is_down_again_once(fake_child, output):
    (fake_child.config.directory / "mode").write_text("exit 2")
    await fake_child.start()
    await lines(output, r"^\[shop\] process exited with code 2; it restarts on the next save$")
    first = fake_child.pid
    (fake_child.config.directory / "mode").write_text("serve")
    fake_child.reload()
    fake_child.reload()  # a second press while it starts does not start another
    await lines(output, r"^\[shop\] restarting its process$")
    await asyncio.wait_for(fake_child.ready.wait(), DEADLINE)
    assert fake_child.pid != first
    assert [line for line in output.lines() if line == "[shop] restarting its process"] == [
        "[shop] restarting its process"
    ]
    fake_child.stop()
    await asyncio.wait_for(fake_child.stopped(), DEADLINE)
