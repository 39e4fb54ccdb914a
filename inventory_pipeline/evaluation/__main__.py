"""``python -m inventory_pipeline.evaluation``: run an evaluation on a warehouse from a shell.

    python -m inventory_pipeline.evaluation --warehouse data/warehouse \\
        --start 2025-09-24 --end 2026-01-14 --out data/evaluation \\
        --truth data/ground_truth --mlflow sqlite:///data/mlflow/mlflow.db --log

Loads ``models:/<model-name>@champion`` from the MLflow store (``--no-model``: peers only).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from datetime import date
from pathlib import Path

from inventory_pipeline.evaluation.config import PEERS, EvaluationConfig


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from err


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m inventory_pipeline.evaluation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--warehouse", required=True, type=Path, help="warehouse root")
    parser.add_argument("--start", required=True, type=_date, help="first origin and replayed day")
    parser.add_argument("--end", required=True, type=_date, help="last replayed day")
    parser.add_argument("--out", required=True, type=Path, help="report folder")
    parser.add_argument("--truth", type=Path, default=None, help="ground-truth folder, if any")
    parser.add_argument("--mlflow", default="", help="tracking URI (default: $MLFLOW_TRACKING_URI)")
    parser.add_argument("--experiment", default="evaluation", help="MLflow experiment for --log")
    parser.add_argument("--model-name", default="demand_model", help="registered model name")
    parser.add_argument("--no-model", action="store_true", help="score the peers only")
    parser.add_argument("--log", action="store_true", help="log the run to MLflow")
    parser.add_argument("--stride", type=int, default=EvaluationConfig.origin_stride_days,
                        help="days between forecast origins")  # fmt: skip
    parser.add_argument("--peers", default=",".join(PEERS), help=f"subset of {','.join(PEERS)}")
    parser.add_argument(
        "--jitter", type=float, default=0.0, help="supplier delay share of lead time"
    )
    parser.add_argument("--distribution", default="gamma", choices=["gamma", "normal"],
                        help="peers' lead-time demand distribution")  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    args = build_parser().parse_args(argv)

    from inventory_pipeline import tracking
    from inventory_pipeline.evaluation.run import log_to_mlflow, run_evaluation
    from inventory_pipeline.warehouse import Warehouse

    warehouse = Warehouse(args.warehouse.resolve())
    cfg = dataclasses.replace(
        EvaluationConfig(),
        origin_stride_days=args.stride,
        peers=tuple(p for p in args.peers.split(",") if p),
        lead_time_jitter=args.jitter,
        lead_time_distribution=args.distribution,
    )
    uri = args.mlflow or os.environ.get("MLFLOW_TRACKING_URI", "")
    if (args.log or not args.no_model) and not uri:
        raise SystemExit(
            "pass --mlflow URI (or set MLFLOW_TRACKING_URI) to load the champion or log"
        )
    forecaster, version = None, None
    if uri:
        tracking.configure(uri, args.out.resolve().parent / "mlflow_artifacts", args.experiment)
    if not args.no_model:
        forecaster, version = tracking.load_champion(args.model_name, warehouse.root / "embeddings")
    started = time.perf_counter()

    def progress(stage: str, i: int, n: int) -> None:
        print(f"[{time.perf_counter() - started:6.0f}s] {stage} {i}/{n}", flush=True)

    result = run_evaluation(
        warehouse, args.start, args.end, args.out, forecaster, version, args.truth, cfg, progress
    )
    print((args.out / "summary.md").read_text(encoding="utf-8"))
    if args.log:
        print(f"MLflow run {log_to_mlflow(result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
