"""Training assets: windows → fine-tuned model (MLflow run + registered version) → backtest → champion.

``model_backtest`` carries a blocking check, ``beats_champion_and_baselines``: the candidate must
have a lower weighted quantile loss than every baseline and than the current champion, scored on
the same backtest windows. When it fails, ``champion_model`` (which moves the alias) does not run,
so only a better model ever becomes the ``champion`` the nightly job loads.

State passes between the steps through the MLflow registry and the materialisation metadata of
the upstream asset, never through files a second run could overwrite: the windows of a run live
in their own folder (named in ``training_windows``' metadata), the candidate is a registered
version with the alias ``challenger`` (named in ``demand_model``'s metadata), and every version
carries its gate result as tags. A step reads its upstream's materialisation from its own run
(or the run it re-executes), else the latest one: re-running ``model_backtest`` alone scores the
challenger the last ``demand_model`` registered, with the windows it was trained on.
"""

import dataclasses
import json
import resource
import shutil
import subprocess
import time
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import mlflow
from mlflow.tracking import MlflowClient

from inventory_pipeline import plots, tracking
from inventory_pipeline.config import resolve_paths
from inventory_pipeline.defs.features.assets import FEATURE_KEYS
from inventory_pipeline.defs.resources import (
    MlflowResource,
    ShopSettingsResource,
    WarehouseResource,
)
from inventory_pipeline.model import EmbeddingCache
from inventory_pipeline.model.train import StepInfo
from inventory_pipeline.settings import ShopSettings
from inventory_pipeline.training import plots as training_plots
from inventory_pipeline.training.backtest import add_forecaster, backtest, backtest_inputs
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

GATE_CHECK = "beats_champion_and_baselines"
_LOG_EVERY_STEPS = 50


FINETUNE_CHOICES = ("frozen", "top_k", "lora", "full")
RETRAIN_POOL = "retrain"  # the training steps run one at a time across all runs (pool limit 1)


_TRAINING_FIELDS = (
    "backtest_days", "backtest_stride", "validation_origins", "train_stride", "min_history_days",
    "baselines",
)  # TrainingRunConfig fields that are TrainingConfig fields
_MODEL_FIELDS = (
    "max_epochs", "seed", "horizon_days", "history_days", "d_model", "batch_size",
    "learning_rate", "num_threads",
)  # TrainingRunConfig fields that are ModelConfig fields


class TrainingRunConfig(dg.Config):
    """Knobs of one retraining run; a field left empty (None) keeps the pipeline's default
    (inventory_pipeline.training.config.TrainingConfig), the horizon the shop's settings.

    Give every training asset the same values (``inventory-pipeline train`` does).
    """

    finetune: str | None = None  # frozen | top_k | lora | full
    max_epochs: int | None = None  # upper bound on passes over the training samples
    seed: int | None = None  # seeds python, numpy and torch (same seed, same weights)
    horizon_days: int | None = None  # days forecast per origin (settings: forecast.horizon_days)
    history_days: int | None = None  # days of history the model sees before each origin
    d_model: int | None = None  # width of the model's towers
    batch_size: int | None = None  # training samples per step
    learning_rate: float | None = None  # peak learning rate of the non-encoder parameters
    num_threads: int | None = None  # torch threads
    backtest_days: int | None = None  # the backtest scores target days in the last N days
    backtest_stride: int | None = None  # days between backtest origins
    validation_origins: int | None = None  # early-stopping origins before the backtest
    train_stride: int | None = None  # days between training origins
    min_history_days: int | None = None  # exported days a training origin needs behind it
    baselines: list[str] | None = None  # of seasonal_naive, auto_ets, lightgbm
    truth_dir: str = ""  # ground truth of a generated shop; empty: <data root>/ground_truth if present
    until: str = ""  # YYYY-MM-DD: train as of this past export day; empty: the latest export

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
        names = ("finetune", *_MODEL_FIELDS, *_TRAINING_FIELDS)
        given = {n: getattr(self, n) for n in names if getattr(self, n) not in (None, "")}
        if given.get("max_epochs") == 0:  # 0 reads as "the default", like an empty field
            del given["max_epochs"]
        return given

    def training_config(self, settings: ShopSettings | None = None) -> TrainingConfig:
        """The run's training config; the model's horizon is the shop's unless set here."""
        base = TrainingConfig()
        model = dict(base.model_overrides)
        if settings is not None:
            model["horizon_days"] = settings.horizon_days
        given = self.given()
        if "finetune" in given and given["finetune"] not in FINETUNE_CHOICES:
            raise ValueError(
                f"TrainingRunConfig.finetune={given['finetune']!r}: choose one of "
                f"{', '.join(FINETUNE_CHOICES)}, or leave it empty for the pipeline default"
            )
        model.update({k: v for k, v in given.items() if k in (*_MODEL_FIELDS, "finetune")})
        changes = {k: v for k, v in given.items() if k in _TRAINING_FIELDS}
        return dataclasses.replace(base, **changes, model_overrides=model)


