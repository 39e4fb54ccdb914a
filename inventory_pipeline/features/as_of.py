"""The feature set as of a day: what training and inference both feed the model.

:func:`features_as_of` is the one reader for both, so training and serving cannot drift apart.
It recomputes every leakage-sensitive feature from the raw exports on or before the as-of day D
with the same SQL files that build the stored tables (sources scoped by
:class:`~inventory_pipeline.features.sources.Scope`), so it is exact "as known on D":

- demand history: order lines exported <= D and placed <= D (upserted as known on D), inventory
  snapshots exported <= D; a correction exported after D does not change D's history;
- promotions: the plan as known on D for D+1..D+H, and for each past day d the promotion in force
  as known on d (<= D);
- review signals and product documents: reviews created and exported <= D;
- catalog (list price, launch and discontinuation dates, price tier): exports <= D.

Computing from raw rather than reading the "latest" daily_sku_demand is what makes backtests
honest (late corrections are invisible before they were exported); pruning to the order
partitions that can hold the window's lines keeps it to seconds (benchmarks/features.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import polars as pl

from inventory_pipeline.features.calendar import calendar_frame
from inventory_pipeline.features.config import DEFAULT_CONFIG, FeatureConfig
from inventory_pipeline.features.product_docs import compute_product_docs
from inventory_pipeline.features.promotions import compute_promo_calendar
from inventory_pipeline.features.reviews import compute_review_signals, signal_columns
from inventory_pipeline.features.season import (
    SEASON_FUTURE_COLUMNS,
    category_season,
    read_category_daily_units,
    season_key,
    season_ranges,
)
from inventory_pipeline.features.sources import (
    KNOWN_EXPORT_TABLES,
    KnownExports,
    Scope,
    connect,
    first_export,
    query,
    read_known_exports,
    register_sku_scope,
    register_sources,
)
from inventory_pipeline.warehouse import Warehouse

# Read by several queries per call and small next to orders and inventory: loaded once (and,
# for a range of days, read once: sources.KNOWN_EXPORT_TABLES).
SMALL_TABLES = KNOWN_EXPORT_TABLES


def read_exports_for_range(
    warehouse: Warehouse, last: date, config: FeatureConfig = DEFAULT_CONFIG
) -> KnownExports:
    """The small exports up to ``last``, read once for :func:`features_as_of` of many days up to
    it (a backfill's range): each day then takes its rows from memory instead of opening every
    export partition of the small tables again."""
    return read_known_exports(warehouse, last, SMALL_TABLES, config.duckdb_threads)


@dataclass(frozen=True)
class FeatureSet:
    """Long-format frames as known on ``as_of``; sorted by (sku, date) so they are reproducible.

    history:  (sku, date) for every SKU and day as_of-history_days+1 .. as_of (dense). units,
              stockout, on_sale (launched_at <= date < discontinued_at), observed (a usable,
              uncensored observation: inside the exported data, on sale or sold, and not a
              stockout), price_paid (null without sales), list_price, discount_pct / promo_type
              (promotion in force), on_hand, on_order.
    future:   (sku, date) for days as_of+1 .. as_of+horizon (dense): horizon (1..H), on_sale
              (covers SKUs launching or discontinued inside the horizon), planned discount_pct /
              promo_type as known on as_of, and the category's seasonal index from last year
              (category_season_log, category_season_known; features/season.py).
    calendar: (date) for history and future days: day-of-week fields and event flags.
    static:   (sku): catalog fields, price_tier, launched / discontinued flags, the latest
              inventory snapshot in the history window (snapshot_date, on_hand, on_order; a
              snapshot can arrive a day late, so snapshot_date may be before as_of), and the
              category's current level (category_recent_log, features/season.py).
    reviews:  (sku): review signals as of as_of (counts 0 and nulls for SKUs without reviews).
    docs:     (sku): product document text and text_sha256 as of as_of.
    unknown_skus: requested SKUs not in the catalog as known on as_of (left out of every frame).
    """

    as_of: date
    history: pl.DataFrame
    future: pl.DataFrame
    calendar: pl.DataFrame
    static: pl.DataFrame
    reviews: pl.DataFrame
    docs: pl.DataFrame
    unknown_skus: tuple[str, ...]

    def frames(self) -> dict[str, pl.DataFrame]:
        return {
            "history": self.history,
            "future": self.future,
            "calendar": self.calendar,
            "static": self.static,
            "reviews": self.reviews,
            "docs": self.docs,
        }

    @property
    def skus(self) -> list[str]:
        return self.static["sku"].to_list()


def _frame(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    return con.sql(sql).pl()


def _on_sale() -> pl.Expr:
    """launched_at <= date < discontinued_at, from the catalog as known on the as-of day."""
    return (pl.col("launched_at") <= pl.col("date")) & (
        pl.col("discontinued_at").is_null() | (pl.col("date") < pl.col("discontinued_at"))
    )


def _dense(skus: pl.DataFrame, first: date, last: date) -> pl.DataFrame:
    days = pl.DataFrame(pl.date_range(first, last, interval="1d", eager=True).alias("date"))
    return skus.select("sku").join(days, how="cross").sort("sku", "date")


def _history(
    con: duckdb.DuckDBPyConnection, static: pl.DataFrame, first: date, as_of: date, grid_start: date
) -> pl.DataFrame:
    demand = pl.from_arrow(
        query(
            con,
            "features/daily_sku_demand",
            {"start": first, "end": as_of, "grid_start": grid_start},
        )
    )
    promos = compute_promo_calendar(con, first, as_of, 0).filter(
        pl.col("date") == pl.col("known_on")
    )
    assert isinstance(demand, pl.DataFrame)
    grid = _dense(static, first, as_of).join(
        static.select("sku", "launched_at", "discontinued_at"),
        on="sku",
        how="left",
        maintain_order="left",
    )
    out = (
        grid.join(
            demand.drop("on_sale").with_columns(in_data=pl.lit(True)),
            on=["sku", "date"],
            how="left",
            maintain_order="left",
        )
        .join(
            promos.select("sku", "date", "discount_pct", "promo_type"),
            on=["sku", "date"],
            how="left",
            maintain_order="left",
        )
        .with_columns(
            pl.col("units").fill_null(0),
            pl.col("stockout").fill_null(False),
            pl.col("in_data").fill_null(False),
            pl.col("discount_pct").fill_null(0.0),
            on_sale=_on_sale(),
        )
        .with_columns(
            observed=pl.col("in_data")
            & (pl.col("on_sale") | (pl.col("units") > 0))
            & ~pl.col("stockout"),
        )
    )
    return out.select(
        "sku",
        "date",
        "units",
        "stockout",
        "on_sale",
        "observed",
        "price_paid",
        "list_price",
        "discount_pct",
        "promo_type",
        "on_hand",
        "on_order",
    )


def latest_snapshot(history: pl.DataFrame) -> pl.DataFrame:
    """(sku, snapshot_date, on_hand, on_order) of the last snapshot in the history window."""
    return (
        history.filter(pl.col("on_hand").is_not_null())
        .group_by("sku", maintain_order=True)
        .agg(
            pl.col("date").last().alias("snapshot_date"),
            pl.col("on_hand").last(),
            pl.col("on_order").last(),
        )
    )


def _future(
    con: duckdb.DuckDBPyConnection, static: pl.DataFrame, as_of: date, horizon: int
) -> pl.DataFrame:
    plan = compute_promo_calendar(con, as_of, as_of, horizon).filter(pl.col("date") > as_of)
    grid = _dense(static, as_of + timedelta(days=1), as_of + timedelta(days=horizon))
    return (
        grid.join(
            static.select("sku", "launched_at", "discontinued_at"),
            on="sku",
            how="left",
            maintain_order="left",
        )
        .join(
            plan.select("sku", "date", "discount_pct", "promo_type"),
            on=["sku", "date"],
            how="left",
            maintain_order="left",
        )
        .with_columns(
            horizon=(pl.col("date") - pl.lit(as_of)).dt.total_days().cast(pl.Int32),
            on_sale=_on_sale(),
            discount_pct=pl.col("discount_pct").fill_null(0.0),
        )
        .select("sku", "date", "horizon", "on_sale", "discount_pct", "promo_type")
    )


def _reviews(
    con: duckdb.DuckDBPyConnection, static: pl.DataFrame, as_of: date, config: FeatureConfig
) -> pl.DataFrame:
    signals = compute_review_signals(con, as_of, as_of, config).drop("date")
    counts = [c for c in signal_columns(config) if c.startswith("reviews_")]
    return (
        static.select("sku")
        .join(signals, on="sku", how="left", maintain_order="left")
        .with_columns(pl.col(counts).fill_null(0))
    )


def _with_category_season(
    warehouse: Warehouse,
    static: pl.DataFrame,
    future: pl.DataFrame,
    as_of: date,
    horizon: int,
    grid_start: date,
    config: FeatureConfig,
    exports: KnownExports | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``static`` and ``future`` with their category's level and seasonal index.

    Read over the whole catalog on a connection of its own: the caller's SKUs may be one shard.
    """
    con = connect(config.duckdb_threads)
    try:
        ranges = season_ranges(as_of, horizon, config)
        register_sources(
            con,
            warehouse,
            Scope(known_on=as_of, orders_from=min(r[0] for r in ranges), order_days=ranges),
            tables=("orders",),
            exports=exports,
        )
        daily = read_category_daily_units(con, as_of, horizon, grid_start, config)
    finally:
        con.close()
    season_future, season_static = category_season(daily, as_of, horizon, config)
    key = "_season_key"  # the category, or the shop level for products without one
    season_static = season_static.rename({"category": key})
    static = static.with_columns(season_key().alias(key)).join(
        season_static, on=key, how="left", maintain_order="left"
    )
    future = (
        future.join(
            static.select("sku", key).join(
                season_future.rename({"category": key}), on=key, how="inner"
            ),
            on=["sku", "date"],
            how="left",
            maintain_order="left",
        )
        .drop(key)
        .with_columns(pl.col(SEASON_FUTURE_COLUMNS).fill_null(0.0))
    )
    return static.drop(key), future


def features_as_of(
    warehouse: Warehouse,
    as_of: date,
    skus: Sequence[str] | None = None,
    history_days: int | None = None,
    horizon: int | None = None,
    config: FeatureConfig = DEFAULT_CONFIG,
    category_season: bool = True,
    exports: KnownExports | None = None,
) -> FeatureSet:
    """Every feature of ``skus`` (default: the whole catalog known on as_of) as known on as_of.

    Products announced but not yet launched are included (cold start: the model forecasts them
    from their category and catalog fields); discontinued ones are flagged in
    ``static.discontinued`` and ``future.on_sale``. ``category_season=False`` leaves out the
    category level and seasonal index (features/season.py), which read last year's orders around
    the horizon, for callers that do not feed the demand model (the reorder plan, the baselines'
    history). ``exports``: the small exports read once for a range of as-of days holding
    ``as_of`` (:func:`read_exports_for_range`); the features are the same, read faster.
    """
    history_days = history_days or config.history_days
    horizon = horizon or config.horizon_days
    if history_days < 1 or horizon < 1:
        raise ValueError(f"history_days and horizon must be >= 1, got {history_days}, {horizon}")
    first = as_of - timedelta(days=history_days - 1)
    con = connect(config.duckdb_threads)
    try:
        register_sources(
            con,
            warehouse,
            Scope(known_on=as_of, orders_from=first, inventory_from=first),
            skus=skus,
            materialize=SMALL_TABLES,
            exports=exports,
        )
        known = _frame(
            con, "SELECT sku FROM sku_scope SEMI JOIN products_current USING (sku) ORDER BY sku"
        )
        unknown = () if skus is None else tuple(sorted(set(skus) - set(known["sku"].to_list())))
        register_sku_scope(con, known["sku"].to_list())
        docs = compute_product_docs(con, as_of, as_of, config).drop("day")
        static = pl.from_arrow(query(con, "features/product_static", {"as_of": as_of}))
        assert isinstance(static, pl.DataFrame)
        static = static.join(
            docs.select("sku", "price_tier"), on="sku", how="left", maintain_order="left"
        )
        grid_start = first_export(warehouse) if exports is None else exports.first_export()
        history = _history(con, static, first, as_of, grid_start)
        static = static.join(latest_snapshot(history), on="sku", how="left", maintain_order="left")
        future = _future(con, static, as_of, horizon)
        if category_season:
            static, future = _with_category_season(
                warehouse, static, future, as_of, horizon, grid_start, config, exports
            )
        reviews = _reviews(con, static, as_of, config)
    finally:
        con.close()
    return FeatureSet(
        as_of=as_of,
        history=history,
        future=future,
        calendar=calendar_frame(first, as_of + timedelta(days=horizon), config.events),
        static=static,
        reviews=reviews,
        docs=docs.select("sku", "text", "text_sha256"),
        unknown_skus=unknown,
    )
