"""Scheduled nightly runs use the shop's settings file; a run config value overrides it."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from inventory_pipeline.definitions import build_definitions
from inventory_pipeline_tests.forecasting.conftest import START, Shop

# the pipeline's definitions with partitions from the test shop's first export day
defs = build_definitions(START)
DAY = START + timedelta(days=50)  # inside the days test_nightly_job writes
SELECTION = {dg.AssetKey("sku_forecasts"), dg.AssetKey("reorder_plan")}


def _scheduled_request() -> dg.RunRequest:
    schedule = defs.resolve_schedule_def("nightly_forecast_schedule")
    tick = datetime(DAY.year, DAY.month, DAY.day, 2, 0, tzinfo=UTC) + timedelta(days=1)
    with dg.DagsterInstance.ephemeral() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
        (request,) = schedule.evaluate_tick(context).run_requests or []
    assert request.partition_key == DAY.isoformat()
    return request


def _run(shop: Shop, request: dg.RunRequest, run_config: dict | None = None) -> pl.DataFrame:
    job = defs.resolve_job_def("nightly_forecast_job").get_subset(asset_selection=SELECTION)
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance,
            resources=shop.resources(),  # no "shop": the code location's, from $INVENTORY_SETTINGS
            partition_key=request.partition_key,
            run_config=run_config or request.run_config,
            tags=request.tags,
        )
    assert result.success
    meta = result.asset_materializations_for_node("reorder_plan")[0].metadata
    plan = pl.read_parquet(shop.warehouse.partition_path("reorder_plan", {"plan_date": DAY}))
    assert meta["service_level"].value == plan["service_level"].max()
    return plan


def test_scheduled_run_uses_the_settings_service_level(
    shop: Shop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text(
        "reorder:\n  service_level: 0.8\n  category_service_levels: {no/such/category: 0.99}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("INVENTORY_SETTINGS", str(settings))
    request = _scheduled_request()
    plan = _run(shop, request)
    assert plan.height > 0 and set(plan["service_level"]) == {0.8}

    override = {"ops": {"reorder_plan": {"config": {"service_level": 0.7}}}}
    assert set(_run(shop, request, override)["service_level"]) == {0.7}

    settings.write_text("reorder:\n  service_level: 0.9\n", encoding="utf-8")
    higher = _run(shop, request)
    assert set(higher["service_level"]) == {0.9}
    joined = higher.join(plan, on="sku", suffix="_low")
    assert (joined["order_up_to"] >= joined["order_up_to_low"] - 1e-9).all()
    assert (joined["order_up_to"] > joined["order_up_to_low"]).any()
