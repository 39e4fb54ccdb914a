"""The Kubernetes example configuration parses and names what the chart and the code location
have."""

import json
from pathlib import Path

import yaml

from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.defs.forecasting.jobs import SHARD_POD_CONFIG

# the pipeline's definitions (partitions from the environment's shop)
defs = build_definitions()

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"


def _load(name: str) -> list[dict]:
    with open(K8S / name, encoding="utf-8") as fh:
        return [d for d in yaml.safe_load_all(fh) if d is not None]


def test_helm_values_follow_the_chart_structure() -> None:
    (values,) = _load("values.yaml")
    user = values["dagster-user-deployments"]
    assert user["enabled"] is True
    (deployment,) = user["deployments"]
    assert set(deployment["image"]) >= {"repository", "tag", "pullPolicy"}
    assert deployment["image"]["tag"] != "latest"
    args = deployment["dagsterApiGrpcArgs"]
    assert args[args.index("--module-name") + 1] == "inventory_pipeline.definitions"
    assert isinstance(deployment["port"], int)
    env = {e["name"]: e["value"] for e in deployment["env"]}
    assert {"INVENTORY_LANDING_DIR", "INVENTORY_WAREHOUSE_DIR"} <= set(env)
    mounts = {m["mountPath"] for m in deployment["volumeMounts"]}
    assert all(any(env[k].startswith(m) for m in mounts) for k in ("INVENTORY_LANDING_DIR", "INVENTORY_WAREHOUSE_DIR"))

    launcher = values["runLauncher"]
    assert launcher["type"] == "K8sRunLauncher"
    run_config = launcher["config"]["k8sRunLauncher"]["runK8sConfig"]
    assert run_config["containerConfig"]["resources"]["requests"]["memory"]

    postgres = values["postgresql"]
    assert {"postgresqlHost", "postgresqlUsername", "postgresqlDatabase", "postgresqlPassword"} <= set(postgres)
    assert isinstance(postgres["service"]["port"], int)

    coordinator = values["dagsterDaemon"]["runCoordinator"]
    assert coordinator["enabled"] is True and coordinator["type"] == "QueuedRunCoordinator"
    queue = coordinator["config"]["queuedRunCoordinator"]
    assert queue["maxConcurrentRuns"] >= 1
    assert values["telemetry"]["enabled"] is False


def test_jobs_named_in_the_config_exist_in_the_code_location() -> None:
    (values,) = _load("values.yaml")
    jobs = {job.name for job in defs.get_repository_def().get_all_jobs()}
    limits = values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]["tagConcurrencyLimits"]
    named = {limit["value"] for limit in limits if limit["key"] == "dagster/job_name"}
    assert named and named <= jobs, named - jobs
    # the shard job carries the pod resources the K8sRunLauncher reads from a run's tags
    sharded = defs.resolve_job_def("nightly_forecast_sharded_job")
    assert json.loads(sharded.tags["dagster-k8s/config"]) == SHARD_POD_CONFIG
    assert "memory" in SHARD_POD_CONFIG["container_config"]["resources"]["requests"]


def test_mlflow_server_uses_a_sql_backend_and_object_store_artifacts() -> None:
    docs = {d["kind"]: d for d in _load("mlflow.yaml")}
    assert set(docs) == {"Deployment", "Service"}
    (container,) = docs["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["mlflow", "server"]
    args = dict(a.removeprefix("--").split("=", 1) for a in container["args"] if "=" in a)
    assert args["artifacts-destination"].startswith("s3://")
    assert "--serve-artifacts" in container["args"]
    assert "BACKEND_STORE_URI" in args["backend-store-uri"]
    env = {e["name"] for e in container["env"]}
    assert "MLFLOW_S3_ENDPOINT_URL" in env
    port = container["ports"][0]["containerPort"]
    assert docs["Service"]["spec"]["ports"][0]["targetPort"] == port
    selector = docs["Service"]["spec"]["selector"]
    assert selector.items() <= docs["Deployment"]["spec"]["template"]["metadata"]["labels"].items()
