"""Training-set emphasis on young products (cold start).

Launches are rare: on the sample shop about one training window in thirty belongs to a product
in its first weeks or launching inside the horizon, yet that is where a forecast matters most
(first orders for a new product) and where the text tower earns its keep. Repeating those windows
a few times in the training set gives the launch ramp and the text prior enough gradient without
changing anything else (the validation and backtest windows are never repeated).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl

from inventory_pipeline.training.windows_io import select
from inventory_pipeline.windows import Windows


def young_rows(
    windows: Windows, launches: pl.DataFrame, horizon: int, young_days: int
) -> np.ndarray:
    """(N,) True where the SKU launched less than ``young_days`` before the origin or launches
    inside the horizon (the backtest's cold-start cells)."""
    launch = dict(zip(launches["sku"].to_list(), launches["launched_at"].to_list()))
    out = np.zeros(len(windows), dtype=bool)
    for i, (sku, origin) in enumerate(zip(windows.skus, windows.origins)):
        launched = launch.get(sku)
        if launched is None:
            continue
        out[i] = origin - timedelta(days=young_days) < launched <= origin + timedelta(days=horizon)
    return out


def repeat_rows(windows: Windows, rows: np.ndarray, repeats: int) -> Windows:
    """``windows`` with the ``rows`` (boolean mask) present ``repeats`` times in total."""
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    if repeats == 1 or not rows.any():
        return windows
    index = np.concatenate([np.arange(len(windows))] + [np.flatnonzero(rows)] * (repeats - 1))
    return select(windows, index)
