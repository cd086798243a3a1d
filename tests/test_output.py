"""Worker output under the worker's prefix: print, sys.stderr, logging and console.log, in order."""

from __future__ import annotations

import logging
import sys

import pytest

from pyworker.printer import Printer
from pyworker.runtime.http import Request
from pyworker.runtime.output import WorkerOutput, logging_level

MIXED = """
import asyncio, logging, sys, threading
from js import console
from workers import Response, WorkerEntrypoint

log = logging.getLogger("orders")

def in_thread():
    print("thread print")
    logging.warning("thread warning")

async def in_task():
    print("task print", end="")
    print(" continued")
    console.log("task console")

class Default(WorkerEntrypoint):
    async def fetch(self, request):
        print("one", 2, sep="-")
        console.log("console", 3)
        log.info("info %s", "line")
        log.debug("debug line")
        sys.stderr.write("to stderr\\n")
        logging.info("root info")
        await asyncio.create_task(in_task())
        thread = threading.Thread(target=in_thread)
        thread.start()
        thread.join()
        await asyncio.to_thread(print, "to_thread print")
        return Response("ok")
"""


def worker_lines(output, name):
    return [line for line in output.lines() if line.startswith(f"[{name}] ") and "state:" not in line]


@pytest.mark.anyio
async def test_print_logging_stderr_and_console_log_in_order_from_handler_task_and_thread(
    write_worker, make_server, output
):
    server = make_server(write_worker("mixed", {"src/entry.py": MIXED}))
    with WorkerOutput(server.printer).installed("info"):
        response = await server.worker("mixed").fetch(Request("http://x/"))
        print("outside every worker")
    assert response.status == 200
    assert worker_lines(output, "mixed") == [
        "[mixed] one-2",
        "[mixed] console 3",
        "[mixed] info line",
        "[mixed] to stderr",
        "[mixed] root info",
        "[mixed] task print continued",
        "[mixed] task console",
        "[mixed] thread print",
        "[mixed] thread warning",
        "[mixed] to_thread print",
    ]


@pytest.mark.anyio
async def test_log_level_governs_logging_and_print_always_shows(write_worker, output):
    from pyworker.config import load_config
    from pyworker.options import DevOptions
    from pyworker.serving.server import DevServer

    config = load_config(write_worker("mixed", {"src/entry.py": MIXED}))
    server = DevServer(DevOptions(log_level="error"), Printer(output, level="error", colour=False), [config])
    server.load()
    try:
        with WorkerOutput(server.printer).installed("error"):
            await server.worker("mixed").fetch(Request("http://x/"))
    finally:
        server.worker("mixed").code.unload()
        server.storage.close()
    assert worker_lines(output, "mixed") == [
        "[mixed] one-2",
        "[mixed] console 3",
        "[mixed] to stderr",
        "[mixed] task print continued",
        "[mixed] task console",
        "[mixed] thread print",
        "[mixed] to_thread print",
    ]


def test_debug_shows_debug_records_and_the_streams_come_back(output):
    printer = Printer(output, level="debug", colour=False)
    before = sys.stdout, sys.stderr, logging.getLogger().level
    with WorkerOutput(printer).installed("debug"):
        assert logging.getLogger().level == logging.DEBUG
    assert (sys.stdout, sys.stderr, logging.getLogger().level) == before


def test_logging_levels_for_each_log_level():
    assert [logging_level(level) for level in ("debug", "info", "log", "warn", "error", "none")] == [
        10,
        20,
        20,
        30,
        40,
        51,
    ]


LOGS_ERROR = """
import logging
from workers import Response

async def on_fetch(request):
    try:
        {}["missing"]
    except KeyError:
        logging.exception("lookup failed")
    return Response("ok")
"""


@pytest.mark.anyio
async def test_a_logged_exception_prints_its_traceback_under_the_prefix(write_worker, make_server, output):
    server = make_server(write_worker("logs", {"src/entry.py": LOGS_ERROR}))
    with WorkerOutput(server.printer).installed("info"):
        await server.worker("logs").fetch(Request("http://x/"))
    lines = worker_lines(output, "logs")
    assert lines[0] == "[logs] lookup failed"
    assert lines[1] == "[logs] Traceback (most recent call last):"
    assert lines[-1] == "[logs] KeyError: 'missing'"
    assert any(line.startswith('[logs]   File "') and "entry.py" in line for line in lines)


def test_info_records_of_the_libraries_pyworker_runs_on_are_not_the_workers(output):
    from pyworker.runtime.scope import WorkerScope, current_worker

    printer = Printer(output, level="debug", colour=False)
    with WorkerOutput(printer).installed("debug"):
        token = current_worker.set(WorkerScope("w", None, lambda awaitable: None))
        try:
            logging.getLogger("httpx").info("HTTP Request: GET https://example.com")
            logging.getLogger("httpx").warning("retrying")
            logging.getLogger("orders").debug("own debug")
        finally:
            current_worker.reset(token)
    assert output.lines() == ["[w] retrying", "[w] own debug"]
