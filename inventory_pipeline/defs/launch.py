"""Runs launched through the Dagster instance against the code location, as the UI launches them.

A run created here carries the code location's origin, so it is listed under its job in the UI;
a range of export days becomes a backfill (listed under *Backfills* with its partitions) that the
daemon turns into one ranged run (the assets' single-run backfill policy). Runs go through the
instance's run queue, so its limits apply. The command line waits for the outcome and prints the
run's log as it goes.

The daemon dequeues runs and executes backfills. When none is running for the instance (no
recent heartbeat), :func:`daemon_for_instance` starts one for the duration of the command;
:func:`served_ui` starts the UI with its daemon instead (the demo's way: the runs show in the UI
as they happen).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
from dagster._core.execution.backfill import (
    BULK_ACTION_TERMINAL_STATUSES,
    BulkActionStatus,
    PartitionBackfill,
)
from dagster._core.remote_representation.code_location import CodeLocation
from dagster._core.remote_representation.external import RemoteRepository
from dagster._core.storage.tags import BACKFILL_ID_TAG
from dagster._core.utils import make_new_backfill_id
from dagster._core.workspace.context import BaseWorkspaceRequestContext, WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceFileTarget
from dagster._daemon.controller import all_daemons_live
from dagster._time import get_current_timestamp

LOCATION_NAME = "inventory_pipeline"  # the code location of workspace.yaml
REPOSITORY_NAME = "__repository__"  # the repository a `Definitions` object becomes


@dataclass(frozen=True)
class LaunchConfig:
    """How the command line waits for runs it launched through the instance."""

    poll_seconds: float = 2.0  # between two looks at the run's status and new log lines
    daemon_heartbeat_tolerance_seconds: float = 90.0  # older heartbeats: no daemon is running
    daemon_start_seconds: float = 180.0  # a started daemon (or UI) must be up within this time
    queued_timeout_seconds: float = 900.0  # a run QUEUED longer without a live daemon fails


Printer = Callable[[str], None]
REPEAT_MIN_CHARS = 200  # a log message this long, repeated by a later step, is printed once
_TERMINAL_RUN = {
    dg.DagsterRunStatus.SUCCESS,
    dg.DagsterRunStatus.FAILURE,
    dg.DagsterRunStatus.CANCELED,
}


@dataclass(frozen=True)
class LaunchOutcome:
    """What the command prints and exits with."""

    success: bool
    run_ids: list[str]
    backfill_id: str | None = None


def daemon_live(instance: dg.DagsterInstance, config: LaunchConfig = LaunchConfig()) -> bool:
    """True when a daemon (``dagster dev``'s or a standalone one) heartbeats for the instance."""
    return all_daemons_live(
        instance, heartbeat_tolerance_seconds=config.daemon_heartbeat_tolerance_seconds
    )


@contextmanager
def daemon_for_instance(
    instance: dg.DagsterInstance,
    workspace_file: Path,
    log_file: Path,
    config: LaunchConfig = LaunchConfig(),
    echo: Printer = print,
) -> Iterator[None]:
    """Uses the instance's running daemon, else runs ``dagster-daemon`` until the block ends.

    The started daemon runs in its own process group and is stopped by its pid; its heartbeats
    are then wiped so that the next command does not mistake them for a live daemon.
    """
    if daemon_live(instance, config):
        yield
        return
    command = [sys.executable, "-m", "dagster._daemon", "run", "-w", str(workspace_file)]
    echo(f"starting the Dagster daemon for this command (log: {log_file})")
    try:
        with _started(command, log_file, "the Dagster daemon",
                      lambda: daemon_live(instance, config), config):  # fmt: skip
            yield
    finally:
        instance.wipe_daemon_heartbeats()


@contextmanager
def served_ui(
    instance: dg.DagsterInstance,
    command: Sequence[str],
    url: str,
    log_file: Path,
    config: LaunchConfig = LaunchConfig(),
) -> Iterator[subprocess.Popen]:
    """Runs ``command`` (``dagster dev``: the UI and its daemon) until the block ends, once the
    daemon heartbeats for ``instance`` and the UI answers at ``url``; yields its process.

    Runs submitted inside the block are taken from the queue by that daemon, so the UI lists
    them as they start. The process group is stopped at the end and its heartbeats wiped."""

    def ready() -> bool:
        if not daemon_live(instance, config):
            return False
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=5):
                return True
        except OSError:
            return False

    previous = _stop_on_signals()
    try:
        with _started(command, log_file, "the Dagster UI", ready, config) as process:
            yield process
    finally:
        instance.wipe_daemon_heartbeats()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stop_on_signals() -> dict[int, Any]:
    """Ctrl-C (also when started in the background, where SIGINT is ignored) and SIGTERM end the
    block with an exception, so that the UI's process group is stopped, never left behind on its
    port. Returns the previous handlers (none are changed outside the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def terminate(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, terminate)
    return previous


@contextmanager
def _started(
    command: Sequence[str],
    log_file: Path,
    what: str,
    ready: Callable[[], bool],
    config: LaunchConfig,
) -> Iterator[subprocess.Popen]:
    """``command`` in a process group of its own (output to ``log_file``) from when ``ready()``
    until the block ends; a process that exits or is not ready in time raises, naming the log."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            list(command), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + config.daemon_start_seconds
        while not ready():
            if process.poll() is not None:
                raise RuntimeError(f"{what} exited with code {process.returncode}; see {log_file}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start in time; see {log_file}")
            time.sleep(config.poll_seconds)
        yield process
    finally:
        stop_process_group(process, timeout_seconds=60)


