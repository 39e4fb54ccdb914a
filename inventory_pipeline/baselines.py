"""Statistical baselines the demand model must beat: seasonal naive (weekly) and AutoETS.

Both come from ``statsforecast`` and produce the same quantile columns as the model for horizons
1..H, from the long-format history ``sku, date, units``. The central interval at ``level`` gives
the outer quantiles (level 80 -> p10 / p90); the point forecast (ETS mean, naive value) is p50.
Forecasts are clipped at 0 (demand is non-negative) and sorted so p10 <= p50 <= p90.

Numerical blow-ups: AutoETS can pick a multiplicative trend on a short, spiky or exponentially
growing history and forecast thousands of times the largest day the SKU ever sold (or NaN). A
SKU whose statsforecast forecast is non-finite or exceeds ``max_history_multiple`` times its
largest history day falls back to the next simpler method (AutoETS -> seasonal naive ->
empirical quantiles); its rows carry that method and ``fallback`` = the reason
(``non_finite`` / ``above_history_range``), so callers can count them. Rows without a
fallback have ``fallback`` null.

Short histories: statsforecast needs a few seasons to estimate a model, so a SKU with fewer than
``min_history_days`` days gets the empirical quantiles of the days it has, flat over the
horizon (``method = "empirical_short_history"``). A SKU listed in ``skus`` without any history
gets zeros (``method = "no_history"``): a baseline has nothing else to go on, and that is exactly
the cold-start case the text model exists for.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from inventory_pipeline.forecast_shape import HORIZON_DAYS, PUBLISHED_LEVELS

BaselineMethod = Literal["seasonal_naive", "auto_ets"]
STATSFORECAST_ALIASES: dict[str, str] = {"seasonal_naive": "SeasonalNaive", "auto_ets": "AutoETS"}
FALLBACK_CHAIN: dict[str, str] = {"auto_ets": "seasonal_naive", "seasonal_naive": "empirical"}
NON_FINITE = "non_finite"
ABOVE_HISTORY_RANGE = "above_history_range"


@dataclass(frozen=True)
class BaselineConfig:
    """Tunable numbers of the baselines."""

    horizon_days: int = HORIZON_DAYS  # H: forecast horizons 1..H
    season_length: int = 7  # weekly seasonality of daily retail demand
    level: int = round((PUBLISHED_LEVELS[-1] - PUBLISHED_LEVELS[0]) * 100)  # central interval in
    # percent: the published p10 / p90 make 80
    min_history_days: int = 14  # fewer days -> empirical-quantile fallback
    n_jobs: int = 1  # statsforecast worker processes (the retraining backtest uses
    # every CPU: TrainingConfig.baseline_jobs)
    max_history_multiple: float = 5.0  # a forecast quantile above this many times the SKU's
    # largest history day (at least 1 unit) is a numerical blow-up: the SKU falls back


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def quantile_columns(level: int) -> tuple[str, str, str]:
    """("p10", "p50", "p90") for level 80."""
    lower = (100 - level) / 2
    return f"p{lower:g}", "p50", f"p{100 - lower:g}"


def _complete_history(history: pl.DataFrame, forecast_date: dt.date) -> pl.DataFrame:
    """Daily rows from each SKU's first date to the origin; missing days are zero demand."""
    frame = (
        history.select(
            pl.col("sku").cast(pl.String),
            pl.col("date").cast(pl.Date),
            pl.col("units").cast(pl.Float64),
        )
        .filter(pl.col("date") <= forecast_date)
        .group_by("sku", "date")
        .agg(pl.col("units").sum())
    )
    spans = frame.group_by("sku").agg(pl.col("date").min().alias("first"))
    grid = spans.select(
        "sku", pl.date_ranges("first", pl.lit(forecast_date), interval="1d").alias("date")
    ).explode("date")
    return (
        grid.join(frame, on=["sku", "date"], how="left")
        .with_columns(pl.col("units").fill_null(0.0))
        .sort("sku", "date")
    )


