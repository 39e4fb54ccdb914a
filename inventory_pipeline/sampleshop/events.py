"""Calendar effects: shopping events, yearly seasonality and weekly patterns.

`shopping_events` is the single definition of the event dates, so the pipeline's calendar
feature can reuse it and agree with the demand the generator simulated.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from inventory_pipeline.sampleshop.config import EVENT_NAMES, CategorySpec

CHRISTMAS_RUN_UP_START_DAY = 1  # December day on which the run-up begins
CHRISTMAS_RUN_UP_POWER = 1.5  # shape of the rise towards Dec 24


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1-based) given weekday (Mon = 0) of a month."""
    first = date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * (n - 1))


def _events_of_year(year: int) -> list[tuple[date, str]]:
    thanksgiving = _nth_weekday(year, 11, 3, 4)
    black_friday = thanksgiving + timedelta(days=1)
    prime_day = _nth_weekday(year, 7, 1, 2)  # second Tuesday of July, two days
    events = [
        (date(year, 2, 14), "valentines_day"),
        (prime_day, "prime_day"),
        (prime_day + timedelta(days=1), "prime_day"),
        (date(year, 11, 11), "singles_day"),
        (black_friday, "black_friday"),
        (black_friday + timedelta(days=3), "cyber_monday"),
        (date(year, 12, 25), "christmas_holidays"),
        (date(year, 12, 26), "christmas_holidays"),
    ]
    events += [
        (date(year, 12, d), "christmas_run_up") for d in range(CHRISTMAS_RUN_UP_START_DAY, 25)
    ]
    return events


def shopping_events(start: date, end: date) -> list[tuple[date, str]]:
    """Shopping-event days between start and end (both inclusive), sorted by date then priority.

    A date may carry two events (Cyber Monday inside the Christmas run-up); the higher-priority
    one (order of `EVENT_NAMES`) comes first.
    """
    priority = {name: i for i, name in enumerate(EVENT_NAMES)}
    out = [
        (d, name)
        for year in range(start.year, end.year + 1)
        for d, name in _events_of_year(year)
        if start <= d <= end
    ]
    return sorted(out, key=lambda e: (e[0], priority[e[1]]))


def event_names_by_day(start: date, days: int) -> list[str | None]:
    """The highest-priority event name of each day (None on ordinary days)."""
    names: list[str | None] = [None] * days
    for d, name in shopping_events(start, start + timedelta(days=days - 1)):
        i = (d - start).days
        if names[i] is None:
            names[i] = name
    return names


def event_lift_matrix(categories: tuple[CategorySpec, ...], start: date, days: int) -> np.ndarray:
    """Demand multiplier per category and day from shopping events, shape (n_categories, days).

    Events that share a date multiply. The Christmas run-up rises through December and peaks on
    Dec 24 at the category's lift; the holidays after it are a drop (lift < 1).
    """
    lift = np.ones((len(categories), days))
    for d, name in shopping_events(start, start + timedelta(days=days - 1)):
        i = (d - start).days
        if name == "christmas_run_up":
            progress = (
                (d.day - CHRISTMAS_RUN_UP_START_DAY + 1) / (25 - CHRISTMAS_RUN_UP_START_DAY)
            ) ** CHRISTMAS_RUN_UP_POWER
        else:
            progress = 1.0
        for c, spec in enumerate(categories):
            peak = spec.event_lifts.get(name, 1.0)
            lift[c, i] *= 1.0 + (peak - 1.0) * progress
    return lift


def _season_curve(spec: CategorySpec, doy: np.ndarray) -> np.ndarray:
    curve = np.full(doy.shape, spec.season_floor, dtype=float)
    for bump in spec.season_bumps:
        angle = 2.0 * np.pi * (doy - bump.peak_doy) / 365.25
        curve += bump.weight * np.exp(bump.concentration * (np.cos(angle) - 1.0))
    return curve


def season_matrix(categories: tuple[CategorySpec, ...], start: date, days: int) -> np.ndarray:
    """Yearly seasonality per category and day, normalised to mean 1 over a year, (n_cat, days)."""
    dates = [start + timedelta(days=i) for i in range(days)]
    doy = np.array([d.timetuple().tm_yday for d in dates], dtype=float)
    full_year = np.arange(1, 366, dtype=float)
    rows = []
    for spec in categories:
        norm = _season_curve(spec, full_year).mean()
        rows.append(_season_curve(spec, doy) / norm)
    return np.vstack(rows)


def weekly_matrix(categories: tuple[CategorySpec, ...], start: date, days: int) -> np.ndarray:
    """Day-of-week multiplier per category and day, shape (n_categories, days)."""
    weekday = (np.arange(days) + start.weekday()) % 7
    table = np.array([spec.weekly for spec in categories], dtype=float)
    return table[:, weekday]
