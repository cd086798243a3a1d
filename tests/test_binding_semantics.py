"""Service bindings behave as if the isolate boundary were there: copies, types, errors, names, lifecycle."""

from __future__ import annotations

import datetime
import gc
import re
from pathlib import Path

import httpx
import pytest

from pyworker.bindings.values import RpcDict

pytestmark = pytest.mark.anyio

CALLEE = """
from workers import Response, WorkerEntrypoint

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


# -- 1. pass by value ---------------------------------------------------------------
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
    assert await b.describe({"a": 1}) == {"type": "RpcDict", "value": {"a": 1}}
    assert await b.describe({1, 2}) == {"type": "set", "value": {1, 2}}
    when = datetime.datetime(2025, 1, 2, 3, 4, 5, 6000)
    assert await b.describe(when) == {"type": "datetime", "value": when}
    back = await b.echo({"data": b"\x00\xff", "nested": [{"k": None}]})
    assert isinstance(back, RpcDict)
    assert isinstance(back["data"], memoryview)
    assert bytes(back["data"]) == b"\x00\xff"
    assert back.nested[0].k is None


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
            'args[1]["items"][0] cannot be sent over RPC: tuple is not a type that can cross a service binding. '
            "Send a list instead.",
        ),
        ((bytearray(b"x"),), "args[0] cannot be sent over RPC: bytearray is not a type that can cross a service "),
        (([Point()],), r"args[0][0] cannot be sent over RPC: Point is not a type"),
        (({"g": _gen()},), 'args[0]["g"] cannot be sent over RPC: generator is not a type'),
        ((complex(1, 2),), "args[0] cannot be sent over RPC: complex is not a type"),
        ((Point,), "args[0] cannot be sent over RPC: type is not a type"),
    ],
)
async def test_types_that_cannot_cross_are_refused_at_the_call_site(b, args, message):
    with pytest.raises(TypeError) as info:
        await b.many(*args)
    assert str(info.value).startswith(message)


async def test_refusal_names_keyword_arguments_and_gives_advice(b):
    with pytest.raises(TypeError, match=r'^kwargs\["value"\] cannot be sent over RPC: bytearray .* bytes\(\.\.\.\)'):
        await b.echo(value=bytearray(b"x"))


async def test_a_coroutine_is_refused_with_advice_to_await_it(b):
    async def later():
        return 1

    coroutine = later()
    with pytest.raises(TypeError, match=r"^args\[0\] cannot be sent .*coroutine.*Await it first"):
        await b.echo(coroutine)
    assert await coroutine == 1  # still the caller's to await


async def test_a_return_value_that_cannot_cross_is_a_type_error_for_the_caller(b, output):
    with pytest.raises(
        TypeError, match=r'^the value bad_return\(\) returned\["point"\] cannot be sent over RPC: tuple'
    ):
        await b.bad_return()
    assert any(line.startswith("[callee] bad_return() returned a value that cannot cross") for line in output.lines())


async def test_nothing_is_copied_into_a_type_error_when_a_value_contains_itself(b):
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(TypeError, match=r"^args\[0\] cannot be sent over RPC: it is nested too deeply"):
        await b.echo(loop)


# -- 2. callables, Request and Response ---------------------------------------------
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
    assert isinstance(response, Response)
    assert (response.status, response.headers.get("x-made"), await response.text()) == (201, "callee", "made")


# -- 3. errors cross ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "expected", "text"),
    [
        ("ValueError", ValueError, "bad value"),
        ("TypeError", TypeError, "bad type"),
        ("ZeroDivisionError", ZeroDivisionError, "zero"),
        ("KeyError", KeyError, "'missing'"),
        ("Custom", Exception, "custom"),
    ],
)
async def test_exceptions_cross_with_their_builtin_class_and_message(b, output, kind, expected, text):
    with pytest.raises(Exception) as info:
        await b.raise_(kind, "missing" if kind == "KeyError" else text)
    assert type(info.value) is expected
    assert str(info.value) == text
    assert any(line.startswith("[callee] Traceback") for line in output.lines())
    assert f"\n[callee] {'entry.CustomError' if kind == 'Custom' else kind}: " in output.getvalue()


async def test_a_crossed_exception_carries_nothing_of_the_callee(b, server):
    with pytest.raises(ValueError) as info:
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
    except ValueError as exc:
        caught = str(exc)
    assert caught == "first"
    assert await b.echo(1) == 1


async def test_fetch_of_a_callee_that_raises_is_a_500_response(server):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=server.app("caller")), base_url="http://localhost"
    ) as client:
        reply = await client.get("/")
    assert reply.status_code == 500
    assert reply.text == "RuntimeError: callee fetch failed"


# -- 4. what is callable -----------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    ["limit", "_private", "__secret__", "__dict__", "__init__", "__globals__", "env", "ctx", "connect", "alarm",
     "webSocketMessage", "webSocketClose", "webSocketError", "dup", "constructor", "nonexistent"],
)  # fmt: skip
async def test_only_public_methods_are_rpc_methods(b, name):
    with pytest.raises(TypeError, match=f'^The RPC receiver does not implement the method "{re.escape(name)}".$'):
        await getattr(b, name)()


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
    add = await b.make_adder(1)
    with pytest.raises(AttributeError):
        _ = add.__globals__
    # Nothing reachable from the stub by attribute is the callee's module, class or env.
    reachable = [getattr(b, n) for n in dir(b)] + [getattr(add, n) for n in dir(add)]
    assert not any(r is module.__dict__ or r is callee.env or r is module.Default for r in reachable)


# -- 6. lifecycle --------------------------------------------------------------------
async def test_a_call_never_awaited_does_not_run_and_warns_once(b, output):
    b.mutate({"items": []})
    gc.collect()
    warnings = [line for line in output.lines() if "never awaited" in line]
    assert warnings == [
        "[caller] self.env.B.mutate(...) was never awaited, so the call did not run. "
        "Calls across a binding return an awaitable: write await self.env.B.mutate(...)"
    ]
    assert "[callee]" not in output.getvalue().replace("[callee] state", "")


async def test_binding_calls_work_with_create_task_and_gather(b):
    import asyncio

    task = asyncio.create_task(b.echo(1))
    assert await asyncio.gather(task, b.echo(2), b.fetch("https://callee/")) is not None
    assert task.result() == 1


async def test_sys_exit_in_a_callee_is_an_exception_for_the_caller(write_worker, make_server):
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
    with pytest.raises(Exception) as info:
        await env.Q.leave()
    assert type(info.value) is Exception and str(info.value) == "3"


async def test_arguments_are_checked_and_copied_when_the_call_is_made(b, output):
    with pytest.raises(TypeError, match=r"^args\[0\] cannot be sent over RPC: tuple"):
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
    assert "_pyworker_rpc_passthrough" not in object.__getattribute__(b, "_ServiceStub__wiring").methods
