"""Ingest + features through Dagster on a generated shop: a range backfill, then a nightly day."""

import hashlib
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.defs.resources import (
    LandingZoneResource,
    ShopSettingsResource,
    WarehouseResource,
)
from inventory_pipeline.sampleshop import generate_shop
from inventory_pipeline.settings import SettingsError

# the pipeline's definitions with partitions from the test shop's first export day
defs = build_definitions(date(2024, 1, 1))


def _run(
    job_name: str, start: str, end: str, resources: dict, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def(job_name)
    return job.execute_in_process(
        instance=instance,
        resources=resources,
        tags={ASSET_PARTITION_RANGE_START_TAG: start, ASSET_PARTITION_RANGE_END_TAG: end},
    )


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("data.parquet"))
    }


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shop")
    generate_shop(
        root / "landing",
        root / "truth",
        skus=15,
        days=40,
        start=date(2024, 1, 1),
        seed=5,
        progress=False,
    )
    return root


def test_backfill_then_nightly_update_matches_the_truth(shop: Path, tmp_path: Path) -> None:
    resources = {
        "landing": LandingZoneResource(path=str(shop / "landing")),
        "warehouse": WarehouseResource(path=str(tmp_path / "wh")),
    }
    with dg.DagsterInstance.ephemeral() as instance:
        assert _run("daily_data_job", "2024-01-01", "2024-02-08", resources, instance).success
        nightly = _run("daily_data_job", "2024-02-09", "2024-02-09", resources, instance)
        assert nightly.success
        meta = nightly.asset_materializations_for_node("daily_sku_demand")[0].metadata
        assert meta["mode"].value == "incremental"
        after_nightly = _digest(tmp_path / "wh" / "features" / "daily_sku_demand")
        rebuilt = _run("daily_data_job", "2024-01-01", "2024-02-09", resources, instance)
        assert rebuilt.success
        assert _digest(tmp_path / "wh" / "features" / "daily_sku_demand") == after_nightly

    con = duckdb.connect(str(tmp_path / "wh" / "catalog.duckdb"), read_only=True)
    demand = con.sql("SELECT sku, date, units, stockout FROM daily_sku_demand").pl()
    truth = pl.read_parquet(shop / "truth" / "daily.parquet").select(
        "sku", "date", "sales", "stockout"
    )
    joined = truth.join(demand, on=["sku", "date"], how="inner")
    assert joined.height == truth.height
    assert (joined["units"] == joined["sales"]).all()
    assert (joined["stockout"] == joined["stockout_right"]).all()
    assert set(con.sql("SHOW TABLES").pl()["name"]) >= {
        "raw_orders",
        "orders_current",
        "daily_sku_demand",
        "promo_calendar",
        "review_signals",
        "product_docs",
        "calendar",
    }


def _calendar(warehouse: Path) -> pl.DataFrame:
    return pl.read_parquet(warehouse / "features" / "calendar" / "*" / "data.parquet").sort("date")


def test_settings_file_sets_the_calendar_and_a_change_rebuilds_it(
    shop: Path, tmp_path: Path
) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text(
        "events:\n"
        "  - {name: january_sale, rule: fixed, month: 1, day: 5, length_days: 2, direction: up}\n",
        encoding="utf-8",
    )
    resources = {
        "landing": LandingZoneResource(path=str(shop / "landing")),
        "warehouse": WarehouseResource(path=str(tmp_path / "wh")),
        "shop": ShopSettingsResource(path=str(settings)),
    }
    with dg.DagsterInstance.ephemeral() as instance:
        assert _run("daily_data_job", "2024-01-01", "2024-01-10", resources, instance).success
        calendar = _calendar(tmp_path / "wh")
        assert [c for c in calendar.columns if c.startswith("event_")] == ["event_january_sale"]
        sale = calendar.filter("event_january_sale")["date"]
        assert sale.dt.day().unique().sort().to_list() == [5, 6]
        assert not calendar["is_holiday"].any()

        settings.write_text(
            "events:\n"
            "  - name: stocktaking\n    rule: dates\n    dates: [2024-01-08, 2025-01-06]\n"
            "    direction: down\n",
            encoding="utf-8",
        )
        nightly = _run("daily_data_job", "2024-01-11", "2024-01-11", resources, instance)
        assert nightly.success
    calendar = _calendar(tmp_path / "wh")
    assert [c for c in calendar.columns if c.startswith("event_")] == ["event_stocktaking"]
    assert calendar.filter("is_holiday")["date"].to_list() == [date(2024, 1, 8), date(2025, 1, 6)]
    meta = nightly.asset_materializations_for_node("calendar")[0].metadata
    assert meta["mode"].value == "events_changed"
    assert meta["event_columns"].value == ["event_stocktaking"]
    assert meta["shop_settings"].value["events"][0]["name"] == "stocktaking"
    assert meta["shop_settings"].value["source"] == str(settings)


def test_a_bad_settings_file_stops_the_run_with_the_key_and_the_fix(
    shop: Path, tmp_path: Path
) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text("reorder:\n  service_level: 1.5\n", encoding="utf-8")
    resources = {
        "landing": LandingZoneResource(path=str(shop / "landing")),
        "warehouse": WarehouseResource(path=str(tmp_path / "wh")),
        "shop": ShopSettingsResource(path=str(settings)),
    }
    with (
        dg.DagsterInstance.ephemeral() as instance,
        pytest.raises(dg.DagsterResourceFunctionError) as err,
    ):
        _run("daily_data_job", "2024-01-01", "2024-01-01", resources, instance)
    assert isinstance(err.value.__cause__, SettingsError)
    assert "reorder.service_level: 1.5 is not a service level" in str(err.value.__cause__)
    assert not (tmp_path / "wh" / "raw").exists()
