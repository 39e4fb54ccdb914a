"""Training-set emphasis on young products (cold start).

Two levers, both applied to the training block only:

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

from inventory_pipeline.model.config import ModelConfig
from inventory_pipeline.training.windows_io import select
from inventory_pipeline.windows import Windows, concat


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


# static channels computed from the history window (they must say "no history" when it is hidden)
HISTORY_DERIVED_STATIC: tuple[str, ...] = ("history_length_log1p",)


def hide_history(windows: Windows, rows: np.ndarray, model_config: ModelConfig) -> Windows:
    """Copies of ``rows`` with the demand history removed, as a product without history looks.

    Targets, known future and text stay. Such copies teach the model to forecast a product
    from its document and static features alone: real launches are too few to learn the
    text-to-level mapping, while every established product can play a new one.
    """
    picked = select(windows, rows)
    samples = picked.samples
    samples.history_units = np.zeros_like(samples.history_units)
    samples.history_stockout = np.zeros_like(samples.history_stockout)
    samples.history_observed = np.zeros_like(samples.history_observed)
    static = samples.static.copy()
    for name in HISTORY_DERIVED_STATIC:
        if name in model_config.static_features:
            static[:, model_config.static_features.index(name)] = 0.0
    samples.static = static
    return picked


def with_hidden_history(
    windows: Windows, share: float, model_config: ModelConfig, seed: int
) -> Windows:
    """``windows`` plus hidden-history copies of a random ``share`` of its on-sale rows."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"hidden-history share must be in [0, 1], got {share}")
    if share == 0.0:
        return windows
    has_history = windows.samples.history_observed.sum(axis=1) > 0
    rng = np.random.default_rng(seed)
    rows = has_history & (rng.random(len(windows)) < share)
    return concat([windows, hide_history(windows, rows, model_config)])
