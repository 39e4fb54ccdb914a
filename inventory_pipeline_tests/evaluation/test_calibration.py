"""Coverage of the cover quantiles the policy reads, on hand-made forecasts."""

from datetime import date, timedelta

import numpy as np
import pytest

from inventory_pipeline.evaluation.calibration import (
    cover_buckets,
    decision_calibration,
    miscalibration,
)
from inventory_pipeline.evaluation.forecasts import MethodForecast, OriginForecasts
from inventory_pipeline.evaluation.shop import ShopDays
from inventory_pipeline.reorder import ReorderConfig
from inventory_pipeline.windows import Windows

START = date(2025, 1, 1)
LEVELS = np.array([0.5, 0.8, 0.9, 0.95, 0.99])


def _shop(demand: np.ndarray, lead: np.ndarray, usable: np.ndarray | None = None) -> ShopDays:
    n, days = demand.shape
    zeros = np.zeros(n, dtype=np.int64)
    return ShopDays(
        start=START, end=START + timedelta(days=days - 1), skus=[f"S{i}" for i in range(n)],
        categories=["c"] * n, lead_time_days=lead, moq=zeros + 1, pack_size=zeros + 1,
        unit_cost=np.ones(n), list_price=np.ones(n) * 2, launched_at=[None] * n,
        discontinued_at=[None] * n, demand=demand, on_sale=np.ones_like(demand, bool),
        usable=np.ones_like(demand, bool) if usable is None else usable, on_hand=zeros,
        on_order=zeros, recorded_sold=demand, recorded_on_hand=-np.ones_like(demand),
        actuals="true_demand",
    )  # fmt: skip


def _origin(day: int, n: int, per_day: np.ndarray) -> OriginForecasts:
    """Cumulative quantiles h * per_day[level] for every SKU (per_day: one value per level)."""
    horizon = 28
    cum = np.arange(1, horizon + 1, dtype=float)[None, :, None] * per_day[None, None, :]
    method = MethodForecast(
        daily=np.zeros((n, horizon, 3)), cum_levels=LEVELS, cumulative=np.repeat(cum, n, axis=0)
    )
    return OriginForecasts(
        origin=START + timedelta(days=day), skus=[f"S{i}" for i in range(n)],
        windows=Windows.__new__(Windows), history=None, methods={"model": method},  # type: ignore[arg-type]
    )  # fmt: skip


def test_a_window_is_covered_when_its_demand_stays_at_or_below_the_quantile() -> None:
    demand = np.full((2, 60), 2, dtype=np.int64)
    shop = _shop(demand, lead=np.array([4, 30]))
    # per day: 1.0 at q0.5, 1.9 at q0.8, 2.0 at q0.9, 2.5 at q0.95, 3.0 at q0.99: the real 2/day
    # is covered from q0.9 on
    origin = _origin(0, 2, np.array([1.0, 1.9, 2.0, 2.5, 3.0]))
    table = decision_calibration(
        shop, [origin], ["model"], (0.8, 0.9, 0.95), ReorderConfig(), (14,)
    )
    overall = {
        row["level"]: row["observed"] for row in table.filter(bucket="all").iter_rows(named=True)
    }
    assert overall == {0.8: 0.0, 0.9: 1.0, 0.95: 1.0}
    assert set(table["bucket"]) == {"all", "1-14 d", ">28 d (scaled)"}
    assert table.filter(bucket="all")["windows"].to_list() == [2, 2, 2]
    assert miscalibration(table, "model") == pytest.approx(0.8)


def test_incomplete_and_unknown_windows_are_left_out() -> None:
    demand = np.full((2, 20), 2, dtype=np.int64)
    usable = np.ones_like(demand, bool)
    usable[0, 3] = False  # a stockout day inside SKU 0's window: its demand is unknown
    shop = _shop(demand, lead=np.array([4, 30]), usable=usable)  # SKU 1's window ends after day 19
    table = decision_calibration(
        shop, [_origin(0, 2, np.full(5, 3.0))], ["model"], (0.9,), ReorderConfig()
    )
    assert table.filter(bucket="all")["windows"].to_list() == [0]


def test_cover_buckets() -> None:
    assert cover_buckets(np.array([3, 14, 15, 28, 29]), (14,), 28) == [
        "1-14 d", "1-14 d", "15-28 d", "15-28 d", ">28 d (scaled)",
    ]  # fmt: skip
