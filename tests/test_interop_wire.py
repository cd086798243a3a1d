"""The transport between pyworker processes: its format, its handshake, streamed bodies, and its faults."""

from __future__ import annotations

import asyncio
import datetime
import math
import os

import pytest
from hypothesis import HealthCheck, given, settings

from pyworker.errors import BindingError
from pyworker.interop.endpoint import Endpoint
from pyworker.interop.remote import Dialer, RemoteTarget
from pyworker.interop.wire import MAX_DEPTH, WireError, Writer
from pyworker.interop.wire_read import Reader
from pyworker.runtime.body import Blob, File, FormData
from pyworker.runtime.http import Request, Response
from pyworker.runtime.jsvalues import JsDict, JsException
from pyworker.types import RPC, Route
from tests.interop_pairs import SECRET, joined
from tests.test_binding_values import allowed, delivered

pytestmark = pytest.mark.anyio

CALLEE = """
import asyncio

from workers import Response, WorkerEntrypoint

STARTED = asyncio.Event()


class Default(WorkerEntrypoint):
    async def echo(self, value):
        return value

    async def kinds(self, function, stub):
        from workers import rpc

        checks = [isinstance(function, rpc._RpcStubWrapper), isinstance(stub, rpc._FetcherWrapper)]
        return [*checks, await function(2), await stub.echo("through the caller's binding")]

    async def timed(self):
        async with asyncio.timeout(5):  # needs a task: the call runs in one, from its first step
            return asyncio.current_task() is not None

    async def hang(self):
        STARTED.set()
        await asyncio.Event().wait()

    async def started(self):
        await STARTED.wait()
        return True

    async def fetch(self, request):
        if request.url.endswith("/count"):
            chunks = [len(chunk) async for chunk in request.body.chunks()]
            return Response(f"{request.method} {chunks}")

        async def numbers():
            for n in range(3):
                yield f"chunk {n};".encode()
            if request.url.endswith("/stall"):
                STARTED.set()
                await asyncio.Event().wait()

        return Response(numbers(), headers={"x-streamed": "yes"})
"""
CALLER = "from workers import WorkerEntrypoint\n\nclass Default(WorkerEntrypoint):\n    pass\n"
CALLER_CONFIG = 'name = "caller"\nmain = "src/entry.py"\nservices = [{ binding = "B", service = "callee" }]\n'


class Nobody:
    """A peer for codec tests: no references, no streams."""

    def export(self, obj, sides):
        raise AssertionError("nothing to export")

    def own_ref(self, obj):
        return None


def round_trip(value: object) -> object:
    writer = Writer(Nobody())  # type: ignore[arg-type]
    writer.value(value)
    return Reader(bytes(writer.out), 0, Nobody()).value()  # type: ignore[arg-type]


@pytest.fixture
def servers(write_worker, make_server):
    callee = make_server(write_worker("callee", {"src/entry.py": CALLEE}))
    caller = make_server(write_worker("caller", {"src/entry.py": CALLER}, config=CALLER_CONFIG))
    return caller, callee


@pytest.fixture
async def b(servers):
    caller, callee = servers
    async with joined() as pairs:
        await pairs.join(caller, callee, "callee")
        yield caller.worker("caller").env.B


# -- the format ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [None, True, False, 0, -(2**63), 2**63, -(10**40), 1.5, math.inf, "", "é\ud800", [], [1, [2]], {"a": {"b": 1}},
     {1, "x"}, memoryview(b"\x00\xff")],
)  # fmt: skip
def test_every_plain_kind_decodes_to_what_was_encoded(value):
    assert round_trip(value) == value


def test_decoded_kinds_are_those_the_binding_rules_deliver():
    decoded = round_trip([{"k": b"x"}, datetime.datetime(2025, 1, 2, 3, 4, 5, 6000), Exception("Error: e")])
    assert isinstance(decoded, list)
    mapping, moment, error = decoded
    assert type(mapping) is JsDict and mapping.k == b"x" and type(mapping.k) is memoryview and mapping.k.readonly
    assert moment == datetime.datetime(2025, 1, 2, 3, 4, 5, 6000) and type(error) is Exception
    assert str(error) == "Error: e"
    assert math.isnan(round_trip(math.nan))  # type: ignore[arg-type]


def test_blobs_files_and_forms_decode_as_new_objects():
    form = FormData([("a", "1"), ("f", File([b"data"], "f.txt", "text/plain", last_modified=7))])
    blob, back = round_trip([Blob([b"xy"], "Image/PNG"), form])  # type: ignore[misc]
    assert (type(blob), blob.content_type, blob.size) == (Blob, "image/png", 2)
    assert back is not form and back["a"] == "1"
    file = back["f"]
    assert (file.name, file.content_type, file.last_modified, file._content) == ("f.txt", "text/plain", 7, b"data")


