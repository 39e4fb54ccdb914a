"""The nightly job end to end: forecasts, reorder plan and accuracy from the champion model."""

import hashlib
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from inventory_pipeline.definitions import build_definitions
from inventory_pipeline_tests.forecasting.conftest import START, Shop

# the pipeline's definitions with partitions from the test shop's first export day
defs = build_definitions(START)

SELECTION = ["sku_forecasts", "reorder_plan", "forecast_accuracy"]


def _run(shop: Shop, start: date, end: date) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def("nightly_forecast_job").get_subset(
        asset_selection={dg.AssetKey(k) for k in SELECTION}
    )
    with dg.DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(
            instance=instance,
            resources=shop.resources(),
            tags={
                ASSET_PARTITION_RANGE_START_TAG: start.isoformat(),
                ASSET_PARTITION_RANGE_END_TAG: end.isoformat(),
            },
        )


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.parquet"))
    }


@pytest.fixture(scope="module")
def nightly(shop: Shop) -> dg.ExecuteInProcessResult:
    result = _run(shop, START + timedelta(days=45), START + timedelta(days=52))
    assert result.success
    return result


def test_forecasts_follow_the_contract(shop: Shop, nightly: dg.ExecuteInProcessResult) -> None:
    forecasts = pl.read_parquet(shop.warehouse.glob("forecasts", 1))
    assert forecasts["forecast_date"].n_unique() == 8
    assert {
        "forecast_date",
        "sku",
        "target_date",
        "horizon",
        "p10",
        "p50",
        "p90",
        "model_name",
        "model_version",
    } <= set(forecasts.columns)
    assert set(forecasts["model_version"]) == {shop.version}
    assert (forecasts["p10"] <= forecasts["p50"] + 1e-9).all() and (
        forecasts["p50"] <= forecasts["p90"] + 1e-9
    ).all()
    assert (forecasts["p10"] >= 0).all()
    assert (
        (forecasts["target_date"] - forecasts["forecast_date"]).dt.total_days()
        == forecasts["horizon"]
    ).all()
    meta = nightly.asset_materializations_for_node("sku_forecasts")[0].metadata
    assert meta["model_version"].value == shop.version
    assert "data:image/png;base64," in meta["fan_chart"].value


def test_plan_orders_are_valid_and_discontinued_never_ordered(
    shop: Shop, nightly: dg.ExecuteInProcessResult
) -> None:
    plan = pl.read_parquet(shop.warehouse.glob("reorder_plan", 1))
    assert plan["plan_date"].n_unique() == 8
    ordered = plan.filter(pl.col("order_qty") > 0)
    assert ordered.height > 0
    assert ((ordered["order_qty"] % ordered["pack_size"]) == 0).all()
    assert (ordered["order_qty"] >= ordered["moq"]).all()
    assert (
        plan["safety_stock"] - (plan["order_up_to"] - plan["demand_p50_cover"])
    ).abs().max() < 1e-6
    assert plan["reason"].str.len_chars().min() > 20
    catalog = pl.read_parquet(shop.root / "truth" / "products.parquet").select(
        "sku", "discontinued_at"
    )
    joined = plan.join(catalog, on="sku").filter(
        pl.col("discontinued_at").is_not_null() & (pl.col("discontinued_at") <= pl.col("plan_date"))
    )
    assert (joined["order_qty"] == 0).all()
    forecasts = pl.read_parquet(shop.warehouse.glob("forecasts", 1))
    gone = forecasts.join(catalog, on="sku").filter(
        pl.col("discontinued_at") <= pl.col("forecast_date")
    )
    assert gone.is_empty()
    meta = nightly.asset_materializations_for_node("reorder_plan")[0].metadata
    assert meta["total_order_value"].value >= 0


def test_plan_metadata_shows_every_order_of_the_day_and_the_outbox_has_the_sheet(
    shop: Shop, nightly: dg.ExecuteInProcessResult
) -> None:
    last = START + timedelta(days=52)
    plan = pl.read_parquet(shop.warehouse.partition_path("reorder_plan", {"plan_date": last}))
    orders = plan.filter(pl.col("order_qty") > 0).sort("order_value", descending=True)
    meta = nightly.asset_materializations_for_node("reorder_plan")[0].metadata
    assert meta["plan_date"].value == last.isoformat() and meta["currency"].value == "EUR"
    table = meta["orders_table"]
    assert isinstance(table, dg.TableMetadataValue)
    records = [r.data for r in table.records]
    assert [r["sku"] for r in records] == orders["sku"].to_list()  # every order, largest first
    catalog = pl.read_parquet(shop.warehouse.glob("raw/products", 1), hive_partitioning=True)
    catalog = catalog.filter(pl.col("export_date") <= last).sort("export_date")
    titles = dict(zip(catalog["sku"], catalog["title"]))  # each SKU's title as known on the day
    lead = dict(zip(plan["sku"], plan["lead_time_days"]))
    pack = dict(zip(plan["sku"], plan["pack_size"]))
    for r in records:
        assert r["title"] == titles[r["sku"]]
        assert r["packs"] == f"{r['qty'] // pack[r['sku']]} × {pack[r['sku']]}"
        assert r["arrives"] == (last + timedelta(days=lead[r["sku"]])).isoformat()
        assert 0 <= int(r["stockout_risk"].removesuffix("%")) <= 100
        assert r["reason"].startswith(f"Order {r['qty']}") and r["value_EUR"] > 0
    csv = Path(meta["buyer_sheet_csv"].value)
    assert csv == shop.root / "outbox" / f"reorder_plan_{last}.csv"
    sheet = pl.read_csv(csv)
    assert sheet["sku"].to_list() == orders["sku"].to_list()
    assert Path(meta["buyer_sheet_xlsx"].value).read_bytes()[:2] == b"PK"  # a zip: an XLSX file
    chart = Path(meta["fan_chart_path"].value)
    assert chart.parent == shop.root / "outbox" and chart.read_bytes()[:4] == b"\x89PNG"


def test_accuracy_scores_earlier_forecasts(shop: Shop, nightly: dg.ExecuteInProcessResult) -> None:
    accuracy = pl.read_parquet(shop.warehouse.glob("forecast_accuracy", 1))
    assert accuracy.height > 0
    assert accuracy["wql"].is_finite().all() and (accuracy["coverage_80"].is_between(0, 1)).all()
    assert (accuracy["forecast_date"] < accuracy["scored_on"]).all()
    checks = nightly.get_asset_check_evaluations()
    assert any(c.check_name == "accuracy_within_drift_threshold" for c in checks)


def test_rerunning_a_partition_gives_identical_rows(
    shop: Shop, nightly: dg.ExecuteInProcessResult
) -> None:
    before = _digest(shop.warehouse.root / "forecasts") | _digest(
        shop.warehouse.root / "reorder_plan"
    )
    day = START + timedelta(days=48)
    assert _run(shop, day, day).success
    after = _digest(shop.warehouse.root / "forecasts") | _digest(
        shop.warehouse.root / "reorder_plan"
    )
    assert after == before
    assert np.isfinite(
        pl.read_parquet(shop.warehouse.glob("forecasts", 1))["cum_p95"].to_numpy()
    ).all()
