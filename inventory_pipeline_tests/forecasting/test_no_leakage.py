"""A forecast for day D uses nothing exported after D, end to end through the nightly job."""

import shutil
from datetime import timedelta
from pathlib import Path

import dagster as dg
import polars as pl
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.defs.resources import LandingZoneResource, MlflowResource, WarehouseResource
from inventory_pipeline_tests.forecasting.conftest import MODEL_NAME, START, Shop

# the pipeline's definitions with partitions from the test shop's first export day
defs = build_definitions(START)


def _run(shop: Shop, job: str, landing: Path, warehouse: Path, start: str, end: str) -> None:
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def(job).execute_in_process(
            instance=instance,
            resources={
                "landing": LandingZoneResource(path=str(landing)),
                "warehouse": WarehouseResource(path=str(warehouse)),
                "mlflow_registry": MlflowResource(
                    tracking_uri=shop.tracking_uri,
                    artifacts_dir=str(shop.artifacts),
                    experiment="tests",
                    registered_model=MODEL_NAME,
                ),
            },
            tags={ASSET_PARTITION_RANGE_START_TAG: start, ASSET_PARTITION_RANGE_END_TAG: end},
        )
    assert result.success


def test_forecast_of_d_ignores_every_later_export(shop: Shop, tmp_path: Path) -> None:
    day = START + timedelta(days=40)
    # A landing zone holding only the exports up to D, loaded and forecast from scratch ...
    truncated = tmp_path / "landing_until_d"
    for table_dir in shop.landing.iterdir():
        for folder in table_dir.iterdir():
            if folder.name.removeprefix("date=") <= day.isoformat():
                shutil.copytree(folder, truncated / table_dir.name / folder.name)
    until_d = tmp_path / "wh_until_d"
    _run(
        shop,
        "daily_data_job",
        truncated,
        until_d,
        START.isoformat(),
        (day - timedelta(days=1)).isoformat(),
    )
    _run(shop, "nightly_forecast_job", truncated, until_d, day.isoformat(), day.isoformat())
    # ... and the full landing zone (30 more export days, with late corrections, re-planned
    # promotions and new reviews), loaded in full, then forecast for D.
    full = tmp_path / "wh_full"
    shutil.copytree(
        shop.warehouse.root,
        full,
        ignore=shutil.ignore_patterns(
            "forecasts", "reorder_plan", "forecast_accuracy", "catalog.duckdb"
        ),
    )
    _run(shop, "nightly_forecast_job", shop.landing, full, day.isoformat(), day.isoformat())

    def read(root: Path, table: str, key: str) -> pl.DataFrame:
        return pl.read_parquet(root / table / f"{key}={day.isoformat()}" / "data.parquet")

    assert read(full, "forecasts", "forecast_date").equals(
        read(until_d, "forecasts", "forecast_date")
    )
    assert read(full, "reorder_plan", "plan_date").equals(
        read(until_d, "reorder_plan", "plan_date")
    )
