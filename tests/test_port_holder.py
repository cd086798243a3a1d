"""A busy port held by another pyworker dev: the error names its pid."""

from __future__ import annotations

import os
import socket

import pytest

from pyworker.serving.port_holder import holder_note, port_holder
from tests.conftest import FIXTURES
from tests.test_e2e import DevProcess


def test_the_holder_of_a_port_is_found_in_proc():
    if not os.path.isdir("/proc/net"):
        pytest.skip("no /proc: the holder cannot be looked up on this system")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        pid, command = port_holder(sock.getsockname()[1])
    assert pid == os.getpid()
    assert "pytest" in command
    assert holder_note(12) == ""  # nothing listens there


@pytest.mark.e2e
def test_a_port_held_by_another_pyworker_dev_names_its_pid(tmp_path):
    if not os.path.isdir("/proc/net"):
        pytest.skip("no /proc: the holder cannot be looked up on this system")
    first = DevProcess(str(FIXTURES / "seed/worker_a"), str(FIXTURES / "seed/worker_b"), "--port", "0")
    try:
        port = int(first.wait_for(r"^Ready on http://127\.0\.0\.1:(\d+)$").group(1))
        second = DevProcess(str(FIXTURES / "seed/worker_a"), str(FIXTURES / "seed/worker_b"), "--port", str(port))
        try:
            assert second.proc.wait(timeout=20) == 1
            second.wait_for(
                rf"^Error: Port {port} on 127\.0\.0\.1 is already in use \(wanted by worker worker_a\)\. It is held by "
                rf"another pyworker dev \(pid {first.proc.pid}\): stop it with Ctrl-C in its terminal, or kill "
                rf"{first.proc.pid}\. Stop whatever"
            )
        finally:
            second.close()
        assert first.interrupt() == 0
    finally:
        first.close()
