"""A night reads each origin's features once; its forecasts and plans equal the old path's.

The old path read the features in ``forecast_day`` and again in ``load_day_forecast`` (the plan);
the night now reads them once in the forecast step and stages what the plan needs. The calls are
counted through a wrapper around the real ``features_as_of``; the published partitions are
compared with what the library's own convenience path (each call reading its own features)
makes of the same warehouse.
"""

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
from polars.testing import assert_frame_equal

from inventory_pipeline import forecasting, invariants, tracking
from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.defs.forecasting import assets as forecasting_assets
from inventory_pipeline.defs.resources import ShopSettingsResource, WarehouseResource
from inventory_pipeline.features import as_of
from inventory_pipeline.reorder import ReorderConfig
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline_tests.forecasting.conftest import MODEL_NAME, START, Shop

defs = build_definitions(START)
DAYS = [START + timedelta(days=47), START + timedelta(days=48)]
NIGHTLY = ("forecasts", "reorder_plan", "forecast_accuracy", "staging")


def _copy(shop: Shop, root: Path) -> Warehouse:
    """The shop's warehouse (raw + features) without any nightly output of other tests."""
    shutil.copytree(shop.warehouse.root, root, ignore=shutil.ignore_patterns("*.lock", "*.wal"))
    for table in NIGHTLY:
        shutil.rmtree(root / table, ignore_errors=True)
    return Warehouse(root)


@pytest.fixture(scope="module")
def night(shop: Shop, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Forecasts and plans of two days in one run, every ``features_as_of`` call recorded."""
    root = tmp_path_factory.mktemp("features_once")
    wh = _copy(shop, root / "warehouse")
    calls: list[date] = []
    real = as_of.features_as_of

    def counting(warehouse: Warehouse, day: date, *args: object, **kwargs: object):
        calls.append(day)
        return real(warehouse, day, *args, **kwargs)

    resources = shop.resources() | {
        "warehouse": WarehouseResource(path=str(wh.root)),
        "shop": ShopSettingsResource(path=str(root / "settings.yaml")),  # none: the defaults
    }
    job = defs.resolve_job_def("nightly_forecast_job").get_subset(
        asset_selection={dg.AssetKey("sku_forecasts"), dg.AssetKey("reorder_plan")}
    )
    tags = {
        ASSET_PARTITION_RANGE_START_TAG: DAYS[0].isoformat(),
        ASSET_PARTITION_RANGE_END_TAG: DAYS[-1].isoformat(),
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(forecasting, "features_as_of", counting)
        patch.setattr(forecasting_assets, "features_as_of", counting)
        with dg.DagsterInstance.ephemeral() as instance:
            result = job.execute_in_process(instance=instance, resources=resources, tags=tags)
    assert result.success
    return {"warehouse": wh, "calls": calls, "result": result}


def test_a_night_reads_each_origins_features_once(night: dict[str, object]) -> None:
    assert night["calls"] == DAYS  # one read per origin: the forecast's, reused by the plan
    wh = night["warehouse"]
    assert isinstance(wh, Warehouse)
    # what the forecast step staged for the plan is gone once the plan is made
    assert not list((wh.root / forecasting.PLAN_FEATURES).rglob("*.parquet"))


def test_forecasts_and_plans_equal_the_path_that_reads_features_twice(
    shop: Shop, night: dict[str, object]
) -> None:
    wh = night["warehouse"]
    assert isinstance(wh, Warehouse)
    tracking.configure(shop.tracking_uri, shop.artifacts, "tests")
    forecaster, version = tracking.load_champion(MODEL_NAME)
    model = forecasting.ModelRef(MODEL_NAME, version)
    policy = ReorderConfig()
    for day in DAYS:
        published = pl.read_parquet(
            wh.partition_path(forecasting.FORECASTS, {"forecast_date": day})
        )
        alone = forecasting.forecast_day(wh, forecaster, day, model)  # reads its own features
        assert_frame_equal(published, alone.rows, check_exact=True)
        plan = pl.read_parquet(wh.partition_path(forecasting.REORDER_PLAN, {"plan_date": day}))
        loaded = forecasting.load_day_forecast(wh, day, policy=policy)  # reads them again
        assert_frame_equal(plan, forecasting.plan_day(loaded, policy), check_exact=True)
        assert plan.height == alone.rows["sku"].n_unique()


def test_a_feature_set_narrowed_equals_the_one_read_with_that_window(
    night: dict[str, object],
) -> None:
    wh = night["warehouse"]
    assert isinstance(wh, Warehouse)
    day = DAYS[0]
    wide = as_of.features_as_of(wh, day, history_days=40, horizon=14)
    skus = wide.skus[::2]
    read = as_of.features_as_of(wh, day, skus=skus + ["nope"], history_days=9, horizon=14)
    narrow = forecasting.narrowed(wide, 9, skus + ["nope"])
    assert narrow.unknown_skus == read.unknown_skus == ("nope",)
    for name, frame in read.frames().items():
        assert_frame_equal(narrow.frames()[name], frame, check_exact=True)
    with pytest.raises(ValueError, match="history_days >= 41"):
        forecasting.narrowed(wide, 41)


def test_the_catalogs_of_a_run_read_at_once_equal_each_days_own(shop: Shop) -> None:
    days = [START + timedelta(days=k) for k in (0, 5, 20, 40, 69)]
    catalogs = invariants.catalogs_as_known(shop.warehouse, days)
    assert list(catalogs) == days
    for day in days:
        assert catalogs[day] == invariants.catalog_as_known(shop.warehouse, day)
    # the catalog moves over the shop's life (launches, discontinuations): each day is its own
    assert len({(c.known, c.discontinued) for c in catalogs.values()}) > 1
