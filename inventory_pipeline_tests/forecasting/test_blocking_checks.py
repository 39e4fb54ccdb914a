"""A bad night never publishes: a forecast that breaks an invariant fails its blocking check, is
not written (the partition published before stays byte for byte) and the plan does not run."""

import shutil
from datetime import timedelta
from pathlib import Path

import dagster as dg
import mlflow
import pytest
import torch
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from inventory_pipeline import tracking
from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.defs.resources import MlflowResource
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline_tests.forecasting.conftest import MODEL_NAME, START, Shop

defs = build_definitions(START)
SELECTION = {dg.AssetKey(k) for k in ("sku_forecasts", "reorder_plan")}
BROKEN = "broken_model"
DAY = START + timedelta(days=60)


@pytest.fixture(scope="module")
def own_shop(shop: Shop, tmp_path_factory: pytest.TempPathFactory) -> Shop:
    """A copy of the package's shop (its warehouse and MLflow store) this module may change."""
    root = tmp_path_factory.mktemp("blocking") / "shop"
    shutil.copytree(shop.root, root)
    uri = f"sqlite:///{root / 'mlflow.db'}"
    return Shop(
        root, root / "landing", Warehouse(root / "warehouse"), uri, root / "artifacts", shop.version
    )


def _run(shop: Shop, model: str, days: int = 1) -> dg.ExecuteInProcessResult:
    resources = shop.resources() | {
        "mlflow_registry": MlflowResource(
            tracking_uri=shop.tracking_uri, artifacts_dir=str(shop.artifacts),
            experiment="tests", registered_model=model,
        )
    }  # fmt: skip
    job = defs.resolve_job_def("nightly_forecast_job").get_subset(asset_selection=SELECTION)
    end = DAY + timedelta(days=days - 1)
    with dg.DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(
            instance=instance,
            resources=resources,
            tags={
                ASSET_PARTITION_RANGE_START_TAG: DAY.isoformat(),
                ASSET_PARTITION_RANGE_END_TAG: end.isoformat(),
            },
            raise_on_error=False,
        )


def _register_diverged_model(shop: Shop) -> str:
    """The champion with NaN weights (what a diverged training run leaves), as BROKEN@champion."""
    tracking.configure(shop.tracking_uri, shop.artifacts, "tests")
    forecaster = tracking.load_forecaster(f"models:/{MODEL_NAME}/{shop.version}")
    with torch.no_grad():
        for parameter in forecaster.network.parameters():
            parameter.fill_(float("nan"))
    with mlflow.start_run():
        uri = tracking.log_model(forecaster, shop.root / "diverged", input_example=None)
    version = tracking.register(uri, BROKEN)
    tracking.promote(BROKEN, version)
    return version


def test_forecasts_declare_the_champion_as_upstream() -> None:
    graph = defs.resolve_asset_graph()
    assert dg.AssetKey("champion_model") in graph.get(dg.AssetKey("sku_forecasts")).parent_keys


def test_a_broken_forecast_is_not_published_and_the_plan_does_not_run(own_shop: Shop) -> None:
    good = _run(own_shop, MODEL_NAME)
    assert good.success
    assert (
        good.asset_materializations_for_node("sku_forecasts")[0].metadata["model_version"].value
        == own_shop.version
    )
    forecasts = own_shop.warehouse.partition_path("forecasts", {"forecast_date": DAY})
    plan = own_shop.warehouse.partition_path("reorder_plan", {"plan_date": DAY})
    published = {p: Path(p).read_bytes() for p in (forecasts, plan)}

    _register_diverged_model(own_shop)
    bad = _run(own_shop, BROKEN, days=2)  # the published day and a new one
    assert not bad.success
    [check] = [
        e for e in bad.get_asset_check_evaluations() if e.check_name == "forecast_invariants"
    ]
    assert not check.passed
    problems = check.metadata["problems"].value
    assert set(problems) == {DAY.isoformat(), (DAY + timedelta(days=1)).isoformat()}
    assert "quantiles not finite or negative" in problems[DAY.isoformat()][0]
    assert {p: Path(p).read_bytes() for p in (forecasts, plan)} == published  # untouched
    assert not own_shop.warehouse.partition_path(
        "forecasts", {"forecast_date": DAY + timedelta(days=1)}
    ).exists()
    assert not bad.asset_materializations_for_node("reorder_plan")  # blocked: never ran
    assert "reorder_plan" not in {e.step_key for e in bad.all_events if e.is_step_start}
