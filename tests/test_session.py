"""The hotkey session, on a real pseudo-terminal: each key pressed as a user would."""

from __future__ import annotations

import asyncio
import io
import os
import re
import sys
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.pty_session import PtyDev

pytestmark = pytest.mark.e2e

SLOW = """
import asyncio
from pathlib import Path
from workers import Response, WorkerEntrypoint

GO = Path(__file__).parent / "go"

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = request.url.split("/", 3)[-1]
        print(f"started {path}")
        if path == "forever":
            await asyncio.Event().wait()
        while path == "slow" and not GO.exists():  # in flight until the test says go (after the key)
            await asyncio.sleep(0.01)
        return Response("done")
"""

BAR = "[b] open a browser, [d] debugger, [l] list workers, [r] reload, [c] clear console, [x] to exit"


@pytest.fixture
def pty_dev() -> Iterator[type[PtyDev]]:
    started: list[PtyDev] = []

    class Tracked(PtyDev):
        def __init__(self, *args: str, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            started.append(self)

    yield Tracked
    for process in started:
        process.close()


def test_each_key_does_its_action_and_is_never_echoed(pty_dev, write_worker, tmp_path):
    worker = write_worker("shop", {"src/entry.py": SLOW})
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.py"
    script = f"import sys\nopen({str(opened)!r}, 'w').write(sys.argv[1])\nprint('browser got', sys.argv[1])\n"
    browser.write_text(script)
    dev = pty_dev(str(worker), "--port", "0", env={"BROWSER": f"{sys.executable} {browser} %s"})
    url = dev.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)
    dev.wait_for(re.escape(BAR))

    mark = dev.press("l")
    dev.wait_for(r"^worker\s+url\s+state\s+bindings$", mark)
    assert dev.wait_for(rf"^shop\s+{re.escape(url)}\s+ready$", mark)
    dev.wait_for(r"^Local data \(KV, D1, R2\): ", mark)

    mark = dev.press("b")
    dev.wait_for(rf"^Opening {re.escape(url)} in a browser\.\.\.$", mark)
    dev.wait_for(rf"^browser got {re.escape(url)}$", mark)  # the command ran (its output is on the terminal)

    mark = dev.press("d")
    dev.wait_for(r"^Put breakpoint\(\) in worker code to stop there in pdb", mark)
    dev.wait_for(r"^To attach VS Code instead, restart with pyworker dev --debugpy", mark)

    mark = dev.press("r")
    dev.wait_for(r"^Reloading every worker\.\.\.$", mark)
    dev.wait_for(r"^\[shop\] reloaded in \d+ms", mark)

    mark = dev.press("c")
    dev.wait_for(re.escape(BAR), mark)
    assert "\x1b[2J\x1b[3J\x1b[H" in dev.raw

    mark = dev.press("x")
    dev.wait_for(r"^Shutting down\.\.\.$", mark)
    assert dev.wait_exit() == 0
    assert opened.read_text() == url  # the browser command got the first worker's URL
    assert not [line for line in dev.lines() if line.strip() in {"l", "b", "d", "r", "c", "x"}]
    assert "Traceback" not in dev.raw


@pytest.mark.parametrize("key", ["q", "\x03"], ids=["q", "ctrl-c"])
def test_exit_keys_finish_a_request_in_flight_and_exit_0(pty_dev, write_worker, key):
    worker = write_worker("shop", {"src/entry.py": SLOW})
    dev = pty_dev(str(worker), "--port", "0")
    url = dev.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)
    dev.wait_for(re.escape(BAR))
    answers: list[str] = []
    client = threading.Thread(target=lambda: answers.append(httpx.get(f"{url}/slow", timeout=20).text))
    client.start()
    dev.wait_for(r"^\[shop\] started slow$")
    dev.press(key)
    dev.wait_for(r"^Shutting down\.\.\.$")  # the server stops while the request is in flight
    (worker / "src" / "go").write_text("")
    client.join(20)
    assert answers == ["done"]
    assert dev.wait_exit() == 0
    dev.wait_for(r"^\[shop\] GET /slow 200 OK \(\d+ms\)$")
    assert "Traceback" not in dev.raw


