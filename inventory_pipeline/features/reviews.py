"""review_signals: rolling review counts, mean rating, negative share and recency per sku x day.

Stored as ``features/review_signals/date=YYYY-MM-DD/data.parquet``, one row per SKU with at least
one review known on that day (missing SKU = no reviews yet). A review counts on day d only if it
was created on or before d and exported on or before d, in its version as known on d.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from inventory_pipeline.features.common import TableUpdate, feature_table
from inventory_pipeline.features.config import DEFAULT_CONFIG, FeatureConfig
from inventory_pipeline.features.known_days import known_day_range, write_days
from inventory_pipeline.features.sources import query
from inventory_pipeline.warehouse import Warehouse

NAME = "review_signals"
TABLE = feature_table(NAME)
KEY = "date"
STATS = ("reviews", "mean_rating", "negative_share")


def window_suffix(window_days: int) -> str:
    return "total" if window_days == 0 else f"{window_days}d"


def signal_columns(config: FeatureConfig) -> list[str]:
    """Value columns in table order: per window (then all-time) the three stats, then recency."""
    return [f"{stat}_{window_suffix(w)}" for w in (*config.review_windows, 0) for stat in STATS] + [
        "days_since_last_review"
    ]


def compute_review_signals(
    con: duckdb.DuckDBPyConnection, first_day: date, last_day: date, config: FeatureConfig
) -> pl.DataFrame:
    """Wide rows (date, sku, reviews_7d, mean_rating_7d, negative_share_7d, ..., *_total,
    days_since_last_review) for days first_day..last_day."""
    long = pl.from_arrow(
        query(
            con,
            "features/review_signals",
            {
                "first_day": first_day,
                "last_day": last_day,
                "windows": list(config.review_windows),
                "negative_max_rating": config.negative_max_rating,
            },
        )
    )
    assert isinstance(long, pl.DataFrame)
    keys = long.select("date", "sku", "days_since_last_review").unique(maintain_order=True)
    wide = keys
    for w in (*config.review_windows, 0):
        suffix = window_suffix(w)
        part = long.filter(pl.col("window_days") == w).select(
            "date",
            "sku",
            pl.col("reviews").alias(f"reviews_{suffix}"),
            pl.col("mean_rating").alias(f"mean_rating_{suffix}"),
            pl.col("negative_share").alias(f"negative_share_{suffix}"),
        )
        wide = wide.join(part, on=["date", "sku"], how="left", maintain_order="left")
        wide = wide.with_columns(pl.col(f"reviews_{suffix}").fill_null(0))
    return wide.select("date", "sku", *signal_columns(config)).sort("date", "sku")


def _writer(warehouse: Warehouse, export_date: date | None, config: FeatureConfig) -> TableUpdate:
    first, last = known_day_range(warehouse, export_date)
    return write_days(
        warehouse,
        name=NAME,
        table=TABLE,
        key=KEY,
        day_column="date",
        compute=lambda con, lo, hi: compute_review_signals(con, lo, hi, config),
        first=first,
        last=last,
        config=config,
        full_rebuild=export_date is None,
        tables=("reviews",),
    )


def build_review_signals(
    warehouse: Warehouse, config: FeatureConfig = DEFAULT_CONFIG
) -> TableUpdate:
    """Full rebuild: one partition per day from the first to the latest export."""
    return _writer(warehouse, None, config)


def update_review_signals(
    warehouse: Warehouse, export_date: date, config: FeatureConfig = DEFAULT_CONFIG
) -> TableUpdate:
    """After export ``export_date`` was (re)loaded: rewrites days export_date..latest."""
    return _writer(warehouse, export_date, config)
