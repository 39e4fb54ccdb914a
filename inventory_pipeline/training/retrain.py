"""One retraining run in three steps: windows, the MLflow run that registers a challenger, its gate.

Plain Python under the ``training`` assets (which only read resources and run config, call these
functions and turn the results into metadata and check results). State passes between the steps
as plain values the caller stores: the windows of a run live in their own working folder
(:func:`run_dir`, named by the caller's run id), the origins travel as :func:`plan_to_dict`, and
the candidate is a registered MLflow version with the alias ``challenger`` that carries its gate
result as tags (:func:`gate_tags`), never a file a second run could overwrite.
"""

from __future__ import annotations

import dataclasses
import io
import json
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import date, timedelta
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any, Protocol

import mlflow
import pandas as pd
import polars as pl
from mlflow.tracking import MlflowClient

from inventory_pipeline import tracking
from inventory_pipeline.baselines import available_cpus
from inventory_pipeline.features.config import FeatureConfig
from inventory_pipeline.features.sources import longest_lead_time_days, promotion_type_counts
from inventory_pipeline.forecast_shape import HORIZON_DAYS
from inventory_pipeline.model import EmbeddingCache
from inventory_pipeline.model.config import FINETUNE_STRATEGIES, ModelConfig, with_promotions
from inventory_pipeline.model.forecaster import DemandForecaster, load_weights
from inventory_pipeline.model.launch import LAUNCH_CURVE_FILE, LaunchCurve, fit_launch_curve
from inventory_pipeline.model.runtime import torch_runtime
from inventory_pipeline.model.text import TextFeaturizer, resolve_encoder_path
from inventory_pipeline.model.text_prior import TextPrior, fit_text_prior, training_ratios
from inventory_pipeline.model.train import StepInfo
from inventory_pipeline.scoring.segments import Cells
from inventory_pipeline.settings import ShopSettings
from inventory_pipeline.training import BacktestResult
from inventory_pipeline.training import plots as training_plots
from inventory_pipeline.training.backtest import (
    add_forecaster,
    backtest,
    backtest_inputs,
    build_result,
    with_model,
)
from inventory_pipeline.training.calibration import (
    BacktestCalibration,
    CalibrationSetup,
    backtest_calibration,
    recalibrate,
)
from inventory_pipeline.training.config import DEFAULT_TRAINING_CONFIG, TrainingConfig
from inventory_pipeline.training.fit import fit, snapshot_path
from inventory_pipeline.training.plan import TrainingPlan, plan_origins
from inventory_pipeline.training.windows_io import (
    WindowSplits,
    at_origins,
    build_splits,
    build_windows,
    load_windows,
    read_demand,
    train_sample,
)
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline.windows import Windows, attach_targets
from inventory_pipeline.windows import concat as concat_windows

LOG_EVERY_STEPS = 50  # a progress line every this many optimiser steps
WINDOW_PROGRESS_LINES = 20  # about this many progress lines while the windows are read
BACKTEST_PROGRESS_EVERY = 10  # a progress line every this many backtest origins per stage

TRAINING_FIELDS = (
    "backtest_days", "backtest_stride", "validation_origins", "train_stride", "min_history_days",
    "baselines", "refit_after_gate", "promotion_channels", "promo_type_min_days",
)  # fmt: skip  # run-config fields that are TrainingConfig fields
MODEL_FIELDS = (
    "max_epochs", "seed", "horizon_days", "history_days", "d_model", "batch_size",
    "learning_rate", "num_threads",
)  # fmt: skip  # run-config fields that are ModelConfig fields
PLAN_BLOCKS = ("train_origins", "validation_origins", "backtest_origins")
TRAINING_CUTOFF = tracking.TRAINING_CUTOFF_TAG  # version tag: the last target day fitted on
BEST_EPOCH = "best_epoch"  # version tag and run metric: the epochs early stopping selected
# the refit's folder under the run's (run_dir(...) / "refit"): its model (the last epoch's
# weights, the launch curve), the weights of every epoch, an input example for the logged model,
# and the text prior with the curve fitted on its ratios (when the run asks for a prior)
REFIT_MODEL, REFIT_SNAPSHOTS, REFIT_EXAMPLE, REFIT_PRIOR = (
    "model", "epochs", "input_example.json", "text_prior",
)  # fmt: skip


class RunLog(Protocol):
    """Where a step reports progress (a Dagster run's ``context.log``, a ``logging.Logger``)."""

    def info(self, msg: str) -> None: ...

    def warning(self, msg: str) -> None: ...


def given_fields(values: dict[str, Any]) -> dict[str, Any]:
    """The run-config values a run sets: empty fields (None, "", ``max_epochs`` 0) keep the
    defaults. They are the registry's ``config`` tag of the candidate."""
    names = ("finetune", *MODEL_FIELDS, *TRAINING_FIELDS)
    given = {n: values.get(n) for n in names if values.get(n) not in (None, "")}
    if given.get("max_epochs") == 0:  # 0 reads as "the default", like an empty field
        del given["max_epochs"]
    return given


def run_horizon(
    wh: Warehouse,
    settings: ShopSettings,
    until: date | None,
    log: RunLog | None = None,
    cfg: TrainingConfig = DEFAULT_TRAINING_CONFIG,
) -> int:
    """The horizon a run trains with: the shop's stated one, else one covering the longest lead
    time of the catalog as known on the run's last export day (:meth:`ShopSettings.horizon`),
    shortened a week at a time (not below :data:`HORIZON_DAYS`) while the exported days are too
    few for ``cfg``'s training, validation and backtest blocks at that horizon."""
    if settings.horizon_days is not None:
        return settings.horizon_days
    longest = longest_lead_time_days(wh, until)
    covering = settings.horizon(longest)
    horizon = covering
    while horizon - 7 >= HORIZON_DAYS:
        try:
            plan_origins(wh, cfg, horizon, until)
            break
        except ValueError:
            horizon -= 7
    if log is None:
        return horizon
    late = settings.lead_time_range[1] if settings.lead_time_range is not None else 1.0
    needed = None if longest is None else longest * late + settings.review_period_days
    log.info(
        f"horizon {horizon} days (forecast.horizon_days: auto): longest lead time {longest} "
        f"days + review period {settings.review_period_days}"
        + (f", late deliveries x{late:g}" if late != 1.0 else "")
    )
    if horizon < covering:
        log.warning(
            f"the exported days are too few for a {covering}-day horizon's training, "
            f"validation and backtest blocks: training with {horizon} days until more days are "
            f"exported"
        )
    if needed is not None and needed > horizon:
        log.warning(
            f"the longest cover ({needed:g} days) is beyond the {horizon}-day horizon: the plan "
            f"scales the day-{horizon} quantiles for those SKUs (their reasons say so)"
            + (
                ". Set forecast.horizon_days in the shop settings to cover it"
                if horizon == covering
                else ""
            )
        )
    return horizon