def test_requests_and_responses_decode_with_their_buffered_bodies():
    request = Request("https://x/p?q=1", method="POST", headers={"a": "b"}, body="hi", cf={"colo": "LHR"})
    response = Response("made", 201, headers={"x": "y"})
    got_request, got_response = round_trip([request, response])  # type: ignore[misc]
    assert (got_request.url, got_request.method, got_request.headers["a"]) == ("https://x/p?q=1", "POST", "b")
    assert got_request.cf.colo == "LHR" and got_request.body._data == b"hi"
    assert (got_response.status, got_response.headers["x"], got_response.body._data) == (201, "y", b"made")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Z", "unknown tag 90"),
        (b"s\x05\x00\x00\x00ab", "shorter than a length it gives"),
        (b"l\x02\x00\x00\x00N", "ended in the middle of a value"),
        (b"l\x01\x00\x00\x00" * (MAX_DEPTH + 1) + b"N", f"nested deeper than {MAX_DEPTH} levels"),
        (b"y\x01\x00\x00\x00", "a reference"),
    ],
)
def test_bytes_that_do_not_decode_are_a_wire_error_and_build_nothing(data, message):
    class Holds:
        def exported(self, ref):
            raise WireError(f"a reference {ref} this process does not hold")

    with pytest.raises(WireError, match=message):
        Reader(data, 0, Holds()).value()  # type: ignore[arg-type]


def test_a_value_the_format_has_no_tag_for_is_refused_when_written():
    with pytest.raises(WireError, match=r"^A complex cannot be sent to another process\.$"):
        round_trip(complex(1, 2))


# -- values through a real connection ---------------------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=allowed)
def test_any_allowed_value_arrives_across_processes_as_the_sdk_delivers_it(servers, value):
    caller, callee = servers

    async def call() -> object:
        async with joined() as pairs:
            await pairs.join(caller, callee, "callee")
            return await caller.worker("caller").env.B.echo(value)

    assert asyncio.run(call()) == delivered(delivered(value))


async def test_a_function_and_a_binding_stub_arrive_as_the_sdks_wrapper_classes(b):
    assert await b.kinds(lambda x: x * 21, b) == [True, True, 42, "through the caller's binding"]


async def test_a_call_from_another_process_runs_in_a_task_of_its_own(b):
    assert await b.timed() is True


# -- streamed bodies --------------------------------------------------------------------------
async def test_a_streamed_request_body_is_pulled_chunk_by_chunk_by_the_callee(b):
    async def body():
        for size in (3, 5, 7):
            yield b"x" * size

    response = await b.fetch("https://callee/count", method="POST", body=body())
    assert (response.status, await response.text()) == (200, "POST [3, 5, 7]")


async def test_a_streamed_response_arrives_as_a_stream(b):
    response = await b.fetch("https://callee/stream")
    assert response.headers["x-streamed"] == "yes" and not response.body.buffered
    assert [chunk async for chunk in response.body.chunks()] == [b"chunk 0;", b"chunk 1;", b"chunk 2;"]


async def test_sys_exit_in_a_callee_of_another_process_is_an_error_for_the_caller(write_worker, make_server):
    code = "import sys\nfrom workers import WorkerEntrypoint\n\nclass Default(WorkerEntrypoint):\n"
    callee = make_server(
        write_worker("quitter", {"src/entry.py": code + "    async def leave(self):\n        sys.exit(3)\n"})
    )
    caller = make_server(
        write_worker("c", {"src/entry.py": code + "    pass\n"},
                     config='name = "c"\nmain = "src/entry.py"\nservices = [{ binding = "Q", service = "quitter" }]\n')
    )  # fmt: skip
    async with joined() as pairs:
        await pairs.join(caller, callee, "quitter")
        for _ in range(2):  # and the other side serves on
            with pytest.raises(JsException) as info:
                await caller.worker("c").env.Q.leave()
    assert (info.value.name, info.value.message) == ("Error", "PythonError: SystemExit: 3")


# -- faults -----------------------------------------------------------------------------------
async def test_a_call_in_flight_when_the_other_process_goes_fails_at_once_naming_worker_and_pid(servers):
    caller, callee = servers
    async with joined() as pairs:
        await pairs.join(caller, callee, "callee")
        b = caller.worker("caller").env.B
        call = asyncio.ensure_future(b.hang())
        assert await b.started() is True
        await pairs.endpoints[0].stop()  # the other side's connections close, as when its process exits
        with pytest.raises(BindingError) as info:
            await asyncio.wait_for(call, 5)
    assert str(info.value) == (
        f'Worker "callee" (pid {os.getpid()}) stopped while this call was in flight: its process closed the '
        "connection, so the call has no result."
    )