def _run_dir(wh: Warehouse, run_id: str) -> Path:
    """The working folder of one Dagster run: its windows, model files and backtest report."""
    folder = wh.root / "training" / "runs" / run_id
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _prune_runs(wh: Warehouse, keep: int, current: Path) -> None:
    """Removes the working folders of all but the ``keep`` latest runs (never ``current``)."""
    runs = sorted(
        (d for d in (wh.root / "training" / "runs").iterdir() if d.is_dir()),
        key=lambda d: d.stat().st_mtime,
        reverse=True,
    )
    for old in runs[keep:]:
        if old != current:
            shutil.rmtree(old, ignore_errors=True)


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


def _code_version() -> str:
    """The git commit of the checkout when there is one, else the package version."""
    from importlib.metadata import version

    root = Path(__file__).resolve().parents[3]
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        sha = ""
    return sha or f"inventory_pipeline=={version('inventory_pipeline')}"


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _plan_dict(plan: TrainingPlan) -> dict[str, Any]:
    """The exact origins of the run, so every later step scores the same windows."""
    return {
        "first_export": plan.first_export.isoformat(),
        "latest_export": plan.latest_export.isoformat(),
        "horizon_days": plan.horizon_days,
        **{
            block: [d.isoformat() for d in getattr(plan, block)]
            for block in ("train_origins", "validation_origins", "backtest_origins")
        },
    }


def _plan_from(data: dict[str, Any]) -> TrainingPlan:
    return TrainingPlan(
        first_export=date.fromisoformat(data["first_export"]),
        latest_export=date.fromisoformat(data["latest_export"]),
        horizon_days=int(data["horizon_days"]),
        **{
            block: tuple(date.fromisoformat(d) for d in data[block])
            for block in ("train_origins", "validation_origins", "backtest_origins")
        },
    )


def _windows_of(meta: dict[str, Any]) -> tuple[Path, TrainingPlan]:
    folder = Path(meta["windows_path"])
    if not folder.is_dir():
        raise FileNotFoundError(
            f"the training windows {folder} are gone (only the latest runs' are kept): "
            f"run retrain_job again"
        )
    return folder, _plan_from(meta["training_plan"])


