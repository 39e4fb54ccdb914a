"""The retrain job with a real MLflow store: logging, registration, the hand-off through the
registry (alias ``challenger``, gate tags) and the champion gate."""

import json
from pathlib import Path

import dagster as dg
import mlflow
import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from inventory_pipeline import tracking
from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.defs.resources import LandingZoneResource, MlflowResource, WarehouseResource
from inventory_pipeline.defs.training.assets import TrainingRunConfig
from inventory_pipeline.recalibration import CoverRecalibration
from inventory_pipeline.reorder import ReorderConfig
from inventory_pipeline.training.calibration import (
    RAW,
    backtest_calibration,
    calibration_setup,
    calibration_table,
    calibration_verdict,
    cover_windows,
)
from inventory_pipeline.training.config import TrainingConfig
from inventory_pipeline.training.fit import fit
from inventory_pipeline.training.retrain import calibration_gate
from inventory_pipeline.training.windows_io import WindowSplits
from inventory_pipeline_tests.forecasting.conftest import build_warehouse

# the pipeline's definitions (partitions from the environment's shop)
defs = build_definitions()

NAME = "demand_model"
RUN_CONFIG = {
    "backtest_days": 28, "min_history_days": 21, "validation_origins": 1,
    "history_days": 14, "horizon_days": 14, "d_model": 16, "num_threads": 1, "max_epochs": 2,
    "refit_after_gate": False,  # the gated weights are served (test_refit.py: the refit)
}  # fmt: skip


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("retrain")
    landing, warehouse = build_warehouse(root, days=90)
    instance = (
        dg.DagsterInstance.ephemeral()
    )  # one instance: later runs see earlier materialisations
    return {
        "root": root,
        "instance": instance,
        "warehouse": warehouse,
        "resources": {
            "landing": LandingZoneResource(path=str(landing)),
            "warehouse": WarehouseResource(path=str(warehouse.root)),
            "mlflow_registry": MlflowResource(
                tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
                artifacts_dir=str(root / "artifacts"),
                experiment="retrain-tests",
                registered_model=NAME,
            ),
        },
    }


def _retrain(env: dict, assets: list[str] | None = None) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def("retrain_job")
    if assets:
        job = job.get_subset(asset_selection={dg.AssetKey(a) for a in assets})
    steps = (
        "training_windows", "demand_model", "backtest_baselines", "model_backtest", "served_model"
    )  # fmt: skip
    ops = [a for a in steps if assets is None or a in assets]
    return job.execute_in_process(
        instance=env["instance"],
        resources=env["resources"],
        run_config={"ops": {op: {"config": RUN_CONFIG} for op in ops}},
        raise_on_error=False,
    )


def _meta(result: dg.ExecuteInProcessResult, asset: str) -> dict:
    return {
        k: v.value for k, v in result.asset_materializations_for_node(asset)[0].metadata.items()
    }


def _aliases(client: MlflowClient, name: str) -> dict[str, str]:
    return {
        alias: str(version) for alias, version in client.get_registered_model(name).aliases.items()
    }


def _client(env: dict) -> MlflowClient:
    tracking.configure(
        f"sqlite:///{env['root'] / 'mlflow.db'}", env["root"] / "artifacts", "retrain-tests"
    )
    return MlflowClient()


