"""Demand history as known on each backtest origin: what the baselines forecast from.

The baselines need a longer history than the model's window (AutoETS fits a weekly season), and
it must be the history *as known on the origin* (late files and corrections exported after it are
invisible), like the model's. :func:`origin_history` reads it with ``features_as_of``.

Frame layout (one row per origin, SKU and day inside the exported data and on sale or sold)::

    origin, sku, date, units, stockout, observed   (observed: usable, i.e. not stockout-censored)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from inventory_pipeline.features.as_of import FeatureSet, features_as_of
from inventory_pipeline.training.windows_io import OriginCallback
from inventory_pipeline.warehouse import Warehouse

HISTORY_COLUMNS: tuple[str, ...] = ("origin", "sku", "date", "units", "stockout", "observed")


def origin_history(
    warehouse: Warehouse,
    origins: Sequence[date],
    days: int,
    on_origin: OriginCallback | None = None,
    skus: Sequence[str] | None = None,
) -> pl.DataFrame:
    """``days`` days of demand up to each origin, exactly as known on it (``skus``: only these)."""
    parts = []
    for i, origin in enumerate(origins, start=1):
        features = features_as_of(
            warehouse, origin, skus=skus, history_days=days, horizon=1, category_season=False
        )
        parts.append(history_rows(features))
        if on_origin is not None:
            on_origin(i, len(origins), origin)
    if not parts:
        raise ValueError("origin_history needs at least one origin")
    return pl.concat(parts)


def history_rows(features: FeatureSet) -> pl.DataFrame:
    """The frame above for one origin, from its feature set (days on sale or sold)."""
    history = features.history.filter(pl.col("observed") | pl.col("stockout"))
    return history.select(
        pl.lit(features.as_of).alias("origin"),
        "sku",
        "date",
        pl.col("units").cast(pl.Float64),
        "stockout",
        "observed",
    )


def check_history(history: pl.DataFrame) -> None:
    """Fail early, naming the producer, when a frame is not in the layout above."""
    missing = sorted(set(HISTORY_COLUMNS) - set(history.columns))
    if missing:
        raise ValueError(
            f"history lacks columns {missing}; build it with origin_history(...) or "
            "history_rows(features)"
        )
