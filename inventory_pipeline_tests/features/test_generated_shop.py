"""On a generated sample shop (landing zone -> ingestion -> features): demand equals the
generator's ground truth exactly, and nightly updates equal a full rebuild."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from inventory_pipeline.features import build_all, update_all
from inventory_pipeline.features.catalog import FEATURE_TABLES
from inventory_pipeline.sampleshop import generate_shop
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline_tests.features.shop import (
    ingest_landing,
    landing_days,
    partition_bytes,
    read_table,
)

SKUS, DAYS, NIGHTLY = 24, 90, 3  # big enough for stockouts and late corrections


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shop")
    generate_shop(root / "landing", root / "truth", skus=SKUS, days=DAYS, progress=False)
    return root


def test_demand_equals_ground_truth_and_stockouts_match_snapshots(
    landing: Path, tmp_path: Path
) -> None:
    warehouse = Warehouse(tmp_path / "warehouse")
    ingest_landing(landing / "landing", warehouse)
    build_all(warehouse)
    demand = pl.from_arrow(read_table(warehouse, "daily_sku_demand"))
    assert isinstance(demand, pl.DataFrame)
    truth = pl.read_parquet(landing / "truth" / "daily.parquet")
    joined = truth.select("sku", "date", "sales").join(
        demand.select("sku", "date", "units", "stockout"),
        on=["sku", "date"],
        how="full",
        coalesce=True,
    )
    assert joined.height == truth.height == demand.height  # the same sku x day grid
    assert joined.filter(pl.col("sales") != pl.col("units")).height == 0
    assert demand["units"].sum() == truth["sales"].sum() > 0

    # Snapshots by the upsert rule, computed independently of sql/current/inventory.sql.
    snapshots = pl.from_arrow(
        duckdb.sql(
            "SELECT sku, snapshot_date AS date,"
            " arg_max(on_hand, (export_date, _source_file, _row_number)) AS on_hand"
            " FROM read_parquet($glob, hive_partitioning = true) GROUP BY ALL",
            params={"glob": warehouse.glob("raw/inventory", 1)},
        ).to_arrow_table()
    )
    assert isinstance(snapshots, pl.DataFrame)
    zero = set(snapshots.filter(pl.col("on_hand") == 0).select("sku", "date").iter_rows())
    assert zero and set(demand.filter("stockout").select("sku", "date").iter_rows()) == zero
    assert set(truth.filter("stockout").select("sku", "date").iter_rows()) == zero


def test_nightly_updates_equal_full_rebuild(landing: Path, tmp_path: Path) -> None:
    days = landing_days(landing / "landing")
    nightly = Warehouse(tmp_path / "nightly")
    ingest_landing(landing / "landing", nightly, days[:-NIGHTLY])
    build_all(nightly)
    for day in days[-NIGHTLY:]:
        ingest_landing(landing / "landing", nightly, [day])
        update_all(nightly, day)
    full = Warehouse(tmp_path / "full")
    ingest_landing(landing / "landing", full)
    build_all(full)
    assert partition_bytes(nightly, FEATURE_TABLES) == partition_bytes(full, FEATURE_TABLES)
