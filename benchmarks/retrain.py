"""Retraining on the default sample shop, end to end: time per step, peak memory, backtest table.

Usage::

    .venv/bin/python benchmarks/retrain.py          # default shop, ~12 min on 2 busy cores
    .venv/bin/python benchmarks/retrain.py --no-ablation --out benchmarks/out/retrain

Generates the shop (``inventory-pipeline sample-shop`` defaults: 300 SKUs x 745 days from
2024-01-01, seed 7) into a temporary folder, ingests it, builds the feature tables, then runs the
retraining steps of ``inventory_pipeline.training``: plan -> windows -> fit -> backtest (model,
seasonal naive, AutoETS, oracle) -> text ablation. Prints seconds per step and per epoch, the
peak RSS of this process, the load average (other jobs on the machine inflate every figure) and
the backtest table per segment with the share of the baseline-to-oracle WQL gap closed.

"Retraining" (the weekly job's cost) = plan + windows + backtest inputs + fit + backtest; the
ablation and the shop set-up are reported separately.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from inventory_pipeline import contract
from inventory_pipeline.features.build import build_all
from inventory_pipeline.ingest.load import ingest_days, landing_dates
from inventory_pipeline.sampleshop import generate_shop
from inventory_pipeline.training import (
    TrainingConfig,
    backtest_inputs,
    build_splits,
    plan_origins,
    read_demand,
    save_report_plots,
    text_ablation,
)
from inventory_pipeline.training.backtest import backtest
from inventory_pipeline.training.fit import fit
from inventory_pipeline.warehouse import Warehouse

T = TypeVar("T")
RETRAIN_STEPS: tuple[str, ...] = ("plan", "windows", "backtest inputs", "fit", "backtest")


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Timer:
    """Seconds per named step, printed as they finish."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - start
        print(f"  {name:<16} {self.seconds[name]:>8.1f} s   peak RSS {peak_rss_mb():>6.0f} MB")

    def run(self, name: str, work: Callable[[], T]) -> T:
        with self.step(name):
            return work()


def build_shop(root: Path, args: argparse.Namespace, timer: Timer) -> Warehouse:
    """Landing zone + truth, raw tables, feature tables: what the daily jobs would have written."""
    timer.run(
        "generate shop",
        lambda: generate_shop(
            root / "landing",
            root / "truth",
            skus=args.skus,
            days=args.days,
            start=date.fromisoformat(args.start),
            seed=args.seed,
            progress=False,
        ),
    )
    warehouse = Warehouse(root / "warehouse")
    with timer.step("ingest"):
        for table in contract.TABLES.values():  # products first: the others check SKUs
            days = landing_dates(root / "landing", table.name)
            ingest_days(root / "landing", warehouse, table, days)
    timer.run("features", lambda: build_all(warehouse))
    return warehouse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=300)
    parser.add_argument("--days", type=int, default=745)
    parser.add_argument("--start", default="2024-01-01")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: config)")
    parser.add_argument("--epochs", type=int, default=None, help="max_epochs (default: config)")
    parser.add_argument("--model-seed", type=int, default=None, help="model seed (default: config)")
    parser.add_argument("--no-ablation", action="store_true", help="skip the text ablation")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the shop here")
    parser.add_argument("--out", type=Path, default=None, help="write report, plots, JSON here")
    args = parser.parse_args()

    overrides: dict[str, Any] = {}
    if args.threads is not None:
        overrides["num_threads"] = args.threads
    if args.epochs is not None:
        overrides["max_epochs"] = args.epochs
    if args.model_seed is not None:
        overrides["seed"] = args.model_seed
    cfg = TrainingConfig()
    model_config = cfg.model_config(**overrides)
    print(f"load average before (1/5/15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"model: {json.dumps({k: model_config.to_dict()[k] for k in sorted(cfg.model_overrides)})}"
    )

    with tempfile.TemporaryDirectory(prefix="retrain-bench-") as tmp:
        root = args.workdir or Path(tmp)
        timer = Timer()
        print(f"shop {args.skus} SKUs x {args.days} days, seed {args.seed} in {root}")
        warehouse = build_shop(root, args, timer)

        print("retraining")
        plan = timer.run("plan", lambda: plan_origins(warehouse, cfg, model_config.horizon_days))
        print(f"    {json.dumps(plan.to_dict())}")
        demand = read_demand(warehouse)
        splits = timer.run("windows", lambda: build_splits(warehouse, plan, model_config, demand))
        print(f"    samples {splits.summary()}")
        inputs = timer.run(
            "backtest inputs",
            lambda: backtest_inputs(warehouse, plan, cfg, root / "truth", demand),
        )

        def epoch_line(epoch: int, train: float, val: float | None, seconds: float) -> None:
            print(f"    epoch {epoch:>2}  train {train:.4f}  val {val:.4f}  {seconds:5.1f} s")

        forecaster, history = timer.run(
            "fit",
            lambda: fit(splits.train, splits.validation, model_config, on_epoch_end=epoch_line),
        )
        print(f"    best epoch {history.best_epoch} of {len(history.epochs)}")
        if history.launch_curve is not None:
            used = "used" if forecaster.launch_curve is not None else "not used"
            print(f"    launch curve ({used}) {history.launch_curve}")
            print(f"    launch curve fitted in {history.launch_fit_seconds:.2f} s")
        result = timer.run("backtest", lambda: backtest(forecaster, splits.backtest, inputs, cfg))
        retrain = sum(timer.seconds[s] for s in RETRAIN_STEPS)
        print(f"  retraining total {retrain:>8.1f} s ({retrain / 60:.1f} min)")

        if not args.no_ablation:
            print("text ablation")
            ablation = timer.run(
                "ablation",
                lambda: text_ablation(
                    splits.train,
                    splits.validation,
                    splits.backtest,
                    result,
                    model_config,
                    on_epoch_end=epoch_line,
                    launch_curve=forecaster.launch_curve,
                ),
            )
            result = ablation.result

        epochs = [r.seconds for r in history.epochs]
        print(f"\nseconds per epoch: mean {sum(epochs) / len(epochs):.1f}, max {max(epochs):.1f}")
        print(f"peak RSS: {peak_rss_mb():.0f} MB")
        print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
        print(result.table())

        if args.out is not None:
            result.save(args.out / "backtest")
            save_report_plots(args.out / "plots", result, inputs.history, history)
            summary = {
                "seconds": timer.seconds,
                "retraining_seconds": retrain,
                "epoch_seconds": epochs,
                "peak_rss_mb": peak_rss_mb(),
                "plan": plan.to_dict(),
                "samples": splits.summary(),
                "model_config": model_config.to_dict(),
                "headline": result.headline(),
            }
            (args.out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True))
            (args.out / "table.txt").write_text(result.table() + "\n")
            print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
