"""The model's horizon against the lead times: a 28-day model against one covering the catalog.

Usage::

    .venv/bin/python benchmarks/horizon.py --profiles default,regional,marketplace --skus 300

For each profile and seed, builds a sample shop (``benchmarks/retrain.py``'s ``build_shop``;
with ``--reuse`` a shop built before in the same folder is read as it is), then for each horizon
of ``--horizons`` (``28`` and ``auto``: the one a retraining run picks with
``forecast.horizon_days: auto`` from the shop's settings and catalog, ``retrain.run_horizon``)
plans the retraining origins, fits the model (early stopping on the validation block),
recalibrates its decision quantiles on the validation block as the retraining run does, and
replays the reorder policy over the last ``--eval-days`` days
(``inventory_pipeline.evaluation``, every peer and the oracle). Those days lie in the backtest
block: no weight, stopping or calibration decision saw them.

A horizon given as ``auto:partial`` is fitted with ``train_up_to_validation`` on (training
origins up to the validation block, their later target days censored); its validation loss
compares with the default's on the same validation windows.

Prints per horizon: the validation loss, the replay at the shop's service level (fill rate,
average stock, holding + lost margin) for the model, the peers and the oracle, the stock every
curve needs for the same fill rate, and the accuracy; writes the JSON to ``--out``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl

from inventory_pipeline.evaluation.run import run_evaluation
from inventory_pipeline.evaluation.shop_config import evaluation_config, lead_time_estimates
from inventory_pipeline.features.sources import longest_lead_time_days
from inventory_pipeline.settings import load_settings
from inventory_pipeline.training.calibration import calibration_setup, recalibrate
from inventory_pipeline.training.config import TrainingConfig
from inventory_pipeline.training.fit import fit
from inventory_pipeline.training.plan import plan_origins
from inventory_pipeline.training.retrain import run_horizon
from inventory_pipeline.training.windows_io import build_splits, read_demand

sys.path.insert(0, str(Path(__file__).parent))
from retrain import Timer, build_shop, with_features

COLUMNS = (
    "fill_rate", "cycle_service_level", "avg_on_hand_units", "avg_on_hand_value", "total_cost",
)  # fmt: skip


def run_horizon_variant(
    root: Path, horizon: int, partial: bool, seed: int, args: argparse.Namespace, timer: Timer
) -> dict[str, Any]:
    """Fit, recalibrate and replay one horizon on the shop in ``root``; ``partial``: with
    ``TrainingConfig.train_up_to_validation`` (training origins up to the validation block,
    their later target days censored)."""
    warehouse, feature_config = build_shop(root, args.profile_now, seed, args, timer)
    settings = load_settings(root / "settings.yaml")
    cfg = TrainingConfig(train_up_to_validation=partial)
    overrides = {"seed": seed, "horizon_days": horizon}
    if args.epochs:
        overrides["max_epochs"] = args.epochs
    if args.threads:
        overrides["num_threads"] = args.threads
    model_config = cfg.model_config(events=feature_config.events, **overrides)
    plan = timer.run(f"plan H={horizon}", lambda: plan_origins(warehouse, cfg, horizon))
    print(f"    H={horizon}: {json.dumps(plan.to_dict())}")
    demand = read_demand(warehouse)
    splits = timer.run(
        f"windows H={horizon}",
        lambda: with_features(build_splits, feature_config)(
            warehouse, plan, model_config, demand, cfg=cfg
        ),
    )
    forecaster, history = timer.run(
        f"fit H={horizon}", lambda: fit(splits.train, splits.validation, model_config)
    )
    print(
        f"    {len(history.epochs)} epochs, best {history.best_epoch}: validation loss "
        f"{history.best_val_loss}"
    )
    assert splits.validation is not None
    fitted, _ = timer.run(
        f"recalibrate H={horizon}",
        lambda: recalibrate(
            forecaster, splits.validation, calibration_setup(cfg, settings.reorder_config())
        ),
    )
    forecaster.cover_recalibration = fitted
    end = plan.latest_export
    start = end - timedelta(days=args.eval_days - 1)
    assert plan.backtest_origins and start >= plan.backtest_origins[0], "replay before cutoff"
    eval_cfg = evaluation_config(
        0, settings, *lead_time_estimates(warehouse, settings, start, end),
        longest_lead_time_days=longest_lead_time_days(warehouse, start),
    )  # fmt: skip
    out = root / f"evaluation-h{horizon}{'-partial' if partial else ''}"
    result = timer.run(
        f"evaluate H={horizon}",
        lambda: run_evaluation(
            warehouse,
            start,
            end,
            out,
            forecaster,
            f"H={horizon}",
            root / "truth",
            eval_cfg,
            None,
            feature_config,
        ),  # fmt: skip
    )
    level = settings.service_level
    inventory = result.replay.inventory.filter(
        ((pl.col("service_level") - level).abs() < 1e-9) & (pl.col("segment") == "all")
    )
    columns = [c for c in COLUMNS if c in inventory.columns]
    table = inventory.select("method", *columns)
    with pl.Config(tbl_rows=100, tbl_cols=12, tbl_width_chars=200):
        print(table)
        print(result.replay.same_fill)
    return {
        "horizon": horizon,
        "plan": plan.to_dict(),
        "best_epoch": history.best_epoch,
        "best_validation_loss": history.best_val_loss,
        "replay": table.to_dicts(),
        "same_fill": result.replay.same_fill.to_dicts(),
        "frontier": result.replay.frontier.to_dicts(),
        "report": str(out),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", default="default,regional,marketplace")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skus", type=int, default=300)
    parser.add_argument("--days", type=int, default=745)
    parser.add_argument("--start", default="2024-01-01")
    parser.add_argument(
        "--horizons", default="28,auto",
        help="days, or auto (as forecast.horizon_days: auto picks); a ':partial' suffix fits with "
        "train_up_to_validation (training origins up to the validation block)",
    )  # fmt: skip
    parser.add_argument("--epochs", type=int, default=None, help="max_epochs (default: config)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads per fit")
    parser.add_argument("--eval-days", type=int, default=84, help="replayed days at the end")
    parser.add_argument("--workdir", type=Path, default=Path("benchmarks/out/horizon"))
    parser.add_argument("--reuse", action="store_true", help="reuse a shop built before")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="    %(message)s")
    log = logging.getLogger("horizon")
    runs = []
    reuse = args.reuse
    for profile in args.profiles.split(","):
        args.profile_now, args.reuse = profile, reuse
        root = args.workdir / f"{profile}-{args.seed}-{args.skus}x{args.days}"
        timer = Timer()
        print(f"\n=== {profile} seed {args.seed}: load {os.getloadavg()}")
        warehouse, _ = build_shop(root, profile, args.seed, args, timer)
        args.reuse = True  # built once per profile, read by every horizon
        settings = load_settings(root / "settings.yaml")
        for given in args.horizons.split(","):
            days, _, variant = given.partition(":")
            covering = dataclasses.replace(settings, horizon_days=None)  # as with `auto`
            horizon = run_horizon(warehouse, covering, None, log) if days == "auto" else int(days)
            run = run_horizon_variant(root, horizon, variant == "partial", args.seed, args, timer)
            runs.append({"profile": profile, "seed": args.seed, "given": given, **run})
            if args.out is not None:
                args.out.write_text(json.dumps(runs, indent=2, default=str))
        print(f"    seconds {json.dumps({k: round(v, 1) for k, v in timer.seconds.items()})}")
        print(f"    load {os.getloadavg()}")


if __name__ == "__main__":
    main()
