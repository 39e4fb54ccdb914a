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
import json
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import date
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any, Protocol

import mlflow
from mlflow.tracking import MlflowClient

from inventory_pipeline import tracking
from inventory_pipeline.features.config import FeatureConfig
from inventory_pipeline.model import EmbeddingCache
from inventory_pipeline.model.config import FINETUNE_STRATEGIES, ModelConfig
from inventory_pipeline.model.forecaster import DemandForecaster
from inventory_pipeline.model.train import StepInfo
from inventory_pipeline.training import BacktestResult
from inventory_pipeline.training import plots as training_plots
from inventory_pipeline.training.backtest import add_forecaster, backtest, backtest_inputs
from inventory_pipeline.training.calibration import (
    BacktestCalibration,
    CalibrationSetup,
    backtest_calibration,
    recalibrate,
)
from inventory_pipeline.training.config import TrainingConfig
from inventory_pipeline.training.fit import fit
from inventory_pipeline.training.plan import TrainingPlan, plan_origins
from inventory_pipeline.training.windows_io import (
    WindowSplits,
    build_splits,
    build_windows,
    read_demand,
)
from inventory_pipeline.warehouse import Warehouse

LOG_EVERY_STEPS = 50  # a progress line every this many optimiser steps
WINDOW_PROGRESS_LINES = 20  # about this many progress lines while the windows are read
BACKTEST_PROGRESS_EVERY = 10  # a progress line every this many backtest origins per stage

TRAINING_FIELDS = (
    "backtest_days", "backtest_stride", "validation_origins", "train_stride", "min_history_days",
    "baselines",
)  # fmt: skip  # run-config fields that are TrainingConfig fields
MODEL_FIELDS = (
    "max_epochs", "seed", "horizon_days", "history_days", "d_model", "batch_size",
    "learning_rate", "num_threads",
)  # fmt: skip  # run-config fields that are ModelConfig fields
PLAN_BLOCKS = ("train_origins", "validation_origins", "backtest_origins")


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
        **{block: [d.isoformat() for d in getattr(plan, block)] for block in PLAN_BLOCKS},
    }


def plan_from_dict(data: dict[str, Any]) -> TrainingPlan:
    """The plan :func:`plan_to_dict` wrote."""
    return TrainingPlan(
        first_export=date.fromisoformat(data["first_export"]),
        latest_export=date.fromisoformat(data["latest_export"]),
        horizon_days=int(data["horizon_days"]),
        **{block: tuple(date.fromisoformat(d) for d in data[block]) for block in PLAN_BLOCKS},
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
    return RunWindows(plan, splits, folder, time.perf_counter() - started)


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
            on_launch_candidate=on_launch_candidate,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        launch = tracking.log_launch_curve(
            history.launch_curve, forecaster.launch_curve is not None
        )
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
                "training_cutoff": plan.latest_export.isoformat(),
                "data_window": window,
                "config": json.dumps(given, sort_keys=True),
                "finetune": model_config.finetune,
                "gate": "pending",
            },
        )
    shutil.rmtree(work / "candidate_model", ignore_errors=True)  # logged: the registry has it
    log.info(f"registered {model_name} version {version} (alias {tracking.CHALLENGER_ALIAS})")
    return Candidate(
        mlflow_run_id=run.info.run_id,
        model_name=model_name,
        version=version,
        epochs=len(history.epochs),
        train_seconds=seconds,
        peak_rss_mib=peak_rss_mib(),
        launch_curve=launch,
        launch_curve_png=launch_plot,
        loss_curves_png=curves,
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


@dataclass(frozen=True)
class GatedCandidate:
    """The candidate's backtest against the baselines and the champion, and the gate's verdict."""

    result: BacktestResult
    decision: tracking.GateDecision
    champion: str | None  # the champion version compared with (None: none, or the candidate)
    plot_paths: dict[str, Path]  # the report's plots by name
    calibration: BacktestCalibration | None = None  # the plan's quantiles on the backtest block


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
) -> GatedCandidate:
    """Scores ``version`` on the backtest windows in ``folder`` against the baselines and the
    current champion (same cells), decides the gate, saves the report to ``report``, logs its
    metrics and artifacts to the version's MLflow run and tags the version with the verdict.

    With ``calibration`` the decision quantiles the plan reads are also measured on the backtest
    block (before/after the model's recalibration) and a miscalibrated candidate fails the gate."""
    client = MlflowClient()
    run_id = tracking.version_run_id(client, model_name, version)
    forecaster = tracking.load_forecaster(f"models:/{model_name}/{version}")
    splits = WindowSplits.load(folder, forecaster.config)
    demand = read_demand(wh)
    inputs = backtest_inputs(
        wh, plan, cfg, truth_dir=truth_dir, demand=demand, feature_config=feature_config
    )
    log.info(
        f"backtest of {model_name} version {version} over {len(plan.backtest_origins)} origins "
        f"({'ground truth' if truth_dir else 'observed units'})"
    )

    def on_progress(stage: str, i: int, n: int) -> None:
        if i == n or i % BACKTEST_PROGRESS_EVERY == 0:
            log.info(f"{stage} {i}/{n}")

    result = backtest(forecaster, splits.backtest, inputs, cfg, on_progress=on_progress)
    champion = tracking.champion_version(client, model_name)
    if champion is not None and champion != version:
        champion_model = tracking.load_forecaster(f"models:/{model_name}/{champion}")
        windows = splits.backtest
        if champion_model.config.to_dict() != forecaster.config.to_dict():
            windows = build_windows(
                wh, plan.backtest_origins, champion_model.config, demand, plan.latest_export,
                feature_config=feature_config,
            )  # fmt: skip
        result = add_forecaster(result, champion_model, windows, "champion", learned=False)
    champion_wql = result.wql("champion") if "champion" in result.methods else None
    flagged = result.flagged()  # absurd baselines: left out of the gate, named in its reason
    decision = tracking.decide(result.wql("model"), champion_wql, result.baseline_wql(), flagged)
    for warning in result.warnings():
        log.warning(warning)
    result.save(report)
    plot_paths = training_plots.save_report_plots(report / "plots", result, inputs.history)
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
