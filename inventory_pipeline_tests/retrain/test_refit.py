"""The served model: the retrain job refits the candidate's configuration on every day up to the
latest export beside its backtest and, once the gate passed, registers and serves that version;
the evaluation refuses to score a model on days it was trained on. Real MLflow (SQLite in
tmp_path), real Dagster runs."""

from datetime import date, timedelta

import dagster as dg
import pytest
from mlflow.tracking import MlflowClient

from inventory_pipeline import cli, tracking
from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.defs.resources import LandingZoneResource, MlflowResource, WarehouseResource
from inventory_pipeline.features.sources import latest_export
from inventory_pipeline.training import retrain
from inventory_pipeline.training.plan import make_plan
from inventory_pipeline_tests.forecasting.conftest import build_warehouse

defs = build_definitions()

NAME = "demand_model"
RUN_CONFIG = {
    "backtest_days": 28, "min_history_days": 21, "validation_origins": 1, "history_days": 14,
    "horizon_days": 14, "d_model": 16, "num_threads": 1, "baselines": ["seasonal_naive"],
    "max_epochs": 30, "learning_rate": 0.03, "seed": 7,
}  # fmt: skip  # tiny epochs (0.1 s); with this seed the candidate beats seasonal naive (0.59
# against 0.64), so the gate passes and the refit runs
OPS = ("training_windows", "demand_model", "backtest_baselines", "model_backtest", "served_model")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("refit")
    landing, warehouse = build_warehouse(root, days=90)
    return {
        "root": root,
        "instance": dg.DagsterInstance.ephemeral(),
        "warehouse": warehouse,
        "resources": {
            "landing": LandingZoneResource(path=str(landing)),
            "warehouse": WarehouseResource(path=str(warehouse.root)),
            "mlflow_registry": MlflowResource(
                tracking_uri=f"sqlite:///{root / 'mlflow.db'}",
                artifacts_dir=str(root / "artifacts"),
                experiment="refit-tests",
                registered_model=NAME,
            ),
        },
    }


def _retrain(env: dict) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def("retrain_job").execute_in_process(
        instance=env["instance"],
        resources=env["resources"],
        run_config={"ops": {op: {"config": RUN_CONFIG} for op in OPS}},
        raise_on_error=False,
    )


def _meta(result: dg.ExecuteInProcessResult, asset: str) -> dict:
    mats = result.asset_materializations_for_node(asset)
    return {k: v.value for k, v in mats[0].metadata.items()}


def _client(env: dict) -> MlflowClient:
    root = env["root"]
    tracking.configure(f"sqlite:///{root / 'mlflow.db'}", root / "artifacts", "refit-tests")
    return MlflowClient()


def _versions(client: MlflowClient) -> list[str]:
    return sorted(str(v.version) for v in client.search_model_versions(f"name='{NAME}'"))


@pytest.mark.parametrize("stride", [7, 5])
def test_the_refit_origins_reach_the_latest_export(stride: int) -> None:
    cfg = retrain.training_config({"train_stride": stride})
    plan = make_plan(date(2025, 1, 1), date(2026, 6, 30), 28, cfg)
    origins = retrain.refit_origins(plan, stride)
    assert origins[: len(plan.train_origins)] == plan.train_origins
    assert origins[-1] == plan.latest_export - timedelta(days=28)  # targets end on the export
    extra = origins[len(plan.train_origins) - 1 :]
    assert len(extra) > 20 and all(0 < (b - a).days <= stride for a, b in zip(extra, extra[1:]))
    assert retrain.gated_cutoff(plan) == plan.validation_origins[-1] + timedelta(days=28)


