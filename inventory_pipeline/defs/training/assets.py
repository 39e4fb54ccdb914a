"""Training assets: windows → challenger (MLflow run, registered version) and, beside its fit,
the served model (the refit on every day, ``retrain.refit_candidate``) and the backtest's
baselines → backtest → champion (the refit at the challenger's selected epoch, registered and
promoted once the gate passed, ``retrain.serve_candidate``).

Each asset reads its resources and run config, calls one step of
``inventory_pipeline.training.retrain`` and turns the result into metadata (and the gate's check
result). ``model_backtest`` carries the blocking check ``beats_champion_and_baselines``
(``checks.py``): when it fails, ``champion_model`` (which moves the alias) does not run, so only a
better model ever becomes the ``champion`` the nightly job loads.

State passes between the steps through the MLflow registry and the materialisation metadata of
the upstream asset, never through files a second run could overwrite: the windows of a run live
in their own folder (named in ``training_windows``' metadata), the candidate is a registered
version with the alias ``challenger`` (named in ``demand_model``'s metadata), and every version
carries its gate result as tags. A step reads its upstream's materialisation from its own run
(or the run it re-executes), else the latest one: re-running ``model_backtest`` alone scores the
challenger the last ``demand_model`` registered, with the windows it was trained on.
"""

from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import pydantic
from mlflow.tracking import MlflowClient

from inventory_pipeline import overrides, plots, tracking
from inventory_pipeline.config import ground_truth_folder
from inventory_pipeline.defs.features.assets import FEATURE_KEYS
from inventory_pipeline.defs.pools import (
    RETRAIN_BASELINES_POOL,
    RETRAIN_POOL,
    RETRAIN_REFIT_POOL,
)
from inventory_pipeline.defs.resources import (
    MlflowResource,
    ShopSettingsResource,
    WarehouseResource,
)
from inventory_pipeline.defs.training.checks import (
    calibration_metadata,
    gate_check_result,
    gate_check_spec,
)
from inventory_pipeline.model.config import ModelConfig
from inventory_pipeline.settings import ShopSettings
from inventory_pipeline.training import retrain
from inventory_pipeline.training.calibration import calibration_setup
from inventory_pipeline.training.config import TrainingConfig
from inventory_pipeline.training.plan import TrainingPlan


class _TrainingRun(dg.Config):
    truth_dir: str = pydantic.Field(
        "",
        description="ground truth of a generated shop; empty: <data root>/ground_truth if present",
    )
    until: str = pydantic.Field(
        "", description="YYYY-MM-DD: train as of this past export day; empty: the latest export"
    )

    def until_day(self) -> date | None:
        """``until`` as a date (None when unset), with an actionable error for a bad value."""
        if not self.until:
            return None
        try:
            return date.fromisoformat(self.until)
        except ValueError as err:
            raise ValueError(f"until={self.until!r}: expected a date YYYY-MM-DD or empty") from err

    def given(self) -> dict[str, Any]:
        """The fields this run sets (for the registry's ``config`` tag and the run's params)."""
        return retrain.given_fields(self.model_dump())

    def training_config(
        self, settings: ShopSettings | None = None, horizon_days: int | None = None
    ) -> TrainingConfig:
        """The run's training config; the model's horizon is ``horizon_days`` (the one the run's
        windows were built with), else the shop's stated one, unless set here."""
        horizon = horizon_days or (settings.horizon_days if settings is not None else None)
        return retrain.training_config(self.given(), horizon)


TrainingRunConfig = pydantic.create_model(
    "TrainingRunConfig",
    __base__=_TrainingRun,
    __module__=__name__,
    __doc__="Knobs of one retraining run, one optional field per ModelConfig or TrainingConfig "
    "field it may change; a field left empty keeps the pipeline's default, the horizon the "
    "shop's settings. Give every training asset the same values (`inventory-pipeline train` "
    "does).",
    **overrides.optional_fields(ModelConfig, ("finetune", *retrain.MODEL_FIELDS)),
    **overrides.optional_fields(TrainingConfig, retrain.TRAINING_FIELDS),
)