def test_retrain_logs_registers_and_gates(env: dict) -> None:
    result = _retrain(env)
    # MLflow's UI opens the experiment the run created in its classic ML view (read before
    # _client, which configures the experiment itself)
    raw = MlflowClient(tracking_uri=f"sqlite:///{env['root'] / 'mlflow.db'}")
    (created,) = [e for e in raw.search_experiments() if e.name != "Default"]
    assert created.tags[tracking.EXPERIMENT_KIND_TAG] == "custom_model_development"
    client = _client(env)
    versions = client.search_model_versions(f"name='{NAME}'")
    assert [str(v.version) for v in versions] == ["1"]
    version = versions[0]
    run = client.get_run(version.run_id if version.run_id else version.tags["run_id"])
    assert run.data.params["model.finetune"] == "frozen"
    assert len(client.get_metric_history(run.info.run_id, "train_loss")) >= 1
    assert "wql_all_model" in run.data.metrics and "wql_all_auto_ets" in run.data.metrics
    # the baselines were forecast in their own step, on this run's windows, and the gate read them
    baselines = _meta(result, "backtest_baselines")
    assert baselines["windows_path"] == _meta(result, "training_windows")["windows_path"]
    assert run.data.metrics["wql_all_auto_ets"] == round(baselines["wql_auto_ets"], 4)
    gated = [b for b in ("seasonal_naive", "auto_ets", "lightgbm") if b not in baselines["flagged"]]
    assert _meta(result, "model_backtest")["wql_best_baseline"] == pytest.approx(
        min(baselines[f"wql_{b}"] for b in gated)
    )
    assert run.data.tags["data_window"].count("..") == 1 and run.data.tags["code_version"]
    # a one-line description of the run, metrics without float noise
    description = run.data.tags[tracking.RUN_DESCRIPTION_TAG]
    assert (
        description.startswith("Demand model retrained on the exports ") and "\n" not in description
    )
    assert "frozen" in description
    assert all(round(v, 4) == v for v in run.data.metrics.values())
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"plots", "backtest", "config"} <= artifacts
    gate = [
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == "beats_champion_and_baselines"
    ]
    assert len(gate) == 1
    champion = tracking.champion_version(client, NAME)
    assert (champion == "1") == gate[0].passed
    assert version.tags["gate"] == ("passed" if gate[0].passed else "failed")
    assert result.success == gate[0].passed  # a candidate that fails the gate fails the run
    # the hand-off: the candidate is a registered version, named in demand_model's metadata
    model = _meta(result, "demand_model")
    assert model["model_version"] == "1" and model["mlflow_run_id"] == run.info.run_id
    assert version.tags["run_id"] == run.info.run_id
    assert version.tags["training_cutoff"] == model["training_cutoff"]
    assert json.loads(version.tags["config"])["d_model"] == 16
    # the launch curve's text level prior: what the run kept and why, in MLflow and the metadata
    assert run.data.params["text_prior.kind"] in ("none", "frozen")
    assert run.data.params["text_prior.reason"]
    assert model["text_prior"]["kind"] == run.data.params["text_prior.kind"]
    assert float(version.tags["backtest_wql"]) == pytest.approx(
        gate[0].metadata["candidate_wql"].value, abs=1e-6
    )
    aliases = _aliases(client, NAME)
    assert aliases.get("challenger") == (None if gate[0].passed else "1")
    if gate[0].passed:  # refit off: the run says so and serves the gated version
        served = _meta(result, "served_model")
        assert served["refit"].startswith("off") and "mlflow_run_id" not in served
        promoted = _meta(result, "champion_model")
        assert promoted["refit"].startswith("off") and promoted["serving_version"] == "1"
        assert promoted["training_cutoff"] == model["training_cutoff"]
    if champion is None:  # no champion: said in words, not as a number
        assert gate[0].metadata["champion_wql"].value == "no champion yet"
    # no side files: the run's working folder holds its windows and report only
    training = env["warehouse"].root / "training"
    assert not list(training.glob("*.json")) and not (training / "windows").exists()
    assert Path(model["windows_path"]).parent.parent == training / "runs"


def test_a_model_that_is_not_better_never_moves_champion(env: dict) -> None:
    client = _client(env)
    tracking.promote(NAME, "1")  # the current champion, whatever the first gate said
    result = _retrain(env)  # same data, same seed: an identical model, so not better
    assert not result.success
    assert {str(v.version) for v in client.search_model_versions(f"name='{NAME}'")} == {"1", "2"}
    assert tracking.champion_version(client, NAME) == "1"
    gate = next(
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == "beats_champion_and_baselines"
    )
    assert not gate.passed and "does not beat the champion" in gate.metadata["reason"].value
    assert (
        gate.metadata["candidate_wql"].value == gate.metadata["champion_wql"].value
    )  # identical model
    assert client.get_model_version(NAME, "2").tags["gate"] == "failed"


def test_a_failed_training_run_leaves_the_registry_unchanged(env: dict) -> None:
    client = _client(env)
    before = sorted(str(v.version) for v in client.search_model_versions(f"name='{NAME}'"))
    champion = tracking.champion_version(client, NAME)
    windows = _retrain(env, ["training_windows"])
    assert windows.success
    (Path(_meta(windows, "training_windows")["windows_path"]) / "train.npz").unlink()
    result = _retrain(env, ["demand_model"])  # reads the windows of the latest training_windows
    assert not result.success
    assert sorted(str(v.version) for v in client.search_model_versions(f"name='{NAME}'")) == before
    assert tracking.champion_version(client, NAME) == champion