def _statsforecast(
    frame: pl.DataFrame, method: BaselineMethod, config: BaselineConfig
) -> pl.DataFrame:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, SeasonalNaive

    naive = SeasonalNaive(season_length=config.season_length)
    model = naive if method == "seasonal_naive" else AutoETS(season_length=config.season_length)
    engine = StatsForecast(models=[model], freq="D", n_jobs=config.n_jobs, fallback_model=naive)
    data = frame.select(
        pl.col("sku").alias("unique_id"),
        pl.col("date").cast(pl.Datetime("ns")).alias("ds"),
        pl.col("units").alias("y"),
    ).to_pandas()
    forecast = pl.from_pandas(engine.forecast(df=data, h=config.horizon_days, level=[config.level]))
    alias = STATSFORECAST_ALIASES[method]
    low, mid, high = quantile_columns(config.level)
    return forecast.select(
        pl.col("unique_id").alias("sku"),
        pl.col("ds").cast(pl.Date).alias("target_date"),
        pl.col(f"{alias}-lo-{config.level}").alias(low),
        pl.col(alias).alias(mid),
        pl.col(f"{alias}-hi-{config.level}").alias(high),
        pl.lit(method).alias("method"),
        pl.lit(None, dtype=pl.String).alias("fallback"),
    )


def _implausible(
    frame: pl.DataFrame, forecast: pl.DataFrame, config: BaselineConfig
) -> pl.DataFrame:
    """``sku, fallback``: SKUs whose forecast is non-finite or above the history's range."""
    cols = quantile_columns(config.level)
    caps = frame.group_by("sku").agg(
        (pl.max_horizontal(pl.col("units").max(), pl.lit(1.0)) * config.max_history_multiple).alias(
            "cap"
        )
    )
    finite = pl.all_horizontal([pl.col(c).is_finite() for c in cols])
    per_sku = (
        forecast.join(caps, on="sku", how="left")
        .group_by("sku")
        .agg(
            (~finite.fill_null(False)).any().alias("non_finite"),
            (pl.max_horizontal(cols) > pl.col("cap")).fill_null(False).any().alias("above"),
        )
    )
    return per_sku.filter(pl.col("non_finite") | pl.col("above")).select(
        "sku",
        pl.when(pl.col("non_finite"))
        .then(pl.lit(NON_FINITE))
        .otherwise(pl.lit(ABOVE_HISTORY_RANGE))
        .alias("fallback"),
    )


def _sanitised(
    frame: pl.DataFrame, method: str, forecast_date: dt.date, config: BaselineConfig
) -> pl.DataFrame:
    """Forecasts of ``method`` where every blown-up SKU uses the next method of the chain."""
    if method == "empirical":
        return _empirical(frame, forecast_date, config, "empirical")
    forecast = _statsforecast(frame, method, config)  # type: ignore[arg-type]
    bad = _implausible(frame, forecast, config)
    if bad.is_empty():
        return forecast
    bad_skus = bad["sku"].implode()
    simpler = _sanitised(
        frame.filter(pl.col("sku").is_in(bad_skus)), FALLBACK_CHAIN[method], forecast_date, config
    )
    simpler = simpler.drop("fallback").join(bad, on="sku", how="left")  # why it was replaced
    return pl.concat(
        [forecast.filter(~pl.col("sku").is_in(bad_skus)), simpler.select(forecast.columns)]
    )


def _empirical(
    frame: pl.DataFrame,
    forecast_date: dt.date,
    config: BaselineConfig,
    method: str = "empirical_short_history",
) -> pl.DataFrame:
    low, mid, high = quantile_columns(config.level)
    lower = (100 - config.level) / 200
    per_sku = frame.group_by("sku").agg(
        pl.col("units").quantile(lower, interpolation="linear").alias(low),
        pl.col("units").quantile(0.5, interpolation="linear").alias(mid),
        pl.col("units").quantile(1 - lower, interpolation="linear").alias(high),
    )
    return _expand(per_sku, forecast_date, config, method)


