"""The text level prior on sample shops: how well documents predict a new product's level.

Usage::

    .venv/bin/python benchmarks/text_prior.py --profiles default,regional,marketplace \
        --seeds 7,8 --workdir DIR --out DIR/report.json
    .venv/bin/python benchmarks/text_prior.py --profiles default --seeds 7 --skus 1500 \
        --workdir DIR --kinds none,frozen,lora

For each profile and seed, builds the shop (``benchmarks/retrain.py``'s ``build_shop``; with
``--reuse`` a shop already in ``--workdir`` is read as it is) and the retraining run's windows
(saved under the shop folder and reused), then per prior kind (``ModelConfig.text_prior``):
fits the prior on the training windows' established products, fits the launch curve on the
training launches with the out-of-fold predictions, and scores the curve on the young products
of the validation and backtest blocks (the cold-start rows the curve serves): weighted quantile
loss of the daily and of the cumulative (lead-time) quantiles. ``chosen`` is the kind the
cross-validation over products picked, ``kept`` what training keeps after the validation check
(``check_on_validation``); the losses are those of the chosen prior. Prints per shop the prior's
choice, its cross-validated error against the held-out mean's, the fit time, and the losses;
then per kind the mean and min..max over the shops, and the change against ``none``.

``none`` is the launch curve without text (every young product of a category starts from the
category's level): the text ablation of the cold-start rows. Decisions are read on the
validation block; the backtest block is reported.
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
import torch

from inventory_pipeline.model.config import ModelConfig
from inventory_pipeline.model.embedding_cache import EmbeddingCache
from inventory_pipeline.model.launch import LaunchInputs, fit_launch_curve, launch_losses
from inventory_pipeline.model.text import TextFeaturizer, resolve_encoder_path
from inventory_pipeline.model.text_prior import (
    check_on_validation,
    fit_text_prior,
    level_document,
    training_ratios,
    young_ratios,
)
from inventory_pipeline.training.config import TrainingConfig
from inventory_pipeline.training.plan import plan_origins
from inventory_pipeline.training.windows_io import WindowSplits, build_splits, read_demand

sys.path.insert(0, str(Path(__file__).parent))
from retrain import Timer, build_shop, with_features

BLOCKS = ("validation", "backtest")


def shop_splits(
    root: Path, profile: str, seed: int, args: argparse.Namespace, timer: Timer
) -> tuple[WindowSplits, ModelConfig]:
    """The shop in ``root`` and its retraining windows (built once, then read from disk)."""
    warehouse, feature_config = build_shop(root, profile, seed, args, timer)
    cfg = TrainingConfig()
    model_config = cfg.model_config(events=feature_config.events, seed=seed)
    folder = root / "text_prior_splits"
    if (folder / "train.npz").is_file():
        return WindowSplits.load(folder, model_config), model_config
    plan = timer.run("plan", lambda: plan_origins(warehouse, cfg, model_config.horizon_days))
    splits = timer.run(
        "windows",
        lambda: with_features(build_splits, feature_config)(
            warehouse, plan, model_config, read_demand(warehouse), cfg=cfg
        ),
    )
    splits.save(folder, model_config)
    return splits, model_config


def score_kind(
    kind: str,
    splits: WindowSplits,
    model_config: ModelConfig,
    featurizer: TextFeaturizer,
    overrides: dict[str, Any],
) -> dict[str, Any]:
    config = replace(model_config, text_prior=kind, **overrides)
    start = time.perf_counter()
    prior, out_of_fold = fit_text_prior(
        splits.train.samples, config, featurizer, lambda line: print(f"      {line}")
    )
    fit_seconds = time.perf_counter() - start
    ratios = training_ratios(splits.train.samples, prior, out_of_fold, featurizer)
    curve = fit_launch_curve([splits.train.samples], config, [ratios])
    assert curve is not None, "no launches in the training windows"
    chosen = prior.kind
    if prior.kind != "none":  # what training keeps: the curve with the prior only if not worse
        validation = None if splits.validation is None else splits.validation.samples
        without = fit_launch_curve([splits.train.samples], config, day_effects=curve.day_effects)
        kept, _ = check_on_validation(prior, curve, without, validation, config, featurizer)
        print(f"      text prior kept: {kept.kind} ({kept.reason[:160]})")
    else:
        kept = prior
    row: dict[str, Any] = {
        "kind": kind,
        "chosen": chosen,
        "kept": kept.kind,
        "products": prior.products,
        "cv_mse": {k: round(v, 4) for k, v in prior.cv_mse.items()},
        "fit_seconds": round(fit_seconds, 1),
        "prior_shape": round(curve.prior_shape, 3),
    }
    for block in BLOCKS:
        windows = getattr(splits, block)
        if windows is None:
            continue
        young = LaunchInputs.from_samples(windows.samples, config, curve.max_age_days).young
        served = young_ratios(windows.samples, young, prior, featurizer)
        n, losses = launch_losses(curve, windows.samples, config, text_ratio=served)
        row[block] = {"windows": n, **{k: round(v, 4) for k, v in losses.items()}}
    return row


def truncation(samples_texts: list[str], featurizer: TextFeaturizer) -> dict[str, float]:
    """Share of distinct documents longer than the network's token budget (with review
    snippets) and than the prior's (without them)."""
    config = featurizer.config
    documents = sorted(set(samples_texts))
    review_free = sorted({level_document(d) for d in documents})

    def cut(texts: list[str], budget: int) -> float:
        lengths = [len(ids) for ids in featurizer.tokenizer(texts)["input_ids"]]
        return round(float(np.mean([n > budget for n in lengths])), 3) if lengths else 0.0

    return {
        f"documents_cut_at_{config.max_tokens}": cut(documents, config.max_tokens),
        f"review_free_cut_at_{config.text_prior_tokens}": cut(
            review_free, config.text_prior_tokens
        ),
    }


