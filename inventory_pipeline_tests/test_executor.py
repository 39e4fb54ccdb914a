"""How the runs' steps execute."""

import dagster as dg
import pytest

from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.defs.executor import (
    DEFAULT_START_METHOD,
    PRELOAD_MODULES,
    forkserver_multiprocess_executor,
    multiprocess_config,
)


def test_every_job_forks_its_steps_from_a_server_that_imported_the_pipeline() -> None:
    defs = build_definitions()
    for name in ("daily_data_job", "nightly_forecast_job", "retrain_job", "evaluation_job"):
        assert defs.resolve_job_def(name).executor_def is forkserver_multiprocess_executor
    assert multiprocess_config({"max_concurrent": 2}) == {
        "max_concurrent": 2,
        "start_method": {"forkserver": {"preload_modules": ["inventory_pipeline.definitions"]}},
    }
    assert DEFAULT_START_METHOD["forkserver"]["preload_modules"] == PRELOAD_MODULES
    # a run config naming a start method keeps it
    assert multiprocess_config({"start_method": {"spawn": {}}})["start_method"] == {"spawn": {}}


def test_the_run_config_is_that_of_dagsters_default_executor() -> None:
    job = build_definitions().resolve_job_def("nightly_forecast_job")
    for execution in (
        {"multiprocess": {"max_concurrent": 2}},
        {"multiprocess": {"start_method": {"spawn": {}}}},
        {"in_process": {}},
    ):
        dg.validate_run_config(job, {"execution": {"config": execution}})
    with pytest.raises(dg.DagsterInvalidConfigError, match="max_concurrent"):
        dg.validate_run_config(job, {"execution": {"config": {"max_concurrent": 2}}})
