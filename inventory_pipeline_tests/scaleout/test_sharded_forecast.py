"""The nightly forecast sharded by SKU publishes exactly what the unsharded nightly job
publishes."""

import os
import subprocess
import sys
from datetime import timedelta

import dagster as dg
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from inventory_pipeline import forecasting
from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.defs.forecasting.sensors import shard_keys
from inventory_pipeline.sharding import (
    SKU_SHARDS,
    STAGING_FORECASTS,
    STAGING_PLAN,
    catalog_skus,
    shard_label,
    shard_of,
    shard_skus,
)
from inventory_pipeline_tests.forecasting.conftest import START, Shop

# the pipeline's definitions with partitions from the test shop's first export day
defs = build_definitions(START)
assemble_forecasts_sensor = defs.resolve_sensor_def("assemble_forecasts_sensor")

DAY = START + timedelta(days=45)


def _published(shop: Shop) -> tuple[pl.DataFrame, pl.DataFrame]:
    wh = shop.warehouse
    return (
        pl.read_parquet(wh.partition_path(forecasting.FORECASTS, {"forecast_date": DAY})),
        pl.read_parquet(wh.partition_path(forecasting.REORDER_PLAN, {"plan_date": DAY})),
    )


@pytest.fixture(scope="module")
def runs(shop: Shop) -> dict[str, object]:
    """Unsharded nightly forecast + plan of DAY, then every shard of DAY and the assembly."""
    resources = shop.resources()
    unsharded_job = defs.resolve_job_def("nightly_forecast_job").get_subset(
        asset_selection={dg.AssetKey("sku_forecasts"), dg.AssetKey("reorder_plan")}
    )
    sharded_job = defs.resolve_job_def("nightly_forecast_sharded_job")
    assemble_job = defs.resolve_job_def("assemble_forecasts_job").get_subset(
        asset_selection={dg.AssetKey("assembled_forecasts"), dg.AssetKey("assembled_reorder_plan")}
    )
    with dg.DagsterInstance.ephemeral() as instance:
        result = unsharded_job.execute_in_process(instance=instance, resources=resources, partition_key=DAY.isoformat())
        assert result.success
        forecasts, plan = _published(shop)
        for table, key in ((forecasting.FORECASTS, "forecast_date"), (forecasting.REORDER_PLAN, "plan_date")):
            shop.warehouse.partition_path(table, {key: DAY}).unlink()  # the assembly must write them

        sensor_before_last = None
        keys = shard_keys(DAY.isoformat())
        for i, key in enumerate(keys):
            shard_run = sharded_job.execute_in_process(instance=instance, resources=resources, partition_key=key)
            assert shard_run.success
            if i == len(keys) - 2:  # every shard but one done: the assembly must wait
                sensor_before_last = _evaluate_sensor(instance, shard_run)
        sensor_after_last = _evaluate_sensor(instance, shard_run)

        assembled = assemble_job.execute_in_process(instance=instance, resources=resources, partition_key=DAY.isoformat())
        assert assembled.success
    sharded_forecasts, sharded_plan = _published(shop)
    return {
        "forecasts": forecasts, "plan": plan,
        "sharded_forecasts": sharded_forecasts, "sharded_plan": sharded_plan,
        "sensor_before_last": sensor_before_last, "sensor_after_last": sensor_after_last,
    }  # fmt: skip


def _evaluate_sensor(instance: dg.DagsterInstance, shard_run: dg.ExecuteInProcessResult) -> object:
    context = dg.build_run_status_sensor_context(
        sensor_name=assemble_forecasts_sensor.name,
        dagster_event=shard_run.get_run_success_event(),
        dagster_instance=instance,
        dagster_run=shard_run.dagster_run,
    )
    return assemble_forecasts_sensor(context)