@dg.asset(
    group_name="training",
    kinds={"duckdb", "numpy"},
    owners=["team:forecasting"],
    deps=FEATURE_KEYS,
    pool=RETRAIN_POOL,
    description="Rolling-origin training, validation and backtest windows, features as known on each origin.",
)
def training_windows(
    context: dg.AssetExecutionContext,
    config: TrainingRunConfig,
    warehouse: WarehouseResource,
    shop: ShopSettingsResource,
) -> dg.MaterializeResult:
    wh = warehouse.warehouse()
    settings = shop.settings()
    cfg = config.training_config(settings)
    model_config = cfg.model_config(events=settings.events)
    plan = plan_origins(wh, cfg, model_config.horizon_days, config.until_day())
    demand = read_demand(wh)
    total = len(plan.train_origins) + len(plan.validation_origins) + len(plan.backtest_origins)
    every = max(1, total // 20)

    def on_origin(i: int, n: int, origin: date) -> None:
        if i % every == 0 or i == n:
            context.log.info(f"[{i}/{n}] windows as of {origin}")

    started = time.perf_counter()
    splits = build_splits(
        wh, plan, model_config, demand, on_origin=on_origin,
        feature_config=settings.feature_config(), cfg=cfg,
    )  # fmt: skip
    run_dir = _run_dir(wh, context.run_id)
    folder = run_dir / "windows"
    splits.save(folder, model_config)
    _prune_runs(wh, cfg.kept_runs, run_dir)
    return dg.MaterializeResult(
        metadata={
            **{f"samples_{k}": v for k, v in splits.summary().items()},
            "train_origins": len(plan.train_origins),
            "validation_origins": len(plan.validation_origins),
            "backtest_origins": len(plan.backtest_origins),
            "data_window": f"{plan.first_export} .. {plan.latest_export}",
            "seconds": round(time.perf_counter() - started, 1),
            "windows_path": dg.MetadataValue.path(str(folder)),
            "training_plan": dg.MetadataValue.json(_plan_dict(plan)),
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
    description="Fine-tunes the text + history model; logs the MLflow run and registers the challenger.",
)
def demand_model(
    context: dg.AssetExecutionContext,
    config: TrainingRunConfig,
    warehouse: WarehouseResource,
    mlflow_registry: MlflowResource,
    shop: ShopSettingsResource,
) -> dg.MaterializeResult:
    wh = warehouse.warehouse()
    mlflow_registry.configure()
    settings = shop.settings()
    model_config = config.training_config(settings).model_config(events=settings.events)
    windows = _upstream(context, training_windows.key)
    folder, plan = _windows_of(windows)
    splits = WindowSplits.load(folder, model_config)
    work = _run_dir(wh, context.run_id)
    cache = EmbeddingCache(wh.root / "embeddings")
    started = time.perf_counter()

    def on_epoch_end(epoch: int, train_loss: float, val_loss: float | None, seconds: float) -> None:
        metrics = {"train_loss": train_loss, "epoch_seconds": seconds}
        if val_loss is not None:
            metrics["val_loss"] = val_loss
        mlflow.log_metrics(tracking.rounded(metrics), step=epoch)
        context.log.info(
            f"epoch {epoch}/{model_config.max_epochs}: train loss {train_loss:.4f}, "
            f"val loss {val_loss if val_loss is None else round(val_loss, 4)}, {seconds:.1f}s"
        )

    def on_step(info: StepInfo) -> None:
        if info.global_step % _LOG_EVERY_STEPS == 0:
            context.log.info(
                f"epoch {info.epoch} step {info.step}/{info.steps_per_epoch}: loss {info.loss:.4f}, "
                f"lr {info.learning_rate:.2e}, elapsed {info.elapsed_seconds:.0f}s, ETA <= {info.eta_seconds:.0f}s"
            )

    def on_launch_candidate(i: int, n: int) -> None:
        if i == 1 or i == n or i % max(n // 5, 1) == 0:
            context.log.info(f"launch curve: scored {i}/{n} candidates")

    with mlflow.start_run(run_name=f"retrain {plan.latest_export}") as run:
        mlflow.set_tags(
            {
                "code_version": _code_version(),
                "data_window": f"{plan.first_export}..{plan.latest_export}",
                "dagster_run_id": context.run_id,
                tracking.RUN_DESCRIPTION_TAG: (
                    f"Demand model retrained on the exports {plan.first_export}.."
                    f"{plan.latest_export} ({len(plan.train_origins)} training origins, "
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
        mlflow.log_dict(_plan_dict(plan), "config/training_origins.json")
        mlflow.log_dict(shop.settings().summary(), "config/shop_settings.json")
        forecaster, history = fit(
            splits.train, splits.validation, model_config,
            embedding_cache=cache, on_epoch_end=on_epoch_end, on_step=on_step,
            on_launch_candidate=on_launch_candidate,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        launch = tracking.log_launch_curve(history.launch_curve, forecaster.launch_curve is not None)
        launch_plot = None
        if history.launch_curve is not None:
            context.log.info(
                f"launch curve {'used' if launch['used'] else 'NOT used'} for young products: {launch}"
            )
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
        mlflow.log_metrics(tracking.rounded({"train_seconds": seconds, "peak_rss_mib": _peak_rss_mib()}))
        example = tracking.samples_to_frame(
            splits.backtest.samples.subset(list(range(min(2, len(splits.backtest))))),
            splits.backtest.skus[:2],
        )
        model_uri = tracking.log_model(forecaster, work / "candidate_model", example)
        name = mlflow_registry.registered_model
        version = tracking.register_challenger(
            model_uri,
            name,
            tags={
                "run_id": run.info.run_id,
                "dagster_run_id": context.run_id,
                "training_cutoff": plan.latest_export.isoformat(),
                "data_window": f"{plan.first_export}..{plan.latest_export}",
                "config": json.dumps(config.given(), sort_keys=True),
                "finetune": model_config.finetune,
                "gate": "pending",
            },
        )
    shutil.rmtree(work / "candidate_model", ignore_errors=True)  # logged: the registry has it
    context.log.info(f"registered {name} version {version} (alias {tracking.CHALLENGER_ALIAS})")
    epochs = len(history.epochs)
    return dg.MaterializeResult(
        metadata={
            "mlflow_run_id": run.info.run_id,
            "model_name": name,
            "model_version": version,
            "model_uri": f"models:/{name}/{version}",
            "training_cutoff": plan.latest_export.isoformat(),
            "windows_path": dg.MetadataValue.path(str(folder)),
            "training_plan": dg.MetadataValue.json(_plan_dict(plan)),
            "epochs": epochs,
            "seconds_per_epoch": round(seconds / max(epochs, 1), 1),
            "train_seconds": round(seconds, 1),
            "peak_rss_mib": round(_peak_rss_mib(), 1),
            "finetune": model_config.finetune,
            "launch_curve": dg.MetadataValue.json(launch or {}),
            **(
                {"launch_curve_plot": dg.MetadataValue.md(plots.markdown_image(launch_plot, "launch curve"))}
                if launch_plot is not None
                else {}
            ),
            "loss_curves": dg.MetadataValue.md(plots.markdown_image(curves, "loss curves")),
        }
    )


def _truth_dir(config: TrainingRunConfig) -> Path | None:
    folder = Path(config.truth_dir) if config.truth_dir else resolve_paths().ground_truth_dir
    return folder if (folder / "daily.parquet").exists() else None


def _gate_tags(decision: tracking.GateDecision, champion: str | None) -> dict[str, str]:
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


@dg.asset(
    group_name="training",
    kinds={"pytorch", "mlflow"},
    owners=["team:forecasting"],
    deps=[demand_model],
    pool=RETRAIN_POOL,
    description="Backtest of the challenger vs the champion and the baselines (and the oracle).",
    check_specs=[
        dg.AssetCheckSpec(
            GATE_CHECK, asset="model_backtest", blocking=True,
            description="Candidate WQL below every baseline and the current champion on the same windows.",
        )
    ],
)
def model_backtest(
    context: dg.AssetExecutionContext,
    config: TrainingRunConfig,
    warehouse: WarehouseResource,
    mlflow_registry: MlflowResource,
    shop: ShopSettingsResource,
) -> dg.MaterializeResult:
    wh = warehouse.warehouse()
    mlflow_registry.configure()
    settings = shop.settings()
    candidate = _upstream(context, demand_model.key)
    name = mlflow_registry.registered_model
    version = str(candidate["model_version"])
    client = MlflowClient()
    run_id = tracking.version_run_id(client, name, version)
    forecaster = tracking.load_forecaster(f"models:/{name}/{version}")
    folder, plan = _windows_of(candidate)
    splits = WindowSplits.load(folder, forecaster.config)
    cfg = config.training_config(settings)
    truth = _truth_dir(config)
    demand = read_demand(wh)
    inputs = backtest_inputs(
        wh, plan, cfg, truth_dir=truth, demand=demand, feature_config=settings.feature_config()
    )
    context.log.info(
        f"backtest of {name} version {version} over {len(plan.backtest_origins)} origins "
        f"({'ground truth' if truth else 'observed units'})"
    )
    result = backtest(
        forecaster, splits.backtest, inputs, cfg,
        on_progress=lambda stage, i, n: context.log.info(f"{stage} {i}/{n}") if i == n or i % 10 == 0 else None,
    )  # fmt: skip
    champion = tracking.champion_version(client, name)
    if champion is not None and champion != version:
        champion_model = tracking.load_forecaster(f"models:/{name}/{champion}")
        windows = splits.backtest
        if champion_model.config.to_dict() != forecaster.config.to_dict():
            windows = build_windows(
                wh, plan.backtest_origins, champion_model.config, demand, plan.latest_export,
                feature_config=settings.feature_config(),
            )  # fmt: skip
        result = add_forecaster(result, champion_model, windows, "champion", learned=False)
    champion_wql = result.wql("champion") if "champion" in result.methods else None
    flagged = result.flagged()  # absurd baselines: left out of the gate, named in its reason
    decision = tracking.decide(result.wql("model"), champion_wql, result.baseline_wql(), flagged)
    for warning in result.warnings():
        context.log.warning(warning)
    report = _run_dir(wh, context.run_id) / "backtest"
    result.save(report)
    plot_paths = training_plots.save_report_plots(report / "plots", result, inputs.history)
    for key, value in tracking.rounded(result.headline()).items():
        client.log_metric(run_id, key, value)
    for key, value in result.flag_params().items():
        client.log_param(run_id, key, value)
    client.log_artifacts(run_id, str(report), "backtest")
    tracking.tag_version(client, name, version, _gate_tags(decision, champion))
    context.log.info(result.table())
    context.log.info(f"gate: {decision.reason}")
    images = {
        name_: dg.MetadataValue.md(plots.markdown_image(path.read_bytes(), name_))
        for name_, path in plot_paths.items()
    }
    no_champion = "no champion yet"
    return dg.MaterializeResult(
        metadata={
            "candidate_version": version,
            "champion_version": champion or "none",
            "gate": "passed" if decision.promote else "failed",
            "gate_reason": decision.reason,
            "actuals": result.actuals,
            "wql_model": dg.MetadataValue.float(decision.candidate_wql),
            "wql_best_baseline": dg.MetadataValue.float(decision.best_baseline_wql),
            "best_baseline": decision.best_baseline,
            "report": dg.MetadataValue.md("```\n" + result.table() + "\n```"),
            **images,
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=GATE_CHECK,
                passed=decision.promote,
                metadata={
                    "reason": decision.reason,
                    "candidate_version": version,
                    "candidate_wql": decision.candidate_wql,
                    "champion_version": champion or no_champion,
                    "champion_wql": (
                        decision.champion_wql if decision.champion_wql is not None else no_champion
                    ),
                    "best_baseline_wql": decision.best_baseline_wql,
                    "flagged_baselines": dg.MetadataValue.json(decision.flagged),
                },
            )
        ],
    )


@dg.asset(
    group_name="training",
    kinds={"mlflow"},
    owners=["team:forecasting"],
    deps=[model_backtest],
    pool=RETRAIN_POOL,
    description="Moves the registry alias `champion` to the challenger that passed the gate.",
)
def champion_model(
    context: dg.AssetExecutionContext,
    mlflow_registry: MlflowResource,
    shop: ShopSettingsResource,
) -> dg.MaterializeResult:
    del shop  # validated at run start, like every step's
    mlflow_registry.configure()
    gate = _upstream(context, model_backtest.key)
    name = mlflow_registry.registered_model
    version = str(gate["candidate_version"])
    client = MlflowClient()
    promoted = tracking.promote_if_unchanged(client, name, version, str(gate["champion_version"]))
    context.log.info(f"champion is now version {promoted.version}: {promoted.reason}")
    return dg.MaterializeResult(
        metadata={
            "champion_version": promoted.version,
            "previous_champion": promoted.previous or "none",
            "model_uri": f"models:/{name}/{promoted.version}",
            "reason": promoted.reason,
        }
    )


training_assets = [training_windows, demand_model, model_backtest, champion_model]
