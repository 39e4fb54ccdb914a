"""A scenario file dropped in what_if/ is picked up by a sensor tick, answered through Dagster."""

import json
from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from inventory_pipeline.defs.partitions import scenario_partitions
from inventory_pipeline.defs.whatif.assets import promotion_scenarios
from inventory_pipeline.defs.whatif.resources import ScenarioFolderResource
from inventory_pipeline.defs.whatif.sensors import what_if_sensor
from inventory_pipeline.forecasting import ModelRef
from inventory_pipeline.whatif import ScenarioError, answer_scenario, build_scenario, read_features
from inventory_pipeline_tests.whatif.conftest import PromoShop


def _skus(shop: PromoShop, n: int) -> list[str]:
    static = shop.warehouse.root / "raw" / "products"
    rows = duckdb.sql(
        f"SELECT DISTINCT sku FROM read_parquet('{static}/*/data.parquet') ORDER BY sku"
    ).pl()
    return rows["sku"].to_list()[:n]


def test_a_dropped_file_is_answered_by_a_sensor_tick(promo_shop: PromoShop, tmp_path: Path) -> None:
    folder = tmp_path / "what_if"
    folder.mkdir()
    skus = _skus(promo_shop, 3)
    start = promo_shop.latest + timedelta(days=3)
    (folder / "summer-push.yaml").write_text(
        f"skus: [{', '.join(skus)}]\nstart: {start}\nend: {start + timedelta(days=4)}\n"
        "discounts: [20, 40]\npromo_name: Summer push\n"
    )
    (folder / "typo.yaml").write_text(f"skus: [{skus[0]}]\nstart: {start}\nend: {start}\n")
    resources = promo_shop.resources(folder)
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(
            instance=instance, resources={"what_if": ScenarioFolderResource(path=str(folder))}
        )
        result = what_if_sensor(context)
        assert [r.partition_key for r in result.run_requests] == ["summer-push"]
        assert result.dynamic_partitions_requests[0].partition_keys == ["summer-push"]
        instance.add_dynamic_partitions(scenario_partitions.name, ["summer-push"])

        # the next tick requests nothing: the file has not changed since
        again = what_if_sensor(
            dg.build_sensor_context(
                instance=instance, cursor=result.cursor,
                resources={"what_if": ScenarioFolderResource(path=str(folder))},
            )
        )  # fmt: skip
        assert again.run_requests == []
        assert again.skip_reason is not None
        assert "no new or changed scenario file" in (again.skip_reason.skip_message or "")

        run = dg.materialize(
            [promotion_scenarios], partition_key="summer-push", instance=instance,
            resources=resources,
        )  # fmt: skip
        assert run.success
        meta = run.asset_materializations_for_node("promotion_scenarios")[0].metadata
    assert meta["skus"].value == 3
    assert "| 1 |" in meta["ranking"].value and "![" in meta["plot"].value
    path = promo_shop.warehouse.partition_path("promotion_scenarios", {"scenario": "summer-push"})
    rows = pl.read_parquet(path)
    assert rows["discount_pct"].unique().sort().to_list() == [20.0, 40.0]
    assert rows.height == 2 * 3 * 14  # discounts x SKUs x horizon days
    promo = rows.filter(pl.col("phase") == "promotion")
    assert promo["date"].min() == start and promo["date"].n_unique() == 5
    lead = rows["lead_time_days"].cast(pl.Int64).to_list()
    assert rows["order_by"].to_list() == [start - timedelta(days=d) for d in lead]
    # without the promotion the two discounts see the same forecast
    a, b = (rows.filter(pl.col("discount_pct") == d).sort("sku", "date") for d in (20.0, 40.0))
    assert a["units_without"].to_list() == b["units_without"].to_list()
    # on a day outside the promotion's days the price is the list price with or without it
    before = rows.filter(pl.col("phase") == "before")
    assert (before["price_with"] == before["list_price"]).all()
    with duckdb.connect(str(promo_shop.warehouse.catalog_path), read_only=True) as con:
        n = con.execute("SELECT count(*) FROM promotion_scenarios").fetchone()
    assert n is not None and n[0] == rows.height


