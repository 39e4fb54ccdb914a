"""The retraining steps' plain parts, without an orchestrator: the run config's values, the plan's
round trip through metadata, the run folders, the gate's registry tags."""

import os
from datetime import date, timedelta
from pathlib import Path

import pytest

from inventory_pipeline import tracking
from inventory_pipeline.training import retrain
from inventory_pipeline.training.config import TrainingConfig
from inventory_pipeline.training.plan import TrainingPlan
from inventory_pipeline.warehouse import Warehouse


def test_empty_fields_keep_the_defaults_and_set_ones_reach_the_model() -> None:
    given = retrain.given_fields(
        {"finetune": "", "max_epochs": 0, "seed": None, "d_model": 16, "backtest_days": 28}
    )
    assert given == {"d_model": 16, "backtest_days": 28}
    cfg = retrain.training_config(given, horizon_days=21)
    assert cfg.backtest_days == 28
    assert cfg.model_config().d_model == 16 and cfg.model_config().horizon_days == 21
    # nothing set: exactly the pipeline's defaults, the model's horizon the given one
    default = retrain.training_config({}, horizon_days=None)
    assert default == TrainingConfig()
    # a horizon the run sets wins over the shop's
    assert retrain.training_config({"horizon_days": 7}, 21).model_config().horizon_days == 7


def test_an_unknown_finetune_strategy_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"finetune='half'.*frozen, top_k, lora, full"):
        retrain.training_config({"finetune": "half"})


def test_the_plan_survives_its_metadata_round_trip() -> None:
    first = date(2024, 1, 1)
    plan = TrainingPlan(
        first_export=first,
        latest_export=first + timedelta(days=120),
        horizon_days=14,
        train_origins=(first + timedelta(days=30), first + timedelta(days=37)),
        validation_origins=(first + timedelta(days=60),),
        backtest_origins=(first + timedelta(days=92), first + timedelta(days=106)),
    )
    data = retrain.plan_to_dict(plan)
    assert data["backtest_origins"] == ["2024-04-02", "2024-04-16"]
    assert retrain.plan_from_dict(data) == plan


def test_gone_windows_say_how_to_get_them_back(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="run retrain_job again"):
        retrain.saved_windows(str(tmp_path / "gone"), {})


def test_pruning_keeps_the_latest_runs_and_never_the_current_one(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "warehouse")
    folders = [retrain.run_dir(wh, f"run{i}") for i in range(5)]
    for age, folder in enumerate(reversed(folders)):  # run4 newest, run0 oldest
        os.utime(folder, (1_700_000_000 - age * 60, 1_700_000_000 - age * 60))
    retrain.prune_runs(wh, keep=2, current=folders[0])  # the current run is the oldest folder
    left = sorted(d.name for d in (wh.root / "training" / "runs").iterdir())
    assert left == ["run0", "run3", "run4"]


def test_gate_tags_record_the_verdict_and_what_it_was_compared_with() -> None:
    passed = tracking.decide(0.40, None, {"seasonal_naive": 0.50, "auto_ets": 0.45})
    tags = retrain.gate_tags(passed, None)
    assert tags["gate"] == "passed" and tags["champion_compared"] == "none"
    assert tags["backtest_wql"] == "0.400000" and tags["best_baseline"] == "auto_ets"
    assert tags["champion_wql"] == "none"
    failed = tracking.decide(0.40, 0.39, {"seasonal_naive": 0.50})
    tags = retrain.gate_tags(failed, "3")
    assert tags["gate"] == "failed" and tags["champion_compared"] == "3"
    assert tags["champion_wql"] == "0.390000" and "champion" in tags["gate_reason"]


def test_a_refit_recorded_by_an_earlier_version_asks_for_a_new_one() -> None:
    refit = retrain.Refit(
        folder="/runs/r/refit", windows_path="/runs/r/windows", mlflow_run_id="m",
        dagster_run_id="r", training_cutoff=date(2026, 1, 14), finetune="frozen", epochs=12,
        windows=100, train_seconds=1.0,
    )  # fmt: skip
    assert retrain.Refit.from_dict(refit.to_dict()) == refit
    earlier = {**refit.to_dict(), "gated_version": "3", "model_uri": "runs:/m/model"}
    del earlier["folder"], earlier["windows_path"]
    with pytest.raises(ValueError, match="materialise served_model again"):
        retrain.Refit.from_dict(earlier)
