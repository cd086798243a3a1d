"""Service bindings deliver values, errors and calls as Cloudflare's Python SDK does (``workers/rpc.py``)."""

from __future__ import annotations

import asyncio
import datetime
import decimal
import gc
from pathlib import Path

import httpx
import pytest

from pyworker.runtime.jsvalues import JsDict, JsException
from pyworker.runtime.wrappers import _EnvWrapper, _FetcherWrapper

pytestmark = pytest.mark.anyio

CALLEE = """
import asyncio

from workers import Response, WorkerEntrypoint

LOG = []
STORED = {"items": [1, 2, 3]}
SECRET = "module secret"


class Default(WorkerEntrypoint):
    limit = 10  # a class attribute, not a method

    async def echo(self, value):
        return value

    async def many(self, *values):
        return list(values)

    async def describe(self, value):
        return {"type": type(value).__name__, "value": value}

    async def mutate(self, value):
        value["items"].append("added by callee")
        value["new"] = True
        return "mutated"

    async def stored(self):
        return STORED

    async def read_stored(self):
        return STORED["items"]

    async def attributes(self, data):
        return [data.name, data.nested.deep, data["name"]]

    async def call_back(self, callback, value):
        return await callback(value)

    async def make_adder(self, n):
        def add(x):
            return x + n

        return add

    def bound(self):
        return self.echo

    async def raise_(self, kind, message):
        raise {"ValueError": ValueError, "KeyError": KeyError, "TypeError": TypeError,
               "ZeroDivisionError": ZeroDivisionError, "Custom": CustomError}[kind](message)

    async def bad_return(self):
        return {"point": (1, 2)}

    async def describe_exception(self, value):
        return [type(value).__name__, str(value)]

    async def object_return(self):
        return CustomError("as a value")

    async def log(self, entry):
        LOG.append(entry)
        await asyncio.sleep(0)
        LOG.append(f"{entry} done")

    async def logged(self):
        return list(LOG)

    async def hang(self):
        try:
            await asyncio.Event().wait()
        finally:
            LOG.append("hang cancelled")

    async def read_request(self, request):
        return f"{request.method} {request.url} {await request.text()}"

    async def make_response(self, text):
        return Response(text, status=201, headers={"x-made": "callee"})

    async def _private(self):
        return SECRET

    def __secret__(self):
        return SECRET

    async def connect(self):
        return SECRET

    async def fetch(self, request):
        raise RuntimeError("callee fetch failed")


class CustomError(Exception):
    pass
"""

CALLER_CONFIG = """
name = "caller"
main = "src/entry.py"
services = [{ binding = "B", service = "callee" }]
"""

CALLER = """
from workers import Response, WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        return await self.env.B.fetch(request)
"""


@pytest.fixture
def server(write_worker, make_server):
    callee = write_worker("callee", {"src/entry.py": CALLEE})
    caller = write_worker("caller", {"src/entry.py": CALLER}, config=CALLER_CONFIG)
    return make_server(caller, callee)


@pytest.fixture
def b(server):
    return server.worker("caller").env.B


# -- 1. values arrive as the SDK delivers them -----------------------------------------------
async def test_callee_mutating_an_argument_leaves_the_callers_object_alone(b):
    value = {"items": [1, 2]}
    assert await b.mutate(value) == "mutated"
    assert value == {"items": [1, 2]}


async def test_caller_mutating_a_result_leaves_the_callees_state_alone(b):
    stored = await b.stored()
    stored["items"].append(99)
    stored["other"] = 1
    assert await b.read_stored() == [1, 2, 3]


