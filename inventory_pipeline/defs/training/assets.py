"""Training assets: windows → fine-tuned model (MLflow run + registered version) → backtest → champion.

``model_backtest`` carries a blocking check, ``beats_champion_and_baselines``: the candidate must
have a lower weighted quantile loss than every baseline and than the current champion, scored on
the same backtest windows. When it fails, ``champion_model`` (which moves the alias) does not run,
so only a better model ever becomes the ``champion`` the nightly job loads.
"""

import dataclasses
import json
import resource
import subprocess
import time
from datetime import date
from pathlib import Path

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


class TrainingRunConfig(dg.Config):
    """Knobs of one retraining run (defaults: inventory_pipeline.training.config.TrainingConfig).

    Give every training asset the same values (``inventory-pipeline train`` does).
    """

    finetune: str = ""  # frozen | top_k | lora | full; empty: the pipeline default
    max_epochs: int = 0  # 0: the pipeline default
    truth_dir: str = ""  # ground truth of a generated shop; empty: <data root>/ground_truth if present
    training_overrides_json: str = ""  # JSON of TrainingConfig fields, e.g. {"backtest_days": 28}
    model_overrides_json: str = ""  # JSON of ModelConfig fields, e.g. {"d_model": 32}

    def training_config(self, settings: ShopSettings | None = None) -> TrainingConfig:
        """The run's training config; the model's horizon is the shop's unless overridden."""
        changes = json.loads(self.training_overrides_json) if self.training_overrides_json else {}
        base = TrainingConfig()
        model = dict(base.model_overrides)
        if settings is not None:
            model["horizon_days"] = settings.horizon_days
        model.update(json.loads(self.model_overrides_json) if self.model_overrides_json else {})
        if self.finetune:
            model["finetune"] = self.finetune
        if self.max_epochs:
            model["max_epochs"] = self.max_epochs
        return dataclasses.replace(base, **changes, model_overrides=model)


def _training_dir(wh: Warehouse) -> Path:
    folder = wh.root / "training"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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


