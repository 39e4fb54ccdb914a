"""Nightly forecasting: SKU forecasts, the reorder plan and forecast accuracy for one day.

Plain Python over the warehouse; the Dagster assets in ``defs/forecasting`` are thin glue. The
forecast for day D reads only :func:`features_as_of` D (nothing exported after D) through the
same window builder the model was trained with.

Each origin's features are read once a night (:func:`read_features`: the model's window, or the
plan's if longer). The forecast narrows them to the model's window, the plan to its lookback
(:func:`narrowed`, exact: a day's history row does not depend on the window it is read in); the
nightly job's forecast step stages the plan's part (:func:`write_plan_features`), since the plan
is a step of its own. Without a feature set, :func:`forecast_day` and
:func:`load_day_forecast` read their own (what tools and tests call).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from inventory_pipeline import metrics
from inventory_pipeline.buyer import BuyerSheetConfig
from inventory_pipeline.features.as_of import (
    FeatureSet,
    features_as_of,
    latest_snapshot,
    read_exports_for_range,
)
from inventory_pipeline.features.config import FeatureConfig
from inventory_pipeline.features.sources import KnownExports
from inventory_pipeline.forecast_shape import PUBLISHED_LEVELS, check_levels
from inventory_pipeline.leadtimes import LeadTimeEstimate, weekly_lead_time_estimate
from inventory_pipeline.model.config import ModelConfig
from inventory_pipeline.model.forecaster import DemandForecaster
from inventory_pipeline.model.predict import quantile_column_name
from inventory_pipeline.recalibration import CoverRecalibration
from inventory_pipeline.reorder import PlanInputs, ReorderConfig, plan_orders
from inventory_pipeline.warehouse import Warehouse, sql_literal_path
from inventory_pipeline.windows import samples_from_features

FORECASTS = "forecasts"
REORDER_PLAN = "reorder_plan"
ACCURACY = "forecast_accuracy"
PLANNED_SCHEMA = {"sku": pl.String, "plan_date": pl.Date, "order_qty": pl.Int64}  # planned_orders
ACCURACY_SCHEMA = {
    "scored_on": pl.Date, "forecast_date": pl.Date, "horizon": pl.Int32, "n": pl.Int64,
    "units": pl.Float64, "wape": pl.Float64, "wql": pl.Float64, "coverage_80": pl.Float64,
}  # fmt: skip


@dataclass(frozen=True)
class ModelRef:
    """Which registered model version produced a forecast."""

    name: str
    version: str


@dataclass
class DayForecast:
    """Forecast rows of one day plus the features they were made from (for the plan)."""

    forecast_date: date
    rows: pl.DataFrame  # the forecasts table partition
    features: FeatureSet
    levels: tuple[float, ...]
    cumulative: np.ndarray  # (N, H, Q) for the SKUs in ``skus``
    skus: list[str]
    planned: pl.DataFrame | None = None  # (sku, plan_date, order_qty) recommended on earlier days
    lead_times: LeadTimeEstimate | None = None  # estimated when the policy states no range
    cover_recalibration: CoverRecalibration | None = None  # the model's levels for the plan


def plan_lookback_days(policy: ReorderConfig) -> int:
    """Days of history the plan reads as of its day: the oldest snapshot it plans on (and the
    earlier plans' orders since), at least the week its reasons look back on for stockouts."""
    return max(7, policy.max_snapshot_age_days + 1)


def plan_history_days(policy: ReorderConfig) -> int:
    """History the plan step uses as of its day: its lookback, and the weeks of sales its buyer
    view charts before the largest orders' forecasts."""
    return max(plan_lookback_days(policy), BuyerSheetConfig().fan_history_days)


def read_features(
    warehouse: Warehouse,
    as_of: date,
    config: ModelConfig,
    feature_config: FeatureConfig | None = None,
    skus: Sequence[str] | None = None,
    history_days: int | None = None,
    exports: KnownExports | None = None,
) -> FeatureSet:
    """The one read of an origin's features: the model's horizon, and its history or
    ``history_days`` if longer (e.g. :func:`plan_lookback_days`, so the plan can use it too).
    ``exports``: the small exports read once for a range of origins (:func:`read_range_exports`)."""
    return features_as_of(
        warehouse,
        as_of,
        skus=skus,
        history_days=max(config.history_days, history_days or 0),
        horizon=config.horizon_days,
        exports=exports,
        **({"config": feature_config} if feature_config else {}),
    )


def read_range_exports(
    warehouse: Warehouse, days: Sequence[date], feature_config: FeatureConfig | None = None
) -> KnownExports:
    """What every origin of ``days`` reads alike, read once: the export days of the raw tables and
    the small exports up to the last of them (a backfill over a range reads them once, not once
    per day; the features are the same)."""
    return read_exports_for_range(warehouse, max(days), feature_config or FeatureConfig())


def held_history_days(features: FeatureSet) -> int:
    """Days of history ``features`` holds (its calendar spans them and the horizon)."""
    return (features.as_of - features.calendar["date"].min()).days + 1


def narrowed(
    features: FeatureSet, history_days: int | None = None, skus: Sequence[str] | None = None
) -> FeatureSet:
    """``features`` as ``features_as_of`` returns them for the last ``history_days`` days only
    (default: all) and only ``skus`` (default: all), without reading them again.

    Each day's history row is the same whatever the window (the demand of a day is a function of
    the exports known on the as-of day), so only what the window decides is recomputed: the
    latest inventory snapshot in it (``static.snapshot_date``, ``on_hand``, ``on_order``).
    """
    have = held_history_days(features)
    days = history_days or have
    if days > have:
        raise ValueError(
            f"the feature set as of {features.as_of} holds {have} days of history, {days} are "
            f"needed: read it with history_days >= {days}"
        )
    if days == have and skus is None:
        return features
    frames = features.frames()
    unknown = features.unknown_skus
    if skus is not None:
        wanted = pl.Series("sku", list(skus), dtype=pl.String)
        known = set(features.static["sku"].to_list())
        unknown = tuple(sorted(set(unknown) | (set(wanted.to_list()) - known)))
        frames = {
            name: frame if name == "calendar" else frame.filter(pl.col("sku").is_in(wanted))
            for name, frame in frames.items()
        }
    if days < have:
        first = features.as_of - timedelta(days=days - 1)
        history = frames["history"].filter(pl.col("date") >= first)
        static = frames["static"]
        snapshot = ["snapshot_date", "on_hand", "on_order"]
        frames |= {
            "history": history,
            "calendar": frames["calendar"].filter(pl.col("date") >= first),
            "static": static.drop(snapshot)
            .join(latest_snapshot(history), on="sku", how="left", maintain_order="left")
            .select(static.columns),
        }
    return FeatureSet(as_of=features.as_of, unknown_skus=unknown, **frames)


def forecast_day(
    warehouse: Warehouse,
    forecaster: DemandForecaster,
    forecast_date: date,
    model: ModelRef,
    feature_config: FeatureConfig | None = None,
    skus: Sequence[str] | None = None,
    features: FeatureSet | None = None,
) -> DayForecast:
    """Forecasts for every SKU known on ``forecast_date`` that is not discontinued by then.

    ``skus`` restricts the forecast to those SKUs (one shard of the catalog); each SKU's rows do
    not depend on which other SKUs are forecast with it. ``features``: the feature set as of
    ``forecast_date`` already read by the caller (:func:`read_features`, or ``features_as_of``
    with at least the model's history and exactly its horizon), so it is not read twice; default:
    read here. ``DayForecast.features`` is the set as given (the plan narrows it to its lookback).
    """
    config = forecaster.config
    check_levels(config.quantiles)
    if features is None:
        features = read_features(warehouse, forecast_date, config, feature_config, skus)
    features = narrowed(features, config.history_days, skus)  # the model's L days
    if features.as_of != forecast_date or features.future["horizon"].max() != config.horizon_days:
        raise ValueError(
            f"the feature set is as of {features.as_of} with horizon "
            f"{features.future['horizon'].max()}, the forecast needs {forecast_date} and "
            f"{config.horizon_days}: read it with read_features(..., {forecast_date}, ...)"
        )
    windows = samples_from_features(features, config)
    static = features.static.sort("sku")
    keep = ~static["discontinued"].to_numpy()
    # discontinued products get no forecast: neither encode their documents nor run them
    forecast = forecaster.predict(windows.samples.subset(np.nonzero(keep)[0]))
    skus = [s for s, k in zip(windows.skus, keep) if k]
    H = config.horizon_days
    on_sale = (
        features.future.sort("sku", "date")["on_sale"]
        .to_numpy()
        .reshape(len(windows.skus), H)[keep]
    )
    daily = forecast.daily * on_sale[:, :, None]  # (N, H, Q): no demand off sale
    # after a discontinuation inside the horizon, cumulative demand stops growing
    last_on_sale = np.where(on_sale.any(axis=1), H - 1 - np.argmax(on_sale[:, ::-1], axis=1), -1)
    last = np.where(last_on_sale >= 0, last_on_sale, H - 1)  # never on sale: left as is
    held = np.minimum(np.arange(H)[None, :], last[:, None])  # (N, H): day whose value holds
    cumulative = np.take_along_axis(forecast.cumulative, held[:, :, None], axis=1)  # (N, H, Q)
    n = len(skus)
    data: dict[str, object] = {
        "forecast_date": pl.repeat(forecast_date, n * H, dtype=pl.Date, eager=True),
        "sku": pl.Series(skus, dtype=pl.String).gather(np.repeat(np.arange(n), H)),
        "target_date": pl.Series(
            np.tile(np.datetime64(forecast_date, "D") + np.arange(1, H + 1), n)
        ).cast(pl.Date),
        "horizon": np.tile(np.arange(1, H + 1, dtype=np.int32), n),
    }
    names = [quantile_column_name(q) for q in config.quantiles]
    for j, name in enumerate(names):
        data[name] = daily[:, :, j].reshape(-1).astype(np.float64)
    for j, name in enumerate(names):
        data[f"cum_{name}"] = cumulative[:, :, j].reshape(-1).astype(np.float64)
    data["model_name"] = pl.repeat(model.name, n * H, dtype=pl.String, eager=True)
    data["model_version"] = pl.repeat(model.version, n * H, dtype=pl.String, eager=True)
    rows = pl.DataFrame(data)
    ordered = ["forecast_date", "sku", "target_date", "horizon", "p10", "p50", "p90"]
    rows = rows.select(ordered + [c for c in rows.columns if c not in ordered])
    return DayForecast(
        forecast_date, rows, features, config.quantiles, cumulative, skus,
        cover_recalibration=forecaster.cover_recalibration,
    )  # fmt: skip


def load_day_forecast(
    warehouse: Warehouse,
    forecast_date: date,
    path: Path | None = None,
    feature_config: FeatureConfig | None = None,
    policy: ReorderConfig | None = None,
    features: FeatureSet | None = None,
) -> DayForecast:
    """A written forecasts partition plus what the plan needs as of its date.

    ``path``: read this forecasts file (e.g. one shard's) instead of the day's published partition.
    ``feature_config``: the shop's (its events name the plan's reasons); default: the defaults.
    ``policy``: how far back a snapshot and the earlier plans' orders are looked for
    (``max_snapshot_age_days``), and whether the suppliers' lead-time range is estimated from the
    snapshots (``lead_time_range`` None); default: the policy defaults.
    ``features``: the features as of the date the forecast was made from, with at least
    :func:`plan_lookback_days` of history (:func:`read_plan_features`); default: read here.
    """
    policy = policy or ReorderConfig()
    lookback = plan_lookback_days(policy)
    path = path or warehouse.partition_path(FORECASTS, {"forecast_date": forecast_date})
    if not path.exists():
        raise FileNotFoundError(
            f"no forecasts for {forecast_date} at {path}: materialise sku_forecasts for that day "
            f"first"
        )
    rows = pl.read_parquet(path).sort("sku", "horizon")
    cum_columns = [c for c in rows.columns if c.startswith("cum_p")]
    levels = tuple(float(c.removeprefix("cum_p")) / 100 for c in cum_columns)
    order = np.argsort(levels)
    levels = tuple(levels[i] for i in order)
    cum_columns = [cum_columns[i] for i in order]
    skus = rows["sku"].unique(maintain_order=True).to_list()
    horizon = int(rows["horizon"].max()) if rows.height else 1
    cumulative = rows.select(cum_columns).to_numpy().reshape(len(skus), horizon, len(cum_columns))
    if features is None:
        features = features_as_of(
            warehouse, forecast_date, skus=skus, history_days=lookback, horizon=horizon,
            category_season=False, **({"config": feature_config} if feature_config else {}),
        )  # fmt: skip
    elif features.as_of != forecast_date:
        raise ValueError(f"features as of {features.as_of} given for the plan of {forecast_date}")
    else:
        features = narrowed(features, lookback, skus)
    planned = planned_orders(warehouse, forecast_date, lookback, skus)
    lead_times = (
        weekly_lead_time_estimate(warehouse, forecast_date)
        if policy.lead_time_range is None
        else None
    )
    return DayForecast(forecast_date, rows, features, levels, cumulative, skus, planned, lead_times)


PLAN_FEATURES = "staging/plan_features"  # + /<frame>: the forecast's features the plan reads
_PLAN_FRAMES = ("history", "future", "calendar", "static", "reviews")  # not docs: the plan's text
_DOCS_SCHEMA = {"sku": pl.String, "text": pl.String, "text_sha256": pl.String}


def write_plan_features(
    warehouse: Warehouse,
    features: FeatureSet,
    skus: Sequence[str],
    policy: ReorderConfig,
    partition: dict[str, str | date],
) -> None:
    """Stages what the plan step of ``features.as_of`` reads of the forecast's features
    (:func:`plan_history_days` of them, the forecast ``skus``), so it does not read them again;
    ``partition``: ``{"forecast_date": D}`` (plus the shard of a sharded night)."""
    plan = narrowed(features, min(plan_history_days(policy), held_history_days(features)), skus)
    for name in _PLAN_FRAMES:
        warehouse.write_partition(
            f"{PLAN_FEATURES}/{name}", partition, getattr(plan, name).to_arrow()
        )


def read_plan_features(
    warehouse: Warehouse, as_of: date, partition: dict[str, str | date], policy: ReorderConfig
) -> FeatureSet | None:
    """The features :func:`write_plan_features` staged for ``policy``'s plan, or None when a frame
    is missing or holds less history than ``policy`` looks back on (the forecast was written by
    other means, or with a shorter lookback: the plan then reads the features itself)."""
    paths = {n: warehouse.partition_path(f"{PLAN_FEATURES}/{n}", partition) for n in _PLAN_FRAMES}
    if not all(p.exists() for p in paths.values()):
        return None
    frames = {name: pl.read_parquet(path) for name, path in paths.items()}
    features = FeatureSet(
        as_of=as_of, docs=pl.DataFrame(schema=_DOCS_SCHEMA), unknown_skus=(), **frames
    )
    return features if held_history_days(features) >= plan_lookback_days(policy) else None


def remove_plan_features(warehouse: Warehouse, partition: dict[str, str | date]) -> None:
    """Drops a day's staged plan features once its plan is made (a re-plan reads them anew)."""
    for name in _PLAN_FRAMES:
        warehouse.partition_path(f"{PLAN_FEATURES}/{name}", partition).unlink(missing_ok=True)


def planned_orders(
    warehouse: Warehouse, plan_date: date, days: int, skus: Sequence[str] | None = None
) -> pl.DataFrame:
    """(sku, plan_date, order_qty) of the orders the published plans of the ``days`` days before
    ``plan_date`` recommended (order_qty > 0); the plan counts those after a SKU's latest snapshot
    as on order, since the snapshot cannot show them yet."""
    paths = [
        path
        for path in (
            warehouse.partition_path(REORDER_PLAN, {"plan_date": plan_date - timedelta(days=k)})
            for k in range(days, 0, -1)
        )
        if path.exists()
    ]
    empty = pl.DataFrame(schema=PLANNED_SCHEMA)
    if not paths:
        return empty
    frame = pl.concat(
        [
            pl.read_parquet(p, columns=["sku", "plan_date", "order_qty"]).cast(empty.schema)
            for p in paths
        ]
    ).filter(pl.col("order_qty") > 0)
    if skus is not None:
        frame = frame.filter(pl.col("sku").is_in(list(skus)))
    return frame


def _drivers(day: DayForecast, cover: np.ndarray) -> list[list[str]]:
    """Short phrases naming what moves each SKU's demand in its cover window."""
    f = day.features
    as_of = day.forecast_date
    future = f.future.filter(pl.col("discount_pct") > 0)
    promos = {
        sku: (group["date"].min(), group["discount_pct"].max(), group["date"].to_list())
        for (sku,), group in future.group_by("sku")
    }
    event_cols = [c for c in f.calendar.columns if c.startswith("event_")]
    events = []
    for row in f.calendar.filter(pl.col("date") > as_of).sort("date").iter_rows(named=True):
        names = [c.removeprefix("event_").replace("_", " ") for c in event_cols if row[c]]
        if names:
            events.append((row["date"], names[0]))
    recent = f.history.filter(pl.col("date") > as_of - timedelta(days=7))
    stockouts = dict(recent.group_by("sku").agg(pl.col("stockout").sum()).iter_rows())
    reviews = {r["sku"]: r for r in f.reviews.iter_rows(named=True)}
    out = []
    for sku, days in zip(day.skus, cover):
        end = as_of + timedelta(days=int(days))
        phrases = []
        if sku in promos:
            start, pct, dates = promos[sku]
            if any(d <= end for d in dates):
                phrases.append(f"planned {pct:.0f}% promotion from {start.isoformat()}")
        window_events = sorted({name for d, name in events if d <= end})
        if window_events:
            phrases.append("shopping event(s): " + ", ".join(window_events[:2]))
        if stockouts.get(sku, 0):
            phrases.append(f"stocked out on {stockouts[sku]} of the last 7 days")
        r = reviews.get(sku)
        if (
            r
            and (r.get("reviews_28d") or 0) >= 3
            and r.get("mean_rating_28d") is not None
            and r.get("mean_rating_total") is not None
            and r["mean_rating_28d"] < r["mean_rating_total"] - 0.5
        ):
            phrases.append(
                f"rating fell to {r['mean_rating_28d']:.1f} in 28 days "
                f"(all-time {r['mean_rating_total']:.1f})"
            )
        out.append(phrases)
    return out


def plan_levels_note(day: DayForecast) -> str:
    """Which levels the day's plan reads: the model's recalibration, or the targets as is."""
    recalibration = day.cover_recalibration
    if recalibration is None:
        return f"plan {day.forecast_date}: service levels read as is (no recalibration)"
    return f"plan {day.forecast_date}: recalibrated service levels {recalibration.describe()}"


def plan_day(day: DayForecast, config: ReorderConfig) -> pl.DataFrame:
    """The reorder plan of ``day.forecast_date`` from its forecast and features."""
    static = day.features.static.sort("sku").filter(pl.col("sku").is_in(day.skus))
    if static["sku"].to_list() != day.skus:
        raise AssertionError("forecast SKUs and static features are not aligned")
    lead = static["lead_time_days"].to_numpy().astype(np.int64)
    launched_at = static["launched_at"].to_list()
    stock = _stock_since_snapshot(day, static, config)
    inputs = PlanInputs(
        skus=day.skus,
        categories=static["category"].fill_null("").to_list(),  # optional: no prefix matches
        on_hand=static["on_hand"].fill_null(0).to_numpy().astype(np.int64),
        on_order=static["on_order"].fill_null(0).to_numpy().astype(np.int64),
        lead_time_days=lead,
        moq=static["moq"].to_numpy().astype(np.int64),
        pack_size=static["pack_size"].to_numpy().astype(np.int64),
        list_price=static["list_price"].to_numpy().astype(float),
        unit_cost=static["unit_cost"].to_numpy().astype(float),
        discontinued=static["discontinued"].to_numpy().astype(bool),
        launches_on=[d if d > day.forecast_date else None for d in launched_at],
        cum_levels=np.asarray(day.levels),
        cum_quantiles=day.cumulative,
        drivers=_drivers(day, lead + config.review_period_days),
        snapshot_age_days=stock["snapshot_age_days"].to_numpy(),
        sold_since_snapshot=stock["sold_since"].to_numpy(),
        planned_since_snapshot=stock["planned_since"].to_numpy(),
        new_product=stock["new_product"].to_numpy(),
        cover_recalibration=day.cover_recalibration,
    )
    if config.lead_time_range is None:  # the shop states none: the snapshots' estimate, if any
        estimated = day.lead_times.lead_time_range if day.lead_times is not None else None
        config = dataclasses.replace(config, lead_time_range=estimated or (1.0, 1.0))
    plan = plan_orders(day.forecast_date, inputs, config)
    version = day.rows["model_version"][0] if day.rows.height else None
    return plan.with_columns(
        pl.lit(version, pl.String).alias("model_version"),
        pl.Series("snapshot_date", static["snapshot_date"].to_list(), dtype=pl.Date),
    )


def _stock_since_snapshot(
    day: DayForecast, static: pl.DataFrame, config: ReorderConfig
) -> pl.DataFrame:
    """Per SKU (``static``'s order): the latest snapshot's age in days (-1: none in the lookback),
    units sold after it, units the earlier plans ordered after it (``plan_orders`` leaves them out
    without ``count_planned_orders``), and whether the SKU is new
    (launched within ``max_snapshot_age_days`` or not yet: no snapshot is expected of it).

    A snapshot taken on day S cannot show what sold after S nor an order placed from a plan made
    on S or later, so the position the plan orders against is snapshot − sold + those orders.
    """
    as_of = day.forecast_date
    snapshots = static.select("sku", "snapshot_date", "launched_at")
    sold = (
        day.features.history.join(snapshots, on="sku", how="inner")
        .filter(pl.col("snapshot_date").is_not_null() & (pl.col("date") > pl.col("snapshot_date")))
        .group_by("sku")
        .agg(pl.col("units").fill_null(0).sum().cast(pl.Int64).alias("sold_since"))
    )
    planned = day.planned if day.planned is not None else pl.DataFrame(schema=PLANNED_SCHEMA)
    planned = (
        planned.join(snapshots, on="sku", how="inner")
        .filter(
            pl.col("snapshot_date").is_null() | (pl.col("plan_date") >= pl.col("snapshot_date"))
        )
        .group_by("sku")
        .agg(pl.col("order_qty").sum().cast(pl.Int64).alias("planned_since"))
    )
    recent = as_of - timedelta(days=config.max_snapshot_age_days)
    return (
        snapshots.join(sold, on="sku", how="left", maintain_order="left")
        .join(planned, on="sku", how="left", maintain_order="left")
        .select(
            pl.when(pl.col("snapshot_date").is_null())
            .then(-1)
            .otherwise((pl.lit(as_of) - pl.col("snapshot_date")).dt.total_days())
            .cast(pl.Int64)
            .alias("snapshot_age_days"),
            pl.col("sold_since").fill_null(0),
            pl.col("planned_since").fill_null(0),
            (pl.col("launched_at").is_not_null() & (pl.col("launched_at") >= recent)).alias(
                "new_product"
            ),
        )
    )


def _months(first: date, last: date) -> list[str]:
    """``YYYY-MM`` of every month from ``first`` to ``last``."""
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day.strftime("%Y-%m"))
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def score_forecasts(warehouse: Warehouse, scored_on: date, horizon: int) -> pl.DataFrame:
    """Accuracy of the forecasts made on the ``horizon`` days before ``scored_on``, by forecast
    date and horizon.

    Actuals are ``daily_sku_demand`` up to ``scored_on``; stockout-censored days are excluded
    (sales there are a lower bound of demand, not demand). Only the forecast partitions of those
    ``horizon`` days and the demand months their targets fall in are read, so the cost of a night
    does not grow with the number of partitions kept; rows are scored in (forecast date, horizon,
    SKU) order, so re-runs give identical sums.
    """
    first = scored_on - timedelta(days=horizon)
    forecast_files = [
        path
        for path in (
            warehouse.partition_path(FORECASTS, {"forecast_date": first + timedelta(days=i)})
            for i in range(horizon)
        )
        if path.exists()
    ]
    demand_files = [
        path
        for path in (
            warehouse.partition_path("features/daily_sku_demand", {"month": month})
            for month in _months(first + timedelta(days=1), scored_on)
        )
        if path.exists()
    ]
    if not forecast_files or not demand_files:
        return pl.DataFrame(schema=ACCURACY_SCHEMA)
    forecasts = "[" + ", ".join(sql_literal_path(p) for p in forecast_files) + "]"
    demand = "[" + ", ".join(sql_literal_path(p) for p in demand_files) + "]"
    con = duckdb.connect()
    try:
        frame = con.sql(
            f"""
            SELECT f.forecast_date, f.horizon, f.sku, f.p10, f.p50, f.p90, d.units
            FROM read_parquet({forecasts}, hive_partitioning = false) AS f
            JOIN read_parquet({demand}, hive_partitioning = true) AS d
              ON d.sku = f.sku AND d.date = f.target_date
            WHERE f.forecast_date >= CAST($first AS DATE)
              AND f.forecast_date < CAST($scored_on AS DATE)
              AND f.target_date <= CAST($scored_on AS DATE) AND NOT d.stockout
            ORDER BY f.forecast_date, f.horizon, f.sku
            """,
            params={"first": first, "scored_on": scored_on},
        ).pl()
    finally:
        con.close()
    if frame.is_empty():
        return pl.DataFrame(schema=ACCURACY_SCHEMA)
    rows = []
    for (forecast_date, h), g in frame.group_by("forecast_date", "horizon", maintain_order=True):
        y = g["units"].to_numpy().astype(float)
        q = np.stack([g["p10"].to_numpy(), g["p50"].to_numpy(), g["p90"].to_numpy()], axis=-1)
        rows.append(
            {
                "scored_on": scored_on,
                "forecast_date": forecast_date,
                "horizon": int(h),
                "n": len(y),
                "units": float(y.sum()),
                "wape": metrics.wape(y, q[:, 1]),
                "wql": metrics.weighted_quantile_loss(y, q, PUBLISHED_LEVELS),
                "coverage_80": metrics.interval_coverage(y, q[:, 0], q[:, 2]),
            }
        )
    return pl.DataFrame(rows, schema=ACCURACY_SCHEMA).sort("forecast_date", "horizon")


def weighted_accuracy(scores: pl.DataFrame) -> dict[str, float] | None:
    """Unit-weighted WAPE/WQL and cell-weighted coverage over all scored rows (None: no units)."""
    scored = scores.filter(pl.col("units") > 0)
    if scored.is_empty():
        return None
    units = scored["units"]
    return {
        "wape": float((scored["wape"] * units).sum() / units.sum()),
        "wql": float((scored["wql"] * units).sum() / units.sum()),
        "coverage_80": float((scores["coverage_80"] * scores["n"]).sum() / scores["n"].sum()),
    }


def trailing_median_wql(warehouse: Warehouse, day: date, trailing_days: int) -> float | None:
    """Median of the weighted WQL scored on each of the ``trailing_days`` days before ``day``:
    the level today's WQL is compared with to spot drift (None: no earlier scores)."""
    values = []
    for back in range(1, trailing_days + 1):
        path = warehouse.partition_path(ACCURACY, {"scored_on": day - timedelta(days=back)})
        if path.exists():
            weighted = weighted_accuracy(pl.read_parquet(path))
            if weighted:
                values.append(weighted["wql"])
    return float(pl.Series(values).median()) if values else None
