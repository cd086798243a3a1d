"""Property tests: any value the SDK's RPC accepts arrives as the SDK delivers it; anything else is refused
with the SDK's ``TypeError`` or the structured clone's ``DataCloneError``."""

from __future__ import annotations

import asyncio
import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyworker.bindings.values import copy_value
from pyworker.runtime.jsvalues import JsDict, JsException

ECHO = """
from workers import WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def echo(self, value):
        return value
"""

moments = st.datetimes(min_value=datetime.datetime(1900, 1, 1), max_value=datetime.datetime(2200, 1, 1))
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary()
    | moments
    | moments.map(lambda moment: moment.replace(tzinfo=datetime.UTC))
)
hashable = st.none() | st.booleans() | st.integers() | st.text()
allowed = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(max_size=5) | st.integers() | st.booleans() | st.none(), children, max_size=5)
        | st.sets(hashable, max_size=5)
    ),
    max_leaves=20,
)


def delivered(value: object) -> object:
    """What the SDK's round trip (python_to_rpc, structured clone, python_from_rpc) makes of ``value``."""
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) <= 2**53 else value
    if isinstance(value, bytes):
        return value  # a memoryview, which compares equal to the bytes
    if isinstance(value, datetime.datetime):
        return datetime.datetime.fromtimestamp(int(value.timestamp() * 1000) / 1000)
    if isinstance(value, list):
        return [delivered(item) for item in value]
    if isinstance(value, set):
        return {delivered(item) for item in value}
    assert isinstance(value, dict)
    return {_js_key(key): delivered(item) for key, item in value.items()}


def _js_key(key: object) -> str:
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


class Custom:
    pass


def _generator():
    yield 1


refused_by_the_sdk = st.sampled_from([(1, 2), (), bytearray(b"x")])
refused_by_the_clone = st.sampled_from(
    [Custom(), complex(1, 1), range(3), datetime.date(2025, 1, 1), Custom, datetime.timedelta(1)]
) | st.builds(_generator)


@st.composite
def inside_containers(draw: st.DrawFn, leaves: st.SearchStrategy[object]) -> object:
    """A refused leaf, somewhere inside allowed containers."""
    value = draw(leaves)
    for wrap in draw(st.lists(st.sampled_from(["list", "dict"]), max_size=3)):
        value = [draw(allowed), value] if wrap == "list" else {"k": value, "other": draw(allowed)}
    return value


@pytest.fixture
def echo(write_worker, make_server):
    callee = write_worker("callee", {"src/entry.py": ECHO})
    caller = write_worker(
        "caller",
        {"src/entry.py": "from workers import WorkerEntrypoint\n\nclass Default(WorkerEntrypoint):\n    pass\n"},
        config='name = "caller"\nmain = "src/entry.py"\nservices = [{ binding = "B", service = "callee" }]\n',
    )
    stub = make_server(caller, callee).worker("caller").env.B

    async def call(value: object) -> object:
        return await stub.echo(value)

    return lambda value: asyncio.run(call(value))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=allowed)
def test_any_allowed_value_arrives_as_the_sdk_delivers_it(echo, value):
    # There and back: two crossings (a datetime may lose a millisecond to float rounding each way, as in the SDK).
    assert echo(value) == delivered(delivered(value))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=inside_containers(refused_by_the_sdk))
def test_a_tuple_or_bytearray_anywhere_is_the_sdks_type_error(echo, value):
    with pytest.raises(TypeError, match=r"^<class '(tuple|bytearray)'> cannot be sent over RPC\. It is args\[0\]"):
        echo(value)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=inside_containers(refused_by_the_clone))
def test_anything_else_is_a_data_clone_error(echo, value):
    with pytest.raises(JsException, match=r'^DataCloneError: Could not serialize object of type "\w+" \(args\[0\]'):
        echo(value)


@given(value=allowed)
def test_copies_share_nothing_mutable(value):
    copied = copy_value(value, "args[0]", lambda f: f)
    assert copied == delivered(value)
    assert _mutables(copied).isdisjoint(_mutables(value))


def _mutables(value: object) -> set[int]:
    found: set[int] = set()
    if isinstance(value, list | set | dict):
        found.add(id(value))
        items = value.values() if isinstance(value, dict) else value
        for item in items:
            found |= _mutables(item)
    return found


def test_bytes_arrive_as_read_only_memoryview_and_dicts_as_js_dicts():
    copied = copy_value({"b": b"xy"}, "args[0]", lambda f: f)
    assert type(copied) is JsDict
    assert type(copied.b) is memoryview and copied.b.readonly and copied.b == b"xy"


def test_a_memoryview_over_a_mutable_buffer_is_copied():
    buffer = bytearray(b"ab")
    copied = copy_value(memoryview(buffer), "args[0]", lambda f: f)
    buffer[0] = ord("z")
    assert bytes(copied) == b"ab"