@dg.asset(
    group_name="training",
    kinds={"duckdb", "numpy"},
    owners=["team:forecasting"],
    deps=FEATURE_KEYS,
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
    plan = plan_origins(wh, cfg, model_config.horizon_days)
    demand = read_demand(wh)
    total = len(plan.train_origins) + len(plan.validation_origins) + len(plan.backtest_origins)
    every = max(1, total // 20)

    def on_origin(i: int, n: int, origin: date) -> None:
        if i % every == 0 or i == n:
            context.log.info(f"[{i}/{n}] windows as of {origin}")

    started = time.perf_counter()
    splits = build_splits(
        wh, plan, model_config, demand, on_origin=on_origin,
        feature_config=settings.feature_config(),
    )  # fmt: skip
    folder = _training_dir(wh) / "windows"
    splits.save(folder, model_config)
    _save_plan(plan, folder / "plan.json")
    return dg.MaterializeResult(
        metadata={
            **{f"samples_{k}": v for k, v in splits.summary().items()},
            "train_origins": len(plan.train_origins),
            "validation_origins": len(plan.validation_origins),
            "backtest_origins": len(plan.backtest_origins),
            "data_window": f"{plan.first_export} .. {plan.latest_export}",
            "seconds": round(time.perf_counter() - started, 1),
            "path": dg.MetadataValue.path(str(folder)),
            "horizon_days": model_config.horizon_days,
            **shop.metadata(),
        }
    )


def _save_plan(plan: TrainingPlan, path: Path) -> None:
    """The exact origins of the run, so every later step scores the same windows."""
    data = {
        "first_export": plan.first_export.isoformat(),
        "latest_export": plan.latest_export.isoformat(),
        "horizon_days": plan.horizon_days,
        **{
            block: [d.isoformat() for d in getattr(plan, block)]
            for block in ("train_origins", "validation_origins", "backtest_origins")
        },
    }
    path.write_text(json.dumps(data, indent=2))


def _load_plan(wh: Warehouse) -> TrainingPlan:
    path = _training_dir(wh) / "windows" / "plan.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: materialise training_windows first")
    data = json.loads(path.read_text())
    return TrainingPlan(
        first_export=date.fromisoformat(data["first_export"]),
        latest_export=date.fromisoformat(data["latest_export"]),
        horizon_days=int(data["horizon_days"]),
        **{
            block: tuple(date.fromisoformat(d) for d in data[block])
            for block in ("train_origins", "validation_origins", "backtest_origins")
        },
    )


@dg.asset(
    group_name="training",
    kinds={"pytorch", "mlflow"},
    owners=["team:forecasting"],
    deps=[training_windows],
    description="Fine-tunes the text + history model; logs the MLflow run and registers a new version.",
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
    splits = WindowSplits.load(_training_dir(wh) / "windows", model_config)
    plan = _load_plan(wh)
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
            launch_path = _training_dir(wh) / "launch_curve.png"
            launch_path.write_bytes(launch_plot)
            mlflow.log_artifact(str(launch_path), "plots")
        curves = training_plots.loss_curves_png(history, title="demand model")
        curve_path = _training_dir(wh) / "loss_curves.png"
        curve_path.write_bytes(curves)
        mlflow.log_artifact(str(curve_path), "plots")
        mlflow.log_metrics(tracking.rounded({"train_seconds": seconds, "peak_rss_mib": _peak_rss_mib()}))
        example = tracking.samples_to_frame(
            splits.backtest.samples.subset(list(range(min(2, len(splits.backtest))))),
            splits.backtest.skus[:2],
        )
        model_uri = tracking.log_model(forecaster, _training_dir(wh) / "candidate_model", example)
        version = tracking.register(
            model_uri, mlflow_registry.registered_model, tags={"run_id": run.info.run_id}
        )
    candidate = {"run_id": run.info.run_id, "version": version, "model_uri": model_uri}
    (_training_dir(wh) / "candidate.json").write_text(json.dumps(candidate))
    context.log.info(f"registered {mlflow_registry.registered_model} version {version}")
    epochs = len(history.epochs)
    return dg.MaterializeResult(
        metadata={
            "mlflow_run_id": run.info.run_id,
            "model_version": version,
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


@dg.asset(
    group_name="training",
    kinds={"pytorch", "mlflow"},
    owners=["team:forecasting"],
    deps=[demand_model],
    description="Backtest of the candidate vs the champion and the baselines (and the oracle).",
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
    folder = _training_dir(wh)
    candidate = json.loads((folder / "candidate.json").read_text())
    name = mlflow_registry.registered_model
    forecaster = tracking.load_forecaster(f"models:/{name}/{candidate['version']}")
    splits = WindowSplits.load(folder / "windows", forecaster.config)
    plan = _load_plan(wh)
    cfg = config.training_config(settings)
    truth = _truth_dir(config)
    demand = read_demand(wh)
    inputs = backtest_inputs(
        wh, plan, cfg, truth_dir=truth, demand=demand, feature_config=settings.feature_config()
    )
    context.log.info(f"backtest over {len(plan.backtest_origins)} origins ({'ground truth' if truth else 'observed units'})")
    result = backtest(
        forecaster, splits.backtest, inputs, cfg,
        on_progress=lambda stage, i, n: context.log.info(f"{stage} {i}/{n}") if i == n or i % 10 == 0 else None,
    )  # fmt: skip
    client = MlflowClient()
    champion = tracking.champion_version(client, name)
    if champion is not None and champion != candidate["version"]:
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
    report = folder / "backtest"
    result.save(report)
    plot_paths = training_plots.save_report_plots(report / "plots", result, inputs.history)
    run_id = candidate["run_id"]
    for key, value in tracking.rounded(result.headline()).items():
        client.log_metric(run_id, key, value)
    for key, value in result.flag_params().items():
        client.log_param(run_id, key, value)
    client.log_artifacts(run_id, str(report), "backtest")
    client.set_model_version_tag(name, candidate["version"], "gate", "passed" if decision.promote else "failed")
    client.set_model_version_tag(name, candidate["version"], "backtest_wql", f"{decision.candidate_wql:.6f}")
    context.log.info(result.table())
    context.log.info(f"gate: {decision.reason}")
    (folder / "decision.json").write_text(json.dumps({**candidate, "promote": decision.promote, "reason": decision.reason}))
    images = {
        name_: dg.MetadataValue.md(plots.markdown_image(path.read_bytes(), name_))
        for name_, path in plot_paths.items()
    }
    return dg.MaterializeResult(
        metadata={
            "candidate_version": candidate["version"],
            "champion_version": champion or "none",
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
                    "candidate_version": candidate["version"],
                    "candidate_wql": decision.candidate_wql,
                    "champion_wql": decision.champion_wql if decision.champion_wql is not None else -1.0,
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
    description="Moves the registry alias `champion` to the candidate that passed the gate.",
)
def champion_model(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    mlflow_registry: MlflowResource,
    shop: ShopSettingsResource,
) -> dg.MaterializeResult:
    del shop  # validated at run start, like every step's
    wh = warehouse.warehouse()
    mlflow_registry.configure()
    decision = json.loads((_training_dir(wh) / "decision.json").read_text())
    if not decision["promote"]:
        raise RuntimeError(f"the candidate did not pass the gate: {decision['reason']}")
    tracking.promote(mlflow_registry.registered_model, decision["version"])
    context.log.info(f"champion is now version {decision['version']}: {decision['reason']}")
    return dg.MaterializeResult(metadata={"champion_version": decision["version"], "reason": decision["reason"]})


training_assets = [training_windows, demand_model, model_backtest, champion_model]
