"""Statsforecast baselines: H rows per SKU, ordered quantiles, short and missing histories."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from inventory_pipeline.baselines import BaselineConfig, baseline_forecast

ORIGIN = dt.date(2024, 3, 31)


def _history(seed: int = 0) -> pl.DataFrame:
    """Series: "weekly" peaks on Saturdays, "short" has 5 days, "zeros" never sells, "gappy"
    misses days."""
    rng = np.random.default_rng(seed)
    rows = []
    for sku, days in (("weekly", 70), ("short", 5), ("zeros", 40), ("gappy", 40)):
        for i in range(days):
            date = ORIGIN - dt.timedelta(days=days - 1 - i)
            if sku == "gappy" and i % 5 == 0:
                continue
            mean = 0.0 if sku == "zeros" else 3.0 + 6.0 * (date.weekday() == 5)
            rows.append((sku, date, int(rng.poisson(mean))))
    return pl.DataFrame(rows, schema=["sku", "date", "units"], orient="row")


@pytest.mark.parametrize("method", ["seasonal_naive", "auto_ets"])
def test_baseline_rows_and_quantile_order(method: str) -> None:
    config = BaselineConfig(horizon_days=14)
    forecast = baseline_forecast(
        _history(),
        method,
        config,
        skus=["weekly", "brand_new"],  # type: ignore[arg-type]
    )
    skus = ["brand_new", "gappy", "short", "weekly", "zeros"]
    assert forecast["sku"].unique().sort().to_list() == skus
    counts = forecast.group_by("sku").agg(
        pl.len(), pl.col("horizon").min().alias("first"), pl.col("horizon").max().alias("last")
    )
    assert counts["len"].to_list() == [14] * 5
    assert set(counts["first"]) == {1} and set(counts["last"]) == {14}
    days_ahead = (pl.col("target_date") - pl.col("forecast_date")).dt.total_days()
    assert forecast.select(days_ahead == pl.col("horizon")).to_series().all()
    ordered = (
        (pl.col("p10") >= 0) & (pl.col("p10") <= pl.col("p50")) & (pl.col("p50") <= pl.col("p90"))
    )
    assert forecast.select(ordered).to_series().all()
    methods = dict(forecast.select("sku", "method").unique().iter_rows())
    assert methods["short"] == "empirical_short_history"
    assert methods["brand_new"] == "no_history"
    assert methods["weekly"] == method
    zeros = forecast.filter(pl.col("sku") == "zeros")
    assert zeros.select(pl.col("p90").max()).item() == 0.0


def test_seasonal_naive_repeats_last_week() -> None:
    history = _history()
    forecast = baseline_forecast(history, "seasonal_naive", BaselineConfig(horizon_days=7))
    week_start = ORIGIN - dt.timedelta(days=7)
    weekly = history.filter(pl.col("sku") == "weekly")
    last_week = weekly.filter(pl.col("date") > week_start).sort("date")
    p50 = forecast.filter(pl.col("sku") == "weekly").sort("horizon")["p50"].to_list()
    assert p50 == [float(u) for u in last_week["units"].to_list()]


def test_history_after_the_origin_is_ignored() -> None:
    history = _history()
    next_day = ORIGIN + dt.timedelta(days=1)
    late = pl.DataFrame({"sku": ["weekly"], "date": [next_day], "units": [999]})
    with_late = pl.concat([history, late])
    a = baseline_forecast(history, "seasonal_naive", forecast_date=ORIGIN)
    b = baseline_forecast(with_late, "seasonal_naive", forecast_date=ORIGIN)
    assert a.equals(b)


def test_missing_columns_fail_clearly() -> None:
    with pytest.raises(ValueError, match="lacks columns"):
        baseline_forecast(pl.DataFrame({"sku": ["a"], "day": [ORIGIN]}), "auto_ets")


# A short history that grows exponentially with one spike: AutoETS picks a multiplicative trend
# and forecasts a p90 of ~2.7 million units/day from a largest day of 62 units (found by search).
BLOW_UP = [1, 1, 2, 3, 3, 5, 6, 9, 12, 16, 62, 30, 40, 55]


def _blow_up_history() -> pl.DataFrame:
    rows = [
        ("blow_up", ORIGIN - dt.timedelta(days=len(BLOW_UP) - 1 - i), units)
        for i, units in enumerate(BLOW_UP)
    ]
    steady = [("steady", ORIGIN - dt.timedelta(days=27 - i), 2 + i % 3) for i in range(28)]
    return pl.DataFrame(rows + steady, schema=["sku", "date", "units"], orient="row")


def test_auto_ets_blow_up_falls_back_to_seasonal_naive_with_a_reason() -> None:
    history = _blow_up_history()
    config = BaselineConfig(horizon_days=28)
    unguarded = BaselineConfig(horizon_days=28, max_history_multiple=1e12)
    raw = baseline_forecast(history, "auto_ets", unguarded)
    assert raw.filter(pl.col("sku") == "blow_up")["p90"].max() > 1000 * max(BLOW_UP)
    assert raw["fallback"].null_count() == raw.height  # nothing replaced without the guard

    forecast = baseline_forecast(history, "auto_ets", config)
    blow_up = forecast.filter(pl.col("sku") == "blow_up")
    assert set(blow_up["method"]) == {"seasonal_naive"}
    assert set(blow_up["fallback"]) == {"above_history_range"}
    assert blow_up["p90"].max() <= config.max_history_multiple * max(BLOW_UP)
    naive = baseline_forecast(history, "seasonal_naive", config).filter(pl.col("sku") == "blow_up")
    assert blow_up.select("p10", "p50", "p90").equals(naive.select("p10", "p50", "p90"))
    steady = forecast.filter(pl.col("sku") == "steady")
    assert set(steady["method"]) == {"auto_ets"} and steady["fallback"].null_count() == 28


def test_fallback_chain_ends_in_the_history_quantiles() -> None:
    """With a guard no statsforecast model passes, every SKU ends on empirical quantiles."""
    config = BaselineConfig(horizon_days=7, max_history_multiple=0.01)
    forecast = baseline_forecast(_blow_up_history(), "auto_ets", config)
    assert set(forecast["method"]) == {"empirical"}
    assert set(forecast["fallback"]) == {"above_history_range"}
    steady = forecast.filter(pl.col("sku") == "steady")
    assert steady["p50"].to_list() == [3.0] * 7  # median of 2, 3, 4 repeated