def stop_process_group(process: subprocess.Popen, timeout_seconds: float) -> None:
    """SIGTERM to the process group a ``start_new_session`` child leads, SIGKILL after the timeout
    (``dagster dev`` and the daemon ignore SIGINT when started from a non-interactive shell)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


OpenLocation = tuple[BaseWorkspaceRequestContext, CodeLocation, RemoteRepository]
_held: ContextVar[tuple[Path, OpenLocation] | None] = ContextVar("held_location", default=None)


@contextmanager
def held_code_location(instance: dg.DagsterInstance, workspace_file: Path) -> Iterator[None]:
    """Keeps the workspace's code location open for the block: every :func:`code_location` of
    the same workspace file inside it (a command's several submissions, e.g. the demo's runs)
    reuses that one code server instead of starting its own, 4 to 8 s each on 2 cores."""
    with code_location(instance, workspace_file) as opened:
        token = _held.set((workspace_file, opened))
        try:
            yield
        finally:
            _held.reset(token)


@contextmanager
def code_location(instance: dg.DagsterInstance, workspace_file: Path) -> Iterator[OpenLocation]:
    """The workspace's code location as the webserver loads it (a code server process, which
    logs warnings only, as ``dagster dev``'s daemon runs its own: its start and stop are not
    news on the command's terminal); the one a :func:`held_code_location` block holds open."""
    held = _held.get()
    if held is not None and held[0] == workspace_file:
        yield held[1]
        return
    target = WorkspaceFileTarget(paths=[str(workspace_file)])
    with WorkspaceProcessContext(
        instance, target, code_server_log_level="WARNING"
    ) as process_context:
        workspace = process_context.create_request_context()
        errors = workspace.get_code_location_error(LOCATION_NAME)
        if errors:
            raise RuntimeError(f"the code location {LOCATION_NAME} failed to load:\n{errors}")
        location = workspace.get_code_location(LOCATION_NAME)
        yield workspace, location, location.get_repository(REPOSITORY_NAME)


def submit_job_run(
    instance: dg.DagsterInstance,
    workspace_file: Path,
    job_name: str,
    run_config: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
) -> str:
    """Creates a run of ``job_name`` with the code location's origin and submits it to the queue."""
    with code_location(instance, workspace_file) as (workspace, location, repo):
        remote_job = repo.get_full_job(job_name)
        run_config = dict(run_config or {})
        plan = location.get_execution_plan(
            remote_job, run_config, step_keys_to_execute=None, known_state=None, instance=instance
        ).execution_plan_snapshot
        run = instance.create_run(
            job_name=job_name,
            run_id=None,
            run_config=run_config,
            resolved_op_selection=None,
            step_keys_to_execute=plan.step_keys_to_execute,
            op_selection=None,
            status=None,
            root_run_id=None,
            parent_run_id=None,
            tags={**remote_job.tags, **(tags or {})},
            job_snapshot=remote_job.job_snapshot,
            execution_plan_snapshot=plan,
            parent_job_snapshot=remote_job.parent_job_snapshot,
            remote_job_origin=remote_job.get_remote_origin(),
            job_code_origin=remote_job.get_python_origin(),
            asset_selection=None,
            asset_check_selection=None,
            asset_graph=repo.asset_graph,
        )
        instance.submit_run(run.run_id, workspace)
    return run.run_id


def submit_job_backfill(
    instance: dg.DagsterInstance,
    workspace_file: Path,
    job_name: str,
    partition_keys: Sequence[str],
    tags: Mapping[str, str] | None = None,
    title: str | None = None,
) -> str:
    """Requests a backfill of ``job_name`` over ``partition_keys``; the daemon launches its runs."""
    with code_location(instance, workspace_file) as (_, _, repo):
        partition_set = next(
            (ps for ps in repo.get_partition_sets() if ps.job_name == job_name), None
        )
        if partition_set is None:
            raise ValueError(f"{job_name} is not partitioned by export day")
        backfill = PartitionBackfill(
            backfill_id=make_new_backfill_id(),
            partition_set_origin=partition_set.get_remote_origin(),
            status=BulkActionStatus.REQUESTED,
            partition_names=list(partition_keys),
            from_failure=False,
            reexecution_steps=None,
            tags=dict(tags or {}),
            backfill_timestamp=get_current_timestamp(),
            title=title,
        )
        instance.add_backfill(backfill)
    return backfill.backfill_id


