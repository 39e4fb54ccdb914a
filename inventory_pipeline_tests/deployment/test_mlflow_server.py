"""Training and registration against a real ``mlflow server``: SQL backend store in PostgreSQL,
artifacts proxied by the server (``--serve-artifacts``) into a local folder, and a restart.

The client side is the project's own code path (MlflowResource.configure, tracking.log_model,
register, promote, load_champion), pointed at ``MLFLOW_TRACKING_URI=http://127.0.0.1:<port>``.
"""

import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from inventory_pipeline import tracking
from inventory_pipeline.defs.resources import MlflowResource
from inventory_pipeline.features.as_of import features_as_of
from inventory_pipeline.model.data import ForecastSamples
from inventory_pipeline.model.forecaster import DemandForecaster
from inventory_pipeline.windows import samples_from_features
from inventory_pipeline_tests.deployment.servers import MlflowServer, PgServer
from inventory_pipeline_tests.forecasting.conftest import (
    START,
    build_warehouse,
    tiny_config,
    train_tiny,
)

NAME = "demand_model"
EXPERIMENT = "deployment-tests"


@dataclass
class Trained:
    forecaster: DemandForecaster
    samples: ForecastSamples
    skus: list[str]
    run_id: str
    version: str
    workdir: Path


def _train(root: Path) -> tuple[DemandForecaster, ForecastSamples, list[str]]:
    _, warehouse = build_warehouse(root, days=45)
    config = tiny_config()
    forecaster = train_tiny(warehouse, config)
    fs = features_as_of(warehouse, START + timedelta(days=40), history_days=config.history_days,
                        horizon=config.horizon_days)  # fmt: skip
    windows = samples_from_features(fs, config)
    return forecaster, windows.samples, windows.skus


def _configure(server: MlflowServer, monkeypatch: pytest.MonkeyPatch) -> MlflowClient:
    """Through the Dagster resource, as a run would: the URI comes from MLFLOW_TRACKING_URI."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
    MlflowResource(experiment=EXPERIMENT, registered_model=NAME).configure()
    assert mlflow.get_tracking_uri() == server.url
    return MlflowClient()


@pytest.fixture(scope="module")
def trained(mlflow_server: MlflowServer, tmp_path_factory: pytest.TempPathFactory) -> Trained:
    root = tmp_path_factory.mktemp("mlflow_train")
    forecaster, samples, skus = _train(root)
    with pytest.MonkeyPatch.context() as mp:
        _configure(mlflow_server, mp)
        with mlflow.start_run() as run:
            mlflow.log_param("data_window", "2024-01-15..2024-02-10")
            mlflow.log_metric("train_loss", 1.0)
            uri = tracking.log_model(forecaster, root / "logged", input_example=None)
        version = tracking.register(uri, NAME, tags={"gate": "passed"})
        tracking.promote(NAME, version)
    return Trained(forecaster, samples, skus, run.info.run_id, version, root)


def _assert_champion_forecasts_like(trained: Trained) -> None:
    expected = trained.forecaster.predict(trained.samples)
    loaded, version = tracking.load_champion(NAME)
    assert version == trained.version
    again = loaded.predict(trained.samples)
    np.testing.assert_array_equal(again.daily, expected.daily)
    np.testing.assert_array_equal(again.cumulative, expected.cumulative)
    served = mlflow.pyfunc.load_model(f"models:/{NAME}@champion").predict(
        tracking.samples_to_frame(trained.samples, trained.skus)
    )
    median = list(trained.forecaster.config.quantiles).index(0.5)
    np.testing.assert_array_equal(
        served["p50"].to_numpy(), expected.daily[:, :, median].reshape(-1)
    )
    np.testing.assert_array_equal(
        served["cum_p50"].to_numpy(), expected.cumulative[:, :, median].reshape(-1)
    )


def test_champion_registered_through_the_server_forecasts_like_the_in_memory_model(
    mlflow_server: MlflowServer, trained: Trained, pg: PgServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _configure(mlflow_server, monkeypatch)
    assert tracking.champion_version(client, NAME) == trained.version
    _assert_champion_forecasts_like(trained)

    # The artifacts went through the server into its artifact folder, not to a client-side path.
    run = client.get_run(trained.run_id)
    assert run.info.artifact_uri.startswith("mlflow-artifacts:/")
    stored = [p for p in mlflow_server.artifacts.rglob("*") if p.is_file()]
    assert any(p.name == "MLmodel" for p in stored)
    assert any("forecaster" in p.parts for p in stored)
    # Runs, versions and the alias are rows in the PostgreSQL backend store.
    db = mlflow_server.backend_uri.rsplit("/", 1)[1]
    con = pg.connect(db)
    try:
        with con.cursor() as cur:
            cur.execute("SELECT status FROM runs WHERE run_uuid = %s", (trained.run_id,))
            assert cur.fetchone() == ("FINISHED",)
            cur.execute(
                "SELECT alias, version FROM registered_model_aliases WHERE name = %s", (NAME,)
            )
            assert cur.fetchall() == [("champion", int(trained.version))]
            cur.execute("SELECT count(*) FROM model_versions WHERE name = %s", (NAME,))
            assert cur.fetchone()[0] >= 1
    finally:
        con.close()


def test_registry_and_runs_survive_a_server_restart(
    mlflow_server: MlflowServer, trained: Trained, monkeypatch: pytest.MonkeyPatch
) -> None:
    mlflow_server.stop()
    with pytest.raises(urllib.error.URLError):  # really down
        urllib.request.urlopen(f"{mlflow_server.url}/health", timeout=5)
    mlflow_server.start()  # same port, same backend store and artifact folder

    client = _configure(mlflow_server, monkeypatch)
    run = client.get_run(trained.run_id)
    assert run.data.params["data_window"] == "2024-01-15..2024-02-10"
    assert run.data.metrics["train_loss"] == 1.0
    assert client.get_model_version(NAME, trained.version).tags["gate"] == "passed"
    assert tracking.champion_version(client, NAME) == trained.version
    _assert_champion_forecasts_like(trained)

    # The restarted server keeps registering: a new version, and the alias moves to it.
    with mlflow.start_run():
        uri = tracking.log_model(
            trained.forecaster, trained.workdir / "after_restart", input_example=None
        )
    new = tracking.register(uri, NAME)
    assert int(new) == int(trained.version) + 1
    tracking.promote(NAME, new)
    assert tracking.champion_version(client, NAME) == new
    tracking.promote(NAME, trained.version)
