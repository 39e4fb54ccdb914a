"""Per-day feature helpers for whoever builds :class:`ForecastSamples` windows.

They compute the calendar and launch channels of the default layouts in ``config.py`` the same
way at training and at inference time, so the two cannot drift apart.
"""

from __future__ import annotations

import numpy as np

DAYS_PER_WEEK = 7
DAYS_PER_YEAR = 365.25
EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)


def calendar_features(dates: np.ndarray) -> np.ndarray:
    """Day of week and day of year on the unit circle (no jump between Sunday and Monday).

    Args:
        dates: (...) ``datetime64[D]`` (or anything numpy converts to it).

    Returns:
        (..., 4) float32: dow_sin, dow_cos, doy_sin, doy_cos.
    """
    days = np.asarray(dates, dtype="datetime64[D]")
    day_number = days.astype(np.int64)  # days since 1970-01-01
    weekday = (day_number + EPOCH_WEEKDAY) % DAYS_PER_WEEK  # Monday = 0
    year_start = days.astype("datetime64[Y]").astype("datetime64[D]")
    day_of_year = (days - year_start).astype(np.int64)  # 0-based
    week_angle = 2.0 * np.pi * weekday / DAYS_PER_WEEK
    year_angle = 2.0 * np.pi * day_of_year / DAYS_PER_YEAR
    return np.stack(
        [np.sin(week_angle), np.cos(week_angle), np.sin(year_angle), np.cos(year_angle)], axis=-1
    ).astype(np.float32)


def launch_features(dates: np.ndarray, launched_at: np.ndarray) -> np.ndarray:
    """Launch state per day: lets the model forecast products that launch inside the horizon.

    Args:
        dates: (..., D) ``datetime64[D]`` days to describe.
        launched_at: (...) ``datetime64[D]`` first day on sale of each row's SKU.

    Returns:
        (..., D, 2) float32: is_launched (1 from the launch day on), log1p(days since launch, >= 0).
    """
    days = np.asarray(dates, dtype="datetime64[D]")
    launch = np.asarray(launched_at, dtype="datetime64[D]")[..., None]
    since = (days - launch).astype(np.int64)  # (..., D), negative before launch
    is_launched = (since >= 0).astype(np.float32)
    return np.stack([is_launched, np.log1p(np.maximum(since, 0))], axis=-1).astype(np.float32)