def test_registered_model_loads_by_alias_with_the_same_forecasts(env: dict) -> None:
    _client(env)
    windows = _retrain(env, ["training_windows"])
    assert windows.success
    cfg = TrainingRunConfig(**RUN_CONFIG).training_config()
    splits = WindowSplits.load(
        Path(_meta(windows, "training_windows")["windows_path"]), cfg.model_config()
    )
    in_memory, _ = fit(splits.train, splits.validation, cfg.model_config())
    expected = in_memory.predict(splits.backtest.samples)
    with mlflow.start_run():
        uri = tracking.log_model(in_memory, env["root"] / "alias_test", input_example=None)
    version = tracking.register(uri, "alias_test_model")
    tracking.promote("alias_test_model", version)

    loaded, resolved = tracking.load_champion("alias_test_model")
    assert resolved == version
    again = loaded.predict(splits.backtest.samples)
    np.testing.assert_array_equal(again.daily, expected.daily)
    np.testing.assert_array_equal(again.cumulative, expected.cumulative)

    served = mlflow.pyfunc.load_model("models:/alias_test_model@champion").predict(
        tracking.samples_to_frame(splits.backtest.samples, splits.backtest.skus)
    )
    median = list(in_memory.config.quantiles).index(0.5)
    np.testing.assert_array_equal(
        served["p50"].to_numpy(), expected.daily[:, :, median].reshape(-1)
    )
    np.testing.assert_array_equal(
        served["cum_p50"].to_numpy(), expected.cumulative[:, :, median].reshape(-1)
    )


def test_two_retrains_end_with_one_champion_and_both_versions_gated(env: dict) -> None:
    client = _client(env)
    tracking.promote(NAME, "1")
    first, second = _retrain(env), _retrain(env)
    versions = [_meta(r, "demand_model")["model_version"] for r in (first, second)]
    assert len(set(versions)) == 2
    champion = tracking.champion_version(client, NAME)
    every = [str(v.version) for v in client.search_model_versions(f"name='{NAME}'")]
    holders = [v for v in every if "champion" in client.get_model_version(NAME, v).aliases]
    assert holders == [champion] and set(versions) <= set(every)
    for result, version in zip((first, second), versions):
        tags = client.get_model_version(NAME, version).tags
        gate = next(
            e
            for e in result.get_asset_check_evaluations()
            if e.check_name == "beats_champion_and_baselines"
        )
        assert tags["gate"] == ("passed" if gate.passed else "failed")
        assert tags["backtest_wql"] and tags["champion_compared"] and tags["gate_reason"]
        assert (champion == version) == (tags["gate"] == "passed" and result.success)
    assert champion == "1"  # the same data and seed give the same model: not better
    assert _aliases(client, NAME)["challenger"] == versions[1]
    # re-running the backtest alone (a run of its own) scores the challenger its upstream
    # registered, read from demand_model's materialisation, not whatever a file says
    client.delete_model_version_tag(NAME, versions[0], "gate")
    rerun = _retrain(env, ["model_backtest"])
    assert _meta(rerun, "model_backtest")["candidate_version"] == versions[1]
    assert "gate" not in client.get_model_version(NAME, versions[0]).tags  # the other one untouched
    assert client.get_model_version(NAME, versions[1]).tags["gate"] == "failed"
    # promoting on its own (champion_model alone) reads that backtest and refuses
    refused = _retrain(env, ["champion_model"])
    assert not refused.success and tracking.champion_version(client, NAME) == "1"
    [failure] = refused.get_step_failure_events()
    error = failure.step_failure_data.error
    assert error is not None and error.cause is not None
    assert f"version {versions[1]} of 'demand_model' did not pass the gate" in error.cause.message


def test_a_version_backtested_against_an_old_champion_never_takes_over(env: dict) -> None:
    """Two candidates that passed against "no champion" (two retrains at once): the first
    promotion wins, the second finds the champion moved, loses and is tagged with why."""
    client = _client(env)
    name = "race_model"
    source = client.get_model_version(NAME, "1")
    client.create_registered_model(name)
    for _ in range(2):
        version = client.create_model_version(name, source.source, run_id=source.run_id).version
        tracking.tag_version(
            client, name, str(version), {"gate": "passed", "champion_compared": "none"}
        )
    client.set_registered_model_alias(name, "challenger", "2")
    first = tracking.promote_if_unchanged(client, name, "1", "none")
    assert first.version == "1" and first.previous is None
    with pytest.raises(tracking.GateError, match="champion moved from none to version 1"):
        tracking.promote_if_unchanged(client, name, "2", "none")
    assert tracking.champion_version(client, name) == "1"
    assert client.get_model_version(name, "2").tags["gate"] == "failed"
    assert (
        "never compared with version 1" in client.get_model_version(name, "2").tags["gate_reason"]
    )
    assert _aliases(client, name) == {"champion": "1", "challenger": "2"}
    with pytest.raises(tracking.GateError, match="did not pass the gate"):  # and cannot retry
        tracking.promote_if_unchanged(client, name, "2", "1")


