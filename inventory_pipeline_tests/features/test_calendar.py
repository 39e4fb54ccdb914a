from datetime import date

import pytest

from inventory_pipeline.features.calendar import (
    DEFAULT_EVENTS,
    EventRule,
    calendar_frame,
    easter_sunday,
    nth_weekday,
    shopping_events,
)


def days_of(name: str, year: int) -> list[date]:
    return [d for d, n in shopping_events(date(year, 1, 1), date(year, 12, 31)) if n == name]


@pytest.mark.parametrize(
    ("year", "black_friday", "cyber_monday"),
    [(2024, date(2024, 11, 29), date(2024, 12, 2)), (2025, date(2025, 11, 28), date(2025, 12, 1))],
)
def test_black_friday_is_the_day_after_the_fourth_thursday(
    year: int, black_friday: date, cyber_monday: date
) -> None:
    assert days_of("black_friday", year) == [black_friday]
    assert days_of("cyber_monday", year) == [cyber_monday]


def test_fixed_and_ranged_events() -> None:
    assert days_of("singles_day", 2024) == [date(2024, 11, 11)]
    assert days_of("valentines_day", 2025) == [date(2025, 2, 14)]
    assert days_of("new_year", 2025) == [date(2025, 1, 1)]
    run_up = days_of("christmas_run_up", 2024)
    assert run_up[0] == date(2024, 12, 1) and run_up[-1] == date(2024, 12, 24) and len(run_up) == 24
    assert days_of("christmas_holidays", 2024) == [date(2024, 12, 25), date(2024, 12, 26)]
    assert days_of("mid_july_sale", 2024) == [date(2024, 7, 9), date(2024, 7, 10)]


def test_easter_from_good_friday_to_easter_monday() -> None:
    assert easter_sunday(2024) == date(2024, 3, 31)
    assert easter_sunday(2025) == date(2025, 4, 20)
    assert days_of("easter", 2025) == [date(2025, 4, 18 + i) for i in range(4)]


def test_events_are_sorted_and_unpack_as_date_name_pairs() -> None:
    events = shopping_events(date(2024, 11, 1), date(2024, 12, 3))
    assert [d for d, _ in events] == sorted(d for d, _ in events)
    # Cyber Monday falls inside the run-up: both events, in configured order.
    assert [n for d, n in events if d == date(2024, 12, 2)] == ["cyber_monday", "christmas_run_up"]


def test_configurable_events_and_calendar_columns() -> None:
    rules = (*DEFAULT_EVENTS, EventRule("mothers_day_us", "nth_weekday", month=5, weekday=6, nth=2))
    frame = calendar_frame(date(2024, 5, 1), date(2024, 5, 31), rules)
    flagged = frame.filter("event_mothers_day_us")["date"].to_list()
    assert flagged == [date(2024, 5, 12)]
    assert frame.filter("is_event")["date"].to_list() == [date(2024, 5, 12)]
    assert frame.height == 31 and frame["day_of_week"][0] == 3  # 2024-05-01 is a Wednesday


def test_last_weekday_and_bad_rules() -> None:
    assert nth_weekday(2024, 5, 0, -1) == date(2024, 5, 27)
    with pytest.raises(ValueError, match="unique"):
        shopping_events(date(2024, 1, 1), date(2024, 2, 1), (DEFAULT_EVENTS[0], DEFAULT_EVENTS[0]))
    with pytest.raises(ValueError, match="identifier"):
        EventRule("black friday", "fixed")
