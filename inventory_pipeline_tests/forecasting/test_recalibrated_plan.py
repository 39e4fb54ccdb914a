"""A champion saved with recalibrated plan levels: the levels survive the registry, the nightly
plan reads them, and a champion saved without them plans exactly as before."""

import dataclasses
from datetime import timedelta

import dagster as dg
import mlflow
import numpy as np
import polars as pl
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from inventory_pipeline import forecasting, tracking
from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.defs.resources import MlflowResource
from inventory_pipeline.recalibration import CoverRecalibration
from inventory_pipeline.reorder import ReorderConfig
from inventory_pipeline_tests.forecasting.conftest import MODEL_NAME, START, Shop

defs = build_definitions(START)
RECALIBRATED_NAME = "recalibrated_model"
# the 95% target read at 0.99 for every cover: a deliberately large, visible shift
HIGHER = CoverRecalibration((14, 28), (0.5, 0.95), ((0.5, 0.99), (0.5, 0.99)), (500, 500))


def _plan(shop: Shop, model_name: str) -> pl.DataFrame:
    day = START + timedelta(days=50)
    resources = shop.resources()
    resources["mlflow_registry"] = MlflowResource(
        tracking_uri=shop.tracking_uri, artifacts_dir=str(shop.artifacts), experiment="tests",
        registered_model=model_name,
    )  # fmt: skip
    job = defs.resolve_job_def("nightly_forecast_job").get_subset(
        asset_selection={dg.AssetKey("sku_forecasts"), dg.AssetKey("reorder_plan")}
    )
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance,
            resources=resources,
            tags={
                ASSET_PARTITION_RANGE_START_TAG: day.isoformat(),
                ASSET_PARTITION_RANGE_END_TAG: day.isoformat(),
            },
        )
    assert result.success
    return pl.read_parquet(
        shop.warehouse.partition_path(forecasting.REORDER_PLAN, {"plan_date": day})
    )


def test_the_nightly_plan_reads_the_champions_recalibrated_levels(shop: Shop) -> None:
    tracking.configure(shop.tracking_uri, shop.artifacts, "tests")
    champion, version = tracking.load_champion(MODEL_NAME)
    assert champion.cover_recalibration is None  # saved without one: levels read as is
    assert tracking.load_cover_recalibration(MODEL_NAME, version) is None
    before = _plan(shop, MODEL_NAME)

    champion.cover_recalibration = HIGHER
    with mlflow.start_run():
        uri = tracking.log_model(champion, shop.root / "recalibrated", input_example=None)
    new = tracking.register(uri, RECALIBRATED_NAME)
    tracking.promote(RECALIBRATED_NAME, new)
    loaded, _ = tracking.load_champion(RECALIBRATED_NAME)
    assert loaded.cover_recalibration == HIGHER  # round trip through the saved model
    assert tracking.load_cover_recalibration(RECALIBRATED_NAME, new) == HIGHER
    after = _plan(shop, RECALIBRATED_NAME)

    # same forecasts, same stock: the order-up-to levels are the 99% quantiles, medians unchanged
    assert set(after["model_version"]) == {new}
    written = pl.read_parquet(
        shop.warehouse.partition_path(
            forecasting.FORECASTS, {"forecast_date": START + timedelta(days=50)}
        )
    )
    assert set(written["model_name"]) == {RECALIBRATED_NAME}
    assert after["sku"].to_list() == before["sku"].to_list()
    assert after["demand_p50_cover"].to_list() == before["demand_p50_cover"].to_list()
    day = forecasting.load_day_forecast(shop.warehouse, START + timedelta(days=50))
    at_99 = forecasting.plan_day(day, ReorderConfig(service_level=0.99))
    np.testing.assert_allclose(after["order_up_to"].to_numpy(), at_99["order_up_to"].to_numpy())
    assert (after["order_up_to"] >= before["order_up_to"]).all()
    assert (after["order_up_to"] > before["order_up_to"]).any()
    # without the recalibration the plan of the same forecasts is the old one, byte for byte
    plain = forecasting.plan_day(
        dataclasses.replace(day, cover_recalibration=None), ReorderConfig()
    )
    assert plain.drop("model_version").equals(before.drop("model_version"))
    _plan(shop, MODEL_NAME)  # the shared shop's day as the other tests expect it
