from __future__ import annotations

import socket

import httpx
import pytest

from pyworker.config import load_config
from pyworker.options import DevOptions
from pyworker.printer import Printer
from pyworker.serving.server import DevServer

CODE = "from workers import Response\n\nasync def on_fetch(request):\n    return Response('x')\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_first_worker_gets_port_others_dev_port_or_next_free_internal_none(write_worker, output):
    fixed_port = free_port()
    first = write_worker("first", {"src/entry.py": CODE})
    second = write_worker("second", {"src/entry.py": CODE})
    fixed = write_worker(
        "fixed", {"src/entry.py": CODE}, config=f'name = "fixed"\nmain = "src/entry.py"\n[dev]\nport = {fixed_port}\n'
    )
    internal = write_worker(
        "hidden", {"src/entry.py": CODE}, config='name = "hidden"\nmain = "src/entry.py"\nworkers_dev = false\n'
    )
    base = free_port()
    configs = [load_config(p) for p in (first, internal, second, fixed)]
    server = DevServer(DevOptions(port=base), Printer(output, colour=False), configs)
    server.bind()
    try:
        ports = {listener.worker: listener.port for listener in server.listeners}
        assert set(ports) == {"first", "second", "fixed"}
        assert ports["first"] == base
        assert ports["second"] > base
        assert ports["fixed"] == fixed_port
    finally:
        server.close_sockets()


def test_routes_expose_a_worker_even_without_workers_dev(write_worker, output):
    routed = write_worker(
        "routed",
        {"src/entry.py": CODE},
        config='name = "routed"\nmain = "src/entry.py"\nworkers_dev = false\nroutes = ["example.com/*"]\n',
    )
    server = DevServer(DevOptions(port=0), Printer(output, colour=False), [load_config(routed)])
    server.bind()
    try:
        assert [listener.worker for listener in server.listeners] == ["routed"]
    finally:
        server.close_sockets()


def test_startup_table_and_ready_line(write_worker, make_server, output):
    target = write_worker(
        "target",
        {"src/entry.py": "from workers import WorkerEntrypoint\n\nclass Default(WorkerEntrypoint):\n    pass\n"},
        config='name = "target"\nmain = "src/entry.py"\nworkers_dev = false\n',
    )
    caller = write_worker(
        "caller",
        {"src/entry.py": CODE},
        config='name = "caller"\nmain = "src/entry.py"\nservices = [\n'
        '  { binding = "T", service = "target" },\n'
        '  { binding = "GONE", service = "ghost" },\n'
        '  { binding = "ODD", service = "target", entrypoint = "Nope" },\n]\n',
    )
    server = make_server(caller, target)
    server.options.port = 0
    server.bind()
    try:
        output.truncate(0)
        output.seek(0)
        server.announce()
        url = server.listeners[0].url
        assert output.lines() == [
            "worker  url" + " " * (len(url) - 3) + "  bindings",
            f"caller  {url}  T -> target (connected)",
            "        " + " " * len(url) + "  GONE -> ghost (not running)",
            "        " + " " * len(url) + '  ODD -> target#Nope (no entrypoint "Nope")',
            "target  internal",
            f"Ready on {url}",
        ]
        assert server.ready.is_set()
    finally:
        server.close_sockets()


@pytest.mark.parametrize("level", ["warn", "error", "none"])
def test_quiet_log_levels_hide_request_lines(level, output):
    printer = Printer(output, level=level, colour=False)
    printer.request("a", "GET", "/", 200, "OK", 1.2)
    assert output.getvalue() == ""


@pytest.mark.anyio
async def test_the_request_line_logs_the_target_as_sent_not_decoded(write_worker, make_server, output):
    code = "from workers import Response\n\nasync def on_fetch(request):\n    return Response('ok')\n"
    server = make_server(write_worker("w", {"src/entry.py": code}))
    transport = httpx.ASGITransport(app=server.app("w"))
    async with httpx.AsyncClient(transport=transport, base_url="http://w") as client:
        assert (await client.get("/a%0a%1b%5b31m%00?q=%0d")).text == "ok"
    assert output.lines()[-1].startswith("[w] GET /a%0a%1b%5b31m%00?q=%0d 200 OK (")
