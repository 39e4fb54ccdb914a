"""Dagster on PostgreSQL storage, with the checked example deploy/postgres/dagster.yaml.

The pipeline's own jobs run against an instance loaded from that file; the tests then read the
runs, event logs, materialisations and partition status back both through the instance API and
straight from the PostgreSQL tables, so nothing can silently fall back to SQLite.
"""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.errors import DagsterInvalidConfigError

from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.defs.resources import LandingZoneResource, WarehouseResource
from inventory_pipeline.sampleshop import generate_shop
from inventory_pipeline_tests.deployment.conftest import POSTGRES_DAGSTER_YAML, dagster_pg_env
from inventory_pipeline_tests.deployment.servers import PgServer

# the pipeline's definitions with partitions from the test shop's first export day
defs = build_definitions(date(2024, 1, 1))

DAYS = ("2024-01-01", "2024-01-02")


@contextmanager
def environ(values: dict[str, str], unset: tuple[str, ...] = ()) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in (*values, *unset)}
    os.environ.update(values)
    for key in unset:
        os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def make_home(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(POSTGRES_DAGSTER_YAML, folder / "dagster.yaml")
    return folder


@pytest.fixture(scope="module")
def tiny_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pg_shop")
    generate_shop(
        root / "landing",
        root / "truth",
        skus=8,
        days=6,
        start=date(2024, 1, 1),
        seed=3,
        progress=False,
    )
    return root


@pytest.fixture(scope="module")
def pg_home(pg: PgServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    db = pg.create_database("dagster")
    return make_home(tmp_path_factory.mktemp("dagster_home_pg")), dagster_pg_env(pg, db)


def test_the_example_instance_config_loads_with_postgres_storage(
    pg_home: tuple[Path, dict[str, str]],
) -> None:
    from dagster_postgres import (
        PostgresEventLogStorage,
        PostgresRunStorage,
        PostgresScheduleStorage,
    )

    home, env = pg_home
    with environ(env), dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert not instance.telemetry_enabled
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1


def test_the_example_instance_config_has_no_password_without_the_environment(
    pg_home: tuple[Path, dict[str, str]],
) -> None:
    """The password is read from DAGSTER_PG_PASSWORD only: unset, the instance does not load."""
    home, env = pg_home
    without = {k: v for k, v in env.items() if k != "DAGSTER_PG_PASSWORD"}
    with (
        environ(without, unset=("DAGSTER_PG_PASSWORD",)),
        pytest.raises(DagsterInvalidConfigError, match="DAGSTER_PG_PASSWORD"),
    ):
        dg.DagsterInstance.from_config(str(home))


def test_pipeline_runs_are_stored_in_postgres(
    pg: PgServer, pg_home: tuple[Path, dict[str, str]], tiny_shop: Path, tmp_path: Path
) -> None:
    home, env = pg_home
    resources = {
        "landing": LandingZoneResource(path=str(tiny_shop / "landing")),
        "warehouse": WarehouseResource(path=str(tmp_path / "wh")),
    }
    job = defs.resolve_job_def("daily_data_job")
    with environ(env), dg.DagsterInstance.from_config(str(home)) as instance:
        results = [
            job.execute_in_process(instance=instance, resources=resources, partition_key=day)
            for day in DAYS
        ]
    assert all(r.success for r in results)
    run_ids = {r.run_id for r in results}

    # A fresh instance from the same file (a restarted webserver) reads everything back.
    with environ(env), dg.DagsterInstance.from_config(str(home)) as instance:
        runs = [r for r in instance.get_runs() if r.run_id in run_ids]
        assert {r.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}
        assert {r.tags["dagster/partition"] for r in runs} == set(DAYS)
        for key in ("raw_products", "raw_orders", "daily_sku_demand"):
            assert instance.get_materialized_partitions(dg.AssetKey(key)) == set(DAYS), key
        latest = instance.get_latest_materialization_event(dg.AssetKey("raw_orders"))
        assert latest is not None and latest.run_id == results[1].run_id
        assert latest.asset_materialization.partition == DAYS[1]
        accepted = latest.asset_materialization.metadata["rows_accepted"].value
        status = instance.get_status_by_partition(
            dg.AssetKey("raw_orders"), list(DAYS), defs.resolve_job_def("ingest_job").partitions_def
        )
        assert {k: v.value for k, v in status.items()} == {d: "MATERIALIZED" for d in DAYS}
        checks = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey("raw_orders"), "matches_contract_schema"), limit=10
        )
        assert {c.run_id for c in checks} == run_ids

    # Straight from the PostgreSQL tables.
    con = pg.connect(env["DAGSTER_PG_DB"])
    try:
        with con.cursor() as cur:
            cur.execute("SELECT run_id, status FROM runs WHERE run_id = ANY(%s)", (list(run_ids),))
            assert dict(cur.fetchall()) == {rid: "SUCCESS" for rid in run_ids}
            cur.execute(
                "SELECT run_id, count(*) FROM event_logs WHERE run_id = ANY(%s) GROUP BY run_id",
                (list(run_ids),),
            )
            assert all(n > 20 for _, n in cur.fetchall())
            cur.execute(
                "SELECT DISTINCT partition FROM event_logs "
                "WHERE dagster_event_type = 'ASSET_MATERIALIZATION' AND asset_key = %s",
                (dg.AssetKey("raw_orders").to_string(),),
            )
            assert {p for (p,) in cur.fetchall()} == set(DAYS)
            cur.execute("SELECT event FROM event_logs WHERE run_id = %s AND asset_key = %s "
                        "AND dagster_event_type = 'ASSET_MATERIALIZATION'",
                        (results[1].run_id, dg.AssetKey("raw_orders").to_string()))  # fmt: skip
            (event_json,) = cur.fetchone()
            assert '"rows_accepted"' in event_json and str(accepted) in event_json
            cur.execute("SELECT count(*) FROM asset_keys WHERE asset_key = %s",
                        (dg.AssetKey("daily_sku_demand").to_string(),))  # fmt: skip
            assert cur.fetchone()[0] == 1
    finally:
        con.close()
    # Nothing went to SQLite next to dagster.yaml.
    assert not [p for p in home.rglob("*") if p.suffix in {".db", ".sqlite"}]