async def test_values_arrive_as_production_delivers_them(b):
    assert await b.describe(b"abc") == {"type": "memoryview", "value": b"abc"}
    assert await b.describe(memoryview(b"xyz")) == {"type": "memoryview", "value": b"xyz"}
    assert await b.describe({"a": 1}) == {"type": "JsDict", "value": {"a": 1}}
    assert await b.describe({1, 2}) == {"type": "set", "value": {1, 2}}
    assert await b.describe(frozenset({3})) == {"type": "set", "value": {3}}
    assert await b.describe(2.0) == {"type": "int", "value": 2}  # a JavaScript number
    assert await b.describe(2.5) == {"type": "float", "value": 2.5}
    assert await b.describe(2**70) == {"type": "int", "value": 2**70}  # a BigInt
    back = await b.echo({"data": b"\x00\xff", "nested": [{"k": None}]})
    assert isinstance(back, JsDict)
    assert isinstance(back["data"], memoryview)
    assert bytes(back["data"]) == b"\x00\xff"
    assert back.nested[0].k is None


async def test_dict_keys_cross_as_strings(b):
    assert await b.echo({1: "one", 2.5: "x", None: "n", "s": 1}) == {"1": "one", "2.5": "x", "null": "n", "s": 1}
    assert await b.echo({True: "t", False: "f"}) == {"true": "t", "false": "f"}
    assert list(await b.echo({2.0: "two"})) == ["2"]


async def test_datetimes_cross_as_naive_local_time_to_the_millisecond(b):
    when = datetime.datetime(2025, 1, 2, 3, 4, 5, 6789)
    assert await b.echo(when) == datetime.datetime(2025, 1, 2, 3, 4, 5, 6000)
    aware = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    back = await b.echo(aware)
    assert back.tzinfo is None
    assert back == datetime.datetime.fromtimestamp(aware.timestamp())


async def test_an_exception_used_as_a_value_arrives_as_exception_with_error_prefix(b):
    assert await b.describe_exception(ValueError("bad")) == ["Exception", "Error: bad"]
    back = await b.echo(ValueError("bad"))  # there and back: each crossing adds JavaScript's "Error: "
    assert type(back) is Exception and str(back) == "Error: Error: bad"
    made = await b.object_return()
    assert type(made) is Exception and str(made) == "Error: as a value"


async def test_dicts_allow_attribute_access_on_both_sides(b):
    assert await b.attributes({"name": "n", "nested": {"deep": 1}}) == ["n", 1, "n"]
    result = await b.echo({"x": 1})
    assert result.x == 1
    result.y = 2
    assert result == {"x": 1, "y": 2}
    with pytest.raises(AttributeError):
        _ = result.missing


async def test_enum_subclasses_arrive_as_plain_values(b):
    import enum

    class Colour(enum.StrEnum):
        RED = "red"

    assert await b.describe(Colour.RED) == {"type": "str", "value": "red"}


class Point:
    pass


def _gen():
    yield 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (1, {"items": [(1, 2)]}),
            """<class 'tuple'> cannot be sent over RPC. It is args[1]["items"][0]; send a list instead.""",
        ),
        ((bytearray(b"x"),), "<class 'bytearray'> cannot be sent over RPC. It is args[0]; send bytes(...) instead."),
        (([Point(), (1,)],), "<class 'tuple'> cannot be sent over RPC. It is args[0][1]; send a list instead."),
    ],
)
async def test_the_sdk_refuses_tuples_bytearrays_and_awaitables_with_a_type_error(b, args, message):
    with pytest.raises(TypeError) as info:
        b.many(*args)  # at the call itself
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("value", "type_name", "path"),
    [
        ([Point()], "Point", "args[0][0]"),
        ({"g": _gen()}, "generator", 'args[0]["g"]'),
        (complex(1, 2), "complex", "args[0]"),
        (range(3), "range", "args[0]"),
        (datetime.date(2025, 1, 1), "date", "args[0]"),
        (decimal.Decimal("1.5"), "Decimal", "args[0]"),
        (datetime.timedelta(seconds=1), "timedelta", "args[0]"),
        (Point, "type", "args[0]"),
    ],
)
async def test_what_the_structured_clone_cannot_send_is_a_data_clone_error(b, value, type_name, path):
    with pytest.raises(JsException, match=r"^DataCloneError") as info:
        b.echo(value)  # at the call itself
    assert info.value.name == "DataCloneError"
    assert info.value.message.startswith(f'DataCloneError: Could not serialize object of type "{type_name}" ({path}).')


