"""Crash safety: a run killed with SIGKILL mid-write leaves only complete partitions, and re-running
the same range gives exactly the tables of an uninterrupted run.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inventory_pipeline import cli
from inventory_pipeline.defs.pools import CATALOG_POOL
from inventory_pipeline.warehouse import PARTITION_FILE, TMP_SUFFIX, Warehouse, sql_literal_path
from inventory_pipeline_tests.reliability.conftest import (
    CLI,
    END,
    RAW_TABLES,
    SHOP_DAYS,
    START,
    Reference,
    partition_digests,
    pipeline_env,
)

BIG_ROWS = 4_000_000  # a partition that takes about a second to write
POLL_S = 0.002


def _wait_for(condition, proc: subprocess.Popen | None, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the child process ended (exit {proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(POLL_S)


def _kill(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _raw_partitions(warehouse: Path) -> int:
    return sum(len(list((warehouse / "raw" / t).glob(f"*/{PARTITION_FILE}"))) for t in RAW_TABLES)


def _parquet_files_seen_by_duckdb(warehouse: Path) -> list[str]:
    """What a reader globbing the whole warehouse for Parquet would pick up."""
    pattern = sql_literal_path(warehouse / "**" / "*.parquet")
    return sorted(duckdb.sql(f"SELECT file FROM glob({pattern})").pl()["file"].to_list())


def test_killed_backfill_leaves_complete_partitions_and_rerun_matches_uninterrupted_run(
    shop_landing: Path, reference: Reference, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = tmp_path / "warehouse"
    home = tmp_path / "dagster_home"
    env = pipeline_env(shop_landing, warehouse, home)
    total_raw = len(RAW_TABLES) * SHOP_DAYS
    log = (tmp_path / "backfill.log").open("wb")
    proc = subprocess.Popen(
        [*CLI, "backfill", "--in-process", "--start", START.isoformat(), "--end", END.isoformat()],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        # Kill in the thick of the ingest step: a third of the raw partitions are on disk.
        _wait_for(
            lambda: _raw_partitions(warehouse) >= total_raw // 3,
            proc,
            240,
            "a third of the raw partitions",
        )
    finally:
        _kill(proc)
        log.close()
    written = partition_digests(warehouse)
    raw_written = sum(k.startswith("raw/") for k in written)
    assert 0 < raw_written < total_raw, "the kill did not land in the middle of the backfill"

    # Readers see only complete partitions: every file a Parquet glob finds is a partition file,
    # byte-identical to the uninterrupted run's, and every table reads through its glob.
    seen = _parquet_files_seen_by_duckdb(warehouse)
    assert seen and all(Path(f).name == PARTITION_FILE for f in seen)
    assert {Path(f).relative_to(warehouse).as_posix() for f in seen} == set(written)
    for key, digest in written.items():
        assert reference.digests[key] == digest, f"{key} differs from the uninterrupted run's"
    wh = Warehouse(warehouse)
    tables = [f"raw/{t}" for t in RAW_TABLES if (warehouse / "raw" / t).is_dir()] + ["rejects"]
    assert len(tables) > 1
    for table in tables:
        files = sorted((warehouse / table).rglob(PARTITION_FILE))
        glob = sql_literal_path(wh.glob(table, 2 if table == "rejects" else 1))
        rows = duckdb.sql(
            f"SELECT count(*) FROM read_parquet({glob}, hive_partitioning=true)"
        ).fetchall()[0][0]
        assert rows == sum(pq.read_metadata(f).num_rows for f in files)

    # The killed run died inside a step of the catalog pool and still holds its only slot; the
    # next command marks it failed and frees the slot (else the re-run would wait forever).
    with dg.DagsterInstance.from_config(str(home)) as instance:
        (killed,) = instance.get_runs()
        assert killed.status == dg.DagsterRunStatus.STARTED
        pool = instance.event_log_storage.get_concurrency_info(CATALOG_POOL)
        assert pool.active_run_ids == {killed.run_id}
        assert cli.recover_dead_runs(instance) == [killed.run_id]
        assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.event_log_storage.get_concurrency_info(CATALOG_POOL).active_run_ids == set()
        assert cli.recover_dead_runs(instance) == []

    # Re-running the same range through the same command (and Dagster instance) repairs everything.
    for name, value in env.items():
        if name.startswith(("INVENTORY_", "DAGSTER_")):
            monkeypatch.setenv(name, value)
    assert (
        cli.main(
            ["backfill", "--in-process", "--start", START.isoformat(), "--end", END.isoformat()]
        )
        == 0
    )
    with dg.DagsterInstance.from_config(str(home)) as instance:
        statuses = sorted(r.status.value for r in instance.get_runs())
    assert statuses == ["FAILURE", "SUCCESS"]
    assert partition_digests(warehouse) == reference.digests
    assert not list(wh.tmp_dir.glob(f"*{TMP_SUFFIX}")), (
        "a killed write's temp file survived the re-run"
    )
    # The catalog file survived the kill (DuckDB replays its WAL) and its views read every
    # partition.
    with duckdb.connect(str(wh.catalog_path), read_only=True) as catalog:
        for view, table in (
            ("raw_orders", "raw/orders"),
            ("daily_sku_demand", "features/daily_sku_demand"),
        ):
            rows = catalog.sql(f"SELECT count(*) FROM {view}").fetchall()[0][0]
            assert rows == sum(
                pq.read_metadata(f).num_rows for f in (warehouse / table).rglob(PARTITION_FILE)
            )


_WRITE_BIG = """
import sys
from pathlib import Path
import numpy as np
import pyarrow as pa
from inventory_pipeline.warehouse import Warehouse

