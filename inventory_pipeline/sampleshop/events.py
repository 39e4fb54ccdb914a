"""Calendar effects: shopping events, yearly seasonality and weekly patterns.

The event dates come from the shop's `ShopEvent` list (`ShopConfig.events`), each an
`inventory_pipeline.features.calendar.EventRule`: the same rules the shop's settings file gives
the pipeline, so simulated event effects and the model's event inputs fall on the same days.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np

from inventory_pipeline.sampleshop.config import DEFAULT_SHOP_EVENTS, CategorySpec, ShopEvent


def event_occurrences(
    start: date, end: date, events: Sequence[ShopEvent]
) -> list[tuple[date, int, int]]:
    """(day, event index, day index within the event) between start and end (inclusive),
    sorted by date then event order (= priority)."""
    names = [e.name for e in events]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"shop event names must be unique, got duplicates {duplicates}")
    out: set[tuple[date, int, int]] = set()
    # neighbouring years too: an offset or a long event can cross New Year
    for year in range(start.year - 1, end.year + 2):
        for rank, event in enumerate(events):
            out.update(
                (d, rank, k) for k, d in enumerate(event.rule.days(year)) if start <= d <= end
            )
    return sorted(out)


def shopping_events(
    start: date, end: date, events: Sequence[ShopEvent] = DEFAULT_SHOP_EVENTS
) -> list[tuple[date, str]]:
    """Event days between start and end (both inclusive), sorted by date then priority.

    A date may carry two events (Cyber Monday inside the Christmas run-up); the higher-priority
    one (earlier in `events`) comes first.
    """
    return [(d, events[r].name) for d, r, _ in event_occurrences(start, end, events)]


def event_names_by_day(
    start: date, days: int, events: Sequence[ShopEvent] = DEFAULT_SHOP_EVENTS
) -> list[str | None]:
    """The highest-priority event name of each day (None on ordinary days)."""
    names: list[str | None] = [None] * days
    for d, name in shopping_events(start, start + timedelta(days=days - 1), events):
        i = (d - start).days
        if names[i] is None:
            names[i] = name
    return names


def event_lift_matrix(
    categories: tuple[CategorySpec, ...],
    start: date,
    days: int,
    events: Sequence[ShopEvent] = DEFAULT_SHOP_EVENTS,
) -> np.ndarray:
    """Demand multiplier per category and day from the events, shape (n_categories, days).

    Events that share a date multiply. An event with a ramp (`ShopEvent.ramp_power`) rises to its
    full lift on its last day; a lift below 1 is a drop.
    """
    names = {spec.name for spec in categories}
    for event in events:
        unknown = sorted(set(event.lifts) - names)
        if unknown:
            raise ValueError(
                f"event {event.name!r} lifts unknown categories {unknown}; "
                f"use the names of ShopConfig.categories ({sorted(names)})"
            )
    lift = np.ones((len(categories), days))
    for d, rank, k in event_occurrences(start, start + timedelta(days=days - 1), events):
        event = events[rank]
        i = (d - start).days
        progress = (
            ((k + 1) / event.rule.length_days) ** event.ramp_power if event.ramp_power else 1.0
        )
        for c, spec in enumerate(categories):
            peak = event.lift(spec.name)
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
