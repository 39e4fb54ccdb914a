"""Calibrated decision quantiles: coverage before/after the recalibration, and the replayed fill.

Usage::

    .venv/bin/python benchmarks/calibration.py --profiles default,marketplace --skus 150 --days 500

For each profile and seed, builds a sample shop (``benchmarks/retrain.py``'s ``build_shop``),
plans the retraining origins, fits the model on the training windows (early stopping on the
validation block), fits the recalibration on the validation block exactly as the retraining run
does (``training/calibration.py``) and prints the coverage of the cover quantiles at the decision
levels per cover bucket on the validation AND the backtest block, raw and recalibrated. Then it
replays the reorder policy over the last ``--eval-days`` days twice with the same model, without
and with its recalibration (``inventory_pipeline.evaluation``), and prints the fill rate, cycle
service, average stock and cost at the shop's service level, and the evaluation's coverage at it.
Prints the load average: other jobs on the machine slow every step, not the figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from datetime import timedelta
from pathlib import Path

import polars as pl

from inventory_pipeline.evaluation.run import run_evaluation
from inventory_pipeline.evaluation.shop_config import evaluation_config, lead_time_estimates
from inventory_pipeline.settings import load_settings
from inventory_pipeline.training.calibration import (
    backtest_calibration,
    calibration_setup,
    recalibrate,
)
from inventory_pipeline.training.config import TrainingConfig
from inventory_pipeline.training.fit import fit
from inventory_pipeline.training.plan import plan_origins
from inventory_pipeline.training.windows_io import build_splits, read_demand

sys.path.insert(0, str(Path(__file__).parent))
from retrain import Timer, build_shop, with_features

COLUMNS = ("fill_rate", "cycle_service_level", "avg_on_hand_value", "total_cost")


def at_level(table: pl.DataFrame, level: float, block: str) -> pl.DataFrame:
    """(block, method, bucket, windows, observed) at one nominal level."""
    return (
        table.filter(((pl.col("level") - level).abs() < 1e-9) & (pl.col("windows") > 0))
        .select("method", "bucket", "windows", "observed")
        .with_columns(pl.lit(block).alias("block"))
    )


def run_one(profile: str, seed: int, root: Path, args: argparse.Namespace) -> dict:
    """Build, fit, recalibrate, measure and replay one shop."""
    timer = Timer()
    print(
        f"\n=== {profile} seed {seed}: {args.skus} SKUs x {args.days} days, load {os.getloadavg()}"
    )
    warehouse, feature_config = build_shop(root, profile, seed, args, timer)
    settings = load_settings(root / "settings.yaml")
    cfg = TrainingConfig()
    overrides = {"seed": seed} | ({"max_epochs": args.epochs} if args.epochs else {})
    model_config = cfg.model_config(events=feature_config.events, **overrides)
    plan = timer.run("plan", lambda: plan_origins(warehouse, cfg, model_config.horizon_days))
    demand = read_demand(warehouse)
    splits = timer.run(
        "windows",
        lambda: with_features(build_splits, feature_config)(warehouse, plan, model_config, demand),
    )
    forecaster, history = timer.run(
        "fit", lambda: fit(splits.train, splits.validation, model_config)
    )
    print(f"    {len(history.epochs)} epochs, best {history.best_epoch}")
    setup = calibration_setup(cfg, settings.reorder_config())
    assert splits.validation is not None
    fitted, validation = timer.run(
        "recalibrate", lambda: recalibrate(forecaster, splits.validation, setup)
    )
    print(f"    recalibration: {fitted.describe()}")
    forecaster.cover_recalibration = fitted
    backtested = timer.run(
        "backtest calibration", lambda: backtest_calibration(forecaster, splits.backtest, setup)
    )
    print(f"    gate: {backtested.verdict.reason}")
    level = settings.service_level
    coverage = pl.concat(
        [at_level(validation, level, "validation"), at_level(backtested.table, level, "backtest")]
    )
    with pl.Config(tbl_rows=100, tbl_cols=10):
        print(coverage.pivot("method", index=["block", "bucket", "windows"], values="observed"))

    end = plan.latest_export
    start = end - timedelta(days=args.eval_days - 1)
    pipeline = evaluation_config(0, settings, *lead_time_estimates(warehouse, settings, start, end))
    eval_cfg = dataclasses.replace(pipeline, peers=tuple(p for p in args.peers.split(",") if p))
    rows = []
    for variant, recal in (("raw", None), ("recalibrated", fitted)):
        forecaster.cover_recalibration = recal
        out = root / f"evaluation-{variant}"
        result = timer.run(
            f"evaluate {variant}",
            lambda out=out: run_evaluation(
                warehouse,
                start,
                end,
                out,
                forecaster,
                "bench",
                root / "truth",
                eval_cfg,
                None,
                feature_config,
            ),  # fmt: skip
        )
        table = result.replay.inventory.filter(
            (pl.col("service_level") == level) & (pl.col("segment") == "all")
        )
        columns = [c for c in COLUMNS if c in table.columns]
        rows.append(table.select("method", *columns).with_columns(pl.lit(variant).alias("variant")))
        with pl.Config(tbl_rows=100, tbl_cols=10):
            print(at_level(result.calibration, level, f"evaluation {variant}"))
    replayed = pl.concat(rows)
    with pl.Config(tbl_rows=100, tbl_cols=10):
        print(replayed)
    print(f"    seconds {json.dumps({k: round(v, 1) for k, v in timer.seconds.items()})}")
    print(f"    load {os.getloadavg()}")
    return {
        "profile": profile,
        "seed": seed,
        "recalibration": fitted.to_dict(),
        "gate": backtested.verdict.reason,
        "coverage": coverage.to_dicts(),
        "replay": replayed.to_dicts(),
        "seconds": timer.seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", default="default,marketplace")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skus", type=int, default=150)
    parser.add_argument("--days", type=int, default=500)
    parser.add_argument("--start", default="2024-01-01")
    parser.add_argument("--epochs", type=int, default=None, help="max_epochs (default: config)")
    parser.add_argument("--eval-days", type=int, default=84, help="replayed days at the end")
    parser.add_argument("--peers", default="seasonal_naive", help="peers replayed alongside")
    parser.add_argument("--workdir", type=Path, default=Path("benchmarks/out/calibration"))
    parser.add_argument("--out", type=Path, default=None, help="write the JSON here")
    args = parser.parse_args()
    runs = []
    for profile in args.profiles.split(","):
        root = args.workdir / f"{profile}-{args.seed}-{args.skus}x{args.days}"
        runs.append(run_one(profile, args.seed, root, args))
    if args.out is not None:
        args.out.write_text(json.dumps(runs, indent=2, default=str))


if __name__ == "__main__":
    main()
