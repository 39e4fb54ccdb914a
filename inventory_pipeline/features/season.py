"""Category seasonality from last year: how the coming days sold a year ago, against today.

The model sees 56 days of a product's history, so a season that starts inside the horizon (the
weeks before Christmas for decorations, spring for seeds) is invisible in it, and a product
launched weeks ago has never been through one. What the shop *has* seen is last year's season of
the other products of the category. For every category and forecast day D+h this module computes,
from the orders and catalog known on the as-of day D (``sql/features/category_daily_units.sql``):

- ``category_season_log``: log of the category's units per product on sale around D+h-364
  (``season_smooth_days`` centred days, 364 = 52 weeks keeps the weekday) minus log of its units
  per product on sale over the last ``season_recent_days`` days up to D: the seasonal change the
  category went through last year, relative to where it is now;
- ``category_season_known``: 1 when both levels rest on data (0 in the shop's first year, and
  then the index is 0);
- ``category_recent_log`` (per category, static): log units per product on sale over the recent
  window, the category's current level.

Everything is over the whole catalog, also when a caller asks for a few SKUs (one shard of the
nightly forecast), and sums are of integers: re-runs give identical floats.

``category`` is optional in the catalog: a product without one gets the shop level, the same
three columns computed over the whole catalog (the rows of category :data:`SHOP_KEY`, present
only when some product lacks a category; :func:`season_key` picks the key of a product).
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from inventory_pipeline.features.config import FeatureConfig
from inventory_pipeline.features.sources import query

SEASON_FUTURE_COLUMNS: tuple[str, ...] = ("category_season_log", "category_season_known")
SHOP_KEY = ""  # the whole catalog's level; no real category is empty (ingest nulls empty values)
MIN_SHARE_OF_DAYS = 0.5  # a smoothed level needs data on at least this share of its days


def season_window(as_of: date, config: FeatureConfig) -> tuple[date, date]:
    """(first, last) demand day the seasonal index and the current level of ``as_of`` read.

    Last year's days of any horizon up to ``season_lag_days`` lie inside it.
    """
    half = config.season_smooth_days // 2
    first = min(
        as_of + timedelta(days=1 - config.season_lag_days - half),
        as_of - timedelta(days=config.season_recent_days - 1),
    )
    return first, as_of


def season_ranges(
    as_of: date, horizon: int, config: FeatureConfig
) -> tuple[tuple[date, date], tuple[date, date]]:
    """The two (first, last) demand-day ranges the index of ``as_of`` reads, inside
    :func:`season_window`: last year's days around the horizon (up to ``as_of``), and the
    recent window."""
    half = config.season_smooth_days // 2
    year_ago = (
        as_of + timedelta(days=1 - config.season_lag_days - half),
        min(as_of + timedelta(days=horizon - config.season_lag_days + half), as_of),
    )
    recent = (as_of - timedelta(days=config.season_recent_days - 1), as_of)
    return year_ago, recent


def read_category_daily_units(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    horizon: int,
    grid_start: date,
    config: FeatureConfig,
) -> pl.DataFrame:
    """(category, date, skus_on_sale, units) on the :func:`season_ranges` days, whole catalog.

    ``con`` must have the orders registered with ``Scope.order_days`` = those ranges (or wider).
    """
    year_ago, recent = season_ranges(as_of, horizon, config)
    frame = pl.from_arrow(
        query(
            con,
            "features/category_daily_units",
            {
                "year_ago_start": year_ago[0],
                "year_ago_end": year_ago[1],
                "recent_start": recent[0],
                "end": as_of,
                "grid_start": grid_start,
                "shop_key": SHOP_KEY,
            },
        )
    )
    assert isinstance(frame, pl.DataFrame)
    return frame


def season_key(category: str = "category") -> pl.Expr:
    """The key a product's season and level are read under: its category, else the shop's."""
    return pl.col(category).fill_null(SHOP_KEY)


def category_season(
    daily: pl.DataFrame, as_of: date, horizon: int, config: FeatureConfig
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per (category, date) the future columns and per category the static ones (see above)."""
    first, _ = season_window(as_of, config)
    n_days = (as_of - first).days + 1
    categories = sorted(daily["category"].unique().to_list())
    index = {c: i for i, c in enumerate(categories)}
    units = np.zeros((len(categories), n_days), dtype=np.int64)  # (C, T)
    skus = np.zeros((len(categories), n_days), dtype=np.int64)  # (C, T)
    if daily.height:
        rows = np.array([index[c] for c in daily["category"].to_list()], dtype=np.int64)
        cols = np.array([(d - first).days for d in daily["date"].to_list()], dtype=np.int64)
        units[rows, cols] = daily["units"].cast(pl.Int64).to_numpy()
        skus[rows, cols] = daily["skus_on_sale"].cast(pl.Int64).to_numpy()

    def log_level(days: slice) -> np.ndarray:
        """(C,) log units per product on sale and day over ``days``."""
        per_product = units[:, days].sum(1) / np.maximum(skus[:, days].sum(1), 1)
        return np.log(per_product + config.season_level_epsilon)

    recent = slice(n_days - config.season_recent_days, n_days)
    recent_known = (skus[:, recent] > 0).mean(1) >= MIN_SHARE_OF_DAYS
    recent_log = log_level(recent)  # (C,)

    half = config.season_smooth_days // 2
    season = np.zeros((len(categories), horizon))
    known = np.zeros((len(categories), horizon))
    for h in range(1, horizon + 1):
        centre = (as_of + timedelta(days=h - config.season_lag_days) - first).days
        window = slice(max(centre - half, 0), max(centre + half + 1, 0))
        days_with_data = (skus[:, window] > 0).sum(1)  # a window cut at `first` counts short
        ok = recent_known & (days_with_data >= MIN_SHARE_OF_DAYS * config.season_smooth_days)
        season[:, h - 1] = np.where(ok, log_level(window) - recent_log, 0.0)
        known[:, h - 1] = ok
    dates = [as_of + timedelta(days=h) for h in range(1, horizon + 1)]
    future = pl.DataFrame(
        {
            "category": np.repeat(np.array(categories, dtype=object), horizon).tolist(),
            "date": dates * len(categories),
            "category_season_log": season.reshape(-1),
            "category_season_known": known.reshape(-1),
        },
        schema={
            "category": pl.String,
            "date": pl.Date,
            "category_season_log": pl.Float64,
            "category_season_known": pl.Float64,
        },
    )
    static = pl.DataFrame(
        {"category": categories, "category_recent_log": np.where(recent_known, recent_log, 0.0)},
        schema={"category": pl.String, "category_recent_log": pl.Float64},
    )
    return future, static
