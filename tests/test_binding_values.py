"""Property tests: any value Cloudflare's Python RPC accepts round-trips unchanged; anything else is refused."""

from __future__ import annotations

import asyncio
import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyworker.bindings.values import RpcDict, copy_value

ECHO = """
from workers import WorkerEntrypoint


class Default(WorkerEntrypoint):
    async def echo(self, value):
        return value
"""

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary()
    | st.datetimes()
    | st.datetimes(timezones=st.just(datetime.UTC))
)
hashable = st.none() | st.booleans() | st.integers() | st.text() | st.binary()
allowed = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(max_size=5) | st.integers(), children, max_size=5)
        | st.sets(hashable, max_size=5)
    ),
    max_leaves=20,
)


class Custom:
    pass


def _generator():
    yield 1


forbidden_leaf = st.sampled_from(
    [(1, 2), (), bytearray(b"x"), Custom(), complex(1, 1), range(3), datetime.date(2025, 1, 1), Custom]
) | st.builds(_generator)


@st.composite
def forbidden(draw: st.DrawFn) -> object:
    """A forbidden leaf, somewhere inside allowed containers."""
    value = draw(forbidden_leaf)
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
    return lambda value: asyncio.run(stub.echo(value))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=allowed)
def test_any_allowed_value_round_trips_unchanged_through_a_binding(echo, value):
    assert echo(value) == value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=forbidden())
def test_any_value_holding_a_forbidden_type_is_refused(echo, value):
    with pytest.raises(TypeError, match=r"^args\[0\].* cannot be sent over RPC: .* is not a type that can cross"):
        echo(value)


@given(value=allowed)
def test_copies_share_nothing_mutable(value):
    copied = copy_value(value, "args[0]", lambda f: f)
    assert copied == value
    assert _mutables(copied).isdisjoint(_mutables(value))


def _mutables(value: object) -> set[int]:
    found: set[int] = set()
    if isinstance(value, list | set | dict):
        found.add(id(value))
        items = value.values() if isinstance(value, dict) else value
        for item in items:
            found |= _mutables(item)
    return found


def test_bytes_arrive_as_read_only_memoryview_and_dicts_as_rpc_dicts():
    copied = copy_value({"b": b"xy"}, "args[0]", lambda f: f)
    assert type(copied) is RpcDict
    assert type(copied.b) is memoryview and copied.b.readonly and copied.b == b"xy"


def test_a_memoryview_over_a_mutable_buffer_is_copied():
    buffer = bytearray(b"ab")
    copied = copy_value(memoryview(buffer), "args[0]", lambda f: f)
    buffer[0] = ord("z")
    assert bytes(copied) == b"ab"
