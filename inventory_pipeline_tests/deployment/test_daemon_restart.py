"""The production processes on PostgreSQL storage: ``dagster-daemon run`` and ``dagster-webserver``.

Runs are launched through the webserver's GraphQL API, as the UI does (queued in PostgreSQL),
and started by the daemon through the default run launcher, as in production. The daemon is
stopped and restarted between two runs: the first run, the schedule state and a run queued while
the daemon was down all survive, and the queued run starts once the daemon is back. The webserver
(host from the ``serve`` command) listens on 127.0.0.1 only and shows the same runs.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import dagster as dg
import psutil
import pytest
from dagster._core.scheduler.instigation import InstigatorStatus

from inventory_pipeline import cli
from inventory_pipeline.sampleshop import generate_shop
from inventory_pipeline_tests.deployment.conftest import REPO_ROOT, dagster_pg_env
from inventory_pipeline_tests.deployment.servers import (
    PgServer,
    base_env,
    free_port,
    start_group,
    stop_group,
    wait_http,
)
from inventory_pipeline_tests.deployment.test_dagster_postgres import environ, make_home

WORKSPACE = str(REPO_ROOT / "workspace.yaml")
BIN = Path(sys.executable).parent
SCHEDULE = "ingest_schedule"


def _graphql(port: int, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        body = json.load(response)
    assert "errors" not in body, body
    return body["data"]


LOCATION = {"repositoryLocationName": "inventory_pipeline", "repositoryName": "__repository__"}


def _start_schedule(port: int) -> None:
    data = _graphql(port, """mutation($s: ScheduleSelector!) { startSchedule(scheduleSelector: $s) {
        __typename ... on ScheduleStateResult { scheduleState { status } }
        ... on PythonError { message } } }""",
        {"s": {**LOCATION, "scheduleName": SCHEDULE}})  # fmt: skip
    assert data["startSchedule"].get("scheduleState", {}).get("status") == "RUNNING", data


def _launch(port: int, day: str) -> str:
    """Launches ingest_job for one export day, as the UI's Materialize button does."""
    data = _graphql(port, """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {
        __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }""",
        {"p": {"selector": {**LOCATION, "jobName": "ingest_job"},
               "executionMetadata": {
                   "tags": [{"key": "dagster/partition", "value": day}]}}})  # fmt: skip
    assert data["launchRun"]["__typename"] == "LaunchRunSuccess", data
    return data["launchRun"]["run"]["runId"]


def _wait_run(
    instance: dg.DagsterInstance, run_id: str, log: Path, timeout: float = 240
) -> dg.DagsterRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        if run is not None and run.is_finished:
            return run
        time.sleep(1)
    raise TimeoutError(
        f"run {run_id} did not finish in {timeout}s; daemon log:\n{log.read_text()[-3000:]}"
    )


