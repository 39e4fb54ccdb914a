"""`inventory-pipeline plan --date D` prints the published reorder plan of D, read with DuckDB."""

from datetime import date, timedelta

import dagster as dg
import polars as pl
import pytest

from inventory_pipeline import cli
from inventory_pipeline.definitions import build_definitions
from inventory_pipeline_tests.forecasting.conftest import START, Shop

defs = build_definitions(START)
DAY = START + timedelta(days=47)


@pytest.fixture(scope="module")
def planned(shop: Shop) -> date:
    """The nightly forecast and reorder plan of DAY, materialised by the real job."""
    job = defs.resolve_job_def("nightly_forecast_job").get_subset(
        asset_selection={dg.AssetKey("sku_forecasts"), dg.AssetKey("reorder_plan")}
    )
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance, resources=shop.resources(), partition_key=DAY.isoformat()
        )
    assert result.success
    return DAY


def test_plan_prints_the_days_orders_largest_first(
    shop: Shop, planned: date, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INVENTORY_WAREHOUSE_DIR", str(shop.warehouse.root))
    assert cli.main(["plan", "--date", planned.isoformat()]) == 0
    out = capsys.readouterr().out.splitlines()
    plan = pl.read_parquet(shop.warehouse.partition_path("reorder_plan", {"plan_date": planned}))
    orders = plan.filter(pl.col("order_qty") > 0).sort(
        ["order_value", "sku"], descending=[True, False]
    )
    assert orders.height > 0
    assert out[0] == f"reorder plan {planned}: {orders.height} orders (largest order value first)"
    assert out[1].split() == list(cli.PLAN_COLUMNS)
    rows = out[3:]
    assert [line.split()[0] for line in rows] == orders["sku"].to_list()
    first = rows[0].split()
    assert int(first[6]) == orders["order_qty"][0]  # order_qty column
    assert float(first[7]) == pytest.approx(orders["order_value"][0], abs=0.01)


def test_plan_all_lists_every_sku_and_limit_cuts(
    shop: Shop, planned: date, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INVENTORY_WAREHOUSE_DIR", str(shop.warehouse.root))
    plan = pl.read_parquet(shop.warehouse.partition_path("reorder_plan", {"plan_date": planned}))
    assert cli.main(["plan", "--date", planned.isoformat(), "--all", "--limit", "1000"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3 + plan.height
    assert cli.main(["plan", "--date", planned.isoformat(), "--all", "--limit", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 + 2
    assert out[0] == (
        f"reorder plan {planned}: {plan.height} SKUs (largest order value first; "
        "the first 2 shown (--limit))"
    )


def test_plan_of_a_missing_day_says_how_to_make_it(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INVENTORY_WAREHOUSE_DIR", str(shop.warehouse.root))
    missing = START + timedelta(days=3)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["plan", "--date", missing.isoformat()])
    message = str(exit_.value.code)
    assert f"no reorder plan for {missing}" in message
    assert (
        f"inventory-pipeline backfill --job nightly_forecast_job --start {missing} --end {missing}"
        in message
    )
