"""run_evaluation end to end on tiny shops: the report, MLflow, and a shop without ground truth."""

import json
import math
from datetime import timedelta
from pathlib import Path

import mlflow
import numpy as np
import polars as pl
import pytest
from mlflow.tracking import MlflowClient

from inventory_pipeline import contract as c
from inventory_pipeline import tracking
from inventory_pipeline.evaluation import log_to_mlflow, run_evaluation
from inventory_pipeline.evaluation.replay import RECORDED, frontier, same_fill_rate
from inventory_pipeline.features.build import build_all
from inventory_pipeline.ingest.load import ingest_days, landing_dates
from inventory_pipeline.sampleshop import generate_shop
from inventory_pipeline.warehouse import Warehouse

from .conftest import DAYS, EVAL_END, EVAL_START, START, TinyShop, tiny_eval_config

METHODS = ("champion", "lightgbm", "auto_ets", "seasonal_naive", "oracle")


def test_report_on_a_generated_shop_and_mlflow(tiny_shop: TinyShop, tmp_path: Path) -> None:
    cfg = tiny_eval_config()
    stages: list[str] = []
    result = run_evaluation(
        tiny_shop.warehouse, EVAL_START, EVAL_END, tmp_path / "report", tiny_shop.forecaster,
        "3", tiny_shop.truth, cfg, lambda stage, i, n: stages.append(stage),
    )  # fmt: skip
    assert result.methods == METHODS
    assert result.actuals == "true_demand"
    assert result.origins == (
        EVAL_START,
        EVAL_START + timedelta(days=7),
        EVAL_START + timedelta(days=14),
    )
    assert {"forecasts", "lightgbm", "auto_ets", "accuracy", "simulation", "report"} <= set(stages)

    for name in ("summary", "policy", "frontier", "same_fill_rate", "policy_by_sku", "accuracy",
                 "accuracy_by_horizon", "plot_tradeoff", "plot_accuracy_by_horizon",
                 "plot_sku_timelines", "evaluation", "calibration",
                 "plot_calibration"):  # fmt: skip
        assert result.files[name].is_file() and result.files[name].stat().st_size > 0, name
    summary = result.files["summary"].read_text()
    assert (
        "Calibration of the quantiles the policy reads" in summary
        and "plots/calibration.png" in summary
    )
    calibration = pl.read_csv(result.files["calibration"]).filter(pl.col("windows") > 0)
    assert set(calibration["method"]) == set(METHODS)
    for _, group in calibration.group_by("method", "bucket"):
        observed = group.sort("level")["observed"].to_numpy()
        assert np.all(np.diff(observed) >= 0) and 0 <= observed.min() <= observed.max() <= 1
    assert "95% cycle-service target" in summary and "plots/tradeoff.png" in summary
    assert "champion** (v3)" in summary

    policy = pl.read_csv(result.files["policy"])
    segments = set(policy["segment"].to_list())
    assert segments == {
        "all", "cover_within_horizon", "cover_beyond_horizon", "cold_start", "promo", "incident",
        "fast_mover", "intermittent",
    }  # fmt: skip
    assert "promo_planned" in result.accuracy.cells.segments
    same = pl.read_csv(result.files["same_fill_rate"])
    assert set(same["method"].to_list()) == set(METHODS[1:])
    per_method = policy.filter(pl.col("segment") == "all").group_by("method").len()
    counts = dict(per_method.iter_rows())
    assert all(counts[m] == len(cfg.service_levels) for m in METHODS) and counts[RECORDED] == 1

    # every forecaster meets the same demand from the same start stock
    shop = result.shop
    for method, path in result.replay.paths.items():
        assert np.array_equal(path.sold + path.lost, shop.demand), method
    simulated = [p for m, p in result.replay.paths.items() if m != RECORDED]
    assert all(np.array_equal(p.received[:, 0], simulated[0].received[:, 0]) for p in simulated)
    # the model's cells are the peers' cells
    cells = result.accuracy.forecasts.group_by("method").len()
    assert len(set(dict(cells.iter_rows()).values())) == 1

    headline = result.headline()
    assert "sim_fill_rate_sl95_champion" in headline and "wql_all_lightgbm" in headline
    assert all(math.isfinite(v) for v in headline.values())
    meta = json.loads(result.files["evaluation"].read_text())
    assert meta["actuals"] == "true_demand" and len(meta["origins"]) == 3

    tracking.configure(f"sqlite:///{tmp_path / 'mlflow.db'}", tmp_path / "artifacts", "evaluation")
    run_id = log_to_mlflow(result)
    run = MlflowClient().get_run(run_id)
    assert run.data.params["model_version"] == "3"
    assert run.data.metrics["sim_fill_rate_sl95_champion"] == pytest.approx(
        headline["sim_fill_rate_sl95_champion"]
    )
    listed = [a.path for a in MlflowClient().list_artifacts(run_id, "evaluation")]
    assert "evaluation/summary.md" in listed
    mlflow.set_tracking_uri("")


