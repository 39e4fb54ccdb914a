"""What the refit after the gate costs: one retraining run's steps, timed, with MLflow.

Usage::

    .venv/bin/python benchmarks/refit.py                      # default shop (300 SKUs x 745 days)
    .venv/bin/python benchmarks/refit.py --skus 12 --days 90 --small   # a tiny shop, in a minute

Generates a sample shop with its settings file into a temporary folder, ingests it, builds the
feature tables, then runs the retraining job's steps as the assets call them
(``inventory_pipeline.training.retrain``), one after the other: windows -> candidate (fit,
MLflow run, registry) -> backtest and gate -> the served model (the refit on every day up to the
latest export, the whole schedule) -> its selected epoch registered, with an MLflow store in the
same folder. Prints seconds per step, the refit's share of the run, the
epochs and windows of both fits, and the load average (other jobs on the machine inflate every
figure). Only reports: every setting comes from the shop's settings file and TrainingConfig.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from inventory_pipeline import tracking
from inventory_pipeline.settings import load_settings
from inventory_pipeline.training import retrain
from inventory_pipeline.warehouse import Warehouse

sys.path.insert(0, str(Path(__file__).parent))
from retrain import Timer, build_shop

NAME = "demand_model"
SMALL_RUN = {
    "backtest_days": 28, "min_history_days": 21, "validation_origins": 1, "history_days": 14,
    "horizon_days": 14, "d_model": 16,
}  # fmt: skip  # --small: the retrain tests' run config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=300)
    parser.add_argument("--days", type=int, default=745)
    parser.add_argument("--start", default="2024-01-01")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", default="default")
    parser.add_argument("--epochs", type=int, default=0, help="max_epochs (0: the config's)")
    parser.add_argument("--small", action="store_true", help="the retrain tests' run config")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the shop here")
    parser.add_argument("--reuse", action="store_true", help="reuse a shop built in --workdir")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    log = logging.getLogger("refit")
    root = args.workdir or Path(tempfile.mkdtemp(prefix="refit_bench_"))
    timer = Timer()
    timed, seconds = timer.run, timer.seconds
    build_shop(root, args.profile, args.seed, args, timer)
    settings = load_settings(root / "settings.yaml")
    wh = Warehouse(root / "warehouse")

    given = dict(SMALL_RUN) if args.small else {}
    if args.epochs:
        given["max_epochs"] = args.epochs
    cfg = retrain.training_config(given, retrain.run_horizon(wh, settings, None, log))
    model_config = cfg.model_config(events=settings.events)
    tracking.configure(f"sqlite:///{root / 'mlflow.db'}", root / "artifacts", "refit-bench")
    load = os.getloadavg()
    windows = timed(
        "windows",
        lambda: retrain.build_run_windows(
            wh, cfg, model_config, settings.feature_config(), "bench", None, log
        ),
    )
    candidate = timed(
        "fit (candidate)",
        lambda: retrain.train_candidate(
            wh,
            windows.folder,
            windows.plan,
            model_config,
            settings.summary(),
            NAME,
            "bench",
            given,
            log,
        ),  # fmt: skip
    )
    gated = timed(
        "backtest and gate",
        lambda: retrain.backtest_candidate(
            wh,
            windows.folder,
            windows.plan,
            cfg,
            settings.feature_config(),
            NAME,
            candidate.version,
            root / "truth",
            root / "report",
            log,
        ),  # fmt: skip
    )
    if not gated.decision.promote:  # the refit runs either way; it would not be served
        print(f"  note: the gate failed ({gated.decision.reason}); the refit is timed all the same")
    served = timed(
        "refit (served model)",
        lambda: retrain.refit_candidate(
            wh,
            windows.folder,
            windows.plan,
            replace(cfg, refit_after_gate=True),
            model_config,
            settings.feature_config(),
            settings.summary(),
            "bench",
            log,
        ),  # fmt: skip
    )
    assert served is not None  # refit_after_gate is on
    if gated.decision.promote:
        timed(
            "serve (the selected epoch, logged and registered)",
            lambda: retrain.serve_candidate(
                NAME, candidate.version, windows.plan, str(windows.folder), served, log
            ),
        )
    without = sum(seconds[k] for k in ("windows", "fit (candidate)", "backtest and gate"))
    refit = seconds["refit (served model)"]
    print(
        f"\n{args.profile} shop, {args.skus} SKUs x {args.days} days"
        f"{' (small run config)' if args.small else ''}; load average at the start "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}, at the end {os.getloadavg()[0]:.1f}\n"
        f"  candidate: {candidate.epochs} epochs run, {candidate.best_epoch} selected, "
        f"{windows.splits.summary()} windows, fit {candidate.train_seconds:.1f}s\n"
        f"  refit: {served.epochs} epochs (the whole schedule; epoch {candidate.best_epoch} is "
        f"served) on {served.windows} windows, fit {served.train_seconds:.1f}s (with its extra "
        f"windows), cutoff {served.training_cutoff} (gated: "
        f"{retrain.gated_cutoff(windows.plan)})\n"
        f"  one after the other: retraining without refit {without:.1f}s, with refit "
        f"{without + refit:.1f}s: x{(without + refit) / without:.2f} (retrain_job runs the "
        f"refit beside the candidate's fit)"
    )


if __name__ == "__main__":
    main()
