"""MLflow: where runs and models go, the pyfunc wrapper, and the champion gate.

The embedded default is a SQLite tracking store with a local artifact folder under the data root;
a real tracking server (``MLFLOW_TRACKING_URI=http://…``) works unchanged because nothing here
touches the store except through the MLflow client.

The registered model is an MLflow ``pyfunc`` whose input is one row per SKU forecast origin (the
same arrays the model trains on, flattened into list columns) and whose output is the long-format
forecast (sku, horizon, per-day quantiles, cumulative quantiles). The nightly job loads it with
``models:/<name>@champion`` and unwraps the :class:`DemandForecaster` for batch inference.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import polars as pl
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.tracking import MlflowClient
from mlflow.types import ColSpec, DataType, Schema
from mlflow.types.schema import Array

from inventory_pipeline.model.config import ModelConfig
from inventory_pipeline.model.data import INPUT_FIELDS, ForecastSamples, array_shapes
from inventory_pipeline.model.forecaster import DemandForecaster
from inventory_pipeline.model.launch import LaunchCurve
from inventory_pipeline.model.predict import QuantileForecast, quantile_column_name
from inventory_pipeline.model.text_prior import TextPrior
from inventory_pipeline.recalibration import RECALIBRATION_FILE, CoverRecalibration

CHAMPION_ALIAS = "champion"
CHALLENGER_ALIAS = "challenger"  # the latest registered candidate, until the gate decides
MODEL_ARTIFACT = "model"
# The experiment tag MLflow's UI reads to pick its view: the classic ML one (runs, metrics,
# charts, models) rather than the GenAI one (traces, prompts) it opens by default.
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
CLASSIC_ML_KIND = "custom_model_development"
RUN_DESCRIPTION_TAG = "mlflow.note.content"  # the run's one-line description in MLflow's UI
METRIC_DECIMALS = 4  # metrics are logged rounded: 0.4158, not 0.41583728790283203


def configure(tracking_uri: str, artifacts_dir: Path, experiment: str) -> str:
    """Points MLflow at the store and returns the experiment id (created with local artifacts).

    Steps of one run that start at once (the retraining's fit and refit) may be the first to
    open a new store: a SQLite store is created and migrated under a lock file beside it (two
    processes migrating one new database at the same time fail), and an experiment another
    process created first is read, not created twice."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    mlflow.set_tracking_uri(tracking_uri)
    with _store_lock(tracking_uri):
        client = MlflowClient()
        found = client.get_experiment_by_name(experiment)
        if found is not None:
            experiment_id = found.experiment_id
        else:
            experiment_id = _create_experiment(client, tracking_uri, artifacts_dir, experiment)
        if client.get_experiment(experiment_id).tags.get(EXPERIMENT_KIND_TAG) != CLASSIC_ML_KIND:
            client.set_experiment_tag(experiment_id, EXPERIMENT_KIND_TAG, CLASSIC_ML_KIND)
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


@contextmanager
def _store_lock(tracking_uri: str) -> Iterator[None]:
    """Holds ``<database>.lock`` (an exclusive flock) for a SQLite store; other stores (a
    tracking server, a database server) migrate and serialise on their own side."""
    if not tracking_uri.startswith("sqlite:///"):
        yield
        return
    database = Path(tracking_uri.removeprefix("sqlite:///"))
    database.parent.mkdir(parents=True, exist_ok=True)
    with open(database.with_name(database.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _create_experiment(
    client: MlflowClient, tracking_uri: str, artifacts_dir: Path, experiment: str
) -> str:
    location = None
    if not tracking_uri.startswith(("http://", "https://", "databricks")):
        artifacts_dir.mkdir(parents=True, exist_ok=True)
        location = artifacts_dir.resolve().as_uri()
    try:
        return client.create_experiment(experiment, artifact_location=location)
    except MlflowException:  # created by another process since the lookup?
        found = client.get_experiment_by_name(experiment)
        if found is None:
            raise
        return found.experiment_id


def rounded(metrics: dict[str, float]) -> dict[str, float]:
    """Metrics as logged: rounded to METRIC_DECIMALS, so MLflow's tables show readable values."""
    return {key: round(float(value), METRIC_DECIMALS) for key, value in metrics.items()}


# ---------------------------------------------------------------------------------- pyfunc I/O


def samples_to_frame(samples: ForecastSamples, skus: list[str]) -> pd.DataFrame:
    """One row per sample; arrays flattened into list columns (the pyfunc's input)."""
    n = len(samples)
    data: dict[str, Any] = {"sku": list(skus), "text": list(samples.texts)}
    for name in INPUT_FIELDS:
        array = getattr(samples, name).reshape(n, -1).astype(np.float64)
        data[name] = list(array)
    return pd.DataFrame(data)


def frame_to_samples(frame: pd.DataFrame, config: ModelConfig) -> ForecastSamples:
    """Inverse of :func:`samples_to_frame`, reshaped by the model's config."""
    n = len(frame)
    shapes = array_shapes(n, config)
    arrays = {}
    for name in INPUT_FIELDS:
        shape = shapes[name]
        stacked = (
            np.stack([np.asarray(v, dtype=np.float32) for v in frame[name]])
            if n
            else np.zeros(shape)
        )
        arrays[name] = stacked.reshape(shape).astype(np.float32)
    return ForecastSamples(texts=list(frame["text"]), **arrays)


def forecast_to_frame(skus: list[str], forecast: QuantileForecast) -> pd.DataFrame:
    """Long format: one row per sku × horizon, per-day ``pXX`` and cumulative ``cum_pXX``
    columns."""
    n, horizon, _ = forecast.daily.shape
    data: dict[str, Any] = {
        "sku": np.repeat(np.asarray(skus, dtype=object), horizon),
        "horizon": np.tile(np.arange(1, horizon + 1), n),
    }
    for j, name in enumerate(forecast.column_names):
        data[name] = forecast.daily[:, :, j].reshape(-1).astype(np.float64)
        data[f"cum_{name}"] = forecast.cumulative[:, :, j].reshape(-1).astype(np.float64)
    return pd.DataFrame(data)


def model_signature(config: ModelConfig) -> ModelSignature:
    inputs = Schema(
        [ColSpec(DataType.string, "sku"), ColSpec(DataType.string, "text")]
        + [ColSpec(Array(DataType.double), name) for name in INPUT_FIELDS]
    )
    outputs = Schema(
        [ColSpec(DataType.string, "sku"), ColSpec(DataType.long, "horizon")]
        + [
            ColSpec(DataType.double, prefix + quantile_column_name(q))
            for q in config.quantiles
            for prefix in ("", "cum_")
        ]
    )
    return ModelSignature(inputs=inputs, outputs=outputs)


class DemandModel(mlflow.pyfunc.PythonModel):
    """The registered model: a saved :class:`DemandForecaster` folder behind the pyfunc API."""

    def load_context(self, context: mlflow.pyfunc.PythonModelContext) -> None:
        self.forecaster = DemandForecaster.load(context.artifacts[MODEL_ARTIFACT])

    def predict(
        self,
        context: mlflow.pyfunc.PythonModelContext,
        model_input: pd.DataFrame,
        params: Any = None,
    ) -> pd.DataFrame:
        samples = frame_to_samples(model_input, self.forecaster.config)
        forecast = self.forecaster.predict(samples)
        return forecast_to_frame(list(model_input["sku"]), forecast)


def log_model(
    forecaster: DemandForecaster, workdir: Path, input_example: pd.DataFrame | None
) -> str:
    """Logs the forecaster as the run's pyfunc model; returns its ``runs:/`` URI."""
    folder = forecaster.save(workdir / "forecaster")
    mlflow.pyfunc.log_model(
        name=MODEL_ARTIFACT,
        python_model=DemandModel(),
        artifacts={MODEL_ARTIFACT: str(folder)},
        signature=model_signature(forecaster.config),
        input_example=input_example,
        code_paths=None,
    )
    run = mlflow.active_run()
    assert run is not None, "log_model must be called inside an MLflow run"
    return f"runs:/{run.info.run_id}/{MODEL_ARTIFACT}"


def log_launch_curve(curve: LaunchCurve | None, used: bool) -> dict[str, float | str]:
    """Logs the fitted launch curve (its profile, numbers, validation against the network), whether
    the model uses it and why, as run params; returns them ({} when none was fitted)."""
    if curve is None:
        return {}
    numbers: dict[str, float | str] = {"used": used, **launch_curve_summary(curve)}
    mlflow.log_params({f"launch_curve.{k}": v for k, v in numbers.items()})
    return numbers


def launch_curve_summary(curve: LaunchCurve) -> dict[str, float | str]:
    """The launch curve's reason, profile, numbers and validation against the network, rounded
    and cut to fit MLflow params and asset metadata."""
    numbers: dict[str, float | str] = {
        "reason": curve.reason[:480],
        "profile": json.dumps(
            {f"{a:g}": round(v, 3) for a, v in zip(curve.profile_ages, curve.profile)}
        )[:480],
        "prior_ratio": round(curve.prior_ratio, 5),
        "prior_shape": round(curve.prior_shape, 5),
        "dispersion": round(curve.dispersion, 5),
        "fit_samples": curve.fit_samples,
        "fit_days": curve.fit_days,
        "validation_samples": curve.validation_samples,
    }
    effects = curve.day_effects
    if effects is not None:  # the day effects it learned, rounded: lift and dip per depth
        numbers["day_effects"] = json.dumps(
            {
                "discount_edges": effects.discount_edges,
                "lift": [round(v, 2) for v in effects.lift],
                "dip": [round(v, 2) for v in effects.dip],
                "events": {
                    name: [round(a, 2), round(b, 2)]
                    for name, a, b in zip(
                        effects.events, effects.event_lift, effects.event_lift_seasonal, strict=True
                    )
                },
            }
        )[:480]
    for name in (
        "validation_loss",
        "network_validation_loss",
        "validation_cumulative_loss",
        "network_validation_cumulative_loss",
    ):
        value = getattr(curve, name)
        if value is not None:
            numbers[name] = round(value, 5)
    return numbers


def log_text_prior(prior: TextPrior | None, used: bool) -> dict[str, float | str]:
    """Logs the text level prior the run fitted (which kind, why, its cross-validated errors)
    and whether the served launch curve reads it, as run params; returns them ({} if none)."""
    if prior is None:
        return {}
    numbers: dict[str, float | str] = {"used": used}
    for key, value in prior.summary().items():
        numbers[key] = round(value, 5) if isinstance(value, float) else value
    numbers["reason"] = str(numbers["reason"])[:480]
    mlflow.log_params({f"text_prior.{k}": v for k, v in numbers.items()})
    return numbers


def load_forecaster(model_uri: str) -> DemandForecaster:
    """The forecaster behind a registered pyfunc (e.g. ``models:/demand_model@champion``)."""
    pyfunc = mlflow.pyfunc.load_model(model_uri)
    model = pyfunc.unwrap_python_model()
    if not isinstance(model, DemandModel):
        raise TypeError(f"{model_uri} is not a demand model (got {type(model).__name__})")
    return model.forecaster


def load_cover_recalibration(name: str, version: str) -> CoverRecalibration | None:
    """The recalibrated plan levels saved with version ``version`` of ``name``, read without
    loading the model (the plan needs only them); None for a model saved without one."""
    base = f"models:/{name}/{version}/artifacts"
    for entry in mlflow.artifacts.list_artifacts(artifact_uri=base):
        if not entry.is_dir:
            continue
        folder = f"{base}/{Path(entry.path).name}"
        names = {Path(e.path).name for e in mlflow.artifacts.list_artifacts(artifact_uri=folder)}
        if RECALIBRATION_FILE in names:
            path = mlflow.artifacts.download_artifacts(
                artifact_uri=f"{folder}/{RECALIBRATION_FILE}"
            )
            return CoverRecalibration.from_json(Path(path).read_text())
    return None


def forecast_recalibration(rows: pl.DataFrame) -> CoverRecalibration | None:
    """The recalibration of the model that wrote a forecasts partition (its ``model_name`` and
    ``model_version`` columns), read once per version. None without rows, for a model saved
    without one, or for a version this registry does not hold (forecasts written elsewhere)."""
    if not rows.height or not {"model_name", "model_version"} <= set(rows.columns):
        return None
    name, version = rows["model_name"][0], rows["model_version"][0]
    if name is None or version is None:
        return None
    try:
        return _cached_recalibration(mlflow.get_tracking_uri(), str(name), str(version))
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise


@functools.lru_cache(maxsize=16)
def _cached_recalibration(uri: str, name: str, version: str) -> CoverRecalibration | None:
    """A registered version's artifacts never change: one read per (store, name, version)."""
    return load_cover_recalibration(name, version)


# --------------------------------------------------------------------------------- champion gate


@dataclass(frozen=True)
class GateDecision:
    """Whether a candidate version becomes champion, and why."""

    promote: bool
    reason: str
    candidate_wql: float
    champion_wql: float | None
    best_baseline: str  # "" when no baseline was valid
    best_baseline_wql: float  # NaN when no baseline was valid
    flagged: dict[str, str] = field(default_factory=dict)  # baselines left out -> why


def decide(
    candidate_wql: float,
    champion_wql: float | None,
    baseline_wql: dict[str, float],
    flagged: dict[str, str] | None = None,
) -> GateDecision:
    """The candidate must beat every valid baseline and the current champion on the same WQL.

    ``flagged`` baselines (absurd scores, ``BacktestResult.flagged``) are not compared against;
    the reason names them. Without any valid baseline the candidate is not promoted: there is
    nothing sane to show it is better than.
    """
    if not np.isfinite(candidate_wql):
        raise ValueError(f"candidate WQL is {candidate_wql}: the backtest produced no valid score")
    flagged = dict(flagged or {})
    valid = {
        name: wql for name, wql in baseline_wql.items()
        if name not in flagged and np.isfinite(wql)
    }  # fmt: skip
    for name, wql in baseline_wql.items():
        if name not in flagged and not np.isfinite(wql):
            flagged[name] = f"WQL is {wql}"
    note = (
        "; left out as absurd: " + "; ".join(f"{n} ({r})" for n, r in sorted(flagged.items()))
        if flagged
        else ""
    )
    if not valid:
        reason = f"WQL {candidate_wql:.4f}: no valid baseline to compare against{note}"
        return GateDecision(False, reason, candidate_wql, champion_wql, "", float("nan"), flagged)
    best_name = min(valid, key=valid.__getitem__)
    best = valid[best_name]
    failures = []
    losers = [name for name, wql in valid.items() if candidate_wql >= wql]
    if losers:
        failures.append(f"does not beat baseline(s) {losers} (best {best_name} {best:.4f})")
    if champion_wql is not None and candidate_wql >= champion_wql:
        failures.append(f"does not beat the champion's {champion_wql:.4f} on the same windows")
    if failures:
        reason = f"WQL {candidate_wql:.4f} " + "; ".join(failures) + note
        return GateDecision(False, reason, candidate_wql, champion_wql, best_name, best, flagged)
    versus = "no champion yet" if champion_wql is None else f"champion {champion_wql:.4f}"
    return GateDecision(
        True,
        f"WQL {candidate_wql:.4f} beats every baseline (best {best_name} {best:.4f}) and "
        f"{versus}{note}",
        candidate_wql, champion_wql, best_name, best, flagged,
    )  # fmt: skip


def champion_version(client: MlflowClient, name: str) -> str | None:
    """The version the ``champion`` alias points at, or None when there is none yet."""
    try:
        return str(client.get_model_version_by_alias(name, CHAMPION_ALIAS).version)
    except mlflow.exceptions.MlflowException as err:
        if "not found" in str(err).lower() or "RESOURCE_DOES_NOT_EXIST" in str(err):
            return None
        raise


class NoChampionError(RuntimeError):
    """The registry has no ``champion`` version to forecast with."""


def load_champion(
    name: str, embedding_cache_dir: Path | None = None
) -> tuple[DemandForecaster, str]:
    """Loads ``models:/<name>@champion`` once; returns the forecaster and the version it resolved
    to.

    The alias is resolved to a version first, so a promotion during a run cannot mix versions.
    Frozen-encoder text embeddings are cached on disk per (encoder version, text hash).
    """
    from inventory_pipeline.model.embedding_cache import EmbeddingCache

    client = MlflowClient()
    version = champion_version(client, name)
    if version is None:
        raise NoChampionError(
            f"no version of registered model {name!r} has the alias {CHAMPION_ALIAS!r} in "
            f"{mlflow.get_tracking_uri()}: run the retrain job first (`inventory-pipeline train` "
            f"or materialise the training group in the UI)"
        )
    forecaster = load_forecaster(f"models:/{name}/{version}")
    if embedding_cache_dir is not None:
        forecaster.featurizer.cache = EmbeddingCache(embedding_cache_dir)
    return forecaster, version


def register(model_uri: str, name: str, tags: dict[str, str] | None = None) -> str:
    """Registers a logged model as a new version of ``name``; returns the version."""
    version = mlflow.register_model(model_uri, name, tags=tags)
    return str(version.version)


def promote(name: str, version: str) -> None:
    """Points the ``champion`` alias at ``version`` (the nightly job loads it from then on)."""
    MlflowClient().set_registered_model_alias(name, CHAMPION_ALIAS, version)


def register_challenger(model_uri: str, name: str, tags: dict[str, str]) -> str:
    """Registers a candidate as a new version with ``tags`` and points ``challenger`` at it."""
    version = register(model_uri, name, tags=tags)
    MlflowClient().set_registered_model_alias(name, CHALLENGER_ALIAS, version)
    return version


def version_run_id(client: MlflowClient, name: str, version: str) -> str:
    """The MLflow run that logged a registered version (where its backtest is logged too)."""
    try:
        mv = client.get_model_version(name, version)
    except mlflow.exceptions.MlflowException as err:
        raise LookupError(
            f"version {version} of registered model {name!r} is not in "
            f"{mlflow.get_tracking_uri()}: was it deleted? Run the retrain job again to register "
            f"a new candidate"
        ) from err
    run_id = mv.run_id or mv.tags.get("run_id")
    if not run_id:
        raise LookupError(f"version {version} of {name!r} names no MLflow run (tag run_id)")
    return run_id


def tag_version(client: MlflowClient, name: str, version: str, tags: dict[str, str]) -> None:
    """Sets every tag of ``tags`` on one version."""
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)


class GateError(RuntimeError):
    """A version may not become champion (it failed the gate, or was not compared with the
    champion of the moment)."""


@dataclass(frozen=True)
class Promotion:
    """What moving the ``champion`` alias did."""

    version: str
    previous: str | None
    reason: str


def promote_if_unchanged(
    client: MlflowClient, name: str, version: str, compared: str | None
) -> Promotion:
    """Moves ``champion`` to ``version`` if its gate passed against the champion of the moment.

    ``compared``: the champion the backtest scored it against ("none" or None: there was none).
    When another run promoted a version in between, this one was never compared with it: it
    loses (tag ``gate=failed`` with the reason) and the alias stays, so two retrains started at
    once end with one champion and both versions tagged with their gate result. Callers run
    one at a time (the retraining pool), which makes the check and the move one step.
    """
    compared = None if compared in (None, "", "none") else str(compared)
    tags = client.get_model_version(name, version).tags
    if tags.get("gate") != "passed":
        raise GateError(
            f"version {version} of {name!r} did not pass the gate "
            f"(gate={tags.get('gate', 'unset')}): "
            f"{tags.get('gate_reason', 'no backtest recorded; run model_backtest')}"
        )
    current = champion_version(client, name)
    if current == version:
        return Promotion(version, current, "already the champion")
    if current != compared:
        reason = (
            f"the champion moved from {compared or 'none'} to version {current} after this "
            f"version's backtest, so it was never compared with version {current}; retrain "
            f"to challenge it"
        )
        tag_version(client, name, version, {"gate": "failed", "gate_reason": reason})
        raise GateError(f"version {version} of {name!r} is not promoted: {reason}")
    client.set_registered_model_alias(name, CHAMPION_ALIAS, version)
    aliases = client.get_registered_model(name).aliases
    if str(aliases.get(CHALLENGER_ALIAS, "")) == version:  # the challenger is now the champion
        client.delete_registered_model_alias(name, CHALLENGER_ALIAS)
    reason = tags.get("gate_reason", "passed the gate")
    return Promotion(version, current, reason)


TRAINING_CUTOFF_TAG = "training_cutoff"  # version tag: the last target day its weights saw


def check_scored_after_cutoff(
    client: MlflowClient, name: str, version: str, first_day: date, last_day: date
) -> date | None:
    """Refuses to score ``version`` on ``first_day .. last_day`` when that range starts at or
    before its training cutoff (the registry tag ``training_cutoff``): its scores there would be
    in-sample. Returns the cutoff, or None for a version registered without the tag."""
    tag = client.get_model_version(name, version).tags.get(TRAINING_CUTOFF_TAG)
    if not tag:
        return None
    cutoff = date.fromisoformat(tag)
    if first_day <= cutoff:
        allowed = cutoff + timedelta(days=1)
        raise ValueError(
            f"model {name!r} version {version} was trained on days up to its training cutoff "
            f"{cutoff} (registry tag {TRAINING_CUTOFF_TAG}); scoring it on {first_day} .. "
            f"{last_day} would score days it was fitted on. The first allowed day is {allowed}: "
            f"evaluate from --start {allowed} on, or score a model trained on less data "
            f"(`inventory-pipeline train --until DAY` before the range)"
        )
    return cutoff