async def test_a_coroutine_is_refused_and_stays_the_callers(b):
    async def later():
        return 1

    coroutine = later()
    with pytest.raises(TypeError, match=r"^Awaitable <class 'coroutine'> cannot be sent over RPC\. It is args\[0\]"):
        await b.echo(coroutine)
    assert await coroutine == 1  # still the caller's to await


async def test_a_return_value_that_cannot_cross_fails_in_the_callee(b, output):
    with pytest.raises(JsException) as info:
        await b.bad_return()
    assert info.value.message == (
        "PythonError: TypeError: <class 'tuple'> cannot be sent over RPC. "
        """It is the value bad_return() returned["point"]; send a list instead."""
    )
    assert any(line.startswith("[callee] bad_return() returned a value that cannot cross") for line in output.lines())


async def test_nothing_is_copied_into_a_type_error_when_a_value_contains_itself(b):
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(TypeError, match=r"^args\[0\] cannot be sent over RPC: it is nested too deeply"):
        await b.echo(loop)


# -- 2. callables, Request, Response, Blob, FormData --------------------------------------
async def test_a_function_argument_arrives_as_an_awaitable_stub(b):
    seen = []

    def double(x):
        seen.append(x)
        x.append("mutated by callback")  # a copy: the callee's value is not changed
        return [*x[:1], 2]

    assert await b.call_back(double, [1]) == [1, 2]
    assert seen == [[1, "mutated by callback"]]


async def test_async_function_and_returned_function_cross_both_ways(b):
    async def shout(text):
        return text.upper()

    assert await b.call_back(shout, "hi") == "HI"
    add_five = await b.make_adder(5)
    assert await add_five(10) == 15
    echo = await b.bound()
    assert await echo({"k": [1]}) == {"k": [1]}


async def test_request_and_response_cross_as_values(b):
    from pyworker.runtime.http import Request, Response

    request = Request("https://example.com/x", method="POST", body="payload")
    assert await b.read_request(request) == "POST https://example.com/x payload"
    assert request.body_used
    response = await b.make_response("made")
    assert type(response) is Response
    assert (response.status, response.headers.get("x-made"), await response.text()) == (201, "callee", "made")


async def test_blobs_and_form_data_cross_as_copies(b):
    from pyworker.runtime.blob import Blob, File
    from pyworker.runtime.formdata import FormData

    blob = await b.echo(Blob("print(42)", content_type="text/python"))
    assert isinstance(blob, Blob)
    assert (blob.content_type, await blob.text()) == ("text/python", "print(42)")
    form = FormData({"a": "1"})
    form.append("file", File([b"xyz"], "f.bin", "image/png"))
    back = await b.echo(form)
    assert isinstance(back, FormData) and back is not form
    assert back["a"] == "1"
    assert (back["file"].name, back["file"].content_type, await back["file"].bytes()) == ("f.bin", "image/png", b"xyz")


# -- 3. errors arrive as JsException ----------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "line"),
    [
        ("ValueError", "ValueError: bad value"),
        ("TypeError", "TypeError: bad value"),
        ("ZeroDivisionError", "ZeroDivisionError: bad value"),
        ("KeyError", "KeyError: 'bad value'"),
        ("Custom", "entry.CustomError: bad value"),
    ],
)
async def test_exceptions_reach_the_caller_as_js_exception_naming_type_and_text(b, output, kind, line):
    with pytest.raises(JsException) as info:
        await b.raise_(kind, "bad value")
    assert (info.value.name, info.value.message) == ("Error", f"PythonError: {line}")
    assert any(line.startswith("[callee] Traceback") for line in output.lines())
    assert f"\n[callee] {line}" in output.getvalue()


async def test_except_valueerror_does_not_catch_a_callee_s_valueerror(b):
    with pytest.raises(JsException):
        try:
            await b.raise_("ValueError", "first")
        except ValueError:  # as on Cloudflare: this does not catch
            pytest.fail("a callee's ValueError must not arrive as ValueError")


