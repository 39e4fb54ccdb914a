"""Concurrency: a backfill on the multiprocess executor and a nightly run for the next day, in
parallel on one Dagster instance (the project's dagster.yaml), finish without DuckDB lock errors
and leave exactly the tables of a sequential run.

The test holds the ``duckdb_catalog`` pool's only slot until both runs wait on it, so the two runs
are provably in progress at the same time; after that, Dagster alone decides the order.
"""

import os
import re
import shutil
import subprocess
import threading
import time
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.parquet as pq
import pytest
from dagster._core.definitions.reconstruct import ReconstructableRepository
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from inventory_pipeline import cli
from inventory_pipeline.defs.pools import CATALOG_POOL
from inventory_pipeline.features.build import build_all
from inventory_pipeline.warehouse import PARTITION_FILE, Warehouse
from inventory_pipeline_tests.reliability.conftest import (
    CLI,
    END,
    Reference,
    partition_digests,
    pipeline_env,
)

NIGHTLY_DAY = END  # the nightly run loads the shop's last day ...
BACKFILL_START = END - timedelta(days=9)  # ... while a backfill re-runs the nine days before it
BACKFILL_END = END - timedelta(days=1)  # (more than incremental_max_days: a full feature rebuild)
RELEASE_TIMEOUT_S = 400
HOLDER = ("test-holder", "holds-the-catalog-slot")
_LOCK_ERROR = re.compile(r"\block|IO Error", re.IGNORECASE)  # "lock(ed)", not "blocked"


def _preload(reference: Reference, warehouse: Path) -> None:
    """The warehouse as a sequential run over START..BACKFILL_END leaves it.

    Raw and rejects partitions are per export day, so the reference's ones of those days are exactly
    that run's; the feature tables are rebuilt from them the way that run's feature steps do.
    """
    for src in sorted(reference.warehouse.rglob(PARTITION_FILE)):
        rel = src.relative_to(reference.warehouse)
        if rel.parts[0] in ("raw", "rejects") and f"export_date={NIGHTLY_DAY}" not in rel.parts:
            (warehouse / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, warehouse / rel)
    build_all(Warehouse(warehouse))


def _step_intervals(instance: dg.DagsterInstance, run_id: str) -> dict[str, list[float]]:
    """step key -> [STEP_START time, STEP_SUCCESS time] of one run."""
    spans: dict[str, list[float]] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if (
            event is not None
            and event.step_key
            and event.event_type_value in ("STEP_START", "STEP_SUCCESS")
        ):
            spans.setdefault(event.step_key, []).append(entry.timestamp)
    return spans


def _release_when_both_runs_wait(home: Path, outcome: dict[str, object]) -> None:
    """Frees the held pool slot once two runs have steps waiting for it (or after a timeout)."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        deadline = time.monotonic() + RELEASE_TIMEOUT_S
        try:
            while time.monotonic() < deadline:
                info = storage.get_concurrency_info(CATALOG_POOL)
                if len(info.pending_run_ids) == 2:
                    outcome["waiting"] = info.pending_run_ids
                    outcome["holding"] = info.active_run_ids
                    return
                time.sleep(0.2)
        finally:
            storage.free_concurrency_slot_for_step(*HOLDER)


def test_backfill_on_multiprocess_executor_alongside_nightly_run(
    shop_landing: Path, reference: Reference, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "warehouse"
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(cli.DAGSTER_YAML, home / "dagster.yaml")
    _preload(reference, warehouse)
    env = pipeline_env(shop_landing, warehouse, home)
    for name, value in env.items():  # the backfill's step processes resolve paths from these
        if name.startswith(("INVENTORY_", "DAGSTER_")):
            monkeypatch.setenv(name, value)

    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        assert storage.supports_global_concurrency_limits
        storage.initialize_concurrency_limit_to_default(CATALOG_POOL)
        assert storage.get_concurrency_info(CATALOG_POOL).slot_count == 1  # from dagster.yaml
        assert storage.claim_concurrency_slot(CATALOG_POOL, *HOLDER).is_claimed

        # The nightly run: the command line, in its own process, in-process executor.
        log = (tmp_path / "nightly.log").open("wb")
        day = NIGHTLY_DAY.isoformat()
        nightly_proc = subprocess.Popen(
            [*CLI, "backfill", "--in-process", "--start", day, "--end", day],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        outcome: dict[str, object] = {}
        releaser = threading.Thread(target=_release_when_both_runs_wait, args=(home, outcome))
        releaser.start()
        try:
            # The backfill: the code location's executor with its defaults (multiprocess, steps
            # forked from a server that imported the code location once).
            job = ReconstructableRepository.for_module(
                "inventory_pipeline.definitions", "defs"
            ).get_reconstructable_job("daily_data_job")
            result = dg.execute_job(
                job,
                instance=instance,
                tags={
                    ASSET_PARTITION_RANGE_START_TAG: BACKFILL_START.isoformat(),
                    ASSET_PARTITION_RANGE_END_TAG: BACKFILL_END.isoformat(),
                },
                run_config={"execution": {"config": {"multiprocess": {"max_concurrent": 2}}}},
            )
            nightly_code = nightly_proc.wait(timeout=600)
        finally:
            releaser.join()
            if nightly_proc.poll() is None:
                nightly_proc.kill()
                nightly_proc.wait()
            log.close()
        assert outcome.get("holding") == {HOLDER[0]}, "the runs never both waited for the pool"
        assert result.success
        assert nightly_code == 0, (tmp_path / "nightly.log").read_text()[-3000:]

        runs = {r.tags.get(ASSET_PARTITION_RANGE_START_TAG): r for r in instance.get_runs()}
        backfill, nightly = runs[BACKFILL_START.isoformat()], runs[day]
        assert outcome["waiting"] == {backfill.run_id, nightly.run_id}
        assert backfill.status == nightly.status == dg.DagsterRunStatus.SUCCESS

        spans = {}
        for run in (backfill, nightly):
            messages = [e.message or "" for e in instance.all_logs(run.run_id)]
            assert not [m for m in messages if _LOCK_ERROR.search(m)], run.job_name
            spans.update(
                {(run.run_id, k): v for k, v in _step_intervals(instance, run.run_id).items()}
            )
        # Ten steps in each run, each started and succeeded; all in the catalog pool.
        assert len(spans) == 20 and all(len(v) == 2 for v in spans.values())
        # The backfill's steps ran in processes of their own (multiprocess executor) ...
        step_pids = {
            e.dagster_event.pid
            for e in instance.all_logs(backfill.run_id, of_type=dg.DagsterEventType.STEP_START)
        }
        assert len(step_pids) == 10 and os.getpid() not in step_pids
        # ... and the pool let one catalog-writing step run at a time, across both runs.
        ordered = sorted(spans.values())
        assert all(a[1] <= b[0] for a, b in pairwise(ordered))

    # The same tables, byte for byte, as one sequential run over the whole shop.
    assert partition_digests(warehouse) == reference.digests
    with duckdb.connect(str(warehouse / "catalog.duckdb"), read_only=True) as catalog:
        for view, table in (
            ("raw_orders", "raw/orders"),
            ("daily_sku_demand", "features/daily_sku_demand"),
        ):
            rows = catalog.sql(f"SELECT count(*) FROM {view}").fetchall()[0][0]
            files = (warehouse / table).rglob(PARTITION_FILE)
            assert rows == sum(pq.read_metadata(f).num_rows for f in files)
