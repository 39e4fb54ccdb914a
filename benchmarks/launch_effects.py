"""The launch curve with and without the shop's day effects, on sample shops' young products.

Usage::

    .venv/bin/python benchmarks/launch_effects.py --profiles default,regional,marketplace \
        --seeds 7,8 --workdir DIR [--reuse] [--out DIR/effects.json]

For each profile and seed, builds the shop and its retraining windows as
``benchmarks/text_prior.py`` does (the same ``--workdir`` layout, so the shops and windows of one
are read by the other), fits the launch curve on the training windows twice, with
``ModelConfig.launch_day_effects`` off and on, and scores both on the young products of the
validation and backtest blocks: weighted quantile loss of the daily and of the cumulative
(lead-time) quantiles. Prints the day effects learned (lift and dip per discount-depth bucket,
each event's effect with its seasonal index unknown / known), the fit time and the losses per
shop, then the change per block across shops. Decisions are read on the validation block; the
backtest block is reported. The network is not trained here: whether the retraining run's gate
serves the curve, and the cold-start segment on the true demand, come from ``benchmarks/retrain.py
--variant launch_day_effects`` (or ``no_launch_day_effects``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from inventory_pipeline.model.launch import fit_launch_curve, launch_losses

sys.path.insert(0, str(Path(__file__).parent))
from retrain import Timer
from text_prior import BLOCKS, shop_arguments, shop_splits

SWITCH = {"off": False, "on": True}


def score_shop(root: Path, profile: str, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    splits, model_config = shop_splits(root, profile, seed, args, Timer())
    row: dict[str, Any] = {"shop": root.name}
    for name, on in SWITCH.items():
        config = replace(model_config, launch_day_effects=on)
        start = time.perf_counter()
        curve = fit_launch_curve([splits.train.samples], config)
        assert curve is not None, "no launches in the training windows"
        entry: dict[str, Any] = {"fit_seconds": round(time.perf_counter() - start, 2)}
        if curve.day_effects is not None:
            effects = curve.day_effects
            entry["lift"] = [round(v, 2) for v in effects.lift]
            entry["dip"] = [round(v, 2) for v in effects.dip]
            entry["events"] = {
                event: [round(a, 2), round(b, 2)]
                for event, a, b in zip(
                    effects.events, effects.event_lift, effects.event_lift_seasonal, strict=True
                )
            }
        for block in BLOCKS:
            windows = getattr(splits, block)
            if windows is not None:
                n, losses = launch_losses(curve, windows.samples, config)
                entry[block] = {"windows": n, **{k: round(v, 4) for k, v in losses.items()}}
        row[name] = entry
    return row


def summary(rows: list[dict[str, Any]]) -> None:
    """Per block and loss: the change with the day effects, mean and min..max over the shops."""
    print("\nwith the day effects, change against without (mean, min..max over the shops)")
    for block in BLOCKS:
        for loss in ("daily", "cumulative"):
            change = [
                r["on"][block][loss] / r["off"][block][loss] - 1.0
                for r in rows
                if block in r["off"] and r["off"][block].get(loss)
            ]
            if change:
                better = sum(c < 0 for c in change)
                print(
                    f"  {block:10s} {loss:10s} {np.mean(change):+.1%} "
                    f"({min(change):+.1%}..{max(change):+.1%}), better on {better} of {len(change)}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    shop_arguments(parser)
    parser.add_argument("--out", type=Path, help="write every row as JSON here")
    args = parser.parse_args()
    rows = []
    for profile in args.profiles.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            shop = f"{profile}-{seed}-{args.skus}x{args.days}"
            print(f"shop {shop}", flush=True)
            row = score_shop(args.workdir / shop, profile, seed, args)
            for name in SWITCH:
                print(f"    {name}: {json.dumps(row[name])}", flush=True)
            rows.append(row)
    summary(rows)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
