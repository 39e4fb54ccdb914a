"""The decision-quality evaluation as an asset: forecasters and their orders replayed over a range."""

import dataclasses
from datetime import date
from pathlib import Path

import dagster as dg

from inventory_pipeline import plots, tracking
from inventory_pipeline.config import resolve_paths
from inventory_pipeline.defs.features.assets import FEATURE_KEYS
from inventory_pipeline.defs.resources import (
    MlflowResource,
    ShopSettingsResource,
    WarehouseResource,
)
from inventory_pipeline.evaluation.config import EvaluationConfig
from inventory_pipeline.evaluation.run import log_to_mlflow, run_evaluation
from inventory_pipeline.leadtimes import LeadTimeEstimate, estimate_lead_times
from inventory_pipeline.settings import ShopSettings
from inventory_pipeline.warehouse import Warehouse


class EvaluationRunConfig(dg.Config):
    """The evaluated range and options (defaults: inventory_pipeline.evaluation.config)."""

    start: str  # first forecast origin and replayed day, YYYY-MM-DD
    end: str  # last replayed day, YYYY-MM-DD
    with_model: bool = True  # score the champion model (False: peers only)
    truth_dir: str = ""  # ground truth of a generated shop; empty: <data root>/ground_truth if present
    stride_days: int = 0  # days between forecast origins; 0: the default


def evaluation_config(
    stride_days: int,
    settings: ShopSettings | None = None,
    known: LeadTimeEstimate | None = None,
    realised: LeadTimeEstimate | None = None,
) -> EvaluationConfig:
    """The evaluation defaults with the shop's reorder policy and horizon (and a stride).

    Without a lead-time range in the settings, the policy reads the snapshots' estimate as
    ``known`` at the first evaluated day, and the replay's suppliers are as late as ``realised``
    (the estimate at the last day) says they were.
    """
    base = EvaluationConfig()
    if settings is not None:
        level = settings.service_level
        stated = settings.lead_time_range
        policy_range = stated or (known.lead_time_range if known else None) or (1.0, 1.0)
        late = stated or (realised.lead_time_range if realised else None) or (1.0, 1.0)
        base = dataclasses.replace(
            base,
            reorder=settings.reorder_config(base.reorder),
            horizon_days=settings.horizon_days,
            # the headline is the shop's own target (the trade-off curve gains it if missing)
            service_levels=tuple(sorted({*base.service_levels, level})),
            headline_service_level=level,
            # the replay's suppliers are as late as the shop's suppliers are
            lead_time_jitter=max(late[1] - 1.0, base.lead_time_jitter),
        )
        base = dataclasses.replace(
            base, reorder=dataclasses.replace(base.reorder, lead_time_range=policy_range)
        )
    return dataclasses.replace(base, origin_stride_days=stride_days) if stride_days else base


def lead_time_estimates(
    wh: Warehouse, settings: ShopSettings, start: date, end: date
) -> tuple[LeadTimeEstimate | None, LeadTimeEstimate | None]:
    """The snapshots' lead-time estimates at the first and last evaluated day, read only when
    the shop's settings state no range (a stated range wins in ``evaluation_config``)."""
    if settings.lead_time_range is not None:
        return None, None
    return estimate_lead_times(wh, start), estimate_lead_times(wh, end)


def truth_folder(truth_dir: str) -> Path | None:
    folder = Path(truth_dir) if truth_dir else resolve_paths().ground_truth_dir
    return folder if (folder / "daily.parquet").exists() else None


@dg.asset(
    group_name="evaluation",
    kinds={"pytorch", "mlflow", "markdown"},
    owners=["team:forecasting"],
    deps=FEATURE_KEYS,
    description="Champion vs peers: accuracy and a lost-sales inventory replay of their orders, as a report.",
)
def evaluation_report(
    context: dg.AssetExecutionContext,
    config: EvaluationRunConfig,
    warehouse: WarehouseResource,
    mlflow_registry: MlflowResource,
    shop: ShopSettingsResource,
) -> dg.MaterializeResult:
    wh = warehouse.warehouse()
    settings = shop.settings()
    mlflow_registry.configure()
    start, end = date.fromisoformat(config.start), date.fromisoformat(config.end)
    forecaster, version = None, None
    if config.with_model:
        forecaster, version = tracking.load_champion(mlflow_registry.registered_model, wh.root / "embeddings")
    out = wh.root / "evaluation" / f"{start.isoformat()}_{end.isoformat()}"
    result = run_evaluation(
        wh, start, end, out, forecaster, version, truth_folder(config.truth_dir),
        evaluation_config(
            config.stride_days, settings, *lead_time_estimates(wh, settings, start, end)
        ),
        lambda stage, i, n: context.log.info(f"{stage} {i}/{n}") if i == n or i % 5 == 0 else None,
        settings.feature_config(),
    )  # fmt: skip
    run_id = log_to_mlflow(result)
    summary = (out / "summary.md").read_text(encoding="utf-8")
    images = {
        path.stem: dg.MetadataValue.md(plots.markdown_image(path.read_bytes(), path.stem))
        for path in sorted(out.rglob("*.png"))[:4]
    }
    return dg.MaterializeResult(
        metadata={
            "range": f"{start} .. {end}",
            "model_version": version or "none",
            "mlflow_run_id": run_id,
            "report": dg.MetadataValue.path(str(out)),
            "summary": dg.MetadataValue.md(summary[:20000]),
            **images,
        }
    )


evaluation_job = dg.define_asset_job(
    name="evaluation_job",
    selection=dg.AssetSelection.assets(evaluation_report),
    description="Evaluate the champion and peers over a range (run config: start, end).",
)
