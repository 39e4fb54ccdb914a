"""The decision-quality evaluation as an asset: forecasters and their orders replayed over a range.

The config the report is scored with is the shop's (``inventory_pipeline.evaluation.shop_config``).
"""

from datetime import date

import dagster as dg
from mlflow.tracking import MlflowClient

from inventory_pipeline import plots, tracking
from inventory_pipeline.config import ground_truth_folder
from inventory_pipeline.defs.features.assets import FEATURE_KEYS
from inventory_pipeline.defs.resources import (
    MlflowResource,
    ShopSettingsResource,
    WarehouseResource,
)
from inventory_pipeline.evaluation.run import log_to_mlflow, run_evaluation
from inventory_pipeline.evaluation.shop_config import evaluation_config, lead_time_estimates
from inventory_pipeline.features.sources import longest_lead_time_days


class EvaluationRunConfig(dg.Config):
    """The evaluated range and options (defaults: inventory_pipeline.evaluation.config)."""

    start: str  # first forecast origin and replayed day, YYYY-MM-DD
    end: str  # last replayed day, YYYY-MM-DD
    with_model: bool = True  # score the champion model (False: peers only)
    truth_dir: str = ""  # a generated shop's ground truth; empty: <data root>/ground_truth if any
    stride_days: int = 0  # days between forecast origins; 0: the default


@dg.asset(
    group_name="evaluation",
    kinds={"pytorch", "mlflow", "markdown"},
    owners=["team:forecasting"],
    deps=FEATURE_KEYS,
    description=(
        "Champion vs peers: accuracy and a lost-sales inventory replay of their orders, as a "
        "report."
    ),
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
        forecaster, version = tracking.load_champion(
            mlflow_registry.registered_model, wh.root / "embeddings"
        )
        cutoff = tracking.check_scored_after_cutoff(
            MlflowClient(), mlflow_registry.registered_model, version, start, end
        )
        if cutoff is None:
            context.log.warning(
                f"version {version} has no training_cutoff tag (registered before it existed): "
                f"make sure {start} .. {end} starts after its last training day"
            )
    out = wh.root / "evaluation" / f"{start.isoformat()}_{end.isoformat()}"
    result = run_evaluation(
        wh, start, end, out, forecaster, version, ground_truth_folder(config.truth_dir),
        evaluation_config(
            config.stride_days, settings, *lead_time_estimates(wh, settings, start, end),
            longest_lead_time_days=(
                None if settings.horizon_days else longest_lead_time_days(wh, start)
            ),  # read only when the shop asks for a covering horizon (auto)
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
