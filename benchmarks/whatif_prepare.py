"""A trained model on a generated sample shop, for the what-if backtest (benchmarks/whatif.py).

Usage::

    .venv/bin/python benchmarks/whatif_prepare.py --workdir benchmarks/out/whatif/default \
        --profile default --skus 150 --days 745

Generates the shop (landing zone, ground truth, settings.yaml), ingests it, builds the feature
tables, builds the training windows of a retraining run and fits the pipeline's model (with the
shop's events) on them; saves it to ``<workdir>/model`` and the plan to ``<workdir>/plan.json``.
The backtest then only forecasts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from inventory_pipeline.model import EmbeddingCache
from inventory_pipeline.model.config import AFTER_DISCOUNT_CHANNELS, replace, with_events
from inventory_pipeline.training import TrainingConfig, build_splits, plan_origins, read_demand
from inventory_pipeline.training.fit import fit
from inventory_pipeline.warehouse import Warehouse

sys.path.insert(0, str(Path(__file__).parent))
from retrain import Timer, build_shop, shop_feature_config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--profile", default="default")
    parser.add_argument("--skus", type=int, default=150)
    parser.add_argument("--days", type=int, default=745)
    parser.add_argument("--start", default="2024-01-01")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument(
        "--no-after-discount",
        action="store_true",
        help="without the after-discount future channels (the dip after a promotion); saved "
        "to <workdir>/model_no_after_discount",
    )
    args = parser.parse_args()
    root: Path = args.workdir
    root.mkdir(parents=True, exist_ok=True)
    timer = Timer()
    if not (root / "warehouse").exists():
        build_shop(root, args.profile, args.seed, args, timer)
    warehouse = Warehouse(root / "warehouse")
    features = shop_feature_config(root / "settings.yaml")
    cfg = TrainingConfig()
    overrides: dict[str, object] = {"seed": args.seed}
    if args.epochs is not None:
        overrides["max_epochs"] = args.epochs
    config = with_events(cfg.model_config(**overrides), [e.name for e in features.events])
    if args.no_after_discount:
        kept = tuple(c for c in config.future_covariates if c not in AFTER_DISCOUNT_CHANNELS)
        config = replace(config, future_covariates=kept)
    plan = plan_origins(warehouse, cfg, config.horizon_days)
    (root / "plan.json").write_text(json.dumps(plan.to_dict()))
    print(json.dumps(plan.to_dict()), flush=True)
    splits = timer.run(
        "windows",
        lambda: build_splits(
            warehouse, plan, config, read_demand(warehouse), feature_config=features
        ),
    )
    print(f"samples {splits.summary()}", flush=True)
    forecaster, history = timer.run(
        "fit",
        lambda: fit(
            splits.train,
            splits.validation,
            config,
            embedding_cache=EmbeddingCache(root / "embeddings"),
        ),
    )
    print(f"best epoch {history.best_epoch} of {len(history.epochs)}", flush=True)
    folder = root / ("model_no_after_discount" if args.no_after_discount else "model")
    forecaster.save(folder)
    print(f"saved {folder}")


if __name__ == "__main__":
    main()