def test_a_passed_gate_serves_a_refit_on_every_day(env: dict) -> None:
    result = _retrain(env)
    assert result.success, "the tiny shop's first candidate must pass (no champion yet)"
    client = _client(env)
    assert _versions(client) == ["1", "2"]
    gated, refit = (client.get_model_version(NAME, v) for v in ("1", "2"))
    assert tracking.champion_version(client, NAME) == "2"
    # the refit: a later cutoff (the latest export), the gated version's selected epochs
    latest = latest_export(env["warehouse"])
    assert refit.tags["training_cutoff"] == latest.isoformat()
    assert date.fromisoformat(gated.tags["training_cutoff"]) < latest
    assert refit.tags["refit_of"] == "1" and gated.tags["refit_version"] == "2"
    epochs = int(gated.tags["best_epoch"])
    assert 1 <= epochs <= RUN_CONFIG["max_epochs"] and refit.tags["best_epoch"] == str(epochs)
    gated_run = client.get_run(gated.run_id)
    assert gated_run.data.metrics["best_epoch"] == epochs
    # its own MLflow run: params, one train loss per epoch of the whole schedule (the run's
    # max_epochs, as the candidate's fit) and no validation loss, artifacts
    run = client.get_run(refit.run_id)
    assert run.info.run_id != gated_run.info.run_id
    assert run.data.tags["refit_of"] == "1" and run.data.tags["refit_of_run"] == gated.run_id
    assert run.data.params["refit.epochs"] == str(epochs)
    assert run.data.params["refit.epochs_trained"] == str(RUN_CONFIG["max_epochs"])
    assert run.data.params["model.max_epochs"] == str(RUN_CONFIG["max_epochs"])
    assert run.data.params["model.d_model"] == "16"
    history = client.get_metric_history(run.info.run_id, "train_loss")
    assert len(history) == RUN_CONFIG["max_epochs"]
    assert not client.get_metric_history(run.info.run_id, "val_loss")
    assert {"plots", "config"} <= {a.path for a in client.list_artifacts(run.info.run_id)}
    assert int(run.data.params["refit.windows"]) > sum(
        _meta(result, "training_windows")[f"samples_{s}"] for s in ("train", "validation")
    )
    # the gated version keeps its backtest; the run says what it served
    assert gated.tags["gate"] == "passed" and float(gated.tags["backtest_wql"]) > 0
    served = _meta(result, "served_model")
    assert served["refit"] == "refitted" and served["mlflow_run_id"] == refit.run_id
    assert served["epochs_trained"] == RUN_CONFIG["max_epochs"]
    assert served["training_cutoff"] == latest.isoformat()
    promoted = _meta(result, "champion_model")
    assert promoted["champion_version"] == "2" and promoted["serving_version"] == "2"
    assert promoted["refit"] == "refitted" and promoted["training_cutoff"] == latest.isoformat()
    # the lineage the UI draws: the windows -> the candidate, and beside it the served model
    # (the refit needs the windows only, and sits in a pool of its own, so the two steps run
    # at once) -> champion, which registers the refit once the gate passed
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey("served_model")).parent_keys == {dg.AssetKey("training_windows")}
    # the baselines need the windows only, so they are forecast beside the fit
    assert graph.get(dg.AssetKey("backtest_baselines")).parent_keys == {
        dg.AssetKey("training_windows")
    }
    assert graph.get(dg.AssetKey("model_backtest")).parent_keys == {
        dg.AssetKey("demand_model"),
        dg.AssetKey("backtest_baselines"),
    }
    assert graph.get(dg.AssetKey("champion_model")).parent_keys == {
        dg.AssetKey("model_backtest"),
        dg.AssetKey("served_model"),
    }
    pools = {
        key.to_user_string(): graph.get(key).pools
        for key in (
            dg.AssetKey("model_backtest"),
            dg.AssetKey("served_model"),
            dg.AssetKey("backtest_baselines"),
        )
    }
    assert pools["model_backtest"] and pools["served_model"]
    assert not pools["model_backtest"] & pools["served_model"]
    assert not pools["backtest_baselines"] & (pools["model_backtest"] | pools["served_model"])
    # champion_model re-executed alone registers nothing new: the refit is registered already
    again = (
        defs.resolve_job_def("retrain_job")
        .get_subset(asset_selection={dg.AssetKey("champion_model")})
        .execute_in_process(
            instance=env["instance"], resources=env["resources"], raise_on_error=False
        )
    )
    assert again.success and _meta(again, "champion_model")["serving_version"] == "2"
    assert _versions(client) == ["1", "2"] and tracking.champion_version(client, NAME) == "2"


def test_a_failed_gate_serves_nothing(env: dict) -> None:
    client = _client(env)
    before = _versions(client)
    assert tracking.champion_version(client, NAME) == "2"
    # same data and seed: the same weights as version 1, which the refit champion is scored with
    # (its own scores on the backtest days would be in-sample), so the candidate is not better
    result = _retrain(env)
    assert not result.success
    gate = next(e for e in result.get_asset_check_evaluations())
    assert not gate.passed and "does not beat the champion" in gate.metadata["reason"].value
    assert gate.metadata["candidate_wql"].value == gate.metadata["champion_wql"].value
    candidate = _meta(result, "demand_model")["model_version"]
    # the refit ran beside the fit: its MLflow run is there, registered (or logged) it is not
    served = _meta(result, "served_model")
    assert served["refit"] == "refitted"
    assert "refit_of" not in client.get_run(served["mlflow_run_id"]).data.tags
    assert _versions(client) == sorted([*before, candidate])  # no refit registered
    assert not result.asset_materializations_for_node("champion_model")
    assert tracking.champion_version(client, NAME) == "2"
    assert "refit_version" not in client.get_model_version(NAME, candidate).tags


def test_the_evaluation_refuses_days_the_model_was_trained_on(
    env: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client(env)
    cutoff = date.fromisoformat(client.get_model_version(NAME, "2").tags["training_cutoff"])
    start, end = cutoff - timedelta(days=20), cutoff
    result = defs.resolve_job_def("evaluation_job").execute_in_process(
        instance=env["instance"],
        resources=env["resources"],
        run_config={
            "ops": {
                "evaluation_report": {
                    "config": {"start": start.isoformat(), "end": end.isoformat()}
                }
            }
        },
        raise_on_error=False,
    )
    assert not result.success
    [failure] = result.get_step_failure_events()
    error = failure.step_failure_data.error
    message = error.cause.message if error.cause is not None else error.message
    assert f"'{NAME}' version 2" in message and f"training cutoff {cutoff}" in message
    assert f"first allowed day is {cutoff + timedelta(days=1)}" in message
    # the CLI refuses before launching anything
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{env['root'] / 'mlflow.db'}")
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(env["root"]))
    with pytest.raises(SystemExit, match="version 2 was trained on days up to its training"):
        cli.main(["evaluate", "--start", cutoff.isoformat(), "--end", end.isoformat()])
    # the day after the cutoff is allowed; the gated version may be scored on its backtest days
    after = cutoff + timedelta(days=1)
    assert tracking.check_scored_after_cutoff(client, NAME, "2", after, after) == cutoff
    gated_cutoff = date.fromisoformat(client.get_model_version(NAME, "1").tags["training_cutoff"])
    first = gated_cutoff + timedelta(days=1)
    assert tracking.check_scored_after_cutoff(client, NAME, "1", first, cutoff) == gated_cutoff
    with pytest.raises(ValueError, match="first allowed day"):
        tracking.check_scored_after_cutoff(client, NAME, "1", gated_cutoff, cutoff)
