"""Shopping events and holidays, and the ``calendar`` feature table built from them.

Every shop has its own calendar, so the code holds no event list: a shop lists its events in its
settings file (``inventory_pipeline.settings``), they arrive here as :class:`EventRule` values in
``FeatureConfig.events`` (default: none), and the rules are documented in ``docs/features.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, NamedTuple

import polars as pl

Anchor = Literal["fixed", "nth_weekday", "easter", "dates"]
Direction = Literal["up", "down", "unknown"]
ANCHORS: tuple[str, ...] = ("fixed", "nth_weekday", "easter", "dates")
DIRECTIONS: tuple[str, ...] = ("up", "down", "unknown")
WEEKDAYS: tuple[str, ...] = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
)  # fmt: skip
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # Feb 29 only in leap years


def easter_sunday(year: int) -> date:
    """Western (Gregorian) Easter Sunday, by the anonymous Gregorian algorithm."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th given weekday (Mon = 0) of a month; ``n = -1`` is the last one."""
    if n == -1:
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        last = nxt - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    if not 1 <= n <= 5:
        raise ValueError(f"nth weekday must be 1..5 or -1 (last), got {n}")
    first = date(year, month, 1)
    found = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    if found.month != month:
        raise ValueError(f"{year}-{month:02d} has no weekday #{n} of kind {weekday}")
    return found


def weekday_number(value: int | str) -> int:
    """Mon = 0 .. Sun = 6 from a number or a (case-insensitive) English weekday name."""
    if isinstance(value, str):
        name = value.strip().lower()
        if name not in WEEKDAYS:
            raise ValueError(f"{value!r} is not a weekday; use monday..sunday")
        return WEEKDAYS.index(name)
    if isinstance(value, bool) or not 0 <= value <= 6:
        raise ValueError(f"{value!r} is not a weekday; use monday..sunday (or 0..6, Monday = 0)")
    return value


@dataclass(frozen=True)
class EventRule:
    """A recurring or listed event: anchor days shifted by ``offset_days``, ``length_days`` long.

    ``anchor``: ``fixed`` (``month``/``day`` every year), ``nth_weekday`` (``month``, ``weekday``
    Mon = 0 or its name, ``nth`` 1..5 or -1 for the last; a year without a 5th one has no event),
    ``easter`` (Western Easter Sunday) or ``dates`` (the explicit first days in ``dates``, for
    events that follow no rule). ``direction`` says which way the event moves demand: ``down``
    events (closures, public holidays) make ``is_holiday``; ``unknown`` leaves it to the model.
    """

    name: str
    anchor: Anchor
    month: int = 1
    day: int = 1
    weekday: int | str = 0
    nth: int = 1
    offset_days: int = 0
    length_days: int = 1
    direction: Direction = "unknown"
    dates: tuple[date, ...] = ()

    def __post_init__(self) -> None:
        where = f"event {self.name!r}"
        if not self.name.isidentifier():
            raise ValueError(
                f"event name {self.name!r} must be an identifier (letters, digits, _; it names "
                f"the column event_<name>)"
            )
        if self.anchor not in ANCHORS:
            raise ValueError(f"{where}: rule {self.anchor!r} is unknown; use one of {ANCHORS}")
        if self.direction not in DIRECTIONS:
            raise ValueError(
                f"{where}: direction {self.direction!r} is unknown; use one of {DIRECTIONS}"
            )
        if self.length_days < 1:
            raise ValueError(f"{where}: length_days must be >= 1, got {self.length_days}")
        object.__setattr__(self, "weekday", weekday_number(self.weekday))
        if self.anchor in ("fixed", "nth_weekday") and not 1 <= self.month <= 12:
            raise ValueError(f"{where}: month must be 1..12, got {self.month}")
        if self.anchor == "fixed" and not 1 <= self.day <= _MONTH_DAYS[self.month - 1]:
            raise ValueError(
                f"{where}: day {self.day} does not exist in month {self.month} "
                f"(1..{_MONTH_DAYS[self.month - 1]})"
            )
        if self.anchor == "nth_weekday" and self.nth not in (1, 2, 3, 4, 5, -1):
            raise ValueError(f"{where}: nth must be 1..5 or -1 (the last), got {self.nth}")
        object.__setattr__(self, "dates", tuple(sorted(set(self.dates))))
        if self.anchor == "dates" and not self.dates:
            raise ValueError(f"{where}: rule 'dates' needs a non-empty list of first days")

    @property
    def is_holiday(self) -> bool:
        """Whether the event lowers demand (it counts in the ``is_holiday`` column)."""
        return self.direction == "down"

    def anchors(self, year: int) -> list[date]:
        """The event's anchor days in ``year``, before the offset (which may leave the year)."""
        if self.anchor == "fixed":
            if self.month == 2 and self.day == 29 and not _leap(year):
                return []
            return [date(year, self.month, self.day)]
        if self.anchor == "nth_weekday":
            try:
                return [nth_weekday(year, self.month, int(self.weekday), self.nth)]
            except ValueError:  # no 5th such weekday this month this year
                return []
        if self.anchor == "easter":
            return [easter_sunday(year)]
        return [d for d in self.dates if d.year == year]

    def days(self, year: int) -> list[date]:
        """Every event day whose anchor falls in ``year`` (offset and length applied)."""
        shift = timedelta(days=self.offset_days)
        length = range(self.length_days)
        return [a + shift + timedelta(days=i) for a in self.anchors(year) for i in length]


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


