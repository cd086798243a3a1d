"""Cron expressions as Cloudflare's Cron Triggers read them, and the next time one fires (UTC).

Five fields: minute (0-59), hour (0-23), day of month (1-31), month (1-12 or ``JAN``-``DEC``),
day of week (1-7 or ``SUN``-``SAT``, 1 being Sunday, as Cloudflare documents). Each takes ``*``,
lists (``,``), ranges (``-``) and steps (``/``). The day of month also takes ``L`` (the last
day), ``W`` (``15W``: the weekday nearest the 15th; ``LW``: the last weekday); the day of week
takes ``L`` (``6L``/``FRIL``: the month's last Friday) and ``#`` (``2#1``: its first Monday).
As in every cron, a day matches when either day field does if both are restricted.

pyworker's own matcher: the maintained Python cron libraries (croniter, cronsim) count the
day of week from 0 = Sunday, which would run Cloudflare's ``1`` (Sunday) on Mondays.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

MONTHS = {name: i for i, name in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP",
                                           "OCT", "NOV", "DEC"), 1)}  # fmt: skip
DAYS = {name: i for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}
MAX_YEARS = 8  # a search for the next run gives up after this many years (e.g. "0 0 30 2 *")


class CronError(ValueError):
    """An expression Cloudflare would refuse; the message says what is wrong."""


@dataclass(frozen=True)
class Cron:
    """A parsed expression: the values each field allows, and the day-of-month/-week specials."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 1 = Sunday
    day_any: bool
    weekday_any: bool
    last_day: bool = False
    last_weekday: bool = False
    nearest: frozenset[int] = field(default_factory=frozenset)  # "15W"
    last_of: frozenset[int] = field(default_factory=frozenset)  # "6L": last Friday
    nth_of: frozenset[tuple[int, int]] = field(default_factory=frozenset)  # "2#1": (weekday, n)

    def matches(self, when: dt.datetime) -> bool:
        """Whether the expression fires in the minute of ``when`` (a UTC time)."""
        return when.minute in self.minutes and when.hour in self.hours and self.day_matches(when.date())

    def day_matches(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        by_day, by_weekday = self._by_day(day), self._by_weekday(day)
        if self.day_any or self.weekday_any:  # one day field starts with "*": both must match (Vixie cron)
            return by_day and by_weekday
        return by_day or by_weekday

    def _by_day(self, day: dt.date) -> bool:
        last = calendar.monthrange(day.year, day.month)[1]
        if day.day in self.days or (self.last_day and day.day == last):
            return True
        if self.last_weekday and day == _nearest_weekday(day.replace(day=last), last):
            return True
        return any(n <= last and day == _nearest_weekday(day.replace(day=n), last) for n in self.nearest)

    def _by_weekday(self, day: dt.date) -> bool:
        weekday = (day.weekday() + 1) % 7 + 1  # Monday is 0 in Python, 2 here
        if weekday in self.weekdays:
            return True
        last = calendar.monthrange(day.year, day.month)[1]
        if weekday in self.last_of and day.day + 7 > last:
            return True
        return (weekday, (day.day - 1) // 7 + 1) in self.nth_of

    def next_after(self, when: dt.datetime) -> dt.datetime | None:
        """The first minute after ``when`` at which the expression fires, or ``None`` within MAX_YEARS."""
        start = when.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        day = start.date()
        for _ in range(366 * MAX_YEARS):
            if self.day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        moment = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=start.tzinfo)
                        if moment >= start:
                            return moment
            day += dt.timedelta(days=1)
        return None


def _nearest_weekday(day: dt.date, last: int) -> dt.date:
    """The weekday nearest ``day`` within its month (Saturday -> Friday, Sunday -> Monday)."""
    if day.weekday() == 5:
        return day - dt.timedelta(days=1) if day.day > 1 else day + dt.timedelta(days=2)
    if day.weekday() == 6:
        return day + dt.timedelta(days=1) if day.day < last else day - dt.timedelta(days=2)
    return day


_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 1, 7))


def _number(token: str, name: str, low: int, high: int, names: dict[str, int]) -> int:
    value = names.get(token.upper()) if token.isalpha() else int(token) if token.isdigit() else None
    if value is None or not low <= value <= high:
        allowed = f"{low}-{high}" + (f" or {next(iter(names))}-{list(names)[-1]}" if names else "")
        raise CronError(f'{name} "{token}" is not valid: expected {allowed}')
    return value


def _values(part: str, name: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    """``*``, ``5``, ``1-5``, ``*/15``, ``10-40/10``, ``5/10`` of one field."""
    base, slash, step_text = part.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) == 0:
            raise CronError(f'{name} step "{step_text}" is not valid: expected a number of at least 1')
        step = int(step_text)
    if base == "*":
        first, last = low, high
    elif "-" in base:
        left, _, right = base.partition("-")
        first, last = _number(left, name, low, high, names), _number(right, name, low, high, names)
        if first > last:
            raise CronError(f'{name} range "{base}" is not valid: it runs backwards')
    else:
        first = _number(base, name, low, high, names)
        last = high if slash else first
    return set(range(first, last + 1, step))


def parse(text: str) -> Cron:
    """Parse a cron expression; :class:`CronError` says what is wrong with one Cloudflare would refuse."""
    fields = text.split()
    if len(fields) != 5:
        raise CronError(f'"{text}" has {len(fields)} fields; a cron expression has 5 (minute hour day month weekday)')
    sets: list[set[int]] = []
    specials: dict[str, set[object]] = {"L": set(), "LW": set(), "W": set(), "dL": set(), "#": set()}
    for index, ((name, low, high), value) in enumerate(zip(_FIELDS, fields, strict=True)):
        names = MONTHS if index == 3 else DAYS if index == 4 else {}
        allowed: set[int] = set()
        for part in value.split(","):
            upper = part.upper()
            if index == 2 and upper in ("L", "LW"):
                specials[upper].add(True)
            elif index == 2 and upper.endswith("W") and upper[:-1].isdigit():
                specials["W"].add(_number(upper[:-1], name, low, high, names))
            elif index == 4 and upper.endswith("L") and len(upper) > 1:
                specials["dL"].add(_number(part[:-1], name, low, high, names))
            elif index == 4 and "#" in part:
                day, _, nth = part.partition("#")
                if not nth.isdigit() or not 1 <= int(nth) <= 5:
                    raise CronError(f'{name} "{part}" is not valid: the number after # must be 1-5')
                specials["#"].add((_number(day, name, low, high, names), int(nth)))
            else:
                allowed |= _values(part, name, low, high, names)
        sets.append(allowed)
    return Cron(
        text=text,
        minutes=frozenset(sets[0]),
        hours=frozenset(sets[1]),
        days=frozenset(sets[2]),
        months=frozenset(sets[3]),
        weekdays=frozenset(sets[4]),
        day_any=fields[2].startswith("*"),  # as Vixie cron: "*/2" is unrestricted for the OR rule
        weekday_any=fields[4].startswith("*"),
        last_day=bool(specials["L"]),
        last_weekday=bool(specials["LW"]),
        nearest=frozenset(specials["W"]),  # type: ignore[arg-type]
        last_of=frozenset(specials["dL"]),  # type: ignore[arg-type]
        nth_of=frozenset(specials["#"]),  # type: ignore[arg-type]
    )