def training_config(given: dict[str, Any], horizon_days: int | None = None) -> TrainingConfig:
    """The run's training config from the values it sets (:func:`given_fields`); the model's
    horizon is ``horizon_days`` (the shop's) unless the run sets one."""
    base = TrainingConfig()
    model = dict(base.model_overrides)
    if horizon_days is not None:
        model["horizon_days"] = horizon_days
    if "finetune" in given and given["finetune"] not in FINETUNE_STRATEGIES:
        raise ValueError(
            f"TrainingRunConfig.finetune={given['finetune']!r}: choose one of "
            f"{', '.join(FINETUNE_STRATEGIES)}, or leave it empty for the pipeline default"
        )
    model.update({k: v for k, v in given.items() if k in (*MODEL_FIELDS, "finetune")})
    changes = {k: v for k, v in given.items() if k in TRAINING_FIELDS}
    return dataclasses.replace(base, **changes, model_overrides=model)


def run_dir(wh: Warehouse, run_id: str) -> Path:
    """The working folder of one run (its windows, model files and backtest report)."""
    folder = wh.root / "training" / "runs" / run_id
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def prune_runs(wh: Warehouse, keep: int, current: Path) -> None:
    """Removes the working folders of all but the ``keep`` latest runs (never ``current``)."""
    runs = sorted(
        (d for d in (wh.root / "training" / "runs").iterdir() if d.is_dir()),
        key=lambda d: d.stat().st_mtime,
        reverse=True,
    )
    for old in runs[keep:]:
        if old != current:
            shutil.rmtree(old, ignore_errors=True)


def code_version() -> str:
    """The git commit of the checkout when there is one, else the package version."""
    root = Path(__file__).resolve().parents[2]
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        sha = ""
    return sha or f"inventory_pipeline=={package_version('inventory_pipeline')}"