def test_a_landing_zone_never_seen_without_ground_truth(
    tiny_shop: TinyShop, tmp_path: Path
) -> None:
    """Another shop, no truth file: observed units, stockout days never scored, no oracle."""
    landing = tmp_path / "landing"
    generate_shop(
        landing, tmp_path / "kept_apart", skus=10, days=DAYS, start=START, seed=5, progress=False
    )
    warehouse = Warehouse(tmp_path / "warehouse")
    for contract in c.TABLES.values():
        ingest_days(landing, warehouse, contract, landing_dates(landing, contract.name))
    build_all(warehouse)

    result = run_evaluation(
        warehouse, EVAL_START, EVAL_END, tmp_path / "report", tiny_shop.forecaster, "3",
        tmp_path / "ground_truth", tiny_eval_config(),
    )  # fmt: skip
    assert result.actuals == "observed_units"
    assert "oracle" not in result.methods and RECORDED not in result.replay.paths
    assert "incident" not in result.replay.segments
    assert not (result.replay.scored & ~result.shop.usable).any()  # stockout days never scored
    assert result.accuracy.cells.frame.filter(pl.col("scored"))["actual"].min() >= 0
    summary = result.files["summary"].read_text()
    assert "stockout days are excluded from every score" in summary
    assert "No ground truth" in summary


def test_peers_only(tiny_shop: TinyShop, tmp_path: Path) -> None:
    cfg = tiny_eval_config(peers=("seasonal_naive", "lightgbm"))
    result = run_evaluation(
        tiny_shop.warehouse, EVAL_START, EVAL_END, tmp_path / "report", None, None, None, cfg
    )
    assert result.methods == ("lightgbm", "seasonal_naive")
    assert "No model was evaluated" in result.files["summary"].read_text()


def test_the_range_must_be_observed(tiny_shop: TinyShop, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="after the latest export"):
        run_evaluation(tiny_shop.warehouse, EVAL_START, EVAL_END + timedelta(days=1), tmp_path)
    with pytest.raises(ValueError, match="no history before it"):
        run_evaluation(tiny_shop.warehouse, START + timedelta(days=3), EVAL_END, tmp_path)


def test_frontier_interpolates_along_the_curve() -> None:
    rows = [
        {"method": "m", "segment": "all", "service_level": s, "fill_rate": f,
         "avg_on_hand_value": v, "avg_on_hand_units": v / 10}
        for s, f, v in ((0.8, 0.90, 100.0), (0.9, 0.94, 140.0), (0.99, 0.97, 200.0))
    ] + [
        {"method": "hi", "segment": "all", "service_level": 0.8, "fill_rate": 0.99,
         "avg_on_hand_value": 300.0, "avg_on_hand_units": 30.0}
    ]  # fmt: skip
    out = frontier(pl.DataFrame(rows), (0.92, 0.98))
    got = {(r["method"], r["fill_rate_target"]): r for r in out.iter_rows(named=True)}
    assert got[("m", 0.92)]["avg_on_hand_value"] == pytest.approx(120.0)
    assert got[("m", 0.92)]["note"] == "interpolated"
    assert got[("m", 0.98)]["note"] == "not reached"
    assert got[("hi", 0.92)]["note"] == "at or below the lowest target"


def test_same_fill_rate_reads_the_reference_curve() -> None:
    rows = [
        {"method": m, "segment": "all", "service_level": s, "fill_rate": f,
         "avg_on_hand_value": v, "avg_on_hand_units": v}
        for m, s, f, v in (
            ("model", 0.8, 0.90, 100.0), ("model", 0.9, 0.95, 150.0),
            ("peer", 0.8, 0.85, 80.0), ("peer", 0.9, 0.92, 160.0),
        )
    ]  # fmt: skip
    out = same_fill_rate(pl.DataFrame(rows), "model", ["peer"]).sort("service_level")
    assert out["model_avg_on_hand_value"][0] is None or math.isnan(
        out["model_avg_on_hand_value"][0]
    )
    assert out["stock_change"][0] is None  # 0.85 is below the model's curve
    assert out["model_avg_on_hand_value"][1] == pytest.approx(120.0)  # 0.92 on the model's curve
    assert out["stock_change"][1] == pytest.approx(120.0 / 160.0 - 1.0)