def test_the_launchpad_checks_the_run_config_types() -> None:
    job = defs.resolve_job_def("retrain_job")
    with pytest.raises(dg.DagsterInvalidConfigError, match="d_model"):
        job.execute_in_process(
            run_config={"ops": {"training_windows": {"config": {"d_model": "wide"}}}}
        )
    with pytest.raises(
        ValueError, match="finetune='half': choose one of frozen, top_k, lora, full"
    ):
        TrainingRunConfig(finetune="half").training_config()
    assert TrainingRunConfig(max_epochs=0, finetune="").given() == {}  # empty: the defaults


def test_the_gate_judges_the_real_candidates_decision_quantiles(env: dict) -> None:
    """The retrained model's cover quantiles on its backtest windows: the recalibration is saved
    with it and reported in the gate's metadata and tags, a deliberately miscalibrated map fails
    the gate, the raw levels judged on every window pass or fail by the tolerance."""
    client = _client(env)
    result = _retrain(env, ["training_windows", "demand_model", "model_backtest"])
    version = _meta(result, "demand_model")["model_version"]
    gate = next(
        e
        for e in result.get_asset_check_evaluations()
        if e.check_name == "beats_champion_and_baselines"
    )
    assert "calibration" in gate.metadata and "calibration_table" in _meta(result, "model_backtest")
    tags = client.get_model_version(NAME, version).tags
    assert tags["calibration"] in ("passed", "failed") and tags["calibration_reason"]
    forecaster = tracking.load_forecaster(f"models:/{NAME}/{version}")
    saved = forecaster.cover_recalibration
    assert saved is not None  # saved with the model; buckets with too few windows read as is
    for read, windows in zip(saved.read, saved.windows):
        assert windows >= 50 or read == saved.nominal
    splits = WindowSplits.load(
        Path(_meta(result, "demand_model")["windows_path"]), forecaster.config
    )
    setup = calibration_setup(TrainingConfig(calibration_min_windows=1), ReorderConfig())
    # reads the median for the 95% target: far below nominal on real demand
    forecaster.cover_recalibration = CoverRecalibration((14,), (0.5, 0.95), ((0.5, 0.5),), (100,))
    wrong = backtest_calibration(forecaster, splits.backtest, setup)
    assert not wrong.verdict.passed and wrong.verdict.error > 0.05
    decision = tracking.decide(0.1, None, {"seasonal_naive": 1.0})
    assert decision.promote and not calibration_gate(decision, wrong).promote
    assert wrong.tags()["calibration"] == "failed"
    # the raw levels: the verdict follows the measured coverage and the tolerance
    cells = cover_windows(
        splits.backtest,
        forecaster.predict(splits.backtest.samples),
        forecaster.config.static_features,
        1,
    )
    table = calibration_table(
        cells, setup.levels, setup.bucket_edges, forecaster.config.horizon_days, None
    )
    raw = calibration_verdict(table, RAW, 0.95, 0.05, 1)
    assert raw.passed == (raw.error <= 0.05)
    assert calibration_verdict(table, RAW, 0.95, 0.49, 1).passed


def test_a_run_with_promotion_channels_carries_the_shops_types_to_its_model(env: dict) -> None:
    """`promotion_channels: true` in the run config: training_windows chooses the types from the
    shop's promotions, its plan carries them, and demand_model trains and registers a model that
    reads them (under a registered name of its own, so the other tests' registry is untouched)."""
    client = _client(env)
    root = env["root"]
    resources = {
        **env["resources"],
        "mlflow_registry": MlflowResource(
            tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
            artifacts_dir=str(root / "artifacts"),
            experiment="retrain-tests",
            registered_model="promotion_model",
        ),
    }
    config = {**RUN_CONFIG, "promotion_channels": True, "promo_type_min_days": 1}
    job = defs.resolve_job_def("retrain_job").get_subset(
        asset_selection={dg.AssetKey("training_windows"), dg.AssetKey("demand_model")}
    )
    result = job.execute_in_process(
        instance=env["instance"],
        resources=resources,
        run_config={"ops": {op: {"config": config} for op in ("training_windows", "demand_model")}},
        raise_on_error=False,
    )
    assert result.success
    plan = _meta(result, "training_windows")["training_plan"]
    types = plan["promotion_types"]
    assert isinstance(types, list) and len(types) >= 1  # the tiny shop runs promotions
    version = _meta(result, "demand_model")["model_version"]
    model = tracking.load_forecaster(f"models:/promotion_model/{version}")
    future = model.config.future_covariates
    assert future[-len(types) - 1 :] == ("on_promotion", *(f"promo_type_{t}" for t in types))
    assert model.config.history_covariates[-len(types) - 1 :] == future[-len(types) - 1 :]
    run = client.get_run(client.get_model_version("promotion_model", version).run_id)
    assert "on_promotion" in run.data.params["model.future_covariates"]
