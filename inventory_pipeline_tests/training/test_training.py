"""The retraining library on a tiny generated shop: plan, windows, fit, backtest, plots, ablation.

One shop is generated, ingested and featurised per module (real DuckDB and Parquet), one frozen-
encoder model is trained on it with tiny epochs, and every test reads those shared results.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest
import torch

from inventory_pipeline import contract
from inventory_pipeline.features.build import build_all
from inventory_pipeline.features.config import DEFAULT_CONFIG
from inventory_pipeline.ingest.load import ingest_days, landing_dates
from inventory_pipeline.model import DemandForecaster, ModelConfig, TrainingHistory
from inventory_pipeline.model.forecaster import load_weights
from inventory_pipeline.peers import LightGBMConfig
from inventory_pipeline.sampleshop import generate_shop
from inventory_pipeline.sampleshop.config import ShopConfig
from inventory_pipeline.scoring.accuracy import build_result, fallback_counts, flag_baselines
from inventory_pipeline.scoring.segments import SegmentConfig
from inventory_pipeline.scoring.truth import read_truth
from inventory_pipeline.tracking import decide
from inventory_pipeline.training import (
    BASELINES,
    LIGHTGBM,
    MODEL,
    ORACLE,
    BacktestInputs,
    BacktestResult,
    TrainingConfig,
    TrainingPlan,
    WindowSplits,
    add_forecaster,
    backtest_inputs,
    build_splits,
    fan_charts_png,
    gap_closed,
    gap_table,
    load_windows,
    loss_curves_png,
    make_plan,
    plan_origins,
    read_demand,
    retrain,
    save_report_plots,
    save_windows,
    text_ablation,
    wql_by_horizon_png,
)
from inventory_pipeline.training.ablation import TEXT_ABLATION
from inventory_pipeline.training.backtest import backtest, with_model
from inventory_pipeline.training.fit import fit, snapshot_path
from inventory_pipeline.training.retrain import _refit_windows
from inventory_pipeline.training.windows_io import SPLITS, at_origins, build_windows, sku_sample
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline.windows import Windows, select

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SHOP_DAYS = 120
# a shop small enough to build in seconds, with launches and quality incidents inside the backtest
SHOP = ShopConfig(incident_share=0.25, new_sku_share=0.3)
CFG = TrainingConfig(
    backtest_days=21,
    backtest_stride=7,
    validation_origins=2,
    validation_stride=7,
    train_stride=7,
    min_history_days=14,
    baseline_history_days=60,
    lightgbm=LightGBMConfig(
        n_estimators=15, min_child_samples=5, lags=(1, 7), rolling_windows=(7,)
    ),
    model_overrides={
        "history_days": 14,
        "horizon_days": 7,
        "quantiles": (0.1, 0.5, 0.9, 0.95),
        "finetune": "frozen",
        "max_tokens": 32,
        "d_model": 16,
        "batch_size": 32,
        "max_epochs": 2,
        "num_threads": 1,  # tiny tensors: one thread is as fast and immune to busy neighbours
        "zero_below": 0.05,
    },
)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, Path]:
    root = tmp_path_factory.mktemp("training_shop")
    generate_shop(
        root / "landing", root / "truth", skus=24, days=SHOP_DAYS, start=date(2024, 9, 1),
        seed=3, progress=False, config=SHOP,
    )  # fmt: skip
    warehouse = Warehouse(root / "warehouse")
    for table in contract.TABLES.values():  # products first: the others check SKUs against it
        ingest_days(root / "landing", warehouse, table, landing_dates(root / "landing", table.name))
    build_all(warehouse)
    return warehouse, root / "truth"


@pytest.fixture(scope="module")
def model_config() -> ModelConfig:
    return CFG.model_config()


@pytest.fixture(scope="module")
def plan(shop: tuple[Warehouse, Path]) -> TrainingPlan:
    return plan_origins(shop[0], CFG)


@pytest.fixture(scope="module")
def splits(
    shop: tuple[Warehouse, Path], plan: TrainingPlan, model_config: ModelConfig
) -> WindowSplits:
    return build_splits(shop[0], plan, model_config, read_demand(shop[0]))


@pytest.fixture(scope="module")
def trained(
    splits: WindowSplits, model_config: ModelConfig
) -> tuple[DemandForecaster, TrainingHistory]:
    return fit(splits.train, splits.validation, model_config)


@pytest.fixture(scope="module")
def inputs(shop: tuple[Warehouse, Path], plan: TrainingPlan) -> BacktestInputs:
    return backtest_inputs(shop[0], plan, CFG, truth_dir=shop[1])


@pytest.fixture(scope="module")
def result(
    trained: tuple[DemandForecaster, TrainingHistory],
    splits: WindowSplits,
    inputs: BacktestInputs,
) -> BacktestResult:
    return backtest(trained[0], splits.backtest, inputs, CFG)


# ------------------------------------------------------------------------------------- plan


def test_plan_blocks_follow_each_other_without_leaking(plan: TrainingPlan) -> None:
    H = plan.horizon_days
    first_validation, first_backtest = plan.validation_origins[0], plan.backtest_origins[0]
    assert len(plan.train_origins) >= 5 and len(plan.validation_origins) == 2
    assert all(t + timedelta(days=H) <= first_validation for t in plan.train_origins)
    assert all(v + timedelta(days=H) <= first_backtest for v in plan.validation_origins)
    assert plan.backtest_origins[-1] + timedelta(days=H) == plan.latest_export
    assert plan.backtest_origins[0] >= plan.latest_export - timedelta(days=CFG.backtest_days)
    assert plan.train_origins[0] >= plan.first_export + timedelta(days=CFG.min_history_days - 1)
    for block, stride in (
        (plan.train_origins, CFG.train_stride),
        (plan.validation_origins, CFG.validation_stride),
        (plan.backtest_origins, CFG.backtest_stride),
    ):
        assert all((b - a).days == stride for a, b in pairwise(block))


def test_training_window_targets_stay_before_validation(
    splits: WindowSplits, plan: TrainingPlan
) -> None:
    H = plan.horizon_days
    last_train_target = max(splits.train.origins) + timedelta(days=H)
    assert last_train_target < plan.validation_origins[0] + timedelta(days=1)
    assert splits.validation is not None
    last_validation_target = max(splits.validation.origins) + timedelta(days=H)
    assert last_validation_target < plan.backtest_origins[0] + timedelta(days=1)
    assert set(splits.backtest.origins) == set(plan.backtest_origins)


def test_training_origins_reach_the_validation_block_with_its_days_unknown() -> None:
    first, latest = date(2023, 1, 1), date(2025, 1, 14)
    full = make_plan(first, latest, 63, TrainingConfig())  # the default
    partial = make_plan(first, latest, 63, TrainingConfig(train_up_to_validation=True))
    v0 = partial.validation_origins[0]
    assert full.validation_origins == partial.validation_origins
    assert full.backtest_origins == partial.backtest_origins
    assert full.train_origins[-1] == v0 - timedelta(days=63) and full.train_targets_until is None
    assert partial.train_origins[-1] == v0 - timedelta(days=7)  # 8 more weekly origins
    assert len(partial.train_origins) == len(full.train_origins) + 8
    assert partial.train_targets_until == v0 == partial.last_target(partial.train_origins)
    assert partial.to_dict()["train_targets_until"] == v0.isoformat()
    # a horizon no longer than the stride leaves nothing to censor
    short = make_plan(first, latest, 7, TrainingConfig(train_up_to_validation=True))
    assert short.train_targets_until is None
    assert short.train_origins[-1] + timedelta(days=7) == short.validation_origins[0]


def test_training_targets_after_the_validation_start_are_censored(
    shop: tuple[Warehouse, Path], model_config: ModelConfig, tmp_path: Path
) -> None:
    cfg = dataclasses.replace(CFG, train_stride=3, train_up_to_validation=True)  # 3 < H = 7
    plan = plan_origins(shop[0], cfg)
    assert plan.train_targets_until == plan.validation_origins[0]
    assert plan.train_origins[-1] == plan.validation_origins[0] - timedelta(days=3)
    splits = build_splits(shop[0], plan, model_config, read_demand(shop[0]), cfg=cfg)
    samples = splits.train.samples
    assert samples.target_censored is not None
    origins = np.asarray(splits.train.origins, dtype="datetime64[D]")
    days = origins[:, None] + np.arange(1, 8)  # (N, H) target days
    after = days > np.datetime64(plan.validation_origins[0])
    assert after.any() and (samples.target_censored[after] == 1.0).all()
    assert (samples.target_censored[~after] == 0.0).mean() > 0.8  # only stockouts censored
    assert splits.validation is not None and splits.validation.samples.target_censored is not None
    # the served model's refit knows those days: its copy of the training windows scores them
    splits.save(tmp_path / "windows", model_config)
    refit, _ = _refit_windows(
        shop[0], tmp_path / "windows", plan, cfg, model_config, DEFAULT_CONFIG
    )
    refit_train = select(refit, np.arange(len(refit)) < len(splits.train))
    assert refit_train.samples.target_censored is not None
    assert (refit_train.samples.target_censored[after] == 0.0).mean() > 0.8
    assert np.array_equal(refit_train.samples.target_units[~after], samples.target_units[~after])


def test_plan_on_a_short_range_says_what_is_missing() -> None:
    with pytest.raises(ValueError, match="leave no training origin"):
        make_plan(date(2024, 1, 1), date(2024, 3, 1), 28, TrainingConfig())
    with pytest.raises(ValueError, match="backtest_days"):
        make_plan(date(2024, 1, 1), date(2025, 3, 1), 28, TrainingConfig(backtest_days=20))


# ----------------------------------------------------------------------------------- windows


def test_windows_round_trip(
    splits: WindowSplits, model_config: ModelConfig, tmp_path: Path
) -> None:
    save_windows(splits.train, tmp_path / "train", model_config)
    loaded = load_windows(tmp_path / "train", model_config)
    assert loaded.skus == splits.train.skus and loaded.origins == splits.train.origins
    assert list(loaded.samples.texts) == list(splits.train.samples.texts)
    for name in ("history_units", "history_covariates", "future_covariates", "static",
                 "target_units", "target_censored"):  # fmt: skip
        np.testing.assert_array_equal(
            getattr(loaded.samples, name), getattr(splits.train.samples, name)
        )
    again = WindowSplits.load(splits.save(tmp_path / "splits", model_config), model_config)
    assert again.summary() == splits.summary()
    other = CFG.model_config(history_days=21)
    with pytest.raises(ValueError, match="history_days"):
        load_windows(tmp_path / "train", other)


WINDOW_FIELDS = (
    "history_units", "history_stockout", "history_observed", "history_covariates",
    "future_covariates", "static", "target_units", "target_censored",
)  # fmt: skip


def same_windows(a: Windows | None, b: Windows | None) -> bool:
    """Identical rows, texts and arrays (byte for byte)."""
    if a is None or b is None:
        return a is b
    return (
        a.skus == b.skus
        and a.origins == b.origins
        and list(a.samples.texts) == list(b.samples.texts)
        and all(np.array_equal(getattr(a.samples, f), getattr(b.samples, f)) for f in WINDOW_FIELDS)
    )


def test_the_caps_leave_a_small_shop_untouched(
    shop: tuple[Warehouse, Path], plan: TrainingPlan, model_config: ModelConfig,
    splits: WindowSplits,
) -> None:  # fmt: skip
    every = build_windows(
        shop[0], plan.origins, model_config, read_demand(shop[0]), plan.latest_export
    )
    assert same_windows(splits.train, at_origins(every, plan.train_origins))
    assert same_windows(splits.validation, at_origins(every, plan.validation_origins))
    assert same_windows(splits.backtest, at_origins(every, plan.backtest_origins))
    catalog = max(Counter(every.origins).values())
    at_cap = dataclasses.replace(
        CFG,
        max_train_windows=catalog * len(plan.train_origins),
        max_backtest_skus=catalog,
    )
    capped = build_splits(shop[0], plan, model_config, read_demand(shop[0]), cfg=at_cap)
    assert all(same_windows(getattr(capped, n), getattr(splits, n)) for n in SPLITS)


def test_the_window_caps_sample_deterministically(
    shop: tuple[Warehouse, Path], plan: TrainingPlan, model_config: ModelConfig,
    splits: WindowSplits,
) -> None:  # fmt: skip
    per_origin = 5
    cfg = dataclasses.replace(
        CFG, max_train_windows=per_origin * len(plan.train_origins), max_backtest_skus=7
    )
    demand = read_demand(shop[0])
    first = build_splits(shop[0], plan, model_config, demand, cfg=cfg)
    again = build_splits(shop[0], plan, model_config, demand, cfg=cfg)
    assert all(same_windows(getattr(first, n), getattr(again, n)) for n in SPLITS)

    full_train = Counter(splits.train.origins)
    assert Counter(first.train.origins) == {o: min(per_origin, n) for o, n in full_train.items()}
    kept = {o: {s for s, p in zip(first.train.skus, first.train.origins) if p == o}
            for o in full_train}  # fmt: skip
    assert len({frozenset(k) for k in kept.values()}) > 1  # origins draw different SKUs
    # a kept window is the full build's window of that SKU and origin, unchanged
    rows = {(s, o): i for i, (s, o) in enumerate(zip(splits.train.skus, splits.train.origins))}
    picked = [rows[key] for key in zip(first.train.skus, first.train.origins)]
    assert same_windows(first.train, select(splits.train, np.array(picked)))
    assert same_windows(first.validation, splits.validation)  # validation keeps every SKU

    for origin in plan.backtest_origins:
        catalog = [s for s, o in zip(splits.backtest.skus, splits.backtest.origins) if o == origin]
        scored = [s for s, o in zip(first.backtest.skus, first.backtest.origins) if o == origin]
        assert len(catalog) > 7 and scored == sku_sample(catalog, 7, cfg.sample_seed)
        assert len(scored) == 7
    other_seed = dataclasses.replace(cfg, sample_seed=cfg.sample_seed + 1)
    other = build_splits(shop[0], plan, model_config, demand, cfg=other_seed)
    assert other.train.skus != first.train.skus and other.backtest.skus != first.backtest.skus


def test_a_sampled_backtest_scores_every_method_on_the_same_skus(
    shop: tuple[Warehouse, Path], plan: TrainingPlan, model_config: ModelConfig,
    trained: tuple[DemandForecaster, TrainingHistory],
) -> None:  # fmt: skip
    cfg = dataclasses.replace(CFG, max_backtest_skus=7)
    demand = read_demand(shop[0])
    windows = build_splits(shop[0], plan, model_config, demand, cfg=cfg).backtest
    inputs = backtest_inputs(shop[0], plan, cfg, truth_dir=shop[1], demand=demand)
    pairs = set(zip(windows.origins, windows.skus))
    assert inputs.lightgbm is not None
    assert set(inputs.lightgbm.select("origin", "sku").unique().iter_rows()) == pairs
    assert set(inputs.history.select("origin", "sku").unique().iter_rows()) <= pairs
    result = backtest(trained[0], windows, inputs, cfg)
    assert set(result.cells.frame.select("origin", "sku").unique().iter_rows()) == pairs
    cells = result.metrics.filter(pl.col("segment") == "all").select("method", "cells")
    assert cells["cells"].n_unique() == 1 and cells.height == len(result.methods)


def test_the_epoch_early_stopping_keeps_is_a_snapshot_of_the_same_schedule_without_it(
    splits: WindowSplits, model_config: ModelConfig, tmp_path: Path
) -> None:
    """What lets the refit run beside the candidate's fit: a fit of the whole schedule that
    keeps each epoch's weights holds, at the epoch early stopping selects, the very weights the
    early-stopped fit keeps (validation reads the network, it never steers the training path)."""
    config = dataclasses.replace(model_config, max_epochs=4, patience=1, min_delta=0.0)
    stopped, history = fit(splits.train, splits.validation, config)
    assert 1 <= history.best_epoch <= 4
    whole, whole_history = fit(splits.train, None, config, snapshots=tmp_path)
    assert len(whole_history.epochs) == 4 and whole_history.best_epoch == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        snapshot_path(tmp_path, e).name for e in range(1, 5)
    ]
    kept = stopped.network.state_dict()
    for epoch in range(1, 5):
        load_weights(whole.network, snapshot_path(tmp_path, epoch))
        same = all(torch.equal(v, kept[k]) for k, v in whole.network.state_dict().items())
        assert same == (epoch == history.best_epoch), epoch
    load_weights(whole.network, snapshot_path(tmp_path, history.best_epoch))
    forecast, expected = (
        whole.predict(splits.backtest.samples),
        stopped.predict(splits.backtest.samples),
    )
    np.testing.assert_array_equal(forecast.cumulative, expected.cumulative)


# ---------------------------------------------------------------------------------- backtest


def test_backtest_scores_every_method_and_segment(result: BacktestResult) -> None:
    assert result.actuals == "true_demand"
    assert result.methods == (MODEL, *BASELINES, ORACLE)
    assert set(result.cells.segments) == {
        "all", "cold_start", "promo", "promo_planned", "incident", "incident_early", "fast_mover",
        "intermittent",
    }  # fmt: skip
    table = result.metrics
    assert table.height == len(result.methods) * len(result.cells.segments)
    assert (table["cells"] > 0).all(), table.filter(pl.col("cells") == 0)
    for column in ("wql", "wape", "coverage", "bias"):
        assert table[column].is_finite().all(), table.filter(~pl.col(column).is_finite())
    assert result.wql(ORACLE) < result.wql("seasonal_naive")
    horizons = result.by_horizon.filter((pl.col("method") == MODEL) & (pl.col("segment") == "all"))[
        "horizon"
    ]
    assert horizons.to_list() == list(range(1, 8))
    headline = result.headline()
    assert {"wql_all_model", "wql_cold_start_auto_ets", "coverage_promo_oracle"} <= set(headline)
    assert "gap_closed_all" in headline
    assert all(math.isfinite(v) for v in headline.values())


def test_a_second_forecaster_is_scored_on_the_same_cells(
    result: BacktestResult,
    trained: tuple[DemandForecaster, TrainingHistory],
    splits: WindowSplits,
) -> None:
    with_champion = add_forecaster(result, trained[0], splits.backtest, "champion")
    assert with_champion.methods[-1] == "champion"
    assert with_champion.cells is result.cells
    same = with_champion.metrics.filter(pl.col("method").is_in([MODEL, "champion"]))
    by_method = {m: same.filter(pl.col("method") == m).drop("method") for m in (MODEL, "champion")}
    assert by_method[MODEL].equals(by_method["champion"])
    assert with_champion.headline()["wql_all_champion"] == pytest.approx(result.wql(MODEL))


def test_incident_early_holds_the_cells_forecast_in_an_incidents_first_weeks(
    result: BacktestResult, shop: tuple[Warehouse, Path]
) -> None:
    truth = read_truth(shop[1])
    assert truth is not None
    frame = result.cells.frame.join(
        truth.products.select("sku", "incident_start"), on="sku", how="left"
    )
    since = (pl.col("origin") - pl.col("incident_start")).dt.total_days()
    expected = pl.col("incident") & (since >= 0) & (since < SegmentConfig().incident_early_days)
    frame = frame.with_columns(expected=expected.fill_null(False))
    assert frame["incident_early"].sum() > 0  # the test shop has an incident in the backtest
    assert (frame["incident_early"] == frame["expected"]).all()
    assert frame.filter(pl.col("incident") & ~pl.col("incident_early")).height > 0  # later ones


def test_backtest_without_truth_scores_observed_units(
    trained: tuple[DemandForecaster, TrainingHistory],
    splits: WindowSplits,
    shop: tuple[Warehouse, Path],
    plan: TrainingPlan,
    inputs: BacktestInputs,
) -> None:
    no_truth = backtest_inputs(
        shop[0], plan, CFG, truth_dir=shop[1] / "missing", demand=inputs.demand
    )
    observed = backtest(trained[0], splits.backtest, no_truth, CFG)
    assert observed.actuals == "observed_units"
    assert ORACLE not in observed.methods and "incident" not in observed.cells.segments
    assert observed.gap.is_empty()
    scored = observed.cells.frame.filter(pl.col("scored"))
    demand = inputs.demand.rename({"date": "target_date"})
    joined = scored.join(demand, on=["sku", "target_date"])
    assert joined.height == scored.height and not joined["stockout"].any()


def test_baselines_and_lightgbm_settings_come_from_json_overrides() -> None:
    cfg = TrainingConfig(baselines=["seasonal_naive"], lightgbm={"lags": [1, 7], "seed": 3})
    assert cfg.baselines == ("seasonal_naive",)
    assert cfg.lightgbm == LightGBMConfig(lags=(1, 7), seed=3)
    with pytest.raises(ValueError, match="choose one or more of"):
        TrainingConfig(baselines=("prophet",))


def test_gap_closed_on_hand_numbers() -> None:
    assert gap_closed(0.6, 0.45, 0.3) == pytest.approx(0.5)
    assert gap_closed(0.6, 0.3, 0.3) == pytest.approx(1.0)
    assert gap_closed(0.6, 0.7, 0.3) == pytest.approx(-1.0 / 3.0)
    assert math.isnan(gap_closed(0.3, 0.2, 0.3))  # oracle no better: undefined
    table = pl.DataFrame(
        {
            "method": ["model", "seasonal_naive", "auto_ets", "oracle"],
            "segment": ["all"] * 4,
            "wql": [0.5, 0.8, 0.7, 0.3],
        }
    )
    row = gap_table(table, ["model"]).row(0, named=True)
    assert row["best_baseline"] == "auto_ets"
    assert row["gap_closed"] == pytest.approx((0.7 - 0.5) / (0.7 - 0.3))


def test_flagging_rule_on_hand_numbers() -> None:
    table = pl.DataFrame(
        {
            "method": ["model", "seasonal_naive", "auto_ets", "lightgbm"] * 2,
            "segment": ["all"] * 4 + ["promo"] * 4,
            "wql": [0.5, 0.8, 241185.0, 0.6, 0.5, 0.9, 0.85, math.nan],
        }
    )
    flags = flag_baselines(table, {"all": 1.0, "promo": 1.0}, ratio=10.0)
    assert sorted(flags.select("method", "segment").iter_rows()) == [
        ("auto_ets", "all"),
        ("lightgbm", "promo"),
    ]
    assert flags.filter(pl.col("method") == "auto_ets")["reference_wql"].item() == 0.8
    # the zero forecast is the reference of the seasonal naive itself (and when it is lower)
    naive_bad = table.with_columns(
        pl.when(pl.col("method") == "seasonal_naive").then(20.0).otherwise("wql").alias("wql")
    )
    flagged = flag_baselines(naive_bad, {"all": 1.0, "promo": 1.0}, ratio=10.0)
    assert {("seasonal_naive", "all"), ("seasonal_naive", "promo")} <= set(
        flagged.select("method", "segment").iter_rows()
    )
    # a segment without demand (zero-forecast WQL undefined) flags nothing
    assert flag_baselines(table, {"all": math.nan, "promo": math.nan}).is_empty()
    oracle = pl.DataFrame(
        {"method": ["oracle"] * 2, "segment": ["all", "promo"], "wql": [0.3, 0.4]}
    )
    row = gap_table(table.vstack(oracle), ["model"], flags).row(0, named=True)
    assert row["best_baseline"] == "lightgbm"  # auto_ets's 241185 would be no contender anyway


def test_fallbacks_are_counted_per_series_and_reason() -> None:
    day = date(2025, 1, 1)
    forecasts = pl.DataFrame(
        {
            "method": ["auto_ets"] * 5 + ["model"],
            "origin": [day] * 6,
            "sku": ["a", "a", "b", "c", "d", "a"],
            "fallback": ["above_history_range"] * 3 + ["non_finite", None, None],
        }
    )
    counts = fallback_counts(forecasts)
    assert counts.rows() == [("auto_ets", "above_history_range", 2), ("auto_ets", "non_finite", 1)]
    assert fallback_counts(forecasts.drop("fallback")).is_empty()


def test_a_blown_up_baseline_is_flagged_and_left_out_of_the_gate(result: BacktestResult) -> None:
    forecasts = result.forecasts.with_columns(
        pl.when(pl.col("method") == "auto_ets")
        .then(pl.col(c) * 1e5 + 1e3)
        .otherwise(pl.col(c))
        .alias(c)
        for c in ("p10", "p50", "p90")
    )
    garbage = build_result(result.cells, forecasts, result.levels, result.methods, result.learned)
    assert set(garbage.flags["method"]) == {"auto_ets"}
    assert set(garbage.flags["segment"]) == set(result.cells.segments)
    assert "auto_ets" not in garbage.baseline_wql() and "auto_ets" in garbage.flagged()
    assert "auto_ets" not in garbage.gap["best_baseline"].to_list()
    assert any("auto_ets" in w and "left out" in w for w in garbage.warnings())
    assert "baseline_flag.auto_ets.all" in garbage.flag_params()
    assert "warning: baseline auto_ets" in garbage.table()
    decision = decide(garbage.wql(MODEL), None, garbage.baseline_wql(), garbage.flagged())
    assert decision.best_baseline != "auto_ets" and "auto_ets" in decision.flagged
    assert result.flags.is_empty()  # the real backtest has no absurd baseline


def test_lightgbm_is_a_baseline_with_deterministic_forecasts(
    shop: tuple[Warehouse, Path],
    plan: TrainingPlan,
    splits: WindowSplits,
    inputs: BacktestInputs,
    result: BacktestResult,
) -> None:
    assert inputs.lightgbm is not None and LIGHTGBM in result.methods
    again = backtest_inputs(shop[0], plan, CFG, truth_dir=shop[1], demand=inputs.demand)
    assert again.lightgbm is not None and again.lightgbm.equals(inputs.lightgbm)
    assert set(result.baseline_wql()) == {"seasonal_naive", "auto_ets", LIGHTGBM}
    for row in result.gap.iter_rows(named=True):
        best = min(result.baseline_wql(row["segment"]).values())
        assert row["wql_best_baseline"] == pytest.approx(best)
    lightgbm = result.forecasts.filter(pl.col("method") == LIGHTGBM)
    ordered = (pl.col("p10") <= pl.col("p50")) & (pl.col("p50") <= pl.col("p90"))
    assert lightgbm.height > 0 and lightgbm.select(ordered).to_series().all()
    naive_only = dataclasses.replace(CFG, baselines=("seasonal_naive",))
    without = backtest(None, splits.backtest, inputs, naive_only, horizon=plan.horizon_days)
    assert without.methods == ("seasonal_naive", ORACLE)


def test_baselines_forecast_beside_the_fit_give_the_backtests_result(
    shop: tuple[Warehouse, Path],
    plan: TrainingPlan,
    splits: WindowSplits,
    model_config: ModelConfig,
    trained: tuple[DemandForecaster, TrainingHistory],
    inputs: BacktestInputs,
    result: BacktestResult,
    tmp_path: Path,
) -> None:
    """The retraining job forecasts the baselines and the oracle from the saved windows while the
    challenger fits; scored with the model afterwards, saved and loaded between the two steps,
    they give exactly the backtest that forecasts everything at once."""
    folder = splits.save(tmp_path / "windows", model_config)
    lines: list[str] = []
    log = SimpleNamespace(info=lines.append, warning=lines.append)  # a run's log
    baselines = retrain.backtest_baselines(shop[0], folder, plan, CFG, DEFAULT_CONFIG, shop[1], log)
    assert baselines.result.learned == () and "model" not in baselines.result.methods
    assert any(line.startswith("baselines: the history as of origin 1/") for line in lines)
    saved = retrain.save_baselines(baselines, tmp_path / "baselines")
    loaded = retrain.load_baselines(saved)
    assert loaded.history.equals(inputs.history)
    combined = with_model(loaded.result, trained[0], splits.backtest)
    assert combined.methods == result.methods and combined.learned == result.learned
    assert combined.metrics.equals(result.metrics) and combined.gap.equals(result.gap)
    assert combined.table() == result.table()
    with pytest.raises(ValueError, match="already in the backtest"):
        with_model(combined, trained[0], splits.backtest)


def test_result_saves_its_frames(result: BacktestResult, tmp_path: Path) -> None:
    paths = result.save(tmp_path / "backtest")
    assert pl.read_parquet(paths["metrics"]).equals(result.metrics)
    assert "wql_all_model" in paths["headline"].read_text()
    assert "gap closed" in result.table() and "no cells" not in result.table()
    # a block without an incident: that segment is one line saying so, not rows of nan
    quiet = dataclasses.replace(
        result.cells, frame=result.cells.frame.with_columns(incident_early=pl.lit(False))
    )
    table = build_result(
        quiet, result.forecasts, result.levels, result.methods, result.learned
    ).table()
    assert f"{'incident_early':<15}{0:>7}  (no cells in this block)" in table
    assert "nan" not in table and "incident " in table


# ------------------------------------------------------------------------------------- plots


def test_plots_are_png(
    result: BacktestResult,
    inputs: BacktestInputs,
    trained: tuple[DemandForecaster, TrainingHistory],
    tmp_path: Path,
) -> None:
    for image in (
        loss_curves_png(trained[1]),
        fan_charts_png(result, inputs.history),
        wql_by_horizon_png(result),
    ):
        assert image.startswith(PNG_SIGNATURE) and len(image) > 1000
    paths = save_report_plots(tmp_path, result, inputs.history, trained[1])
    assert set(paths) == {"loss_curves", "fan_charts", "wql_by_horizon"}
    assert all(p.read_bytes().startswith(PNG_SIGNATURE) for p in paths.values())


# ---------------------------------------------------------------------------------- ablation


def test_text_ablation_is_scored_next_to_the_model(
    splits: WindowSplits, result: BacktestResult, model_config: ModelConfig
) -> None:
    ablation = text_ablation(splits.train, splits.validation, splits.backtest, result, model_config)
    assert not ablation.forecaster.config.use_text
    assert ablation.forecaster.network.text_proj is None
    scored = ablation.result
    assert scored.methods[-1] == TEXT_ABLATION
    part = scored.metrics.filter(pl.col("method") == TEXT_ABLATION)
    assert part["wql"].is_finite().all()
    assert "gap_closed_all_text_ablation" in scored.headline()


# ------------------------------------------------------------------------------ model options


def test_pipeline_model_options(
    trained: tuple[DemandForecaster, TrainingHistory], splits: WindowSplits
) -> None:
    forecaster = trained[0]
    config = forecaster.config
    assert set(config.prior_excluded_static) == {"days_since_launch_log1p", "history_length_log1p"}
    mask = forecaster.network.prior_static_mask.tolist()
    assert mask == [
        0.0 if n in config.prior_excluded_static else 1.0 for n in config.static_features
    ]
    forecast = forecaster.predict(splits.backtest.samples)
    for values in (forecast.daily, forecast.cumulative):
        assert not np.any((values > 0) & (values < config.zero_below))  # snapped to 0
        assert np.all(np.diff(values, axis=-1) >= 0)  # still ordered in q
    with pytest.raises(ValueError, match="prior_excluded_static"):
        CFG.model_config(prior_excluded_static=("no_such_feature",))