async def test_a_body_streaming_from_a_process_that_goes_fails_where_it_is_read(servers):
    caller, callee = servers
    async with joined() as pairs:
        await pairs.join(caller, callee, "callee")
        response = await caller.worker("caller").env.B.fetch("https://callee/stall")
        chunks = response.body.chunks()
        assert [await anext(chunks) for _ in range(3)] == [b"chunk 0;", b"chunk 1;", b"chunk 2;"]
        rest = asyncio.ensure_future(anext(chunks))
        assert await caller.worker("caller").env.B.started() is True
        await pairs.endpoints[0].stop()
        with pytest.raises(OSError) as info:
            await asyncio.wait_for(rest, 5)
    assert str(info.value) == (
        f"The pyworker process (pid {os.getpid()}) sending this body stopped before the body ended: it is incomplete."
    )


async def test_a_connection_that_closed_is_opened_again_by_the_next_call(servers):
    caller, callee = servers
    async with joined() as pairs:
        await pairs.join(caller, callee, "callee")
        b = caller.worker("caller").env.B
        assert await b.echo(1) == 1
        pairs.dialers[0].close()
        assert await b.echo(2) == 2


async def test_a_peer_without_the_secret_is_refused_on_both_sides(servers, output):
    caller, callee = servers
    async with joined() as pairs:
        await pairs.join(caller, callee, "callee", secret=b"not the registry's secret")
        with pytest.raises(BindingError) as info:
            await caller.worker("caller").env.B.echo(1)
    address = pairs.endpoints[0].address
    assert str(info.value) == (
        f'Could not authenticate with worker "callee" (pid {os.getpid()}) at {address}: it closed the connection '
        "before authenticating. No call was sent: both processes must use the same dev registry and its secret."
    )
    output.wait_for(
        r"^Warning: interop: refused a connection from 127\.0\.0\.1:\d+: it did not prove the registry secret\.$"
    )


async def test_an_endpoint_that_cannot_prove_the_secret_is_not_trusted(servers):
    caller, _callee = servers

    async def impostor(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"PYWK\x01" + bytes(32))  # then accepts any proof, and answers with a made-up one
        await reader.readexactly(68)
        writer.write(os.getpid().to_bytes(4, "big") + bytes(32))
        await reader.read()
        writer.close()

    server = await asyncio.start_server(impostor, "127.0.0.1", 0)
    address = f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    target = RemoteTarget("callee", os.getpid(), address, [], [], Dialer(SECRET, caller.printer))
    with pytest.raises(BindingError) as info:
        await target.invoke(Route(RPC, "echo", caller="caller"), (1,), {})
    server.close()
    assert str(info.value) == (
        f'Could not authenticate with worker "callee" (pid {os.getpid()}) at {address}: it did not prove the '
        "registry secret. No call was sent: both processes must use the same dev registry and its secret."
    )


async def test_garbage_instead_of_a_handshake_is_refused_with_one_line(servers, output):
    _caller, callee = servers
    endpoint = Endpoint(callee.registry, SECRET, callee.printer)
    host, port = (await endpoint.start()).split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"GET / HTTP/1.1\r\n" * 8)
    assert (await reader.read(37))[:5] == b"PYWK\x01"
    assert await reader.read() == b""  # closed
    writer.close()
    await endpoint.stop()
    refusals = [line for line in output.lines() if "refused a connection" in line]
    assert len(refusals) == 1 and refusals[0].endswith(": it did not prove the registry secret.")


@pytest.mark.parametrize("address", ["10.0.0.7:4000", "192.168.1.2:80", "[::ffff:8.8.8.8]:1"])
async def test_an_entry_address_off_this_machine_is_refused(servers, address):
    caller, _callee = servers
    target = RemoteTarget("store", 4242, address, [], [], Dialer(SECRET, caller.printer))
    with pytest.raises(BindingError) as info:
        await target.invoke(Route(RPC, "echo", caller="caller"), (1,), {})
    assert str(info.value) == (
        f'The registry entry of worker "store" gives the address "{address}", which is not on this machine: '
        "pyworker connects to other processes on loopback only."
    )


async def test_a_process_that_is_not_the_registered_pid_is_not_called(servers):
    caller, callee = servers
    endpoint = Endpoint(callee.registry, SECRET, callee.printer)
    address = await endpoint.start()
    target = RemoteTarget("callee", 1, address, [], [], Dialer(SECRET, caller.printer))
    try:
        with pytest.raises(BindingError) as info:
            await target.invoke(Route(RPC, "echo", caller="caller"), (1,), {})
    finally:
        await endpoint.stop()
    assert str(info.value) == (
        f'The process at {address} is pid {os.getpid()}, not pid 1 that registered worker "callee": its registry '
        "entry is stale."
    )
