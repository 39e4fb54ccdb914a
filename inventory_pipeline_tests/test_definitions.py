"""The code location loads and every job and schedule resolves."""

from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.workspace.autodiscovery import loadable_targets_from_python_module

from inventory_pipeline.definitions import build_definitions

# the pipeline's definitions (partitions from the environment's shop)
defs = build_definitions()


def test_definitions_load_and_jobs_resolve() -> None:
    dg.Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    for job in repo.get_all_jobs():
        assert job.name
    for schedule in defs.schedules or []:
        assert isinstance(schedule, dg.ScheduleDefinition)
        assert defs.resolve_job_def(schedule.job_name)
    for sensor in defs.sensors or []:
        assert defs.resolve_sensor_def(sensor.name)
    assert {"ingest_job", "daily_data_job", "nightly_forecast_job", "retrain_job"} <= {
        job.name for job in repo.get_all_jobs()
    }


def test_every_asset_has_group_and_description() -> None:
    for spec in defs.resolve_all_asset_specs():
        assert spec.group_name and spec.group_name != "default", spec.key
        assert spec.description, spec.key


def test_code_location_partitions_start_at_the_shops_first_export_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `dagster dev` loads (workspace.yaml's module), built at load time from the env."""
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    (tmp_path / "landing" / "orders" / "date=2019-05-04").mkdir(parents=True)
    (targets,) = loadable_targets_from_python_module("inventory_pipeline.definitions", None)
    loaded = targets.target_definition()
    assert isinstance(loaded, dg.Definitions)
    first = loaded.resolve_job_def("daily_data_job").partitions_def.get_first_partition_key()
    assert first == "2019-05-04"
    (tmp_path / "settings.yaml").write_text("shop:\n  first_export_day: 2018-12-30\n")
    again = targets.target_definition().resolve_job_def("nightly_forecast_job").partitions_def
    assert again.get_first_partition_key() == "2018-12-30"
    sharded = targets.target_definition().resolve_job_def("nightly_forecast_sharded_job")
    assert (
        sharded.partitions_def.get_first_partition_key().keys_by_dimension["date"] == "2018-12-30"
    )


def test_fallback_first_export_day_without_settings_or_exports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INVENTORY_DATA_DIR", str(tmp_path))
    partitions = build_definitions().resolve_job_def("ingest_job").partitions_def
    first = date.fromisoformat(partitions.get_first_partition_key())
    assert (first.month, first.day) == (1, 1)
    assert (
        build_definitions(date(1990, 1, 1))
        .resolve_job_def("ingest_job")
        .partitions_def.get_first_partition_key()
        == "1990-01-01"
    )


def test_one_retraining_at_a_time_freshness_and_alerts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The training steps share pool `retrain` (the refit its own, to run beside the backtest, and
    the baselines theirs, to run beside the fit);
    the instance config queues retrain runs one at a time by the job's tag; the published tables
    carry a freshness policy; failures alert."""
    graph = defs.resolve_asset_graph()
    training = [k for k in graph.get_all_asset_keys() if graph.get(k).group_name == "training"]
    assert {k.to_user_string() for k in training} == {
        "training_windows",
        "demand_model",
        "backtest_baselines",
        "model_backtest",
        "served_model",
        "champion_model",
    }
    assets = [a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)]
    pools = {a.key.to_user_string(): a.op.pool for a in assets if set(a.keys) & set(training)}
    assert set(pools.values()) == {"retrain", "retrain_refit", "retrain_baselines"}
    assert [k for k, pool in pools.items() if pool == "retrain_refit"] == ["served_model"]
    assert [k for k, pool in pools.items() if pool == "retrain_baselines"] == ["backtest_baselines"]
    tags = defs.resolve_job_def("retrain_job").tags
    config = Path(__file__).resolve().parents[1] / "deploy" / "local" / "dagster.yaml"
    (tmp_path / "dagster.yaml").write_text(config.read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as instance:
        concurrency = instance.get_concurrency_config()
        limits = concurrency.run_queue_config.tag_concurrency_limits
    assert concurrency.pool_config.default_pool_limit == 1  # every pool, the refit's too
    assert {
        "key": "inventory_pipeline/pool",
        "value": tags["inventory_pipeline/pool"],
        "limit": 1,
    } in limits
    for name in ("sku_forecasts", "reorder_plan"):
        policy = graph.get(dg.AssetKey(name)).freshness_policy
        assert isinstance(policy, dg.FreshnessPolicy) and policy.deadline_cron == "0 6 * * *"
    assert (
        defs.resolve_sensor_def("run_failure_alert_sensor").default_status
        == dg.DefaultSensorStatus.RUNNING
    )
