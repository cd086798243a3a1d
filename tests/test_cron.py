from __future__ import annotations

import datetime as dt

import pytest

from pyworker.events.cron import CronError, parse

UTC = dt.UTC
START = dt.datetime(2026, 1, 1, 0, 0, tzinfo=UTC)  # a Thursday


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


# (expression, after, the next three runs): Cloudflare's documented syntax, 1 = Sunday.
CASES = [
    ("* * * * *", "2026-01-01T00:00:30", ["2026-01-01T00:01", "2026-01-01T00:02", "2026-01-01T00:03"]),
    ("*/5 * * * *", "2026-01-01T00:03", ["2026-01-01T00:05", "2026-01-01T00:10", "2026-01-01T00:15"]),
    ("0 */6 * * *", "2026-01-01T00:00", ["2026-01-01T06:00", "2026-01-01T12:00", "2026-01-01T18:00"]),
    ("10-20/5 1 * * *", "2026-01-01T00:00", ["2026-01-01T01:10", "2026-01-01T01:15", "2026-01-01T01:20"]),
    ("0 0 1,15 * *", "2026-01-01T00:00", ["2026-01-15T00:00", "2026-02-01T00:00", "2026-02-15T00:00"]),
    ("0 17 * * sun", "2026-01-01T00:00", ["2026-01-04T17:00", "2026-01-11T17:00", "2026-01-18T17:00"]),
    ("0 17 * * 1", "2026-01-01T00:00", ["2026-01-04T17:00", "2026-01-11T17:00", "2026-01-18T17:00"]),
    ("10 7 * * mon-fri", "2026-01-02T08:00", ["2026-01-05T07:10", "2026-01-06T07:10", "2026-01-07T07:10"]),
    ("0 0 * * 2-6", "2026-01-02T01:00", ["2026-01-05T00:00", "2026-01-06T00:00", "2026-01-07T00:00"]),
    ("0 18 * * 6L", "2026-01-01T00:00", ["2026-01-30T18:00", "2026-02-27T18:00", "2026-03-27T18:00"]),
    ("0 18 * * FRIL", "2026-01-01T00:00", ["2026-01-30T18:00", "2026-02-27T18:00", "2026-03-27T18:00"]),
    ("0 12 * * 2#2", "2026-01-01T00:00", ["2026-01-12T12:00", "2026-02-09T12:00", "2026-03-09T12:00"]),
    ("0 12 * * MON#1", "2026-01-01T00:00", ["2026-01-05T12:00", "2026-02-02T12:00", "2026-03-02T12:00"]),
    ("59 23 L * *", "2026-01-01T00:00", ["2026-01-31T23:59", "2026-02-28T23:59", "2026-03-31T23:59"]),
    ("59 23 LW * *", "2026-01-01T00:00", ["2026-01-30T23:59", "2026-02-27T23:59", "2026-03-31T23:59"]),
    ("0 9 15W * *", "2026-01-01T00:00", ["2026-01-15T09:00", "2026-02-16T09:00", "2026-03-16T09:00"]),
    ("0 9 1W * *", "2026-02-01T00:00", ["2026-02-02T09:00", "2026-03-02T09:00", "2026-04-01T09:00"]),
    ("0 0 1 jan,jul *", "2026-01-01T00:00", ["2026-07-01T00:00", "2027-01-01T00:00", "2027-07-01T00:00"]),
    ("0 0 29 2 *", "2026-01-01T00:00", ["2028-02-29T00:00", "2032-02-29T00:00", "2036-02-29T00:00"]),
    ("0 0 13 * 6", "2026-01-01T00:00", ["2026-01-02T00:00", "2026-01-09T00:00", "2026-01-13T00:00"]),
    ("0 0 */10 * MON", "2026-01-01T00:00", ["2026-05-11T00:00", "2026-06-01T00:00", "2026-08-31T00:00"]),
    ("30 2 * FEB-MAR/1 SAT", "2026-01-01T00:00", ["2026-02-07T02:30", "2026-02-14T02:30", "2026-02-21T02:30"]),
]


@pytest.mark.parametrize(("text", "after", "runs"), CASES)
def test_next_runs(text, after, runs):
    cron = parse(text)
    when, found = at(after), []
    for _ in runs:
        when = cron.next_after(when)
        found.append(when.strftime("%Y-%m-%dT%H:%M"))
    assert found == runs


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("* * * *", '"* * * *" has 4 fields; a cron expression has 5 (minute hour day month weekday)'),
        ("60 * * * *", 'minute "60" is not valid: expected 0-59'),
        ("* 24 * * *", 'hour "24" is not valid: expected 0-23'),
        ("* * 0 * *", 'day of month "0" is not valid: expected 1-31'),
        ("* * * 13 *", 'month "13" is not valid: expected 1-12 or JAN-DEC'),
        ("* * * foo *", 'month "foo" is not valid: expected 1-12 or JAN-DEC'),
        ("* * * * 0", 'day of week "0" is not valid: expected 1-7 or SUN-SAT'),
        ("* * * * 8", 'day of week "8" is not valid: expected 1-7 or SUN-SAT'),
        ("*/0 * * * *", 'minute step "0" is not valid: expected a number of at least 1'),
        ("30-10 * * * *", 'minute range "30-10" is not valid: it runs backwards'),
        ("* * * * 2#6", 'day of week "2#6" is not valid: the number after # must be 1-5'),
    ],
)
def test_invalid_expressions(text, message):
    with pytest.raises(CronError) as caught:
        parse(text)
    assert str(caught.value) == message


def test_matches_a_minute():
    assert parse("*/15 9-17 * * MON-FRI").matches(at("2026-01-05T09:45"))
    assert not parse("*/15 9-17 * * MON-FRI").matches(at("2026-01-04T09:45"))