async def test_the_first_crossing_prints_one_hint_under_the_caller(b, output):
    for _ in range(3):
        with pytest.raises(JsException):
            await b.raise_("KeyError", "k")
    hints = [line for line in output.lines() if line.startswith("[caller] hint:")]
    assert hints == [
        "[caller] hint: self.env.B.raise_() raised KeyError in callee; as on Cloudflare, a Python caller receives it "
        'as pyodide.ffi.JsException (name "Error", message "PythonError: ..."), so except KeyError does not catch '
        "it: catch JsException and read its .message."
    ]


async def test_a_crossed_exception_carries_nothing_of_the_callee(b, server):
    with pytest.raises(JsException) as info:
        await b.raise_("ValueError", "boom")
    error = info.value
    assert error.__cause__ is None and error.__context__ is None
    callee_file = str(Path(server.worker("callee").config.main))
    frames = [frame.f_code.co_filename for frame, _ in _walk(error.__traceback__)]
    assert not [f for f in frames if f.endswith(callee_file) or "callee" in Path(f).parts]


def _walk(tb):
    while tb is not None:
        yield tb.tb_frame, tb.tb_lineno
        tb = tb.tb_next


async def test_the_caller_can_catch_and_carry_on(b):
    try:
        await b.raise_("ValueError", "first")
    except JsException as exc:
        caught = exc.message
    assert caught == "PythonError: ValueError: first"
    assert await b.echo(1) == 1


async def test_fetch_of_a_callee_that_raises_is_a_500_response(server, output):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=server.app("caller")), base_url="http://localhost"
    ) as client:
        reply = await client.get("/")
    assert reply.status_code == 500
    assert reply.text == "RuntimeError: callee fetch failed"
    assert "[callee] RuntimeError: callee fetch failed" in output.lines()


# -- 4. what is callable, and the stub itself -----------------------------------------------
@pytest.mark.parametrize(
    "name",
    ["limit", "_private", "__secret__", "__dict__", "__init__", "__globals__", "env", "ctx", "connect", "alarm",
     "webSocketMessage", "webSocketClose", "webSocketError", "dup", "constructor", "nonexistent"],
)  # fmt: skip
async def test_only_public_methods_are_rpc_methods(b, name):
    with pytest.raises(JsException) as info:
        await getattr(b, name)()
    assert (info.value.name, info.value.message) == (
        "TypeError",
        f'The RPC receiver does not implement the method "{name}".',
    )


async def test_a_stub_is_truthy_not_iterable_and_has_no_len_as_in_the_sdk(b, server):
    assert bool(b) is True
    with pytest.raises(TypeError, match=r"^'Fetcher' object is not iterable$"):
        list(b)  # the SDK's __iter__ is a generator: the first step raises
    with pytest.raises(TypeError, match=r"^'Fetcher' object has no len\(\)$"):
        len(b)
    assert isinstance(b, _FetcherWrapper)
    assert isinstance(server.worker("caller").env, _EnvWrapper)


async def test_no_path_through_a_binding_reaches_the_callee(b, server):
    callee = server.worker("callee")
    assert callee.code is not None
    module = callee.code.module
    with pytest.raises(TypeError, match='"__class__"'):
        type(b)()
    with pytest.raises(TypeError, match='"__class__"'):
        b.__class__()
    for name in ("__dict__", "__globals__", "__self__", "__func__", "_ServiceStub__registry", "_registry", "env"):
        assert not isinstance(getattr(b, name), dict)
    with pytest.raises(AttributeError):
        _ = b.echo.__globals__
    with pytest.raises(AttributeError):
        _ = b.echo.__self__
    with pytest.raises(AttributeError):
        _ = b.echo._RpcMethod__wiring
    add = await b.make_adder(1)
    with pytest.raises(AttributeError):
        _ = add.__globals__
    with pytest.raises(AttributeError):
        _ = add._stub_func
    # Nothing reachable from the stub by attribute is the callee's module, class or env.
    reachable = [getattr(b, n) for n in dir(b)] + [getattr(add, n) for n in dir(add) if hasattr(add, n)]
    assert not any(r is module.__dict__ or r is callee.env or r is module.Default for r in reachable)