rows = int(sys.argv[2])
rng = np.random.default_rng(0)
table = pa.table({"a": rng.integers(0, 1 << 60, rows), "b": rng.random(rows)})
Warehouse(Path(sys.argv[1])).write_partition("raw/big", {"export_date": "2024-01-01"}, table)
"""


def _big_table(rows: int) -> pa.Table:
    rng = np.random.default_rng(1)
    return pa.table({"a": rng.integers(0, 1 << 60, rows), "b": rng.random(rows)})


def test_write_killed_mid_file_keeps_old_partition_and_next_write_removes_the_leftover(
    tmp_path: Path,
) -> None:
    wh = Warehouse(tmp_path / "warehouse")
    key = {"export_date": "2024-01-01"}
    old = pa.table({"a": [1, 2, 3], "b": [0.5, 0.25, 0.125]})
    wh.write_partition("raw/big", key, old)

    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITE_BIG, str(wh.root), str(BIG_ROWS)],
        env=pipeline_env(tmp_path, wh.root, tmp_path / "home"),
        start_new_session=True,
    )
    try:
        _wait_for(
            lambda: any(p.stat().st_size > 0 for p in wh.tmp_dir.glob(f"*{TMP_SUFFIX}")),
            proc,
            120,
            "the temp file of the big write",
        )
    finally:
        _kill(proc)

    leftovers = list(wh.tmp_dir.glob(f"*{TMP_SUFFIX}"))
    assert len(leftovers) == 1 and leftovers[0].stat().st_size > 0
    # The reader still sees the old partition, and nothing else, whichever glob it uses.
    assert pq.read_table(wh.partition_path("raw/big", key)).equals(old)
    assert _parquet_files_seen_by_duckdb(wh.root) == [str(wh.partition_path("raw/big", key))]
    glob = sql_literal_path(wh.glob("raw/big", 1))
    assert duckdb.sql(f"SELECT sum(a) FROM read_parquet({glob})").fetchall() == [(6,)]

    # The next write anywhere in the warehouse removes the dead writer's temp file.
    wh.write_partition("raw/other", key, pa.table({"a": [7]}))
    assert not leftovers[0].exists()
    assert list(wh.tmp_dir.iterdir()) == []
    assert pq.read_table(wh.partition_path("raw/big", key)).equals(old)


def test_stale_cleanup_keeps_the_temp_file_of_a_write_in_progress(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "warehouse")
    key = {"export_date": "2024-01-02"}
    big = _big_table(BIG_ROWS)
    errors: list[BaseException] = []

    def _write() -> None:
        try:
            wh.write_partition("raw/big", key, big)
        except Exception as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)

    writer = threading.Thread(target=_write)
    writer.start()
    _wait_for(lambda: any(wh.tmp_dir.glob(f"*{TMP_SUFFIX}")), None, 60, "the big write's temp file")
    in_progress = next(wh.tmp_dir.glob(f"*{TMP_SUFFIX}"))
    assert wh.remove_stale_temp_files() == []
    assert in_progress.exists()
    wh.write_partition("raw/small", key, pa.table({"a": [1]}))  # cleans up on the way
    writer.join(timeout=120)
    assert not errors, errors
    assert pq.read_table(wh.partition_path("raw/big", key)).equals(big)
    assert pq.read_table(wh.partition_path("raw/small", key)).to_pydict() == {"a": [1]}
    assert list(wh.tmp_dir.iterdir()) == []