def _upstream(context: dg.AssetExecutionContext, key: dg.AssetKey) -> dict[str, Any]:
    """Metadata values of ``key``'s materialisation in this run (or the run it re-executes),
    else of its latest one: what the upstream step of the same retraining produced."""
    instance = context.instance
    run = context.dagster_run
    for run_id in dict.fromkeys(r for r in (run.run_id, run.parent_run_id, run.root_run_id) if r):
        records = instance.get_records_for_run(
            run_id=run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ).records
        for record in reversed(records):
            mat = record.event_log_entry.asset_materialization
            if mat is not None and mat.asset_key == key:
                return {k: v.value for k, v in mat.metadata.items()}
    event = instance.get_latest_materialization_event(key)
    if event is None or event.asset_materialization is None:
        raise RuntimeError(
            f"{key.to_user_string()} has never been materialised in this Dagster instance: "
            f"run retrain_job (`inventory-pipeline train`) or materialise it first"
        )
    context.log.info(f"using {key.to_user_string()} of run {event.run_id} (the latest)")
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def _run_configs(
    config: TrainingRunConfig, settings: ShopSettings, plan: TrainingPlan
) -> tuple[TrainingConfig, ModelConfig]:
    """The run's training and model configs as the windows' plan fixed them (horizon, promotion
    types): the candidate and the refit beside it are fitted with the same ModelConfig, which
    champion_model checks before it serves the refit."""
    cfg = config.training_config(settings, plan.horizon_days)
    return cfg, cfg.model_config(events=settings.events, promotion_types=plan.promotion_types)


def _baselines_of(context: dg.AssetExecutionContext, folder: Path) -> retrain.Baselines | None:
    """The baselines ``backtest_baselines`` scored on the windows in ``folder``; None (the
    backtest forecasts them itself, and says so) when its latest ones are of other windows or
    gone, e.g. ``model_backtest`` re-executed alone after a later run's windows."""
    try:
        meta = _upstream(context, backtest_baselines.key)
    except RuntimeError:
        meta = {}
    saved = Path(str(meta.get("baselines_path", "")))
    if meta.get("windows_path") == str(folder) and (saved / retrain.BASELINES_META).exists():
        return retrain.load_baselines(saved)
    context.log.info("no baselines of these windows: forecasting them in this step")
    return None


@dg.asset(
    group_name="training",
    kinds={"duckdb", "numpy"},
    owners=["team:forecasting"],
    deps=FEATURE_KEYS,
    pool=RETRAIN_POOL,
    description=(
        "Rolling-origin training, validation and backtest windows, features as known on each "
        "origin."
    ),
)
def training_windows(
    context: dg.AssetExecutionContext,
    config: TrainingRunConfig,
    warehouse: WarehouseResource,
    shop: ShopSettingsResource,
) -> dg.MaterializeResult:
    settings = shop.settings()
    wh = warehouse.warehouse()
    horizon = retrain.run_horizon(
        wh, settings, config.until_day(), context.log, config.training_config(settings)
    )
    cfg = config.training_config(settings, horizon)
    model_config = cfg.model_config(events=settings.events)
    windows = retrain.build_run_windows(
        wh, cfg, model_config, settings.feature_config(), context.run_id, config.until_day(),
        context.log,
    )  # fmt: skip
    plan = windows.plan
    return dg.MaterializeResult(
        metadata={
            **{f"samples_{k}": v for k, v in windows.splits.summary().items()},
            "train_origins": len(plan.train_origins),
            "validation_origins": len(plan.validation_origins),
            "backtest_origins": len(plan.backtest_origins),
            "data_window": f"{plan.first_export} .. {plan.latest_export}",
            "seconds": round(windows.seconds, 1),
            "windows_path": dg.MetadataValue.path(str(windows.folder)),
            "training_plan": dg.MetadataValue.json(retrain.plan_to_dict(plan)),
            "horizon_days": model_config.horizon_days,
            **shop.metadata(),
        }
    )


@dg.asset(
    group_name="training",
    kinds={"pytorch", "mlflow"},
    owners=["team:forecasting"],
    deps=[training_windows],
    pool=RETRAIN_POOL,
    description=(
        "Fine-tunes the text + history model; logs the MLflow run and registers the challenger."
    ),
)
def demand_model(
    context: dg.AssetExecutionContext,
    config: TrainingRunConfig,
    warehouse: WarehouseResource,
    mlflow_registry: MlflowResource,
    shop: ShopSettingsResource,
) -> dg.MaterializeResult:
    mlflow_registry.configure()
    settings = shop.settings()
    windows = _upstream(context, training_windows.key)
    folder, plan = retrain.saved_windows(windows["windows_path"], windows["training_plan"])
    cfg, model_config = _run_configs(config, settings, plan)
    candidate = retrain.train_candidate(
        warehouse.warehouse(), folder, plan, model_config, settings.summary(),
        mlflow_registry.registered_model, context.run_id, config.given(), context.log,
        calibration=calibration_setup(cfg, settings.reorder_config()),
    )  # fmt: skip
    name, version = candidate.model_name, candidate.version
    launch_plot = candidate.launch_curve_png
    return dg.MaterializeResult(
        metadata={
            "mlflow_run_id": candidate.mlflow_run_id,
            "model_name": name,
            "model_version": version,
            "model_uri": f"models:/{name}/{version}",
            "training_cutoff": retrain.gated_cutoff(plan).isoformat(),
            "windows_path": dg.MetadataValue.path(str(folder)),
            "training_plan": dg.MetadataValue.json(retrain.plan_to_dict(plan)),
            "epochs": candidate.epochs,
            "best_epoch": candidate.best_epoch,
            "seconds_per_epoch": round(candidate.train_seconds / max(candidate.epochs, 1), 1),
            "train_seconds": round(candidate.train_seconds, 1),
            "peak_rss_mib": round(candidate.peak_rss_mib, 1),
            "finetune": model_config.finetune,
            "launch_curve": dg.MetadataValue.json(candidate.launch_curve or {}),
            "text_prior": dg.MetadataValue.json(candidate.text_prior or {}),
            **(
                {
                    "launch_curve_plot": dg.MetadataValue.md(
                        plots.markdown_image(launch_plot, "launch curve")
                    )
                }
                if launch_plot is not None
                else {}
            ),
            "loss_curves": dg.MetadataValue.md(
                plots.markdown_image(candidate.loss_curves_png, "loss curves")
            ),
        }
    )


