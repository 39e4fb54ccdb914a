"""Late deliveries: the reorder policy with and without the shop's lead-time range, replayed.

Usage::

    .venv/bin/python benchmarks/lead_times.py --profiles all --workdir benchmarks/out/lead-shops
    .venv/bin/python benchmarks/lead_times.py --profiles default --seeds 2 --peers seasonal_naive

For each profile and seed, builds (or reuses, in ``--workdir``) a sample shop with its
settings.yaml, ingests it and builds the feature tables, then runs the decision-quality evaluation
over the last ``--eval-days`` days TWICE with the same supplier delays in the replay (up to
``high − 1`` of the lead time late, from the shop's ``reorder.lead_time_range``, else from the
snapshots' estimate at the last day, :mod:`inventory_pipeline.leadtimes`):

- ``fixed``: the policy assumes the catalog's lead time (``lead_time_range`` (1, 1));
- ``range``: the policy mixes demand over the lead-time range known at the first replayed day
  (the settings', else the snapshots' estimate then: the pipeline's behaviour).

Peers only (and the oracle, from the shop's ground truth): the policy's cover rule is the same for
every forecaster, so the peers and the oracle show its effect without a trained model. Prints, per
forecaster and variant, the fill rate, cycle service level, average stock value and holding + lost
margin at the shop's service target, and a table across runs (mean, min..max).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl

from inventory_pipeline.evaluation.run import run_evaluation
from inventory_pipeline.evaluation.shop_config import evaluation_config, lead_time_estimates
from inventory_pipeline.model import EmbeddingCache
from inventory_pipeline.model.forecaster import DemandForecaster
from inventory_pipeline.sampleshop import PROFILES
from inventory_pipeline.settings import load_settings
from inventory_pipeline.warehouse import Warehouse

sys.path.insert(0, str(Path(__file__).parent))
from retrain import Timer, build_shop

COLUMNS = ("fill_rate", "cycle_service_level", "avg_on_hand_value", "total_cost")


def _last_day(warehouse: Warehouse) -> str:
    days = sorted(p.name.split("=", 1)[1] for p in (warehouse.root / "raw" / "orders").glob("*=*"))
    return days[-1]


def evaluate_shop(root: Path, args: argparse.Namespace) -> pl.DataFrame:
    """Both variants on one built shop: (variant, method, <COLUMNS>) at the shop's target.

    A saved model in ``<root>/model`` (``DemandForecaster.save``) is evaluated next to the peers.
    """
    settings = load_settings(root / "settings.yaml")
    warehouse = Warehouse(root / "warehouse")
    forecaster = None
    if (root / "model").is_dir():
        forecaster = DemandForecaster.load(
            root / "model", embedding_cache=EmbeddingCache(root / "embeddings")
        )
    end = pl.Series([_last_day(warehouse)]).str.to_date()[0]
    start = end - timedelta(days=args.eval_days - 1)
    # what the evaluation asset uses: the settings' range, else the snapshots' estimates
    pipeline = evaluation_config(0, settings, *lead_time_estimates(warehouse, settings, start, end))
    known = pipeline.reorder.lead_time_range
    print(f"    lead-time range: known at the start {known}, replayed delays up to "
          f"{pipeline.lead_time_jitter:.0%} of the lead time")  # fmt: skip
    rows = []
    for variant, spread in (("fixed", (1.0, 1.0)), ("range", known)):
        cfg = dataclasses.replace(
            pipeline,
            peers=tuple(p for p in args.peers.split(",") if p),
            reorder=dataclasses.replace(pipeline.reorder, lead_time_range=spread),
        )
        started = time.perf_counter()
        result = run_evaluation(
            warehouse, start, end, root / f"evaluation-{variant}", forecaster,
            "saved" if forecaster else None, root / "truth", cfg,
            None, settings.feature_config(),
        )  # fmt: skip
        print(f"    {variant}: {time.perf_counter() - started:.0f} s")
        table = result.replay.inventory.filter(
            (pl.col("service_level") == settings.service_level) & (pl.col("segment") == "all")
        )
        rows.append(table.select("method", *COLUMNS).with_columns(pl.lit(variant).alias("variant")))
        calibration = result.calibration.filter(pl.col("windows") > 0)
        with pl.Config(tbl_rows=200, tbl_cols=10):
            print(calibration.pivot("level", index=["method", "bucket"], values="observed"))
    return pl.concat(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--profiles", default="all", help=f"comma list of {sorted(PROFILES)} or all"
    )
    parser.add_argument("--seeds", type=int, default=1, help="seeds per profile: --seed, +1, ...")
    parser.add_argument("--seed", type=int, default=7, help="first seed")
    parser.add_argument("--skus", type=int, default=300, help="SKUs of every shop")
    parser.add_argument("--days", type=int, default=745, help="days of every shop")
    parser.add_argument("--start", default="2024-01-01", help="first day of every shop")
    parser.add_argument("--eval-days", type=int, default=112, help="replayed days at the end")
    parser.add_argument("--peers", default="seasonal_naive,auto_ets", help="peers to replay")
    parser.add_argument("--workdir", type=Path, default=Path("benchmarks/out/lead-shops"))
    parser.add_argument("--out", type=Path, default=None, help="write the JSON here")
    parser.add_argument(
        "--shop", type=Path, action="append", default=[],
        help="evaluate this already built shop root (settings.yaml, warehouse/, truth/, model/) "
        "instead of building profiles; repeatable",
    )  # fmt: skip
    args = parser.parse_args(argv)
    profiles = sorted(PROFILES) if args.profiles == "all" else args.profiles.split(",")
    frames = []
    for root in args.shop:
        print(f"{root}")
        table = evaluate_shop(root, args)
        print(table.sort("method", "variant"))
        frames.append(
            table.with_columns(pl.lit(root.name).alias("profile"), pl.lit(0).alias("seed"))
        )
    for profile in profiles if not args.shop else []:
        for seed in range(args.seed, args.seed + args.seeds):
            root = args.workdir / f"{profile}-{seed}-{args.skus}x{args.days}"
            print(f"{profile} seed {seed}: {root}")
            if not (root / "warehouse" / "features").exists():
                build_shop(root, profile, seed, args, Timer())
            table = evaluate_shop(root, args)
            print(table.sort("method", "variant"))
            frames.append(
                table.with_columns(pl.lit(profile).alias("profile"), pl.lit(seed).alias("seed"))
            )
    every = pl.concat(frames)
    summary = (
        every.group_by("profile", "method", "variant")
        .agg(
            *[pl.col(c).mean().alias(c) for c in COLUMNS],
            pl.col("fill_rate").min().alias("fill_min"),
            pl.col("fill_rate").max().alias("fill_max"),
        )
        .sort("profile", "method", "variant")
    )
    with pl.Config(tbl_rows=100, tbl_cols=20, tbl_width_chars=200):
        print(summary)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "lead_times.json").write_text(
            json.dumps(every.to_dicts(), default=str, indent=1), encoding="utf-8"
        )
    return 0 if np.isfinite(every["fill_rate"].to_numpy()).all() else 1


if __name__ == "__main__":
    sys.exit(main())
