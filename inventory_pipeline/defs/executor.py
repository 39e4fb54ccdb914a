"""The executor of every job: Dagster's default executor, with steps forked from a forkserver.

Each step still runs in a process of its own (a failing or memory-hungry step cannot take the run
down), but the processes are forked from a server that has imported the code location once, instead
of spawned: a spawned step imports torch, transformers, DuckDB and the pipeline again, about 4 s on
2 cores, which on a night of 13 short steps serialised by the catalog pool was most of the run
(docs/reliability.md, "Step processes").

The run config is that of Dagster's default executor (``execution.config.multiprocess``:
``max_concurrent``, ``tag_concurrency_limits``, ``start_method``, ``retries``; or
``execution.config.in_process``); only the default of ``start_method`` differs.
``start_method: {spawn: {}}`` under ``multiprocess`` restores spawned steps.
"""

from typing import Any

import dagster as dg
from dagster._core.definitions.executor_definition import (
    IN_PROC_CONFIG,
    MULTI_PROC_CONFIG,
    _core_in_process_executor_creation,
    _core_multiprocess_executor_creation,
    _get_default_executor_requirements,
)

# The forkserver imports the code location's module once; the forked steps find torch, DuckDB and
# the pipeline imported. (Named: a run launched from the daemon does not tell Dagster its module,
# and Dagster then preloads only itself.)
PRELOAD_MODULES = ["inventory_pipeline.definitions"]
DEFAULT_START_METHOD: dict[str, Any] = {"forkserver": {"preload_modules": PRELOAD_MODULES}}


def multiprocess_config(config: dict[str, Any]) -> dict[str, Any]:
    """A run's ``multiprocess`` executor config with the forkserver as the default start method."""
    return {**config, "start_method": config.get("start_method") or DEFAULT_START_METHOD}


@dg.executor(
    name="multi_or_in_process_executor",
    config_schema=dg.Field(
        dg.Selector({"multiprocess": MULTI_PROC_CONFIG, "in_process": IN_PROC_CONFIG}),
        default_value={"multiprocess": {}},
    ),
    requirements=_get_default_executor_requirements,
)
def forkserver_multiprocess_executor(init_context: dg.InitExecutorContext) -> dg.Executor:
    """Dagster's default executor (multiprocess unless the run config says ``in_process``), with
    steps forked from a forkserver unless the run config names another start method."""
    config = dict(init_context.executor_config)
    if "in_process" in config:
        return _core_in_process_executor_creation(dict(config["in_process"]))
    return _core_multiprocess_executor_creation(multiprocess_config(dict(config["multiprocess"])))