@dg.asset(
    group_name="training",
    kinds={"lightgbm", "parquet"},
    owners=["team:forecasting"],
    deps=[training_windows],
    pool=RETRAIN_BASELINES_POOL,
    # where the executor runs fewer steps at once than are ready (2 on 2 cores): after the
    # challenger's fit and the refit have started, the longest branches of the run
    op_tags={"dagster/priority": "-1"},
    description=(
        "The baselines (seasonal naive, AutoETS, LightGBM) and, on a generated shop, the oracle, "
        "forecast and scored on the backtest cells. They do not need the challenger, so they run "
        "beside its fit; model_backtest scores the challenger against them on the same cells."
    ),
)
def backtest_baselines(
    context: dg.AssetExecutionContext,
    config: TrainingRunConfig,
    warehouse: WarehouseResource,
    shop: ShopSettingsResource,
) -> dg.MaterializeResult:
    settings = shop.settings()
    windows = _upstream(context, training_windows.key)
    folder, plan = retrain.saved_windows(windows["windows_path"], windows["training_plan"])
    wh = warehouse.warehouse()
    cfg = config.training_config(settings, plan.horizon_days)
    baselines = retrain.backtest_baselines(
        wh, folder, plan, cfg, settings.feature_config(), ground_truth_folder(config.truth_dir),
        context.log,
    )  # fmt: skip
    out = retrain.save_baselines(baselines, retrain.run_dir(wh, context.run_id) / "baselines")
    result = baselines.result
    return dg.MaterializeResult(
        metadata={
            "baselines_path": dg.MetadataValue.path(str(out)),
            "windows_path": dg.MetadataValue.path(str(folder)),
            "actuals": result.actuals,
            "methods": ", ".join(result.methods),
            **{f"wql_{m}": dg.MetadataValue.float(result.wql(m)) for m in result.methods},
            "flagged": dg.MetadataValue.json(result.flagged()),
            "cells": int(result.cells.frame["scored"].sum()),
            "seconds": round(baselines.seconds, 1),
        }
    )


@dg.asset(
    group_name="training",
    kinds={"pytorch", "mlflow"},
    owners=["team:forecasting"],
    deps=[demand_model, backtest_baselines],
    pool=RETRAIN_POOL,
    description="Backtest of the challenger vs the champion and the baselines (and the oracle).",
    check_specs=[gate_check_spec],
)
def model_backtest(
    context: dg.AssetExecutionContext,
    config: TrainingRunConfig,
    warehouse: WarehouseResource,
    mlflow_registry: MlflowResource,
    shop: ShopSettingsResource,
) -> dg.MaterializeResult:
    mlflow_registry.configure()
    settings = shop.settings()
    candidate = _upstream(context, demand_model.key)
    version = str(candidate["model_version"])
    folder, plan = retrain.saved_windows(candidate["windows_path"], candidate["training_plan"])
    wh = warehouse.warehouse()
    truth = ground_truth_folder(config.truth_dir)
    cfg = config.training_config(settings, plan.horizon_days)
    gated = retrain.backtest_candidate(
        wh, folder, plan, cfg, settings.feature_config(),
        mlflow_registry.registered_model, version, truth,
        retrain.run_dir(wh, context.run_id) / "backtest", context.log,
        calibration=calibration_setup(cfg, settings.reorder_config()),
        baselines=_baselines_of(context, folder),
    )  # fmt: skip
    result, decision = gated.result, gated.decision
    images = {
        name: dg.MetadataValue.md(plots.markdown_image(path.read_bytes(), name))
        for name, path in gated.plot_paths.items()
    }
    return dg.MaterializeResult(
        metadata={
            "candidate_version": version,
            "champion_version": gated.champion or "none",
            "gate": "passed" if decision.promote else "failed",
            "gate_reason": decision.reason,
            "actuals": result.actuals,
            "wql_model": dg.MetadataValue.float(decision.candidate_wql),
            "wql_best_baseline": dg.MetadataValue.float(decision.best_baseline_wql),
            "best_baseline": decision.best_baseline,
            "report": dg.MetadataValue.md("```\n" + result.table() + "\n```"),
            **calibration_metadata(gated.calibration),
            **images,
        },
        check_results=[gate_check_result(decision, version, gated.champion, gated.calibration)],
    )


