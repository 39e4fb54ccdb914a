"""Is a model-config change better than the model-seed noise? Both configs, several model seeds.

Usage (on a shop ``benchmarks/retrain.py --workdir DIR`` built, e.g. ``DIR/default-seed7``)::

    .venv/bin/python benchmarks/variant_seeds.py --shop DIR/default-seed7 \
        --variant no_after_discount --fit-seeds 3

Builds the shop's training, validation and backtest windows once, for the config with more future
channels (the default, or the variant when it adds channels); the other config's windows are the
same arrays without the channels it lacks. Fits both configs with ``--fit-seeds`` model seeds on
the same windows and prints each fit's best validation loss (the figure design decisions are taken
on), per config the mean, spread and min..max, and the paired change (variant - default) per seed.
Appends the figures as JSON lines to ``<shop>/variant_seeds.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from inventory_pipeline.model.config import ModelConfig, with_events
from inventory_pipeline.training import TrainingConfig, build_splits, plan_origins, read_demand
from inventory_pipeline.training.fit import fit
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline.windows import Windows

sys.path.insert(0, str(Path(__file__).parent))
from retrain import VARIANTS, Timer, shop_feature_config


def narrowed(windows: Windows, wide: ModelConfig, narrow: ModelConfig) -> Windows:
    """``windows`` built for ``wide`` with only the future channels ``narrow`` reads."""
    keep = [wide.future_covariates.index(c) for c in narrow.future_covariates]
    future = windows.samples.future_covariates[..., keep]
    samples = replace(windows.samples, future_covariates=future)
    return Windows(samples=samples, skus=windows.skus, origins=windows.origins)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shop", type=Path, required=True, help="a shop folder of retrain.py")
    parser.add_argument("--variant", choices=sorted(VARIANTS), required=True)
    parser.add_argument("--fit-seeds", type=int, default=3, help="model seeds per config")
    parser.add_argument("--seed", type=int, default=7, help="first model seed")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: config)")
    args = parser.parse_args()

    warehouse = Warehouse(args.shop / "warehouse")
    features = shop_feature_config(args.shop / "settings.yaml")
    cfg = TrainingConfig()
    overrides: dict[str, object] = {} if args.threads is None else {"num_threads": args.threads}
    base = with_events(cfg.model_config(**overrides), [e.name for e in features.events])
    variant = VARIANTS[args.variant](base)
    if set(base.future_covariates) <= set(variant.future_covariates):
        wide = variant
    elif set(variant.future_covariates) <= set(base.future_covariates):
        wide = base
    else:
        parser.error(f"--variant {args.variant} changes more than the future channels")
    if replace(variant, future_covariates=base.future_covariates) != base:
        parser.error(f"--variant {args.variant} changes more than the future channels")
    timer = Timer()
    plan = plan_origins(warehouse, cfg, wide.horizon_days)
    splits = timer.run(
        "windows",
        lambda: build_splits(
            warehouse, plan, wide, read_demand(warehouse), feature_config=features, cfg=cfg
        ),
    )
    assert splits.validation is not None
    configs = {"default": base, args.variant: variant}
    losses: dict[str, list[float]] = {name: [] for name in configs}
    seeds = [args.seed + k for k in range(args.fit_seeds)]
    for seed in seeds:
        for name, config in configs.items():
            config = replace(config, seed=seed)
            train = narrowed(splits.train, wide, config)
            validation = narrowed(splits.validation, wide, config)
            with timer.step(f"fit {name} {seed}"):
                _, history = fit(train, validation, config)
            assert history.best_val_loss is not None
            losses[name].append(float(history.best_val_loss))
            print(f"    {name:<20} seed {seed}: best validation loss {history.best_val_loss:.5f}")

    print(f"\n{args.shop.name}: best validation loss over model seeds {seeds}")
    for name, values in losses.items():
        v = np.array(values)
        print(
            f"  {name:<20} mean {v.mean():.5f}  sd {v.std(ddof=1) if len(v) > 1 else 0:.5f}"
            f"  ({v.min():.5f}..{v.max():.5f})"
        )
    change = (np.array(losses[args.variant]) - np.array(losses["default"])) / np.array(
        losses["default"]
    )
    print(
        f"  change ({args.variant} - default) / default: mean {change.mean():+.2%}, per seed "
        + ", ".join(f"{c:+.2%}" for c in change)
    )
    with (args.shop / "variant_seeds.jsonl").open("a") as out:
        record = {
            "shop": str(args.shop.name),
            "variant": args.variant,
            "seeds": seeds,
            "best_validation_loss": losses,
            "change": change.tolist(),
            "load_average": os.getloadavg(),
        }
        out.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
