"""The README's first screen, read as a new user would: its commands run and answer as shown."""

from __future__ import annotations

import re
import shlex

import httpx
import pytest

from tests.conftest import ROOT
from tests.test_e2e import DevProcess

pytestmark = pytest.mark.e2e

README = (ROOT / "README.md").read_text()
FIRST_SCREEN = README[: README.index("## What a worker looks like")]


def test_the_demo_command_and_the_session_run_as_shown():
    setup = re.search(r"```sh\n(python3 -m venv .venv && .*pyworker dev .*)\n```", FIRST_SCREEN).group(1)
    command = shlex.split(setup.split("&&")[-1])
    assert command[:2] == [".venv/bin/pyworker", "dev"]
    session = re.search(r"```console\n\$ pyworker dev (.*)\n((?:.*\n)*?)```", FIRST_SCREEN)
    assert session.group(1).split() == command[2:]  # the session shows the set-up's command
    shown = session.group(2).splitlines()
    process = DevProcess(*command[2:])  # what the port 8787 is now (busy or not), the README holds
    try:
        url = process.wait_for(r"^Ready on (http://127\.0\.0\.1:\d+)$").group(1)
        for line in shown[:3]:
            assert re.sub(r"\s+", " ", line).replace("http://127.0.0.1:8787", url) in [
                re.sub(r"\s+", " ", seen) for seen in process.lines
            ]
        curls = re.findall(r"\$ curl (.*?)(?:\s+#.*)?\n(.*)\n", FIRST_SCREEN)
        assert len(curls) == 2
        for arguments, answer in curls:
            words = shlex.split(arguments)
            target = words[-1].replace("http://127.0.0.1:8787", url)
            posted = words[1].encode() if words[0] == "-d" else None
            got = (httpx.post(target, content=posted) if posted is not None else httpx.get(target)).text
            assert got == answer.replace("http://127.0.0.1:8787", url)
        assert process.interrupt() == 0
    finally:
        process.close()
