"""How the command line's runs execute and when it stops waiting for them."""

import dagster as dg

from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.defs.executor import (
    DEFAULT_START_METHOD,
    PRELOAD_MODULES,
    executor_config,
    forkserver_multiprocess_executor,
)
from inventory_pipeline.defs.launch import runs_cover

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def _run(status: dg.DagsterRunStatus, **tags: str) -> dg.DagsterRun:
    return dg.DagsterRun(job_name="nightly_forecast_job", status=status, tags=tags)


def test_every_job_forks_its_steps_from_a_server_that_imported_the_pipeline() -> None:
    defs = build_definitions()
    for name in ("daily_data_job", "nightly_forecast_job", "retrain_job", "evaluation_job"):
        assert defs.resolve_job_def(name).executor_def is forkserver_multiprocess_executor
    assert executor_config({"max_concurrent": 2}) == {
        "max_concurrent": 2,
        "start_method": {"forkserver": {"preload_modules": ["inventory_pipeline.definitions"]}},
    }
    assert DEFAULT_START_METHOD["forkserver"]["preload_modules"] == PRELOAD_MODULES
    # a run config naming a start method keeps it
    assert executor_config({"start_method": {"spawn": {}}})["start_method"] == {"spawn": {}}


def test_a_backfill_is_done_when_succeeded_runs_cover_every_partition() -> None:
    days = ["2026-01-30", "2026-01-31", "2026-02-01"]
    ok, failed = dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE
    ranged = _run(ok, **{RANGE_START: "2026-01-30", RANGE_END: "2026-02-01"})
    assert runs_cover(days, [ranged])
    # one ranged run short of the last day, then a run of that day
    short = _run(ok, **{RANGE_START: "2026-01-30", RANGE_END: "2026-01-31"})
    assert not runs_cover(days, [short])
    assert runs_cover(days, [short, _run(ok, **{"dagster/partition": "2026-02-01"})])
    # a failed or unfinished run covers nothing; nor does a run without partition tags
    assert not runs_cover(days, [_run(failed, **{RANGE_START: days[0], RANGE_END: days[-1]})])
    started = dg.DagsterRunStatus.STARTED
    assert not runs_cover(days, [_run(started, **{RANGE_START: days[0], RANGE_END: days[-1]})])
    assert not runs_cover(days, [_run(ok)])
    assert not runs_cover([], [ranged])
    assert not runs_cover(days, [])
