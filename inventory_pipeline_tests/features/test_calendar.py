from datetime import date

import pytest

from inventory_pipeline.features.calendar import (
    EventRule,
    calendar_frame,
    easter_sunday,
    nth_weekday,
    shopping_events,
)

# A small generic calendar: one event per rule kind (no shop's own list).
EVENTS = (
    EventRule("new_year", "fixed", month=1, day=1, direction="down"),
    EventRule("easter", "easter", offset_days=-2, length_days=4, direction="down"),
    EventRule("black_friday", "nth_weekday", month=11, weekday="thursday", nth=4, offset_days=1),
    EventRule("cyber_monday", "nth_weekday", month=11, weekday=3, nth=4, offset_days=4),
    EventRule("last_monday_of_may", "nth_weekday", month=5, weekday="monday", nth=-1),
    EventRule("december_run_up", "fixed", month=12, day=1, length_days=24, direction="up"),
    EventRule("summer_sale", "dates", dates=(date(2024, 7, 16), date(2025, 7, 15)), length_days=2),
)


def days_of(name: str, year: int, events: tuple[EventRule, ...] = EVENTS) -> list[date]:
    return [
        d for d, n in shopping_events(date(year, 1, 1), date(year, 12, 31), events) if n == name
    ]


@pytest.mark.parametrize(
    ("year", "black_friday", "cyber_monday"),
    [(2024, date(2024, 11, 29), date(2024, 12, 2)), (2025, date(2025, 11, 28), date(2025, 12, 1))],
)
def test_nth_weekday_with_offsets(year: int, black_friday: date, cyber_monday: date) -> None:
    assert days_of("black_friday", year) == [black_friday]
    assert days_of("cyber_monday", year) == [cyber_monday]


def test_last_weekday_of_a_month() -> None:
    assert days_of("last_monday_of_may", 2024) == [date(2024, 5, 27)]
    assert days_of("last_monday_of_may", 2025) == [date(2025, 5, 26)]
    assert nth_weekday(2024, 12, 1, -1) == date(2024, 12, 31)


def test_fixed_and_ranged_events() -> None:
    assert days_of("new_year", 2025) == [date(2025, 1, 1)]
    run_up = days_of("december_run_up", 2024)
    assert run_up[0] == date(2024, 12, 1) and run_up[-1] == date(2024, 12, 24) and len(run_up) == 24


def test_easter_from_good_friday_to_easter_monday() -> None:
    assert easter_sunday(2024) == date(2024, 3, 31)
    assert easter_sunday(2025) == date(2025, 4, 20)
    assert easter_sunday(1990) == date(1990, 4, 15)
    assert days_of("easter", 2025) == [date(2025, 4, 18 + i) for i in range(4)]


def test_listed_dates_only_in_their_years() -> None:
    assert days_of("summer_sale", 2024) == [date(2024, 7, 16), date(2024, 7, 17)]
    assert days_of("summer_sale", 2025) == [date(2025, 7, 15), date(2025, 7, 16)]
    assert days_of("summer_sale", 2026) == []


def test_offsets_and_lengths_cross_new_year() -> None:
    events = (
        EventRule("eve_to_second", "fixed", month=12, day=31, length_days=3),
        EventRule("week_before_new_year", "fixed", month=1, day=1, offset_days=-7),
        EventRule("listed_late", "dates", dates=(date(2024, 12, 30),), length_days=4),
    )
    flagged = shopping_events(date(2024, 12, 20), date(2025, 1, 5), events)
    assert [(d, n) for d, n in flagged if n == "eve_to_second"] == [
        (date(2024, 12, 31), "eve_to_second"),
        (date(2025, 1, 1), "eve_to_second"),
        (date(2025, 1, 2), "eve_to_second"),
    ]
    # The 2025 anchor (Jan 1) moved back into 2024 is found from a 2024..2025 window.
    assert [d for d, n in flagged if n == "week_before_new_year"] == [date(2024, 12, 25)]
    assert [d for d, n in flagged if n == "listed_late"] == [
        date(2024, 12, 30), date(2024, 12, 31), date(2025, 1, 1), date(2025, 1, 2)
    ]  # fmt: skip


def test_fifth_weekday_and_leap_day_only_in_years_that_have_them() -> None:
    fifth = EventRule("fifth_friday_of_march", "nth_weekday", month=3, weekday="friday", nth=5)
    assert days_of("fifth_friday_of_march", 2024, (fifth,)) == [date(2024, 3, 29)]
    assert days_of("fifth_friday_of_march", 2025, (fifth,)) == []
    leap = EventRule("leap_day", "fixed", month=2, day=29)
    assert days_of("leap_day", 2024, (leap,)) == [date(2024, 2, 29)]
    assert days_of("leap_day", 2025, (leap,)) == []


def test_events_are_sorted_and_unpack_as_date_name_pairs() -> None:
    events = shopping_events(date(2024, 11, 1), date(2024, 12, 3), EVENTS)
    assert [d for d, _ in events] == sorted(d for d, _ in events)
    # Cyber Monday falls inside the run-up: both events, in configured order.
    assert [n for d, n in events if d == date(2024, 12, 2)] == ["cyber_monday", "december_run_up"]


def test_no_events_by_default() -> None:
    assert shopping_events(date(2024, 1, 1), date(2024, 12, 31)) == []
    frame = calendar_frame(date(2024, 12, 24), date(2024, 12, 26))
    assert not [c for c in frame.columns if c.startswith("event_")]
    assert not frame["is_event"].any() and not frame["is_holiday"].any()


def test_calendar_columns_and_holidays_are_the_down_events() -> None:
    rules = (*EVENTS, EventRule("mothers_day_us", "nth_weekday", month=5, weekday=6, nth=2))
    frame = calendar_frame(date(2024, 5, 1), date(2024, 5, 31), rules)
    assert frame.filter("event_mothers_day_us")["date"].to_list() == [date(2024, 5, 12)]
    assert frame.filter("is_event")["date"].to_list() == [date(2024, 5, 12), date(2024, 5, 27)]
    assert frame.height == 31 and frame["day_of_week"][0] == 3  # 2024-05-01 is a Wednesday
    spring = calendar_frame(date(2024, 3, 28), date(2024, 4, 2), EVENTS)
    assert spring.filter("is_holiday")["date"].to_list() == [
        date(2024, 3, 29 + i) for i in range(3)
    ] + [date(2024, 4, 1)]
    assert not calendar_frame(date(2024, 12, 1), date(2024, 12, 2), EVENTS)["is_holiday"].any()


def test_bad_rules() -> None:
    with pytest.raises(ValueError, match="unique"):
        shopping_events(date(2024, 1, 1), date(2024, 2, 1), (EVENTS[0], EVENTS[0]))
    with pytest.raises(ValueError, match="identifier"):
        EventRule("black friday", "fixed")
    with pytest.raises(ValueError, match="not a weekday; use monday..sunday"):
        EventRule("x", "nth_weekday", month=11, weekday="thursdy")
    with pytest.raises(ValueError, match="non-empty list"):
        EventRule("x", "dates")
    with pytest.raises(ValueError, match="direction"):
        EventRule("x", "easter", direction="sideways")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="day 31 does not exist in month 4"):
        EventRule("x", "fixed", month=4, day=31)
