"""A shop whose inventory snapshot is a week old: the plan carries it forward, takes off what sold
since and counts the previous night's orders as on order, instead of planning on an empty shelf."""

import shutil
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.defs.resources import WarehouseResource
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline_tests.forecasting.conftest import START, Shop

defs = build_definitions(START)
SNAPSHOT = START + timedelta(days=54)  # the last snapshot the copy keeps
FIRST, SECOND = START + timedelta(days=60), START + timedelta(days=61)


@pytest.fixture(scope="module")
def stale(shop: Shop, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """A copy of the shop's warehouse without the inventory exports after SNAPSHOT, planned on
    FIRST and SECOND."""
    root = tmp_path_factory.mktemp("stale") / "warehouse"
    shutil.copytree(shop.warehouse.root, root, ignore=shutil.ignore_patterns(".tmp"))
    warehouse = Warehouse(root)
    for folder in (root / "raw" / "inventory").glob("export_date=*"):
        if date.fromisoformat(folder.name.split("=", 1)[1]) > SNAPSHOT:
            shutil.rmtree(folder)
    for table in ("reorder_plan", "forecasts"):
        for folder in (root / table).glob("*=*"):
            shutil.rmtree(folder)  # no plans of earlier nights but the two this test makes
    job = defs.resolve_job_def("nightly_forecast_job").get_subset(
        asset_selection={dg.AssetKey("sku_forecasts"), dg.AssetKey("reorder_plan")}
    )
    resources = {**shop.resources(), "warehouse": WarehouseResource(path=str(root))}
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance,
            resources=resources,
            tags={
                ASSET_PARTITION_RANGE_START_TAG: FIRST.isoformat(),
                ASSET_PARTITION_RANGE_END_TAG: SECOND.isoformat(),
            },
        )
    assert result.success
    return warehouse


def _plan(warehouse: Warehouse, day: date) -> pl.DataFrame:
    return pl.read_parquet(warehouse.partition_path("reorder_plan", {"plan_date": day}))


def _sold(warehouse: Warehouse, day: date) -> dict[str, int]:
    demand = pl.read_parquet(
        Path(warehouse.root) / "features" / "daily_sku_demand" / "**" / "*.parquet"
    )
    return dict(demand.filter(pl.col("date") == day).select("sku", "units").iter_rows())


def test_a_week_old_snapshot_is_carried_forward_with_its_age_in_the_reason(
    stale: Warehouse,
) -> None:
    plan = _plan(stale, FIRST)
    snapshotted = plan.filter(pl.col("snapshot_date").is_not_null())
    assert snapshotted.height > 0 and set(snapshotted["snapshot_date"]) == {SNAPSHOT}
    assert snapshotted["on_hand"].null_count() == 0  # the snapshot's values, not an invented 0
    on_sale = snapshotted.filter(
        ~pl.col("reason").str.starts_with("No order: the product is discontinued")
    )
    assert on_sale.height > 0
    assert all("6-day-old snapshot" in r for r in on_sale["reason"])
    # sold since the snapshot is taken off: the position is below the snapshot's where it sold
    lower = on_sale.filter(pl.col("inventory_position") < pl.col("on_hand") + pl.col("on_order"))
    assert lower.height > 0


def test_the_previous_nights_orders_count_as_on_order(stale: Warehouse) -> None:
    first, second = _plan(stale, FIRST), _plan(stale, SECOND)
    sold = _sold(stale, SECOND)
    both = first.join(second, on="sku", suffix="_2").filter(
        pl.col("snapshot_date").is_not_null() & (pl.col("inventory_position") > 0)
    )
    ordered = both.filter(pl.col("order_qty") > 0)
    assert ordered.height > 0, "the first night orders something"
    for row in both.iter_rows(named=True):
        expected = max(row["inventory_position"] + row["order_qty"] - sold.get(row["sku"], 0), 0)
        assert row["inventory_position_2"] == pytest.approx(expected), row["sku"]
    for row in ordered.iter_rows(named=True):
        noun = "unit" if row["order_qty"] == 1 else "units"
        assert f"plus {row['order_qty']} {noun} ordered by earlier plans" in row["reason_2"]