class RunWatcher:
    """Prints a run's step events and log messages as they arrive (the console log of the run)."""

    def __init__(self, instance: dg.DagsterInstance, run_id: str, echo: Printer) -> None:
        self.instance, self.run_id, self.echo = instance, run_id, echo
        self.cursor: str | None = None
        self.status: dg.DagsterRunStatus | None = None
        self.said: set[str] = set()  # long messages printed already (e.g. each step's settings)

    def poll(self) -> dg.DagsterRunStatus:
        run = self.instance.get_run_by_id(self.run_id)
        assert run is not None, self.run_id
        connection = self.instance.get_records_for_run(self.run_id, cursor=self.cursor)
        self.cursor = connection.cursor
        for record in connection.records:
            line = _log_line(record.event_log_entry)
            if line:
                self.echo(self._once(line, record.event_log_entry.step_key))
        if run.status != self.status:
            self.status = run.status
            self.echo(f"run {self.run_id} ({run.job_name}): {run.status.value}")
        return run.status

    def _once(self, line: str, step: str | None) -> str:
        """``line``, or a short reference to it when its message was printed for an earlier step
        (a step process logs the shop's settings as it starts: one long line per step)."""
        message = line.strip().removeprefix(step or "").strip()
        if len(message) < REPEAT_MIN_CHARS or "\n" in message:
            return line
        if message in self.said:
            return f"  {step or ''} {message[:60]}… (as above)".rstrip()
        self.said.add(message)
        return line


def _log_line(entry: dg.EventLogEntry) -> str | None:
    """The line worth printing for one event: user log messages, step outcomes, failures."""
    import logging

    event = entry.dagster_event
    if event is None:
        if entry.level >= logging.INFO and entry.user_message:
            return f"  {entry.step_key or ''} {entry.user_message}".rstrip()
        return None
    wanted = {"STEP_SUCCESS", "STEP_FAILURE", "RUN_FAILURE"}
    if event.event_type_value not in wanted:
        return None
    line = f"{event.step_key or ''} {entry.user_message or event.event_type_value}".strip()
    error = getattr(event.event_specific_data, "error", None)
    while error is not None and error.cause is not None:  # the root cause says what went wrong
        error = error.cause
    return f"  {line}" + (f"\n    {error.message.strip()}" if error is not None else "")


def wait_for_run(
    instance: dg.DagsterInstance,
    run_id: str,
    config: LaunchConfig = LaunchConfig(),
    echo: Printer = print,
) -> bool:
    """Waits until the run ends, printing its log; True on success."""
    watcher = RunWatcher(instance, run_id, echo)
    queued_since = time.monotonic()
    while True:
        status = watcher.poll()
        if status in _TERMINAL_RUN:
            return status == dg.DagsterRunStatus.SUCCESS
        if status != dg.DagsterRunStatus.QUEUED:
            queued_since = time.monotonic()
        elif time.monotonic() - queued_since > config.queued_timeout_seconds:
            raise RuntimeError(
                f"run {run_id} is still QUEUED after {config.queued_timeout_seconds:.0f}s: is the "
                "Dagster daemon running (`inventory-pipeline serve`), or is the run queue full?"
            )
        time.sleep(config.poll_seconds)


def wait_for_backfill(
    instance: dg.DagsterInstance,
    backfill_id: str,
    config: LaunchConfig = LaunchConfig(),
    echo: Printer = print,
) -> LaunchOutcome:
    """Waits until the daemon has run every partition of the backfill, printing each run's log."""
    watchers: dict[str, RunWatcher] = {}
    while True:
        backfill = instance.get_backfill(backfill_id)
        assert backfill is not None, backfill_id
        for run in instance.get_runs(dg.RunsFilter(tags={BACKFILL_ID_TAG: backfill_id})):
            watchers.setdefault(run.run_id, RunWatcher(instance, run.run_id, echo))
        statuses = [w.poll() for w in watchers.values()]
        if backfill.status in BULK_ACTION_TERMINAL_STATUSES and all(
            s in _TERMINAL_RUN for s in statuses
        ):
            ok = backfill.status in (BulkActionStatus.COMPLETED_SUCCESS, BulkActionStatus.COMPLETED)
            ok = ok and all(s == dg.DagsterRunStatus.SUCCESS for s in statuses)
            if backfill.error:
                echo(f"backfill {backfill_id}: {backfill.error.message}")
            return LaunchOutcome(ok, list(watchers), backfill_id)
        time.sleep(config.poll_seconds)