def _expand(
    per_sku: pl.DataFrame, forecast_date: dt.date, config: BaselineConfig, method: str
) -> pl.DataFrame:
    """One flat forecast per SKU repeated over horizons 1..H."""
    horizons = pl.DataFrame({"horizon": np.arange(1, config.horizon_days + 1)})
    return per_sku.join(horizons, how="cross").select(
        "sku",
        (pl.lit(forecast_date) + pl.duration(days=pl.col("horizon"))).alias("target_date"),
        *quantile_columns(config.level),
        pl.lit(method).alias("method"),
        pl.lit(None, dtype=pl.String).alias("fallback"),
    )


def baseline_forecast(
    history: pl.DataFrame,
    method: BaselineMethod,
    config: BaselineConfig = BaselineConfig(),
    forecast_date: dt.date | None = None,
    skus: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Quantile forecasts for horizons 1..H per SKU.

    Args:
        history: long frame with columns ``sku``, ``date``, ``units`` (pandas is accepted too).
        method: "seasonal_naive" or "auto_ets".
        config: baseline settings.
        forecast_date: the origin; history after it is ignored. Default: the last date present.
        skus: SKUs that need a forecast even without history rows (new products).

    Returns:
        Columns ``sku, forecast_date, target_date, horizon, p10, p50, p90, method, fallback``
        (the method that produced the row; why ``method`` was replaced, else null), H rows per
        SKU, sorted by sku and horizon.
    """
    if method not in STATSFORECAST_ALIASES:
        raise ValueError(
            f"Unknown baseline {method!r}; use one of {sorted(STATSFORECAST_ALIASES)}."
        )
    if not isinstance(history, pl.DataFrame):
        history = pl.from_pandas(history)
    missing = {"sku", "date", "units"} - set(history.columns)
    if missing:
        raise ValueError(f"history lacks columns {sorted(missing)}; expected sku, date, units.")
    if forecast_date is None:
        if history.is_empty():
            raise ValueError("history is empty: pass forecast_date to forecast new SKUs only.")
        forecast_date = history.select(pl.col("date").cast(pl.Date).max()).item()

    frame = _complete_history(history, forecast_date)
    lengths = frame.group_by("sku").agg(pl.len().alias("days"))
    long_skus = lengths.filter(pl.col("days") >= config.min_history_days)["sku"]
    parts = []
    long_frame = frame.filter(pl.col("sku").is_in(long_skus.implode()))
    if not long_frame.is_empty():
        parts.append(_sanitised(long_frame, method, forecast_date, config))
    short_frame = frame.filter(~pl.col("sku").is_in(long_skus.implode()))
    if not short_frame.is_empty():
        parts.append(_empirical(short_frame, forecast_date, config))
    new_skus = sorted(set(skus or ()) - set(lengths["sku"].to_list()))
    if new_skus:
        zeros = pl.DataFrame({"sku": new_skus}).with_columns(
            [pl.lit(0.0).alias(c) for c in quantile_columns(config.level)]
        )
        parts.append(_expand(zeros, forecast_date, config, "no_history"))
    if not parts:
        raise ValueError("Nothing to forecast: no history up to forecast_date and no skus given.")

    low, mid, high = quantile_columns(config.level)
    result = pl.concat([p.with_columns(pl.col(low, mid, high).cast(pl.Float64)) for p in parts])
    clipped = result.with_columns(pl.col(low, mid, high).clip(lower_bound=0.0))
    return clipped.select(
        "sku",
        pl.lit(forecast_date).alias("forecast_date"),
        "target_date",
        (pl.col("target_date") - pl.lit(forecast_date))
        .dt.total_days()
        .cast(pl.Int64)
        .alias("horizon"),
        pl.min_horizontal(low, mid).alias(low),
        pl.col(mid),
        pl.max_horizontal(high, mid).alias(high),
        "method",
        "fallback",
    ).sort("sku", "horizon")
