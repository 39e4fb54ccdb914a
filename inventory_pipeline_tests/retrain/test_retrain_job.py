"""The retrain job with a real MLflow store: logging, registration, and the champion gate."""

import json

import dagster as dg
import mlflow
import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from inventory_pipeline import tracking
from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.defs.resources import LandingZoneResource, MlflowResource, WarehouseResource
from inventory_pipeline.defs.training.assets import TrainingRunConfig
from inventory_pipeline.training.fit import fit
from inventory_pipeline.training.windows_io import WindowSplits
from inventory_pipeline_tests.forecasting.conftest import build_warehouse

# the pipeline's definitions (partitions from the environment's shop)
defs = build_definitions()

NAME = "demand_model"
RUN_CONFIG = {
    "training_overrides_json": json.dumps({"backtest_days": 28, "min_history_days": 21, "validation_origins": 1}),
    "model_overrides_json": json.dumps({"history_days": 14, "horizon_days": 14, "d_model": 16, "num_threads": 1}),
    "max_epochs": 2,
}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("retrain")
    landing, warehouse = build_warehouse(root, days=90)
    return {
        "root": root,
        "warehouse": warehouse,
        "resources": {
            "landing": LandingZoneResource(path=str(landing)),
            "warehouse": WarehouseResource(path=str(warehouse.root)),
            "mlflow_registry": MlflowResource(
                tracking_uri=f"sqlite:///{root / 'mlflow.db'}", artifacts_dir=str(root / "artifacts"),
                experiment="retrain-tests", registered_model=NAME,
            ),
        },
    }


def _retrain(env: dict, assets: list[str] | None = None) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def("retrain_job")
    if assets:
        job = job.get_subset(asset_selection={dg.AssetKey(a) for a in assets})
    ops = [a for a in ("training_windows", "demand_model", "model_backtest") if assets is None or a in assets]
    with dg.DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(
            instance=instance,
            resources=env["resources"],
            run_config={"ops": {op: {"config": RUN_CONFIG} for op in ops}},
            raise_on_error=False,
        )


def _client(env: dict) -> MlflowClient:
    tracking.configure(f"sqlite:///{env['root'] / 'mlflow.db'}", env["root"] / "artifacts", "retrain-tests")
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
    assert run.data.tags["data_window"].count("..") == 1 and run.data.tags["code_version"]
    # a one-line description of the run, metrics without float noise
    description = run.data.tags[tracking.RUN_DESCRIPTION_TAG]
    assert description.startswith("Demand model retrained on the exports ") and "\n" not in description
    assert "frozen" in description
    assert all(round(v, 4) == v for v in run.data.metrics.values())
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"plots", "backtest", "config"} <= artifacts
    gate = [e for e in result.get_asset_check_evaluations() if e.check_name == "beats_champion_and_baselines"]
    assert len(gate) == 1
    champion = tracking.champion_version(client, NAME)
    assert (champion == "1") == gate[0].passed
    assert version.tags["gate"] == ("passed" if gate[0].passed else "failed")
    assert result.success == gate[0].passed  # a candidate that fails the gate fails the run


def test_a_model_that_is_not_better_never_moves_champion(env: dict) -> None:
    client = _client(env)
    tracking.promote(NAME, "1")  # the current champion, whatever the first gate said
    result = _retrain(env)  # same data, same seed: an identical model, so not better
    assert not result.success
    assert {str(v.version) for v in client.search_model_versions(f"name='{NAME}'")} == {"1", "2"}
    assert tracking.champion_version(client, NAME) == "1"
    gate = [e for e in result.get_asset_check_evaluations() if e.check_name == "beats_champion_and_baselines"][0]
    assert not gate.passed and "does not beat the champion" in gate.metadata["reason"].value
    assert gate.metadata["candidate_wql"].value == gate.metadata["champion_wql"].value  # identical model
    assert client.get_model_version(NAME, "2").tags["gate"] == "failed"


def test_a_failed_training_run_leaves_the_registry_unchanged(env: dict) -> None:
    client = _client(env)
    before = sorted(str(v.version) for v in client.search_model_versions(f"name='{NAME}'"))
    champion = tracking.champion_version(client, NAME)
    assert _retrain(env, ["training_windows"]).success
    (env["warehouse"].root / "training" / "windows" / "train.npz").unlink()
    result = _retrain(env, ["demand_model"])
    assert not result.success
    assert sorted(str(v.version) for v in client.search_model_versions(f"name='{NAME}'")) == before
    assert tracking.champion_version(client, NAME) == champion


def test_registered_model_loads_by_alias_with_the_same_forecasts(env: dict) -> None:
    _client(env)
    assert _retrain(env, ["training_windows"]).success
    cfg = TrainingRunConfig(**RUN_CONFIG).training_config()
    splits = WindowSplits.load(env["warehouse"].root / "training" / "windows", cfg.model_config())
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
    np.testing.assert_array_equal(served["p50"].to_numpy(), expected.daily[:, :, median].reshape(-1))
    np.testing.assert_array_equal(served["cum_p50"].to_numpy(), expected.cumulative[:, :, median].reshape(-1))
