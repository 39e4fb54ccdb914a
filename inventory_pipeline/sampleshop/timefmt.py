"""ISO 8601 timestamp text in the mix of styles real exports use.

The same instant is written with `Z`, without an offset (which the contract reads as UTC), or in
a local offset such as `+02:00`, where the local calendar date can differ from the UTC date.
"""

from __future__ import annotations

import numpy as np

from inventory_pipeline.sampleshop.config import ShopConfig

MS_PER_MINUTE = 60_000


def _offset_suffix(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    m = abs(minutes)
    return f"{sign}{m // 60:02d}:{m % 60:02d}"


def format_timestamps(
    utc_ms: np.ndarray, config: ShopConfig, rng: np.random.Generator
) -> np.ndarray:
    """Strings for instants given as datetime64[ms] (UTC); the instant is preserved exactly."""
    n = len(utc_ms)
    if n == 0:
        return np.array([], dtype=str)
    style = rng.choice(3, size=n, p=np.array(config.ts_format_shares))
    offsets = np.sort(np.array(config.ts_offsets_minutes, dtype=np.int64))
    off_min = np.where(style == 2, offsets[rng.integers(0, len(offsets), n)], 0)
    local = utc_ms + (off_min * MS_PER_MINUTE).astype("timedelta64[ms]")
    has_ms = (utc_ms.astype(np.int64) % 1000) != 0
    text = np.where(
        has_ms,
        np.datetime_as_string(local, unit="ms"),
        np.datetime_as_string(local.astype("datetime64[s]"), unit="s"),
    )
    suffix_table = np.array(["Z", ""] + [_offset_suffix(int(m)) for m in offsets])
    suffix_idx = np.where(style == 2, 2 + np.searchsorted(offsets, off_min), style)
    return np.strings.add(text, suffix_table[suffix_idx])


def random_times_of_day(
    n: int, config: ShopConfig, rng: np.random.Generator, with_millis: bool = True
) -> np.ndarray:
    """Milliseconds since UTC midnight following the shop's hourly order profile."""
    w = np.array(config.hour_weights)
    hour = rng.choice(24, size=n, p=w / w.sum())
    second = rng.integers(0, 3600, n)
    ms = hour * 3_600_000 + second * 1000
    if with_millis:
        millis = rng.random(n) < config.ts_millis_share
        ms = ms + np.where(millis, rng.integers(1, 1000, n), 0)
    return ms.astype(np.int64)
