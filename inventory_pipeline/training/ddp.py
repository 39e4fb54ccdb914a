"""Fine-tune the demand model data-parallel on several processes or machines with ``torchrun``.

Trains on the training windows the ``training_windows`` asset prepared
(``<warehouse>/training/runs/<run id>/windows``, the folder its metadata names; with only
``--warehouse``, the latest run's), with early stopping on its validation block, exactly like
``demand_model`` but with the global batch split over the workers (``model/distributed.py``)::

    torchrun --nproc_per_node=2 -m inventory_pipeline.training.ddp \\
        --warehouse data/warehouse --out data/warehouse/training/ddp_model \\
        [--mlflow-uri sqlite:///data/mlflow/mlflow.db --register demand_model]

On several machines use torchrun's own options (``--nnodes``, ``--node_rank``,
``--rdzv_endpoint``); the warehouse folder must be readable from every node. CPU workers talk over
the gloo backend. Without a process group (``python -m inventory_pipeline.training.ddp``, or
``--nproc_per_node=1``) it trains in a single process like ``fit``.

Only rank 0 logs to MLflow, prints progress and writes the model; ``--rank-state-dir`` makes every
rank write its final weights (``rank<r>.pt``) to check they agree.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.distributed as dist

from inventory_pipeline.model import EmbeddingCache, ModelConfig
from inventory_pipeline.model.config import PROMOTION_CHANNEL, promo_type_names, with_promotions
from inventory_pipeline.training.config import TrainingConfig
from inventory_pipeline.training.fit import fit
from inventory_pipeline.training.windows_io import WindowSplits


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="torchrun --nproc_per_node=N -m inventory_pipeline.training.ddp",
        description="Data-parallel fine-tuning of the demand model on prepared training windows.",
    )
    parser.add_argument(
        "--warehouse", type=Path, help="warehouse root (windows of its latest retraining run)"
    )
    parser.add_argument(
        "--windows",
        type=Path,
        help="windows folder (training_windows' metadata windows_path; default: the latest run's "
        "under <warehouse>/training/runs)",
    )
    parser.add_argument("--out", type=Path, required=True, help="folder rank 0 writes the model to")
    parser.add_argument(
        "--model-config",
        type=Path,
        help="ModelConfig JSON (default: the pipeline's, with the events of --settings)",
    )
    parser.add_argument(
        "--settings",
        type=Path,
        help="the shop's settings.yaml (default: $INVENTORY_SETTINGS, else <data>/settings.yaml)",
    )
    parser.add_argument(
        "--model-overrides", default="", help='JSON of ModelConfig fields, e.g. {"d_model": 32}'
    )
    parser.add_argument("--max-epochs", type=int, default=0, help="0: the config's")
    parser.add_argument(
        "--no-validation", action="store_true", help="train all epochs, no early stopping"
    )
    parser.add_argument(
        "--mlflow-uri", default="", help="log the run (rank 0) to this tracking URI"
    )
    parser.add_argument("--experiment", default="inventory_pipeline")
    parser.add_argument("--register", default="", help="also register the model under this name")
    parser.add_argument("--rank-state-dir", type=Path, help="every rank writes rank<r>.pt here")
    return parser


def _model_config(args: argparse.Namespace, windows: Path) -> ModelConfig:
    """``--model-config``, else the pipeline's config for the shop's settings with the promotion
    channels the windows were built with (the retraining run chose them from the shop's data)."""
    if args.model_config:
        values = json.loads(args.model_config.read_text())
    else:
        from inventory_pipeline.config import resolve_paths
        from inventory_pipeline.settings import load_settings

        settings = load_settings(args.settings or resolve_paths().settings_path)
        values = TrainingConfig().model_config(events=settings.events).to_dict()
        saved = json.loads((windows / "train.json").read_text()).get("model_config") or {}
        if saved:
            channels = saved["history_covariates"] + saved["future_covariates"]
            types = promo_type_names(channels) if PROMOTION_CHANNEL in channels else None
            values = with_promotions(ModelConfig.from_dict(values), types).to_dict()
    if args.model_overrides:
        values.update(json.loads(args.model_overrides))
    if args.max_epochs:
        values["max_epochs"] = args.max_epochs
    return ModelConfig.from_dict(values)


def _latest_windows(warehouse: Path) -> Path | None:
    """The windows folder of the latest retraining run under ``<warehouse>/training/runs``."""
    folders = sorted(
        (warehouse / "training" / "runs").glob("*/windows"), key=lambda d: d.stat().st_mtime
    )
    return folders[-1] if folders else None


def init_process_group() -> tuple[int, int]:
    """(rank, world size); joins the torchrun process group (gloo, CPU) when WORLD_SIZE > 1."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="gloo")
    if dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    folder = args.windows or (_latest_windows(args.warehouse) if args.warehouse else None)
    if folder is None:
        raise SystemExit("give --windows, or --warehouse after a training_windows run")
    rank, world = init_process_group()
    try:
        config = _model_config(args, Path(folder))
        splits = WindowSplits.load(folder, config)
        validation = None if args.no_validation else splits.validation
        cache = EmbeddingCache(args.warehouse / "embeddings") if args.warehouse else None
        lead = rank == 0
        run = None
        if lead and args.mlflow_uri:
            import mlflow

            from inventory_pipeline import tracking

            tracking.configure(
                args.mlflow_uri, args.out.parent / "mlflow_artifacts", args.experiment
            )
            run = mlflow.start_run(run_name=f"ddp x{world}")
            mlflow.log_params({f"model.{k}": str(v)[:500] for k, v in config.to_dict().items()})
            mlflow.log_params(
                {
                    "ddp.world_size": world,
                    **{f"samples.{k}": v for k, v in splits.summary().items()},
                }
            )

        def on_epoch_end(
            epoch: int, train_loss: float, val_loss: float | None, seconds: float
        ) -> None:
            if not lead:
                return
            print(
                f"epoch {epoch}: train loss {train_loss:.5f}, val loss {val_loss}, {seconds:.1f}s",
                flush=True,
            )
            if run is not None:
                import mlflow

                metrics = {"train_loss": train_loss, "epoch_seconds": seconds}
                if val_loss is not None:
                    metrics["val_loss"] = val_loss
                mlflow.log_metrics(metrics, step=epoch)

        started = time.perf_counter()
        forecaster, history = fit(
            splits.train, validation, config, embedding_cache=cache, on_epoch_end=on_epoch_end
        )
        if args.rank_state_dir:
            args.rank_state_dir.mkdir(parents=True, exist_ok=True)
            torch.save(forecaster.network.state_dict(), args.rank_state_dir / f"rank{rank}.pt")
        if lead:
            forecaster.save(args.out)
            summary = {
                "world_size": world,
                "epochs": len(history.epochs),
                "best_epoch": history.best_epoch,
                "best_val_loss": history.best_val_loss,
                "seconds": round(time.perf_counter() - started, 1),
                "out": str(args.out),
            }
            if run is not None:
                import mlflow

                from inventory_pipeline import tracking

                mlflow.log_metrics({"train_seconds": summary["seconds"]})
                uri = tracking.log_model(forecaster, args.out.parent / "ddp_mlflow_model", None)
                if args.register:
                    summary["version"] = tracking.register(
                        uri, args.register, tags={"run_id": run.info.run_id}
                    )
                mlflow.end_run()
            print(json.dumps(summary), flush=True)
        if dist.is_initialized():
            dist.barrier()  # nobody leaves before rank 0 has written the model
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
