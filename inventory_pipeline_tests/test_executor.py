"""How the runs' steps execute."""

from inventory_pipeline.definitions import build_definitions
from inventory_pipeline.defs.executor import (
    DEFAULT_START_METHOD,
    PRELOAD_MODULES,
    executor_config,
    forkserver_multiprocess_executor,
)


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