# -- 5. a call starts when it is made -------------------------------------------------------
async def test_a_call_never_awaited_still_runs_and_warns_once(b, output):
    b.log("fire and forget")
    for _ in range(5):  # event-loop turns, not time: the call runs on its own meanwhile
        await asyncio.sleep(0)
    assert await b.logged() == ["fire and forget", "fire and forget done"]
    gc.collect()
    warnings = [line for line in output.lines() if "never awaited" in line]
    assert warnings == [
        "[caller] self.env.B.log(...) was never awaited: the call ran, but nothing waited for its result or error, "
        "and on Cloudflare it may be cut short when the request ends. Write await self.env.B.log(...)"
    ]


async def test_an_unawaited_call_starts_before_a_later_awaited_one(b):
    call = b.log("first")
    assert await b.logged() == ["first"]  # started before `logged`, as a JavaScript promise would be
    await call


async def test_an_unawaited_call_is_cut_short_when_the_callers_invocation_ends(write_worker, make_server, output):
    callee = write_worker("callee", {"src/entry.py": CALLEE})
    caller = write_worker(
        "caller",
        {
            "src/entry.py": """
                from workers import Response, WorkerEntrypoint

                class Default(WorkerEntrypoint):
                    async def fetch(self, request):
                        self.env.B.hang()
                        return Response("sent")
            """
        },
        config=CALLER_CONFIG,
    )
    server = make_server(caller, callee)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=server.app("caller")), base_url="http://localhost"
    ) as client:
        assert (await client.get("/")).text == "sent"
    for _ in range(5):
        await asyncio.sleep(0)
    assert await server.worker("caller").env.B.logged() == ["hang cancelled"]


async def test_binding_calls_work_with_create_task_and_gather(b):
    task = asyncio.create_task(b.echo(1))
    assert await asyncio.gather(task, b.echo(2), b.fetch("https://callee/")) is not None
    assert task.result() == 1


async def test_sys_exit_in_a_callee_is_an_error_for_the_caller(write_worker, make_server):
    callee = write_worker(
        "quitter",
        {"src/entry.py": "import sys\nfrom workers import WorkerEntrypoint\n\nclass Default(WorkerEntrypoint):\n"
         "    async def leave(self):\n        sys.exit(3)\n"},
    )  # fmt: skip
    caller = write_worker(
        "c",
        {"src/entry.py": "from workers import WorkerEntrypoint\n\nclass Default(WorkerEntrypoint):\n    pass\n"},
        config='name = "c"\nmain = "src/entry.py"\nservices = [{ binding = "Q", service = "quitter" }]\n',
    )
    env = make_server(caller, callee).worker("c").env
    with pytest.raises(JsException) as info:
        await env.Q.leave()
    assert info.value.message == "PythonError: SystemExit: 3"


async def test_arguments_are_checked_and_copied_when_the_call_is_made(b, output):
    with pytest.raises(TypeError, match=r"^<class 'tuple'> cannot be sent over RPC"):
        b.echo((1, 2))  # raises at the call itself, before any await
    value = {"items": [1]}
    call = b.echo(value)
    value["items"].append("changed after the call")
    assert await call == {"items": [1]}
    assert "never awaited" not in output.getvalue()


async def test_a_binding_stub_can_be_sent_across_a_binding(b, server):
    # The callee gets the caller's own binding to it and calls back through it.
    passed = await b.echo(b)
    assert passed is b
    assert await passed.echo(7) == 7


async def test_js_buffers_and_objects_from_pyodide_ffi_cross_like_bytes_and_dicts(b):
    from pyworker.runtime.jsvalues import JsBuffer

    back = await b.describe(JsBuffer(b"png"))
    assert back == {"type": "memoryview", "value": b"png"}