def _wait_heartbeat(
    instance: dg.DagsterInstance, after: float, log: Path, timeout: float = 180
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        beats = instance.get_daemon_heartbeats()
        if "QUEUED_RUN_COORDINATOR" in beats and beats["QUEUED_RUN_COORDINATOR"].timestamp > after:
            return
        time.sleep(1)
    raise TimeoutError(f"no daemon heartbeat in {timeout}s; log:\n{log.read_text()[-3000:]}")


def _non_loopback_address() -> str | None:
    for addrs in psutil.net_if_addrs().values():
        for a in addrs:
            if a.family == socket.AF_INET and not a.address.startswith("127."):
                return a.address
    return None


def test_daemon_restart_keeps_runs_queue_and_schedule_state(pg: PgServer, tmp_path: Path) -> None:
    generate_shop(tmp_path / "landing", tmp_path / "truth", skus=6, days=3, start=date(2024, 1, 1),
                  seed=4, progress=False)  # fmt: skip
    home = make_home(tmp_path / "dagster_home")
    pg_env = dagster_pg_env(pg, pg.create_database("dagster_daemon"))
    env = base_env(
        DAGSTER_HOME=str(home), INVENTORY_DATA_DIR=str(tmp_path / "data"),
        INVENTORY_LANDING_DIR=str(tmp_path / "landing"),
        INVENTORY_WAREHOUSE_DIR=str(tmp_path / "wh"),
        **pg_env,
    )  # fmt: skip
    log, web_log = tmp_path / "daemon.log", tmp_path / "webserver.log"
    daemon_cmd = [str(BIN / "dagster-daemon"), "run", "-w", WORKSPACE]
    port = free_port()
    serve = cli.serve_command(port)
    host = serve[serve.index("-h") + 1]
    web_cmd = [str(BIN / "dagster-webserver"), "-w", WORKSPACE, "-h", host, "-p", str(port)]

    with environ(pg_env), dg.DagsterInstance.from_config(str(home)) as instance:
        started = time.time()
        web = start_group(web_cmd, web_log, env, cwd=REPO_ROOT)
        daemon = start_group(daemon_cmd, log, env, cwd=REPO_ROOT)
        try:
            wait_http(f"http://127.0.0.1:{port}/server_info", web, web_log, timeout=240)
            _assert_loopback_only(web, port)
            _start_schedule(port)
            _wait_heartbeat(instance, started, log)
            first = _launch(port, "2024-01-01")
            assert _wait_run(instance, first, log).status == dg.DagsterRunStatus.SUCCESS

            stop_group(daemon)
            assert daemon.returncode is not None
            # Daemon down: a run launched from the UI waits in the queue (in PostgreSQL).
            second = _launch(port, "2024-01-02")
            time.sleep(2)
            assert instance.get_run_by_id(second).status == dg.DagsterRunStatus.QUEUED

            restarted = time.time()
            daemon = start_group(daemon_cmd, log, env, cwd=REPO_ROOT)
            _wait_heartbeat(instance, restarted, log)
            assert _wait_run(instance, second, log).status == dg.DagsterRunStatus.SUCCESS
            ui_runs = _graphql(port, "{ runsOrError { ... on Runs { results { runId status } } } }")
        finally:
            stop_group(daemon)
            stop_group(web)

        # Nothing was lost across the restart.
        runs = {r.run_id: r for r in instance.get_runs(dg.RunsFilter(run_ids=[first, second]))}
        assert {k: r.status for k, r in runs.items()} == {
            first: dg.DagsterRunStatus.SUCCESS, second: dg.DagsterRunStatus.SUCCESS,
        }  # fmt: skip
        assert instance.get_materialized_partitions(dg.AssetKey("raw_orders")) == {
            "2024-01-01",
            "2024-01-02",
        }
        states = {s.instigator_name: s for s in instance.all_instigator_state()}
        assert states[SCHEDULE].status == InstigatorStatus.RUNNING
        results = ui_runs["runsOrError"]["results"]
        assert {first, second} <= {r["runId"] for r in results if r["status"] == "SUCCESS"}

    con = pg.connect(pg_env["DAGSTER_PG_DB"])
    try:
        with con.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM runs WHERE run_id IN (%s, %s) AND status = 'SUCCESS'",
                (first, second),
            )
            assert cur.fetchone()[0] == 2
            cur.execute("SELECT count(*) FROM instigators WHERE status = 'RUNNING'")
            assert cur.fetchone()[0] == 1
            cur.execute("SELECT daemon_type FROM daemon_heartbeats")
            assert {"SCHEDULER", "QUEUED_RUN_COORDINATOR"} <= {t for (t,) in cur.fetchall()}
    finally:
        con.close()


def _assert_loopback_only(web: subprocess.Popen, port: int) -> None:
    """The UI socket is bound to 127.0.0.1, so other machines cannot reach it."""
    group = [p for p in psutil.process_iter() if _in_group(p, web.pid)]
    bound = {
        c.laddr.ip
        for p in group
        for c in _connections(p)
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port
    }
    assert bound == {"127.0.0.1"}
    address = _non_loopback_address()
    if address is not None:  # a machine with a network interface: connecting to it is refused
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=3).close()


def _in_group(p: psutil.Process, pgid: int) -> bool:
    try:
        return os.getpgid(p.pid) == pgid
    except (ProcessLookupError, psutil.Error):
        return False


def _connections(p: psutil.Process) -> list:
    try:
        return p.net_connections(kind="tcp")
    except psutil.Error:
        return []
