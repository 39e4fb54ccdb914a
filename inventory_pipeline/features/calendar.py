"""Shopping events and holidays, and the ``calendar`` feature table built from them.

One definition of the event dates for the whole project: the features use it and the sample-shop
generator can reuse :func:`shopping_events`, so simulated event lifts and the model's event
covariates fall on the same days. The list is configurable (:class:`EventRule` values in
``FeatureConfig.events``); the defaults are documented in ``docs/features.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, NamedTuple

import polars as pl

Anchor = Literal["fixed", "nth_weekday", "easter"]
EventKind = Literal["shopping", "holiday"]


def easter_sunday(year: int) -> date:
    """Western (Gregorian) Easter Sunday, by the anonymous Gregorian algorithm."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
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


@dataclass(frozen=True)
class EventRule:
    """A yearly event: an anchor day per year, shifted by ``offset_days``, lasting ``length_days``.

    ``anchor``: ``fixed`` (``month``/``day``), ``nth_weekday`` (``month``, ``weekday`` Mon = 0,
    ``nth`` 1..5 or -1 for the last) or ``easter`` (Western Easter Sunday).
    """

    name: str
    anchor: Anchor
    month: int = 1
    day: int = 1
    weekday: int = 0
    nth: int = 1
    offset_days: int = 0
    length_days: int = 1
    kind: EventKind = "shopping"

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(
                f"event name {self.name!r} must be a Python identifier (it names a column)"
            )
        if self.length_days < 1:
            raise ValueError(
                f"event {self.name!r}: length_days must be >= 1, got {self.length_days}"
            )

    def first_day(self, year: int) -> date:
        """First day of the event in ``year`` (before the offset may move it to another year)."""
        if self.anchor == "fixed":
            base = date(year, self.month, self.day)
        elif self.anchor == "nth_weekday":
            base = nth_weekday(year, self.month, self.weekday, self.nth)
        elif self.anchor == "easter":
            base = easter_sunday(year)
        else:
            raise ValueError(f"event {self.name!r}: unknown anchor {self.anchor!r}")
        return base + timedelta(days=self.offset_days)

    def days(self, year: int) -> list[date]:
        first = self.first_day(year)
        return [first + timedelta(days=i) for i in range(self.length_days)]


THU, TUE = 3, 1

DEFAULT_EVENTS: tuple[EventRule, ...] = (
    EventRule("new_year", "fixed", month=1, day=1, kind="holiday"),
    EventRule("valentines_day", "fixed", month=2, day=14),
    # Good Friday .. Easter Monday.
    EventRule("easter", "easter", offset_days=-2, length_days=4, kind="holiday"),
    # Second Tuesday of July and the day after (the mid-summer marketplace sale).
    EventRule("mid_july_sale", "nth_weekday", month=7, weekday=TUE, nth=2, length_days=2),
    EventRule("singles_day", "fixed", month=11, day=11),
    # The day after US Thanksgiving (4th Thursday of November), and the Monday after that.
    EventRule("black_friday", "nth_weekday", month=11, weekday=THU, nth=4, offset_days=1),
    EventRule("cyber_monday", "nth_weekday", month=11, weekday=THU, nth=4, offset_days=4),
    EventRule("christmas_run_up", "fixed", month=12, day=1, length_days=24),
    # Christmas Day and Boxing Day.
    EventRule("christmas_holidays", "fixed", month=12, day=25, length_days=2, kind="holiday"),
)


class EventDay(NamedTuple):
    """One day of one event (a plain ``(date, name)`` tuple for callers that unpack it)."""

    date: date
    name: str


def shopping_events(
    start: date, end: date, events: Sequence[EventRule] = DEFAULT_EVENTS
) -> list[EventDay]:
    """Event days between ``start`` and ``end`` (inclusive), sorted by date then list order.

    A day may carry several events (Cyber Monday inside the Christmas run-up); they come in the
    order of ``events``, so the list order doubles as a priority.
    """
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    _check_unique(events)
    out: list[tuple[date, int, str]] = []
    # Neighbouring years too: an offset or a long event can cross New Year.
    for year in range(start.year - 1, end.year + 2):
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


def calendar_frame(
    start: date, end: date, events: Sequence[EventRule] = DEFAULT_EVENTS
) -> pl.DataFrame:
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
    holidays = {e.name for e in events if e.kind == "holiday"}
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
