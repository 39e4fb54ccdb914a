"""The served refit's learning-rate schedule, scored one block earlier than it serves.

Usage::

    .venv/bin/python benchmarks/refit_schedule.py --profile default --seed 7 --workdir DIR

A refit trains on every day, so no later block can score it inside one retraining run. This
benchmark moves it one block back: the candidate is fitted on the training block with early
stopping on the validation block (``best_epoch`` = e), then the same configuration is refitted
on the training and validation windows together, with no validation, two ways, and both refits
are scored on the backtest block (held out from both) on the true demand:

- ``schedule of e epochs``: ``max_epochs = e``, the learning rate decaying over those e epochs
  (how the refit was fitted when it ran after the candidate);
- ``e of the whole schedule``: ``max_epochs`` as configured, the weights after epoch e (how
  ``served_model`` fits it beside the candidate: the candidate's own training path).

The networks only (no launch curve: a refit without a validation block keeps none), the
seasonal naive baseline for reference. Prints WQL per segment for the candidate and both refits.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from retrain import Timer, build_shop, shop_horizon, with_features

from inventory_pipeline.model.config import with_events
from inventory_pipeline.model.forecaster import load_weights
from inventory_pipeline.training import (
    TrainingConfig,
    backtest_inputs,
    build_splits,
    plan_origins,
    read_demand,
)
from inventory_pipeline.training.backtest import backtest
from inventory_pipeline.training.fit import fit, snapshot_path
from inventory_pipeline.windows import concat

SEGMENTS = ("all", "cold_start", "promo", "fast_mover", "intermittent")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="default")
    parser.add_argument("--seed", type=int, default=7, help="shop and model seed")
    parser.add_argument("--skus", type=int, default=300)
    parser.add_argument("--days", type=int, default=745)
    parser.add_argument("--start", default="2024-01-01")
    parser.add_argument("--horizon", default="auto")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the shop here")
    parser.add_argument("--reuse", action="store_true", help="reuse a shop built in --workdir")
    args = parser.parse_args()
    args.incident_share = None  # build_shop reads the profile's own
    root = args.workdir or Path(tempfile.mkdtemp(prefix="refit_schedule_"))
    root.mkdir(parents=True, exist_ok=True)
    timer = Timer()
    warehouse, feature_config = build_shop(root, args.profile, args.seed, args, timer)
    cfg = replace(TrainingConfig(), baselines=("seasonal_naive",))
    overrides: dict = {"seed": args.seed}
    horizon = shop_horizon(root, warehouse, args.horizon)
    if horizon is not None:
        overrides["horizon_days"] = horizon
    model_config = with_events(
        cfg.model_config(**overrides), [e.name for e in feature_config.events]
    )
    plan = plan_origins(warehouse, cfg, model_config.horizon_days)
    demand = read_demand(warehouse)
    splits = timer.run(
        "windows",
        lambda: with_features(build_splits, feature_config)(
            warehouse, plan, model_config, demand, cfg=cfg
        ),
    )
    assert splits.validation is not None
    inputs = timer.run(
        "backtest inputs",
        lambda: with_features(backtest_inputs, feature_config)(
            warehouse, plan, cfg, root / "truth", demand
        ),
    )
    network_only = replace(model_config, launch_curve=False)
    candidate, history = timer.run(
        "candidate", lambda: fit(splits.train, splits.validation, network_only)
    )
    epochs = history.best_epoch
    both = concat([splits.train, splits.validation])
    short, _ = timer.run(
        "refit, schedule of e epochs",
        lambda: fit(both, None, replace(network_only, max_epochs=epochs)),
    )
    folder = root / "refit_snapshots"
    whole, _ = timer.run(
        "refit, whole schedule", lambda: fit(both, None, network_only, snapshots=folder)
    )
    load_weights(whole.network, snapshot_path(folder, epochs))
    rows = {}
    for name, forecaster in (
        ("candidate (training block)", candidate),
        (f"refit: schedule of {epochs} epochs", short),
        (f"refit: epoch {epochs} of {network_only.max_epochs}", whole),
    ):
        result = backtest(forecaster, splits.backtest, inputs, cfg)
        rows[name] = {s: round(result.wql("model", s), 4) for s in SEGMENTS}
    rows["seasonal naive"] = {s: round(result.wql("seasonal_naive", s), 4) for s in SEGMENTS}
    rows["oracle"] = {s: round(result.wql("oracle", s), 4) for s in SEGMENTS}
    print(f"\n{args.profile} seed {args.seed}: best epoch {epochs} of {network_only.max_epochs}")
    print(f"{'':40s}" + "".join(f"{s:>14s}" for s in SEGMENTS))
    for name, row in rows.items():
        print(f"{name:40s}" + "".join(f"{row[s]:14.4f}" for s in SEGMENTS))
    print("JSON " + json.dumps({"profile": args.profile, "seed": args.seed, "rows": rows}))


if __name__ == "__main__":
    main()