def test_sharded_tables_equal_unsharded_row_for_row(runs: dict[str, object]) -> None:
    """Same rows in the same order, same keys, strings and integers; quantiles equal up to float32
    rounding of the network (CPU matrix kernels round a row differently depending on how many rows
    share its batch, so a shard's batches cannot reproduce the unsharded bits; measured <= 4e-6
    units)."""
    forecasts, sharded = runs["forecasts"], runs["sharded_forecasts"]
    assert isinstance(forecasts, pl.DataFrame) and isinstance(sharded, pl.DataFrame)
    assert forecasts.height > 0 and forecasts["sku"].n_unique() > SKU_SHARDS
    assert sharded.schema == forecasts.schema
    exact = [c for c, t in forecasts.schema.items() if not t.is_float()]
    assert sharded.select(exact).equals(forecasts.select(exact))
    assert_frame_equal(sharded, forecasts, check_exact=False, rel_tol=1e-5, abs_tol=1e-6)
    plan, sharded_plan = runs["plan"], runs["sharded_plan"]
    assert isinstance(plan, pl.DataFrame) and isinstance(sharded_plan, pl.DataFrame)
    assert plan.height == forecasts["sku"].n_unique() and (plan["order_qty"] > 0).any()
    assert sharded_plan.schema == plan.schema
    exact = [c for c, t in plan.schema.items() if not t.is_float()]  # order_qty, reason, ...
    assert sharded_plan.select(exact).equals(plan.select(exact))
    assert_frame_equal(sharded_plan, plan, check_exact=False, rel_tol=1e-5, abs_tol=1e-6)


def test_every_sku_is_in_exactly_one_shard(shop: Shop, runs: dict[str, object]) -> None:
    forecasts = runs["forecasts"]
    assert isinstance(forecasts, pl.DataFrame)
    seen: dict[str, int] = {}
    non_empty = 0
    for shard in range(SKU_SHARDS):
        path = shop.warehouse.partition_path(STAGING_FORECASTS, {"forecast_date": DAY, "shard": shard_label(shard)})
        rows = pl.read_parquet(path)
        plan = pl.read_parquet(shop.warehouse.partition_path(STAGING_PLAN, {"plan_date": DAY, "shard": shard_label(shard)}))
        skus = set(rows["sku"].to_list()) if rows.width else set()
        assert skus == (set(plan["sku"].to_list()) if plan.width else set())
        non_empty += bool(skus)
        for sku in skus:
            assert sku not in seen, f"{sku} in shards {seen[sku]} and {shard}"
            assert shard_of(sku) == shard
            seen[sku] = shard
    assert set(seen) == set(forecasts["sku"].to_list())
    assert non_empty >= 2  # the test really splits the catalog
    catalog = catalog_skus(shop.warehouse, DAY)
    assert sorted(s for k in range(SKU_SHARDS) for s in shard_skus(catalog, k)) == catalog


def test_assembly_sensor_waits_for_every_shard(runs: dict[str, object]) -> None:
    assert isinstance(runs["sensor_before_last"], dg.SkipReason)
    assert "waiting for shard" in (runs["sensor_before_last"].skip_message or "")
    request = runs["sensor_after_last"]
    assert isinstance(request, dg.RunRequest) and request.partition_key == DAY.isoformat()


def test_shard_assignment_is_stable_across_processes() -> None:
    skus = [f"SKU-{i:05d}" for i in range(200)]
    here = [shard_of(s) for s in skus]
    assert set(here) == set(range(SKU_SHARDS))
    # pinned values: a change of the hash would silently move SKUs between shards
    assert [shard_of(s, 4) for s in ("SKU-00001", "SKU-00002", "a", "b")] == [3, 2, 3, 1]
    code = (
        "from inventory_pipeline.sharding import shard_of;"
        "print(','.join(str(shard_of(f'SKU-{i:05d}')) for i in range(200)))"
    )
    for seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip().splitlines()[-1]
        assert [int(v) for v in out.split(",")] == here


def test_assembly_refuses_a_missing_shard(shop: Shop, runs: dict[str, object]) -> None:
    from inventory_pipeline.sharding import assemble

    missing = DAY + timedelta(days=1)
    with pytest.raises(FileNotFoundError, match="lacks shard"):
        assemble(shop.warehouse, STAGING_FORECASTS, "forecast_date", missing, ["sku", "horizon"])