def test_the_typo_file_is_reported_in_the_tick(tmp_path: Path) -> None:
    folder = tmp_path / "what_if"
    folder.mkdir()
    (folder / "typo.yaml").write_text("skus: [A]\nstart: 2025-06-10\nend: 2025-06-12\n")
    with dg.instance_for_test() as instance:
        result = what_if_sensor(
            dg.build_sensor_context(
                instance=instance, resources={"what_if": ScenarioFolderResource(path=str(folder))}
            )
        )
    assert result.run_requests == [] and result.skip_reason is not None
    assert "typo.yaml: no discount given" in (result.skip_reason.skip_message or "")
    assert json.loads(result.cursor or "{}").keys() == {"typo.yaml"}


def test_a_discount_lifts_the_forecast(promo_shop: PromoShop) -> None:
    skus = _skus(promo_shop, 16)
    start = promo_shop.latest + timedelta(days=2)
    scenario = build_scenario(
        "test", "deep-cut", skus=skus, start=start, end=start + timedelta(days=5),
        discounts=[40],
    )  # fmt: skip
    fc = promo_shop.forecaster
    features = read_features(promo_shop.warehouse, promo_shop.latest, fc, scenario)
    answer = answer_scenario(fc, features, scenario, ModelRef("demand_model", promo_shop.version))
    best = answer.ranking.row(0, named=True)
    assert best["uplift_units"] > 0, answer.ranking
    assert best["uplift_share"] > 0.05
    promo = answer.rows.filter(pl.col("phase") == "promotion")
    assert promo["units_with"].sum() > promo["units_without"].sum()
    assert (answer.rows["order_qty_with"] >= answer.rows["order_qty_without"]).mean() > 0.5


def test_a_promotion_beyond_the_horizon_is_refused(promo_shop: PromoShop) -> None:
    start = promo_shop.latest + timedelta(days=10)
    scenario = build_scenario(
        "test", "late", skus=_skus(promo_shop, 1), start=start, end=start + timedelta(days=9),
        discounts=[20],
    )  # fmt: skip
    fc = promo_shop.forecaster
    features = read_features(promo_shop.warehouse, promo_shop.latest, fc, scenario)
    with pytest.raises(ScenarioError, match="after .* the last day the model forecasts"):
        answer_scenario(fc, features, scenario, ModelRef("demand_model", promo_shop.version))
    unknown = build_scenario(
        "test", "nope", skus=["NOPE-1"], start=start, end=start, discounts=[20]
    )
    with pytest.raises(ScenarioError, match=r"\['NOPE-1'\] are not in the catalog"):
        read_features(promo_shop.warehouse, promo_shop.latest, fc, unknown)


def test_the_cli_prints_the_ranking(
    promo_shop: PromoShop, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from inventory_pipeline import cli

    monkeypatch.setenv("INVENTORY_DATA_DIR", str(promo_shop.root))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", promo_shop.tracking_uri)
    sku = _skus(promo_shop, 1)[0]
    start = promo_shop.latest + timedelta(days=2)
    args = ["what-if", "--sku", sku, "--start", str(start), "--end", str(start + timedelta(days=2)),
            "--discount", "20", "--discount", "40", "--experiment", "tests"]  # fmt: skip
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert (
        f"as of {promo_shop.latest}" in out and f"model demand_model v{promo_shop.version}" in out
    )
    ranked = [line.split()[1] for line in out.splitlines()[3:5]]
    assert sorted(ranked) == ["20%", "40%"]
    assert cli.main([*args[:-4], "--discount", "150"]) == 2
    assert "discount = 150.0 is outside 0 < discount < 100" in capsys.readouterr().err