def peak_rss_mib() -> float:
    """The process's peak resident memory so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def plan_to_dict(plan: TrainingPlan) -> dict[str, Any]:
    """The exact origins of the run, so every later step scores the same windows."""
    return {
        "first_export": plan.first_export.isoformat(),
        "latest_export": plan.latest_export.isoformat(),
        "horizon_days": plan.horizon_days,
        "train_targets_until": (
            None if plan.train_targets_until is None else plan.train_targets_until.isoformat()
        ),
        **{block: [d.isoformat() for d in getattr(plan, block)] for block in PLAN_BLOCKS},
        "promotion_types": None if plan.promotion_types is None else list(plan.promotion_types),
    }


def plan_from_dict(data: dict[str, Any]) -> TrainingPlan:
    """The plan :func:`plan_to_dict` wrote."""
    return TrainingPlan(
        first_export=date.fromisoformat(data["first_export"]),
        latest_export=date.fromisoformat(data["latest_export"]),
        horizon_days=int(data["horizon_days"]),
        **{block: tuple(date.fromisoformat(d) for d in data[block]) for block in PLAN_BLOCKS},
        train_targets_until=(
            date.fromisoformat(data["train_targets_until"])
            if data.get("train_targets_until")
            else None
        ),
        promotion_types=(
            None if data.get("promotion_types") is None else tuple(data["promotion_types"])
        ),
    )


def saved_windows(windows_path: str, plan: dict[str, Any]) -> tuple[Path, TrainingPlan]:
    """The windows folder and plan an earlier step recorded, with the fix when they are gone."""
    folder = Path(windows_path)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"the training windows {folder} are gone (only the latest runs' are kept): "
            f"run retrain_job again"
        )
    return folder, plan_from_dict(plan)


def gated_cutoff(plan: TrainingPlan) -> date:
    """The last target day the gated candidate saw: early stopping reads the validation block
    (the training block's when there is none); the backtest's days come after it."""
    last = plan.last_target(plan.validation_origins or plan.train_origins)
    assert last is not None  # make_plan never returns an empty training block
    return last


def gate_tags(decision: tracking.GateDecision, champion: str | None) -> dict[str, str]:
    """The gate result as registry tags of the candidate version (searchable, shown in MLflow)."""
    return {
        "gate": "passed" if decision.promote else "failed",
        "gate_reason": decision.reason[:4000],
        "backtest_wql": f"{decision.candidate_wql:.6f}",
        "best_baseline": decision.best_baseline or "none",
        "best_baseline_wql": f"{decision.best_baseline_wql:.6f}",
        "champion_compared": champion or "none",
        "champion_wql": "none" if decision.champion_wql is None else f"{decision.champion_wql:.6f}",
    }


# ------------------------------------------------------------------------------ step 1: windows


@dataclass(frozen=True)
class RunWindows:
    """The windows of a run, saved to ``folder``, and the plan they were built on."""

    plan: TrainingPlan
    splits: WindowSplits
    folder: Path
    seconds: float


def promotion_vocabulary(wh: Warehouse, plan: TrainingPlan, cfg: TrainingConfig) -> tuple[str, ...]:
    """The promotion types a run's model gets a channel for: those the shop ran on at least
    ``cfg.promo_type_min_days`` promotion-days (over SKUs) up to ``plan.vocabulary_day``, as the
    promotions known then planned them, most days first. Read from the shop's own promotions:
    no type name is fixed in the code."""
    counts = promotion_type_counts(wh, plan.vocabulary_day)
    return tuple(t for t, _, days in counts if days >= cfg.promo_type_min_days)


def build_run_windows(
    wh: Warehouse,
    cfg: TrainingConfig,
    model_config: ModelConfig,
    feature_config: FeatureConfig,
    run_id: str,
    until: date | None,
    log: RunLog,
) -> RunWindows:
    """Plans the origins, builds every window as known on its origin, saves them in the run's
    folder and removes the folders of older runs beyond ``cfg.kept_runs``."""
    plan = plan_origins(wh, cfg, model_config.horizon_days, until)
    if cfg.promotion_channels:
        types = promotion_vocabulary(wh, plan, cfg)
        plan = dataclasses.replace(plan, promotion_types=types)
        model_config = with_promotions(model_config, types)
        log.info(
            f"promotion channels: on_promotion and one per type run on at least "
            f"{cfg.promo_type_min_days} promotion-days up to {plan.vocabulary_day}: "
            f"{list(types) or 'none'}"
        )
    demand = read_demand(wh)
    total = len(plan.train_origins) + len(plan.validation_origins) + len(plan.backtest_origins)
    every = max(1, total // WINDOW_PROGRESS_LINES)

    def on_origin(i: int, n: int, origin: date) -> None:
        if i % every == 0 or i == n:
            log.info(f"[{i}/{n}] windows as of {origin}")

    started = time.perf_counter()
    splits = build_splits(
        wh, plan, model_config, demand, on_origin=on_origin, feature_config=feature_config, cfg=cfg
    )
    work = run_dir(wh, run_id)
    folder = work / "windows"
    splits.save(folder, model_config)
    prune_runs(wh, cfg.kept_runs, work)
    encode_documents(wh, splits, model_config, log)
    return RunWindows(plan, splits, folder, time.perf_counter() - started)


def encode_documents(
    wh: Warehouse, splits: WindowSplits, model_config: ModelConfig, log: RunLog
) -> None:
    """Adds the documents of every window the shared embedding cache lacks, on every CPU the
    process may use (nothing else runs in the windows step; the vectors do not depend on the
    thread count): the candidate's fit, the refit and the backtest that run beside each other
    then read them from the cache instead of each encoding the same documents on one thread.
    Only the frozen encoder's vectors are cached; other strategies encode while they train."""
    if not model_config.use_text or model_config.finetune != "frozen":
        return
    texts = [
        text
        for windows in (splits.train, splits.validation, splits.backtest)
        if windows is not None
        for text in windows.samples.texts
    ]
    featurizer = TextFeaturizer(
        model_config,
        resolve_encoder_path(model_config.encoder_path),
        EmbeddingCache(wh.root / "embeddings"),
    )
    featurizer.on_progress = log.info
    with torch_runtime(dataclasses.replace(model_config, num_threads=available_cpus())):
        featurizer.prepare(texts)


# ------------------------------------------------------------------ step 2: fit and register


@dataclass(frozen=True)
class Candidate:
    """The challenger one MLflow run registered, and what the run measured."""

    mlflow_run_id: str
    model_name: str
    version: str
    epochs: int
    train_seconds: float
    peak_rss_mib: float
    launch_curve: dict[str, float | str]  # tracking.log_launch_curve's summary (may be empty)
    launch_curve_png: bytes | None
    loss_curves_png: bytes
    best_epoch: int = 0  # the epoch whose weights early stopping kept (a refit trains this many)
    text_prior: dict[str, float | str] = dataclasses.field(default_factory=dict)  # its summary


def train_candidate(
    wh: Warehouse,
    folder: Path,
    plan: TrainingPlan,
    model_config: ModelConfig,
    settings_summary: dict[str, Any],
    model_name: str,
    run_id: str,
    given: dict[str, Any],
    log: RunLog,
    calibration: CalibrationSetup | None = None,
) -> Candidate:
    """Fits the model on the windows in ``folder`` inside one MLflow run (params, per-epoch
    metrics, plots, the model) and registers it as ``model_name``'s challenger.

    ``run_id`` is the orchestrator's run (tag ``dagster_run_id``, the working folder); ``given``
    the run-config values the run set (tag ``config``). MLflow must be configured already. With
    ``calibration`` the plan's decision quantiles are recalibrated on the validation block and
    the recalibration is saved with the model (:func:`recalibrate_on_validation`).
    """
    splits = WindowSplits.load(folder, model_config)
    work = run_dir(wh, run_id)
    cache = EmbeddingCache(wh.root / "embeddings")
    started = time.perf_counter()

    def on_epoch_end(epoch: int, train_loss: float, val_loss: float | None, seconds: float) -> None:
        metrics = {"train_loss": train_loss, "epoch_seconds": seconds}
        if val_loss is not None:
            metrics["val_loss"] = val_loss
        mlflow.log_metrics(tracking.rounded(metrics), step=epoch)
        log.info(
            f"epoch {epoch}/{model_config.max_epochs}: train loss {train_loss:.4f}, "
            f"val loss {val_loss if val_loss is None else round(val_loss, 4)}, {seconds:.1f}s"
        )

    def on_step(info: StepInfo) -> None:
        if info.global_step % LOG_EVERY_STEPS == 0:
            log.info(
                f"epoch {info.epoch} step {info.step}/{info.steps_per_epoch}: "
                f"loss {info.loss:.4f}, lr {info.learning_rate:.2e}, "
                f"elapsed {info.elapsed_seconds:.0f}s, ETA <= {info.eta_seconds:.0f}s"
            )

    def on_launch_candidate(i: int, n: int) -> None:
        if i == 1 or i == n or i % max(n // 5, 1) == 0:
            log.info(f"launch curve: scored {i}/{n} candidates")

    window = f"{plan.first_export}..{plan.latest_export}"
    with mlflow.start_run(run_name=f"retrain {plan.latest_export}") as run:
        mlflow.set_tags(
            {
                "code_version": code_version(),
                "data_window": window,
                "dagster_run_id": run_id,
                tracking.RUN_DESCRIPTION_TAG: (
                    f"Demand model retrained on the exports {window} "
                    f"({len(plan.train_origins)} training origins, "
                    f"fine-tuning {model_config.finetune})"
                ),
            }
        )
        mlflow.log_params({f"model.{k}": str(v)[:500] for k, v in model_config.to_dict().items()})
        mlflow.log_params(
            {
                "plan.train_origins": len(plan.train_origins),
                "plan.validation_origins": len(plan.validation_origins),
                "plan.backtest_origins": len(plan.backtest_origins),
                **{f"samples.{k}": v for k, v in splits.summary().items()},
            }
        )
        mlflow.log_dict(model_config.to_dict(), "config/model_config.json")
        mlflow.log_dict(plan.to_dict(), "config/training_plan.json")
        mlflow.log_dict(plan_to_dict(plan), "config/training_origins.json")
        mlflow.log_dict(settings_summary, "config/shop_settings.json")
        forecaster, history = fit(
            splits.train, splits.validation, model_config,
            embedding_cache=cache, on_epoch_end=on_epoch_end, on_step=on_step,
            on_launch_candidate=on_launch_candidate, on_text_prior=log.info, on_text=log.info,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        launch = tracking.log_launch_curve(
            history.launch_curve, forecaster.launch_curve is not None
        )
        text_prior = tracking.log_text_prior(history.text_prior, forecaster.text_prior is not None)
        launch_plot = None
        if history.launch_curve is not None:
            used = "used" if launch["used"] else "NOT used"
            log.info(f"launch curve {used} for young products: {launch}")
            launch_plot = training_plots.launch_curve_png(
                history.launch_curve,
                [w.samples for w in (splits.train, splits.validation) if w is not None],
                model_config,
            )
            launch_path = work / "launch_curve.png"
            launch_path.write_bytes(launch_plot)
            mlflow.log_artifact(str(launch_path), "plots")
        curves = training_plots.loss_curves_png(history, title="demand model")
        curve_path = work / "loss_curves.png"
        curve_path.write_bytes(curves)
        mlflow.log_artifact(str(curve_path), "plots")
        mlflow.log_metrics(
            tracking.rounded({"train_seconds": seconds, "peak_rss_mib": peak_rss_mib()})
        )
        mlflow.log_metric(BEST_EPOCH, history.best_epoch)  # the epochs a refit trains
        if calibration is not None:
            recalibrate_on_validation(forecaster, splits, calibration, work, log)
        example = tracking.samples_to_frame(
            splits.backtest.samples.subset(list(range(min(2, len(splits.backtest))))),
            splits.backtest.skus[:2],
        )
        model_uri = tracking.log_model(forecaster, work / "candidate_model", example)
        version = tracking.register_challenger(
            model_uri,
            model_name,
            tags={
                "run_id": run.info.run_id,
                "dagster_run_id": run_id,
                TRAINING_CUTOFF: gated_cutoff(plan).isoformat(),
                "data_window": window,
                "config": json.dumps(given, sort_keys=True),
                "finetune": model_config.finetune,
                "gate": "pending",
                BEST_EPOCH: str(history.best_epoch),
            },
        )
    shutil.rmtree(work / "candidate_model", ignore_errors=True)  # logged: the registry has it
    log.info(f"registered {model_name} version {version} (alias {tracking.CHALLENGER_ALIAS})")
    return Candidate(
        mlflow_run_id=run.info.run_id,
        model_name=model_name,
        version=version,
        epochs=len(history.epochs),
        best_epoch=history.best_epoch,
        train_seconds=seconds,
        peak_rss_mib=peak_rss_mib(),
        launch_curve=launch,
        launch_curve_png=launch_plot,
        loss_curves_png=curves,
        text_prior=text_prior,
    )


def recalibrate_on_validation(
    forecaster: DemandForecaster,
    splits: WindowSplits,
    calibration: CalibrationSetup,
    work: Path,
    log: RunLog,
) -> None:
    """Fits the cover-quantile recalibration on the validation block into ``forecaster`` (saved
    with it) and logs the block's coverage before/after to the active MLflow run."""
    if not calibration.recalibrate:
        return
    if splits.validation is None or not len(splits.validation):
        log.warning("no validation windows: the decision quantiles are not recalibrated")
        return
    fitted, table = recalibrate(forecaster, splits.validation, calibration)
    forecaster.cover_recalibration = fitted
    path = work / "calibration_validation.csv"
    table.write_csv(path)
    mlflow.log_artifact(str(path), "calibration")
    mlflow.log_dict(fitted.to_dict(), "calibration/cover_recalibration.json")
    log.info(f"decision quantiles recalibrated on the validation block: {fitted.describe()}")


# ------------------------------------------------------------------------ step 3: the gate


def scored_champion(
    client: MlflowClient, model_name: str, champion: str, plan: TrainingPlan, log: RunLog
) -> str:
    """The version whose forecasts stand for ``champion`` in the backtest: itself, unless it is
    a refit (tag ``refit_of``) trained on the backtest's days, whose scores there would be
    in-sample; then the gated version it was refitted from, with the same configuration."""
    tags = client.get_model_version(model_name, champion).tags
    cutoff, source = tags.get(TRAINING_CUTOFF), tags.get("refit_of")
    first_target = plan.backtest_origins[0] + timedelta(days=1)
    if source and cutoff and date.fromisoformat(cutoff) >= first_target:
        log.info(
            f"champion version {champion} was refitted on days up to {cutoff}, inside the "
            f"backtest: its configuration is scored with version {source}, the gated weights "
            f"it was refitted from"
        )
        return source
    return champion


@dataclass(frozen=True)
class GatedCandidate:
    """The candidate's backtest against the baselines and the champion, and the gate's verdict."""

    result: BacktestResult
    decision: tracking.GateDecision
    champion: str | None  # the champion version compared with (None: none, or the candidate)
    plot_paths: dict[str, Path]  # the report's plots by name
    calibration: BacktestCalibration | None = None  # the plan's quantiles on the backtest block


@dataclass(frozen=True)
class Baselines:
    """The backtest's references, forecast without the model: the baselines and (with ground
    truth) the oracle scored on the backtest cells, and the history the baselines read."""

    result: BacktestResult  # backtest(None, ...): no learned method
    history: pl.DataFrame  # origin, sku, date, units, ... (the report's plots read it)
    seconds: float  # time spent reading the inputs and forecasting


BASELINES_META = "baselines.json"


def backtest_baselines(
    wh: Warehouse,
    folder: Path,
    plan: TrainingPlan,
    cfg: TrainingConfig,
    feature_config: FeatureConfig,
    truth_dir: Path | None,
    log: RunLog,
) -> Baselines:
    """Forecasts and scores the baselines and the oracle on the backtest windows in ``folder``.

    They need the windows' origins and SKUs only, not the candidate, so the retraining job runs
    this beside the candidate's fit; :func:`backtest_candidate` then adds the model on the same
    cells (``with_model``) and the result is the one the backtest computes at once."""
    started = time.perf_counter()
    windows = load_windows(folder / "backtest")

    def on_origin(i: int, n: int, origin: date) -> None:
        log.info(f"baselines: the history as of origin {i}/{n} ({origin}) read")

    def on_progress(stage: str, i: int, n: int) -> None:
        if i == n or i % BACKTEST_PROGRESS_EVERY == 0:
            log.info(f"{stage} {i}/{n}")

    inputs = backtest_inputs(
        wh, plan, cfg, truth_dir=truth_dir, demand=read_demand(wh), on_origin=on_origin,
        feature_config=feature_config,
    )  # fmt: skip
    log.info(
        f"baselines over {len(plan.backtest_origins)} origins "
        f"({'ground truth' if truth_dir else 'observed units'}): {', '.join(cfg.baselines)}"
    )
    result = backtest(
        None, windows, inputs, cfg, horizon=plan.horizon_days, on_progress=on_progress
    )
    return Baselines(result, inputs.history, time.perf_counter() - started)


def save_baselines(baselines: Baselines, folder: Path) -> Path:
    """Writes ``baselines`` to ``folder`` (Parquet frames, a JSON of the rest); returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    result = baselines.result
    result.cells.frame.write_parquet(folder / "cells.parquet")
    result.forecasts.write_parquet(folder / "forecasts.parquet")
    baselines.history.write_parquet(folder / "history.parquet")
    meta = {
        "actuals": result.cells.actuals,
        "segments": list(result.cells.segments),
        "levels": list(result.levels),
        "methods": list(result.methods),
        "absurd_wql_ratio": result.absurd_wql_ratio,
        "seconds": baselines.seconds,
    }
    (folder / BASELINES_META).write_text(json.dumps(meta, indent=2))
    return folder


def load_baselines(folder: Path) -> Baselines:
    """Inverse of :func:`save_baselines` (the scores are computed again from the forecasts)."""
    meta = json.loads((folder / BASELINES_META).read_text())
    cells = Cells(
        pl.read_parquet(folder / "cells.parquet"), meta["actuals"], tuple(meta["segments"])
    )
    result = build_result(
        cells, pl.read_parquet(folder / "forecasts.parquet"), tuple(meta["levels"]),
        tuple(meta["methods"]), (), meta["absurd_wql_ratio"],
    )  # fmt: skip
    return Baselines(result, pl.read_parquet(folder / "history.parquet"), meta["seconds"])


def backtest_candidate(
    wh: Warehouse,
    folder: Path,
    plan: TrainingPlan,
    cfg: TrainingConfig,
    feature_config: FeatureConfig,
    model_name: str,
    version: str,
    truth_dir: Path | None,
    report: Path,
    log: RunLog,
    calibration: CalibrationSetup | None = None,
    baselines: Baselines | None = None,
) -> GatedCandidate:
    """Scores ``version`` on the backtest windows in ``folder`` against the baselines and the
    current champion (same cells), decides the gate, saves the report to ``report``, logs its
    metrics and artifacts to the version's MLflow run and tags the version with the verdict.

    With ``calibration`` the decision quantiles the plan reads are also measured on the backtest
    block (before/after the model's recalibration) and a miscalibrated candidate fails the gate.
    ``baselines``: the references :func:`backtest_baselines` scored on the same windows; None
    forecasts them here with it."""
    client = MlflowClient()
    run_id = tracking.version_run_id(client, model_name, version)
    forecaster = tracking.load_forecaster(f"models:/{model_name}/{version}")
    splits = WindowSplits.load(folder, forecaster.config)
    if baselines is None:  # not forecast beside the fit: here, the same way
        baselines = backtest_baselines(wh, folder, plan, cfg, feature_config, truth_dir, log)
    log.info(
        f"backtest of {model_name} version {version} over {len(plan.backtest_origins)} origins "
        f"against {', '.join(baselines.result.methods)} ({baselines.result.actuals})"
    )
    result = with_model(baselines.result, forecaster, splits.backtest)
    champion = tracking.champion_version(client, model_name)
    if champion is not None and champion != version:
        scored = scored_champion(client, model_name, champion, plan, log)
        champion_model = tracking.load_forecaster(f"models:/{model_name}/{scored}")
        windows = splits.backtest
        if champion_model.config.to_dict() != forecaster.config.to_dict():
            windows = build_windows(
                wh, plan.backtest_origins, champion_model.config, read_demand(wh),
                plan.latest_export, feature_config=feature_config,
            )  # fmt: skip
        result = add_forecaster(result, champion_model, windows, "champion", learned=False)
    champion_wql = result.wql("champion") if "champion" in result.methods else None
    flagged = result.flagged()  # absurd baselines: left out of the gate, named in its reason
    decision = tracking.decide(result.wql("model"), champion_wql, result.baseline_wql(), flagged)
    for warning in result.warnings():
        log.warning(warning)
    result.save(report)
    plot_paths = training_plots.save_report_plots(report / "plots", result, baselines.history)
    calibrated = None
    if calibration is not None:
        calibrated = backtest_calibration(forecaster, splits.backtest, calibration)
        decision = calibration_gate(decision, calibrated)
        plot_paths["calibration"] = save_calibration(report, calibrated)
        for key, value in tracking.rounded(calibrated.metrics(calibration.service_level)).items():
            client.log_metric(run_id, key, value)
        tracking.tag_version(client, model_name, version, calibrated.tags())
        log.info(f"decision quantiles on the backtest block: {calibrated.verdict.reason}")
    for key, value in tracking.rounded(result.headline()).items():
        client.log_metric(run_id, key, value)
    for key, value in result.flag_params().items():
        client.log_param(run_id, key, value)
    client.log_artifacts(run_id, str(report), "backtest")
    tracking.tag_version(client, model_name, version, gate_tags(decision, champion))
    log.info(result.table())
    log.info(f"gate: {decision.reason}")
    return GatedCandidate(result, decision, champion, plot_paths, calibrated)


def calibration_gate(
    decision: tracking.GateDecision, calibrated: BacktestCalibration
) -> tracking.GateDecision:
    """The gate's decision with the calibration verdict: a miscalibrated candidate is not
    promoted, whatever its WQL; the reason names both."""
    verdict = calibrated.verdict
    promote = decision.promote and verdict.passed
    return dataclasses.replace(
        decision, promote=promote, reason=f"{decision.reason}; {verdict.reason}"
    )


def save_calibration(report: Path, calibrated: BacktestCalibration) -> Path:
    """calibration.csv and plots/calibration.png in the backtest report; returns the plot."""
    calibrated.table.write_csv(report / "calibration.csv")
    path = report / "plots" / "calibration.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    title = "decision quantiles on the backtest block: raw vs recalibrated"
    path.write_bytes(training_plots.calibration_png(calibrated.table, title))
    return path


# ----------------------------------------------------------------- step 4: the served model


@dataclass(frozen=True)
class ServedModel:
    """The version ``champion`` should point at after a passed gate, and how it was made."""

    version: str  # the refit version, or the gated one when the refit is off
    gated_version: str
    refitted: bool
    training_cutoff: date  # the last target day its weights were fitted on
    reason: str  # one line: what was done and why
    mlflow_run_id: str = ""  # the refit's own run ("" without a refit)
    epochs: int = 0
    windows: int = 0
    train_seconds: float = 0.0


@dataclass(frozen=True)
class Refit:
    """The run's configuration fitted on every day (:func:`refit_candidate`, beside the
    candidate's fit): the weights of every epoch, the launch curve refitted on every launch, an
    MLflow run; :func:`serve_candidate` logs and registers the epoch the candidate's early
    stopping selected once the gate passed."""

    folder: str  # the refit's model folder, its snapshots and what serving it needs
    windows_path: str  # the run's windows it continues: the candidate must be trained on them
    mlflow_run_id: str
    dagster_run_id: str
    training_cutoff: date  # the last target day its weights were fitted on
    finetune: str
    epochs: int  # epochs trained (the schedule's max_epochs): a snapshot each
    windows: int
    train_seconds: float
    launch_curve: dict[str, float | str] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the step's metadata (the next step rebuilds it with from_dict)."""
        return {**dataclasses.asdict(self), "training_cutoff": self.training_cutoff.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Refit:
        fields = {f.name for f in dataclasses.fields(cls)}
        if set(data) - fields or not {"folder", "windows_path"} <= set(data):
            raise ValueError(
                "served_model's metadata was written by an earlier version of the pipeline (a "
                "refit after the candidate, not beside its fit): materialise served_model again "
                "(or run retrain_job) before champion_model"
            )
        return cls(**{**data, "training_cutoff": date.fromisoformat(data["training_cutoff"])})


def refit_origins(plan: TrainingPlan, train_stride: int) -> tuple[date, ...]:
    """The training origins, continued every ``train_stride`` days over the validation and
    backtest blocks up to the latest export minus the horizon (always included), so the last
    window's targets end on the latest export."""
    last_origin = plan.latest_export - timedelta(days=plan.horizon_days)
    extra = []
    day = plan.train_origins[-1] + timedelta(days=train_stride)
    while day <= last_origin:
        extra.append(day)
        day += timedelta(days=train_stride)
    if not extra or extra[-1] < last_origin:
        extra.append(last_origin)
    return plan.train_origins + tuple(extra)


def selected_epochs(client: MlflowClient, model_name: str, version: str) -> int:
    """The epochs early stopping selected for ``version`` (its tag, else its run's metric)."""
    tag = client.get_model_version(model_name, version).tags.get(BEST_EPOCH)
    if tag:
        return int(tag)
    metrics = client.get_run(tracking.version_run_id(client, model_name, version)).data.metrics
    if BEST_EPOCH in metrics:
        return int(metrics[BEST_EPOCH])
    raise LookupError(
        f"version {version} of {model_name!r} records no {BEST_EPOCH} (tag or run metric) to "
        f"refit with: retrain to register a new candidate, or set "
        f"TrainingConfig.refit_after_gate=False to serve it as it is"
    )


def refit_candidate(
    wh: Warehouse,
    folder: Path,
    plan: TrainingPlan,
    cfg: TrainingConfig,
    model_config: ModelConfig,
    feature_config: FeatureConfig,
    settings_summary: dict[str, Any],
    run_id: str,
    log: RunLog,
) -> Refit | None:
    """With ``cfg.refit_after_gate``, the run's configuration (``model_config``, the one the
    candidate is fitted with) fitted on every window up to the latest export, in an MLflow run of
    its own; None with the refit off.

    It needs the run's windows only, not the candidate: the job runs it beside the candidate's
    fit. So it cannot know how many epochs early stopping will select. It trains the whole
    schedule (``max_epochs``, the learning rate decaying over all of them as in the candidate's
    fit) and keeps the weights of every epoch; :func:`serve_candidate` serves the epoch the
    candidate selected, which is the candidate's own training path run on every day. Its launch
    curve (and the text prior, when the run asks for one) is fitted on every launch; whether it
    is served is the candidate's gate's call. A candidate that fails the gate leaves the refit's
    run unregistered.
    """
    if not cfg.refit_after_gate:
        log.info("refit off (TrainingConfig.refit_after_gate=False): nothing to refit")
        return None
    return _refit(
        wh, folder, plan, cfg, model_config, feature_config, settings_summary, run_id, log
    )


def serve_candidate(
    model_name: str,
    gated_version: str,
    plan: TrainingPlan,
    windows_path: str,
    refit: Refit | None,
    log: RunLog,
) -> ServedModel:
    """The version to serve once ``gated_version`` passed the gate: ``refit`` (from
    :func:`refit_candidate`) at the epoch the gated version's early stopping selected, with the
    gated version's launch-curve choice and recalibrated levels, logged in the refit's MLflow run
    and registered as a new version (tags ``training_cutoff``, ``refit_of``, ``best_epoch`` and
    the gate result it inherits; the gated version gets ``refit_version``); else the gated
    version itself. ``windows_path``: the windows the gated version was trained on. Refuses a
    version that did not pass, and a refit of other windows or another configuration."""
    client = MlflowClient()
    check_passed(client, model_name, gated_version)
    tags = client.get_model_version(model_name, gated_version).tags
    if refit is None:
        cutoff = date.fromisoformat(tags.get(TRAINING_CUTOFF) or gated_cutoff(plan).isoformat())
        reason = (
            f"refit off (TrainingConfig.refit_after_gate=False): serving the gated version "
            f"{gated_version} as it is, trained on days up to {cutoff}"
        )
        log.info(reason)
        return ServedModel(gated_version, gated_version, False, cutoff, reason)
    if refit.windows_path != windows_path:
        raise RuntimeError(
            f"version {gated_version} of {model_name!r} was trained on the windows in "
            f"{windows_path}, served_model refitted those in {refit.windows_path}: materialise "
            f"served_model again with the same run before champion_model"
        )
    epochs = selected_epochs(client, model_name, gated_version)
    reason = (
        f"refit of version {gated_version} on every window up to {refit.training_cutoff} "
        f"({epochs} epochs); version {gated_version}'s gate: {tags.get('gate_reason')}"
    )
    registered = tags.get("refit_version")
    if registered and client.get_model_version(model_name, registered).tags.get("run_id") == (
        refit.mlflow_run_id
    ):  # champion_model re-executed: this refit is registered already
        log.info(f"refit of version {gated_version} is registered already as {registered}")
        return ServedModel(
            registered, gated_version, True, refit.training_cutoff, reason,
            refit.mlflow_run_id, epochs, refit.windows, refit.train_seconds,
        )  # fmt: skip
    gated_run = tracking.version_run_id(client, model_name, gated_version)
    gated = tracking.load_forecaster(f"models:/{model_name}/{gated_version}")
    forecaster, launch = _refit_at_epoch(Path(refit.folder), gated, gated_version, epochs, log)
    with mlflow.start_run(run_id=refit.mlflow_run_id):
        mlflow.set_tags(
            {
                "refit_of": gated_version,
                "refit_of_run": gated_run,
                tracking.RUN_DESCRIPTION_TAG: (
                    f"Version {gated_version} refitted on every window up to "
                    f"{refit.training_cutoff} ({epochs} of {refit.epochs} epochs, no validation "
                    f"block)"
                ),
            }
        )
        mlflow.log_params({"refit.epochs": epochs, "refit.of_version": gated_version})
        tracking.log_launch_curve(forecaster.launch_curve, forecaster.launch_curve is not None)
        tracking.log_text_prior(forecaster.text_prior, forecaster.text_prior is not None)
        example = pd.read_json(
            io.StringIO((Path(refit.folder) / REFIT_EXAMPLE).read_text()), orient="split"
        )
        work = Path(refit.folder) / "logged"
        model_uri = tracking.log_model(forecaster, work, example)
    shutil.rmtree(work, ignore_errors=True)  # logged: the run has it
    version = tracking.register(
        model_uri,
        model_name,
        tags={
            "run_id": refit.mlflow_run_id,
            "dagster_run_id": refit.dagster_run_id,
            TRAINING_CUTOFF: refit.training_cutoff.isoformat(),
            "data_window": f"{plan.first_export}..{plan.latest_export}",
            "config": tags.get("config", "{}"),
            "finetune": refit.finetune,
            "refit_of": gated_version,
            BEST_EPOCH: str(epochs),
            "gate": "passed",  # its configuration passed, as the version it refits
            "gate_reason": reason[:4000],
            "champion_compared": tags.get("champion_compared", "none"),
        },
    )
    tracking.tag_version(client, model_name, gated_version, {"refit_version": version})
    log.info(f"registered {model_name} version {version}: {reason}; launch curve: {launch}")
    return ServedModel(
        version=version,
        gated_version=gated_version,
        refitted=True,
        training_cutoff=refit.training_cutoff,
        reason=reason,
        mlflow_run_id=refit.mlflow_run_id,
        epochs=epochs,
        windows=refit.windows,
        train_seconds=refit.train_seconds,
    )


def check_passed(client: MlflowClient, model_name: str, version: str) -> None:
    """Raises :class:`tracking.GateError` when ``version`` did not pass its gate."""
    tags = client.get_model_version(model_name, version).tags
    if tags.get("gate") != "passed":
        raise tracking.GateError(
            f"version {version} of {model_name!r} did not pass the gate "
            f"(gate={tags.get('gate', 'unset')}): "
            f"{tags.get('gate_reason', 'no backtest recorded; run model_backtest')}"
        )


def _refit_windows(
    wh: Warehouse,
    folder: Path,
    plan: TrainingPlan,
    cfg: TrainingConfig,
    model_config: ModelConfig,
    feature_config: FeatureConfig,
) -> tuple[Windows, tuple[date, ...]]:
    """The run's training windows plus windows at the origins after them (:func:`refit_origins`);
    validation windows are reused where an origin coincides, the others are built."""
    origins = refit_origins(plan, cfg.train_stride)
    splits = WindowSplits.load(folder, model_config)
    extra = origins[len(plan.train_origins) :]
    demand = read_demand(wh)
    train = splits.train
    if plan.train_targets_until is not None:  # the refit knows the days the gate kept unseen
        train = attach_targets(train, demand, plan.horizon_days, plan.latest_export)
    parts = [train]
    validation, reused = splits.validation, []
    if validation is not None:
        reused = [o for o in extra if o in set(plan.validation_origins)]
        if reused:
            parts.append(at_origins(validation, reused))
    missing = [o for o in extra if o not in set(reused)]
    if missing:
        parts.append(
            build_windows(
                wh,
                missing,
                model_config,
                demand,
                plan.latest_export,
                feature_config=feature_config,
                # the same per-origin cap as the run's training block (a small shop keeps all)
                sample=train_sample(cfg.max_train_windows, len(origins), cfg.sample_seed),
            )  # fmt: skip
        )
    return concat_windows(parts), origins


def _refit(
    wh: Warehouse,
    folder: Path,
    plan: TrainingPlan,
    cfg: TrainingConfig,
    model_config: ModelConfig,
    feature_config: FeatureConfig,
    settings_summary: dict[str, Any],
    run_id: str,
    log: RunLog,
) -> Refit:
    started = time.perf_counter()
    windows, origins = _refit_windows(wh, folder, plan, cfg, model_config, feature_config)
    cutoff = origins[-1] + timedelta(days=plan.horizon_days)
    epochs = model_config.max_epochs
    log.info(
        f"refit on every day: {len(windows)} windows at {len(origins)} origins "
        f"{origins[0]} .. {origins[-1]} (targets up to {cutoff}), {epochs} epochs, the weights "
        f"of each kept until the candidate's early stopping says which one is served"
    )
    out = run_dir(wh, run_id) / "refit"
    shutil.rmtree(out, ignore_errors=True)  # a re-executed step starts over
    cache = EmbeddingCache(wh.root / "embeddings")
    window = f"{plan.first_export}..{plan.latest_export}"

    def on_epoch_end(epoch: int, train_loss: float, val_loss: float | None, seconds: float) -> None:
        del val_loss  # no validation block: every day is training data
        mlflow.log_metrics(
            tracking.rounded({"train_loss": train_loss, "epoch_seconds": seconds}), step=epoch
        )
        log.info(f"refit epoch {epoch}/{epochs}: train loss {train_loss:.4f}, {seconds:.1f}s")

    with mlflow.start_run(run_name=f"refit {plan.latest_export}") as run:
        mlflow.set_tags(
            {
                "code_version": code_version(),
                "data_window": window,
                "dagster_run_id": run_id,
                tracking.RUN_DESCRIPTION_TAG: (
                    f"The run's configuration fitted on every window up to {cutoff} "
                    f"({len(origins)} origins, {epochs} epochs kept, no validation block)"
                ),
            }
        )
        mlflow.log_params({f"model.{k}": str(v)[:500] for k, v in model_config.to_dict().items()})
        mlflow.log_params(
            {
                "refit.origins": len(origins),
                "refit.first_origin": origins[0].isoformat(),
                "refit.last_origin": origins[-1].isoformat(),
                "refit.windows": len(windows),
                "refit.epochs_trained": epochs,
            }
        )
        mlflow.log_dict(model_config.to_dict(), "config/model_config.json")
        mlflow.log_dict(
            {"origins": [o.isoformat() for o in origins], "training_cutoff": cutoff.isoformat()},
            "config/refit_origins.json",
        )
        mlflow.log_dict(settings_summary, "config/shop_settings.json")
        forecaster, history = fit(
            windows, None, model_config, embedding_cache=cache, on_epoch_end=on_epoch_end,
            on_text=log.info, snapshots=out / REFIT_SNAPSHOTS,
        )  # fmt: skip
        launch = _refit_launch_curves(windows, model_config, forecaster, out, cutoff, log)
        seconds = time.perf_counter() - started
        forecaster.save(out / REFIT_MODEL)
        example = tracking.samples_to_frame(
            windows.samples.subset(list(range(min(2, len(windows))))), windows.skus[:2]
        )
        (out / REFIT_EXAMPLE).write_text(example.to_json(orient="split"))
        curves = out / "refit_loss_curves.png"
        curves.write_bytes(training_plots.loss_curves_png(history, title="refit"))
        mlflow.log_artifact(str(curves), "plots")
        mlflow.log_metrics(
            tracking.rounded({"train_seconds": seconds, "peak_rss_mib": peak_rss_mib()})
        )
    log.info(
        f"refit logged in MLflow run {run.info.run_id} (training cutoff {cutoff}); the epoch "
        f"the candidate selects is registered once the gate passed"
    )
    return Refit(
        folder=str(out),
        windows_path=str(folder),
        mlflow_run_id=run.info.run_id,
        dagster_run_id=run_id,
        training_cutoff=cutoff,
        finetune=model_config.finetune,
        epochs=len(history.epochs),
        windows=len(windows),
        train_seconds=seconds,
        launch_curve=launch,
    )


def _refit_launch_curves(
    windows: Windows,
    model_config: ModelConfig,
    forecaster: DemandForecaster,
    out: Path,
    cutoff: date,
    log: RunLog,
) -> dict[str, float | str]:
    """The launch curve fitted on every launch of the refit's windows, saved with the refit
    (served if the candidate's curve passed its gate); with a text prior in the config, the prior
    fitted on every product too and a second curve on its ratios (served if the candidate's
    curve used its prior). Returns the curve's summary ({} without a curve)."""
    if not model_config.launch_curve:
        return {}
    curve = fit_launch_curve([windows.samples], model_config)
    if curve is None:
        log.info("refit: no launch in the windows to fit a launch curve on")
        return {}
    curve = dataclasses.replace(curve, reason=f"refitted on every launch up to {cutoff}")
    forecaster.launch_curve = curve
    if model_config.text_prior != "none":
        prior, out_of_fold = fit_text_prior(
            windows.samples, model_config, forecaster.featurizer, log.info
        )
        if prior.kind != "none":
            ratios = training_ratios(windows.samples, prior, out_of_fold, forecaster.featurizer)
            with_prior = fit_launch_curve([windows.samples], model_config, [ratios])
            if with_prior is not None:
                folder = out / REFIT_PRIOR
                folder.mkdir(parents=True, exist_ok=True)
                prior.save(folder)
                (folder / LAUNCH_CURVE_FILE).write_text(with_prior.to_json())
    return tracking.launch_curve_summary(curve)


def _refit_at_epoch(
    folder: Path, gated: DemandForecaster, gated_version: str, epochs: int, log: RunLog
) -> tuple[DemandForecaster, str]:
    """The refit in ``folder`` with the weights of epoch ``epochs``, the launch curve (and text
    prior) the gated version chose and its recalibrated levels; and a line saying which curve."""
    snapshot = snapshot_path(folder / REFIT_SNAPSHOTS, epochs)
    if not snapshot.is_file():
        raise RuntimeError(
            f"the refit in {folder} has no weights of epoch {epochs}, which version "
            f"{gated_version}'s early stopping selected (it keeps one file per epoch trained): "
            f"materialise served_model again with the run config version {gated_version} was "
            f"trained with"
        )
    forecaster = DemandForecaster.load(folder / REFIT_MODEL)
    if forecaster.config.to_dict() != gated.config.to_dict():
        raise RuntimeError(
            f"the refit in {folder} was fitted with another configuration than version "
            f"{gated_version}: materialise served_model again with the same run config"
        )
    load_weights(forecaster.network, snapshot)
    forecaster.cover_recalibration = gated.cover_recalibration
    curve, prior = forecaster.launch_curve, None
    if gated.launch_curve is None:
        curve, line = None, f"none (version {gated_version}'s network serves young products)"
    elif curve is None:
        line = "none (no launch in the refit's windows)"
    elif gated.text_prior is not None and (folder / REFIT_PRIOR / LAUNCH_CURVE_FILE).is_file():
        prior = TextPrior.load(folder / REFIT_PRIOR)
        curve = LaunchCurve.from_json((folder / REFIT_PRIOR / LAUNCH_CURVE_FILE).read_text())
        line = f"refitted with its {gated.text_prior.kind} text prior"
    else:
        line = "refitted" + (
            " (its text prior found nothing on every product: the category's level)"
            if gated.text_prior is not None
            else ""
        )
    if curve is not None:
        curve = dataclasses.replace(
            curve,
            used=True,
            reason=f"{curve.reason}; version {gated_version}'s curve passed its validation "
            f"check ({gated.launch_curve.reason if gated.launch_curve else ''})",
        )
    forecaster.launch_curve, forecaster.text_prior = curve, prior
    log.info(f"refit at epoch {epochs}; launch curve: {line}")
    return forecaster, line