def test_a_request_still_running_after_5_s_is_cancelled_with_one_line(pty_dev, write_worker):
    worker = write_worker("shop", {"src/entry.py": SLOW})
    dev = pty_dev(str(worker), "--port", "0")
    url = dev.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)
    dev.wait_for(re.escape(BAR))
    threading.Thread(target=lambda: httpx.get(f"{url}/forever", timeout=20), daemon=True).start()
    dev.wait_for(r"^\[shop\] started forever$")
    dev.press("x")
    assert dev.wait_exit() == 0
    assert [line for line in dev.lines() if "/forever" in line] == [
        line
        for line in dev.lines()
        if re.fullmatch(r"\[shop\] GET /forever canceled: the server stopped \(\d+ms\)", line)
    ]
    dev.wait_for(r"^\[shop\] GET /forever canceled: the server stopped \(\d+ms\)$")
    assert "Traceback" not in dev.raw


def test_no_session_with_show_interactive_dev_session_false(pty_dev, write_worker):
    worker = write_worker("shop", {"src/entry.py": SLOW})
    dev = pty_dev(str(worker), "--port", "0", "--show-interactive-dev-session=false")
    dev.wait_for(r"^Ready on ")
    dev.press("\x03")
    assert dev.wait_exit() == 0
    assert BAR not in dev.raw


PAUSES = """
from workers import Response, WorkerEntrypoint

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        answer = "before"
        breakpoint()
        return Response(answer)
"""


def test_breakpoint_then_continue_then_quit_then_ctrl_c_still_stops_the_server(pty_dev, write_worker):
    worker = write_worker("paused", {"src/entry.py": PAUSES})
    dev = pty_dev(str(worker), "--port", "0")
    url = dev.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)
    dev.wait_for(re.escape(BAR))
    answers: list[tuple[int, str]] = []

    def get() -> None:
        response = httpx.get(url, timeout=20)
        answers.append((response.status_code, response.text))

    first = threading.Thread(target=get)
    first.start()
    dev.wait_for(r"\(Pdb\) ")
    mark = dev.press("answer = 'changed'\n")
    dev.wait_for(r"^\(Pdb\) $", mark + 1)  # the next prompt
    mark = dev.press("c\n")
    first.join(20)
    assert answers == [(200, "changed")]
    dev.wait_for(r"^\[paused\] GET / 200 OK", mark)

    mark = len(dev.lines()) - 1
    second = threading.Thread(target=get)
    second.start()
    dev.wait_for(r"^-> (breakpoint\(\)|return Response\(answer\))$", mark)  # 3.13's pdb stops on the call
    dev.wait_for(r"^\(Pdb\) $", mark)
    dev.press("q\n")
    second.join(20)
    assert answers[1][0] == 500
    dev.wait_for(r"^\[paused\] pdb: quit \(q\), so the request was abandoned with a 500\.$")

    dev.press("\x03")
    assert dev.wait_exit() == 0
    assert "Program interrupted" not in dev.raw
    assert "Traceback" not in dev.raw
    assert "BdbQuit" not in dev.raw


def test_the_hotkeys_give_the_terminal_back_blocking_on_uvloop_too():
    """uvloop's add_reader leaves the descriptor non-blocking: pdb (and the shell after exit) would read nothing."""
    uvloop = pytest.importorskip("uvloop")
    from types import SimpleNamespace

    from pyworker.printer import Printer
    from pyworker.session.hotkeys import HotkeySession
    from pyworker.session.terminal import Terminal

    read, write = os.pipe()
    server = SimpleNamespace(printer=Printer(io.StringIO(), colour=False), stop=lambda: None)
    session = HotkeySession(server, Terminal(read), lambda: "")  # type: ignore[arg-type]

    async def keys_then_pdb() -> tuple[bool, bool]:
        session.start()
        reading = os.get_blocking(read)
        session.pause()  # what a breakpoint() does before pdb reads
        return reading, os.get_blocking(read)

    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            assert runner.run(keys_then_pdb()) == (False, True)
    finally:
        os.close(read)
        os.close(write)
