"""The what-if's uplift against realised promotions, next to the average-past-uplift peer.

Usage (after ``benchmarks/whatif_prepare.py`` trained a model in the same folder)::

    .venv/bin/python benchmarks/whatif.py --workdir benchmarks/out/whatif/default --block validation

Every promotion with a discount that started in the block (the training plan's validation or
backtest origins, up to the horizon after the last) is asked as a what-if from the day before its
announcement; the predicted uplift is scored against the ground truth's expected uplift
(``inventory_pipeline.whatif.backtest``). Prints the scores, appends them to
``<workdir>/whatif_scores.jsonl`` and writes the per-promotion rows next to it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from inventory_pipeline.model import EmbeddingCache
from inventory_pipeline.model.forecaster import DemandForecaster
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline.whatif.backtest import (
    UpliftBacktestConfig,
    model_uplift,
    peer_uplift,
    promotions_as_known,
    true_dip,
    true_uplift,
    uplift_scores,
)

sys.path.insert(0, str(Path(__file__).parent))
from retrain import shop_feature_config


def example(root: Path, scenario_file: Path, model: Path | None) -> None:
    """One scenario answered as the asset answers it, with the saved model (the README's)."""
    from inventory_pipeline.features.sources import latest_export
    from inventory_pipeline.forecasting import ModelRef
    from inventory_pipeline.settings import load_settings
    from inventory_pipeline.whatif import answer_scenario, read_features, read_scenario
    from inventory_pipeline.whatif.plots import scenario_png
    from inventory_pipeline.whatif.report import answer_text

    warehouse = Warehouse(root / "warehouse")
    settings = load_settings(root / "settings.yaml")
    forecaster = DemandForecaster.load(
        model or root / "model", embedding_cache=EmbeddingCache(root / "embeddings")
    )
    scenario = read_scenario(scenario_file)
    as_of = latest_export(warehouse)
    features = read_features(warehouse, as_of, forecaster, scenario, settings.feature_config())
    answer = answer_scenario(
        forecaster, features, scenario, ModelRef("demand_model", "saved"), settings.reorder_config()
    )
    print(answer_text(answer, settings.currency))
    png = scenario_file.with_suffix(".png")
    png.write_bytes(scenario_png(answer))
    print(f"plot: {png}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--block", choices=("validation", "backtest"), default="validation")
    parser.add_argument("--model", type=Path, default=None, help="default: <workdir>/model")
    parser.add_argument("--label", default="", help="a name for this run in the JSON lines")
    parser.add_argument(
        "--example",
        type=Path,
        default=None,
        help="instead: answer this scenario file as of the latest export, print "
        "the report and write its plot next to the file (PNG)",
    )
    args = parser.parse_args()
    root: Path = args.workdir
    if args.example is not None:
        example(root, args.example, args.model)
        return
    started = time.perf_counter()
    print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    plan = json.loads((root / "plan.json").read_text())
    block = plan[args.block]
    horizon = int(plan["horizon_days"])
    first = date.fromisoformat(block["first"]) + timedelta(days=1)
    last = date.fromisoformat(block["last"]) + timedelta(days=horizon)
    warehouse = Warehouse(root / "warehouse")
    features = shop_feature_config(root / "settings.yaml")
    forecaster = DemandForecaster.load(
        args.model or root / "model", embedding_cache=EmbeddingCache(root / "embeddings")
    )
    known = promotions_as_known(warehouse)
    promos = known.filter(
        pl.col("start_date").is_between(first, last) & (pl.col("discount_pct") > 0)
    )
    print(f"{args.block} block: {promos.height} promotions starting {first} .. {last}")
    config = UpliftBacktestConfig()
    truth = true_uplift(root / "truth", promos)
    frame = (
        promos.join(truth, on="promo_id", how="inner")
        .join(model_uplift(warehouse, forecaster, promos, features, config), on="promo_id")
        .join(peer_uplift(warehouse, promos, known, config), on="promo_id")
    )
    frame = frame.join(true_dip(root / "truth", frame), on="promo_id")
    scores = uplift_scores(frame)
    scores.update(
        block=args.block, workdir=str(root), label=args.label,
        peer_sources=dict(frame["peer_source"].value_counts().iter_rows()),
        seconds=round(time.perf_counter() - started, 1),
    )  # fmt: skip
    print(json.dumps(scores, indent=1))
    by_type = frame.group_by("promo_type").agg(
        pl.len().alias("n"),
        pl.col("true_uplift").sum().alias("true"),
        (pl.col("model_uplift") - pl.col("true_uplift")).abs().sum().alias("model_abs_err"),
        (pl.col("peer_uplift") - pl.col("true_uplift")).abs().sum().alias("peer_abs_err"),
    )
    print(by_type.sort("promo_type"))
    frame.write_parquet(
        root / f"whatif_{args.block}{'_' + args.label if args.label else ''}.parquet"
    )
    with (root / "whatif_scores.jsonl").open("a") as out:
        out.write(json.dumps(scores) + "\n")


if __name__ == "__main__":
    main()