def summary(rows: list[dict[str, Any]], kinds: list[str]) -> None:
    """Per kind and block: mean and min..max over the shops, and the change against none."""
    print("\nacross shops (mean, min..max; change against none)")
    for block in BLOCKS:
        for loss in ("daily", "cumulative"):
            base = {r["shop"]: r[block][loss] for r in rows if r["kind"] == "none" and block in r}
            for kind in kinds:
                values = [r[block][loss] for r in rows if r["kind"] == kind and block in r]
                change = [
                    r[block][loss] / base[r["shop"]] - 1.0
                    for r in rows
                    if r["kind"] == kind and r["shop"] in base and block in r
                ]
                if not values:
                    continue
                text = f"  {block:10s} {loss:10s} {kind:7s} {np.mean(values):.4f} "
                text += f"({min(values):.4f}..{max(values):.4f})"
                if kind != "none" and change:
                    text += f"  {np.mean(change):+.1%} ({min(change):+.1%}..{max(change):+.1%})"
                print(text)


def shop_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that name the shops and where they are kept (``shop_splits`` reads them)."""
    parser.add_argument("--profiles", default="default")
    parser.add_argument("--seeds", default="7")
    parser.add_argument("--skus", type=int, default=300)
    parser.add_argument("--days", type=int, default=745)
    parser.add_argument("--start", default="2024-01-01")
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--reuse", action="store_true", help="read shops already in --workdir")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    shop_arguments(parser)
    parser.add_argument("--kinds", default="none,frozen,lora,auto")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for the LoRA fits")
    parser.add_argument("--set", default="{}", help="JSON of ModelConfig text_prior_* overrides")
    parser.add_argument("--out", type=Path, help="write every row as JSON here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    overrides = json.loads(args.set)
    kinds = args.kinds.split(",")
    rows: list[dict[str, Any]] = []
    for profile in args.profiles.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            shop = f"{profile}-{seed}-{args.skus}x{args.days}"
            print(f"shop {shop}")
            timer = Timer()
            splits, model_config = shop_splits(args.workdir / shop, profile, seed, args, timer)
            featurizer = TextFeaturizer(
                model_config,
                resolve_encoder_path(model_config.encoder_path),
                EmbeddingCache(args.workdir / "embeddings"),
            )
            print(f"    {json.dumps(truncation(list(splits.train.samples.texts), featurizer))}")
            for kind in kinds:
                row = {
                    "shop": shop,
                    **score_kind(kind, splits, model_config, featurizer, overrides),
                }
                rows.append(row)
                print(f"    {json.dumps(row)}", flush=True)
    summary(rows, kinds)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