@dg.asset(
    group_name="training",
    kinds={"pytorch", "mlflow"},
    owners=["team:forecasting"],
    deps=[training_windows],
    pool=RETRAIN_REFIT_POOL,
    description=(
        "The run's configuration refitted on every day up to the latest export (no validation "
        "block), fitted beside the challenger: the weights of every epoch are kept, and "
        "champion_model serves the epoch the challenger's early stopping selected once the gate "
        "passed. Nothing to do with refit_after_gate off."
    ),
)
def served_model(
    context: dg.AssetExecutionContext,
    config: TrainingRunConfig,
    warehouse: WarehouseResource,
    mlflow_registry: MlflowResource,
    shop: ShopSettingsResource,
) -> dg.MaterializeResult:
    mlflow_registry.configure()
    settings = shop.settings()
    windows = _upstream(context, training_windows.key)
    folder, plan = retrain.saved_windows(windows["windows_path"], windows["training_plan"])
    cfg, model_config = _run_configs(config, settings, plan)
    refit = retrain.refit_candidate(
        warehouse.warehouse(), folder, plan, cfg, model_config, settings.feature_config(),
        settings.summary(), context.run_id, context.log,
    )  # fmt: skip
    if refit is None:
        return dg.MaterializeResult(
            metadata={
                "refit": "off (gated weights served)",
                "windows_path": dg.MetadataValue.path(str(folder)),
            }
        )
    return dg.MaterializeResult(
        metadata={
            "refit": "refitted",
            "windows_path": dg.MetadataValue.path(str(folder)),
            "training_cutoff": refit.training_cutoff.isoformat(),
            "mlflow_run_id": refit.mlflow_run_id,
            "registered": "by champion_model at the challenger's selected epoch, once the gate "
            "passed",
            "epochs_trained": refit.epochs,
            "windows": refit.windows,
            "train_seconds": round(refit.train_seconds, 1),
            "launch_curve": dg.MetadataValue.json(refit.launch_curve or {}),
            "refit_detail": dg.MetadataValue.json(refit.to_dict()),
        }
    )


@dg.asset(
    group_name="training",
    kinds={"mlflow"},
    owners=["team:forecasting"],
    deps=[model_backtest, served_model],
    pool=RETRAIN_POOL,
    description=(
        "Once the gate passed: registers the served model (the refit, or the challenger with the "
        "refit off) and moves the registry alias `champion` to it."
    ),
)
def champion_model(
    context: dg.AssetExecutionContext,
    mlflow_registry: MlflowResource,
    shop: ShopSettingsResource,
) -> dg.MaterializeResult:
    del shop  # validated at run start, like every step's
    mlflow_registry.configure()
    gate = _upstream(context, model_backtest.key)
    served = _upstream(context, served_model.key)
    candidate = _upstream(context, demand_model.key)
    name = mlflow_registry.registered_model
    gated_version = str(gate["candidate_version"])
    folder, plan = retrain.saved_windows(candidate["windows_path"], candidate["training_plan"])
    refit = served.get("refit_detail")
    result = retrain.serve_candidate(
        name, gated_version, plan, str(folder),
        None if refit is None else retrain.Refit.from_dict(refit), context.log,
    )  # fmt: skip
    promoted = tracking.promote_if_unchanged(
        MlflowClient(), name, result.version, str(gate["champion_version"])
    )
    context.log.info(f"champion is now version {promoted.version}: {promoted.reason}")
    return dg.MaterializeResult(
        metadata={
            "champion_version": promoted.version,
            "previous_champion": promoted.previous or "none",
            "serving_version": result.version,
            "gated_version": gated_version,
            "refit": "refitted" if result.refitted else "off (gated weights served)",
            "training_cutoff": result.training_cutoff.isoformat(),
            "model_uri": f"models:/{name}/{promoted.version}",
            "served_reason": result.reason,
            "reason": promoted.reason,
        }
    )


training_assets = [
    training_windows, demand_model, backtest_baselines, model_backtest, served_model,
    champion_model,
]  # fmt: skip