class EventDay(NamedTuple):
    """One day of one event (a plain ``(date, name)`` tuple for callers that unpack it)."""

    date: date
    name: str


def shopping_events(start: date, end: date, events: Sequence[EventRule] = ()) -> list[EventDay]:
    """Event days between ``start`` and ``end`` (inclusive), sorted by date then list order.

    A day may carry several events (a one-day sale inside a month-long season); they come in the
    order of ``events``, so the list order doubles as a priority.
    """
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    _check_unique(events)
    out: list[tuple[date, int, str]] = []
    # Neighbouring years too: an offset or a long event can cross New Year.
    for year in range(max(start.year - 1, date.min.year), min(end.year + 2, date.max.year)):
        for rank, rule in enumerate(events):
            out.extend((d, rank, rule.name) for d in rule.days(year) if start <= d <= end)
    return [EventDay(d, name) for d, _, name in sorted(set(out))]


def _check_unique(events: Sequence[EventRule]) -> None:
    names = [e.name for e in events]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"event names must be unique (they name columns): {duplicates}")


def event_column(name: str) -> str:
    return f"event_{name}"


def calendar_frame(start: date, end: date, events: Sequence[EventRule] = ()) -> pl.DataFrame:
    """One row per day: day-of-week/year fields, one boolean column per event, any/holiday flags.

    Columns: ``date``, ``day_of_week`` (ISO, Mon = 1), ``is_weekend``, ``day_of_month``, ``month``,
    ``iso_week``, ``day_of_year``, ``event_<name>`` per rule, ``is_event``, ``is_holiday``.
    """
    days = pl.date_range(start, end, interval="1d", eager=True).alias("date")
    frame = (
        pl.DataFrame(days)
        .with_columns(
            day_of_week=pl.col("date").dt.weekday().cast(pl.Int8),
            day_of_month=pl.col("date").dt.day().cast(pl.Int8),
            month=pl.col("date").dt.month().cast(pl.Int8),
            iso_week=pl.col("date").dt.week().cast(pl.Int8),
            day_of_year=pl.col("date").dt.ordinal_day().cast(pl.Int16),
        )
        .with_columns(is_weekend=pl.col("day_of_week") >= 6)
    )
    by_event: dict[str, set[date]] = {e.name: set() for e in events}
    for day, name in shopping_events(start, end, events):
        by_event[name].add(day)
    holidays = [e.name for e in events if e.is_holiday]
    flags = [
        pl.col("date").is_in(sorted(by_event[e.name])).alias(event_column(e.name)) for e in events
    ]
    frame = frame.with_columns(flags)
    event_cols = [event_column(e.name) for e in events]
    holiday_cols = [event_column(n) for n in holidays]
    return frame.with_columns(
        is_event=pl.any_horizontal(event_cols) if event_cols else pl.lit(False),
        is_holiday=pl.any_horizontal(holiday_cols) if holiday_cols else pl.lit(False),
    )
