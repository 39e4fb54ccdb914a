"""Realised supplier lead times from the inventory snapshots."""

import dataclasses
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from inventory_pipeline import contract as c
from inventory_pipeline.ingest.load import ingest_days, landing_dates
from inventory_pipeline.leadtimes import (
    LeadTimeEstimateConfig,
    estimate_lead_times,
    pair_deliveries,
    summarise,
    weekly_lead_time_estimate,
)
from inventory_pipeline.sampleshop import generate_shop
from inventory_pipeline.sampleshop.profiles import get_profile
from inventory_pipeline.warehouse import Warehouse

D = date(2025, 3, 1)


def _changes(rows: list[tuple[str, int, int, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(sku, D + timedelta(days=day), change, lead) for sku, day, change, lead in rows],
        schema={
            "sku": pl.String,
            "snapshot_date": pl.Date,
            "change": pl.Int64,
            "lead_time_days": pl.Int64,
        },
        orient="row",
    )


def test_orders_pair_with_the_oldest_delivery_of_the_same_size() -> None:
    pairs = pair_deliveries(
        _changes(
            [
                ("A", 0, 40, 10),
                ("A", 3, 24, 10),
                ("A", 12, -40, 10),  # the first order, 12 days later
                ("A", 14, -10, 10),  # a partial delivery: pairs with nothing
                ("A", 15, -24, 10),  # the second, 12 days later
                ("B", 0, -5, 7),  # a delivery of an order placed before the snapshots: nothing
                ("B", 1, 6, 7),
                ("B", 8, -6, 7),
            ]
        )
    )
    assert pairs.select("sku", "days", "catalog_days").rows() == [
        ("A", 12, 10),
        ("A", 12, 10),
        ("B", 7, 7),
    ]
    estimate = summarise(pairs, LeadTimeEstimateConfig(min_deliveries=3))
    assert (estimate.deliveries, estimate.skus, estimate.low) == (3, 2, pytest.approx(1.02))
    assert estimate.high == pytest.approx(1.2) and estimate.lead_time_range == (1.02, 1.2)
    assert summarise(pairs, LeadTimeEstimateConfig(min_deliveries=4)).lead_time_range is None


@pytest.mark.parametrize("jitter", [0.0, 0.5])
def test_a_generated_shop_s_supplier_delays_are_recovered(tmp_path: Path, jitter: float) -> None:
    config = dataclasses.replace(get_profile("default").config, lead_time_jitter=jitter)
    start = date(2025, 1, 1)
    generate_shop(
        tmp_path / "landing",
        tmp_path / "truth",
        skus=40,
        days=150,
        start=start,
        seed=3,
        progress=False,
        config=config,
    )
    warehouse = Warehouse(tmp_path / "warehouse")
    for name in ("products", "inventory"):
        table = c.TABLES[name]
        ingest_days(
            tmp_path / "landing", warehouse, table, landing_dates(tmp_path / "landing", name)
        )
    estimate = estimate_lead_times(warehouse, start + timedelta(days=149))
    assert estimate.enough, estimate.describe()
    low, high = estimate.lead_time_range
    if jitter == 0:
        assert (low, high) == (1.0, 1.0)
        assert estimate.median == 1.0
    else:  # deliveries come up to 50% late, uniformly
        assert low == pytest.approx(1.0, abs=0.03)
        assert 1.35 < high <= 1.5
    # the nightly plan's estimate: as known on the Monday on or before the night
    night = start + timedelta(days=149)
    monday = night - timedelta(days=night.weekday())
    assert weekly_lead_time_estimate(warehouse, night) == estimate_lead_times(warehouse, monday)
    # as known on an early day: only the snapshots exported by then
    early = estimate_lead_times(warehouse, start + timedelta(days=20))
    assert early.deliveries < estimate.deliveries
