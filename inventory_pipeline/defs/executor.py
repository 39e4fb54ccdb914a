"""The executor of every job: Dagster's multiprocess executor, steps forked from a forkserver.

Each step still runs in a process of its own (a failing or memory-hungry step cannot take the run
down), but the processes are forked from a server that has imported the code location once, instead
of spawned: a spawned step imports torch, transformers, DuckDB and the pipeline again, about 4 s on
2 cores, which on a night of 13 short steps serialised by the catalog pool was most of the run
(docs/reliability.md, "Step processes").

The run config is Dagster's own (``execution.config.multiprocess``: ``max_concurrent``,
``tag_concurrency_limits``, ``start_method``, ``retries``); only the default of ``start_method``
differs. ``start_method: {spawn: {}}`` in a run's config restores spawned steps.
"""

from typing import Any

import dagster as dg
from dagster._core.definitions.executor_definition import (
    MULTI_PROC_CONFIG,
    _core_multiprocess_executor_creation,
    multiple_process_executor_requirements,
)

# The forkserver imports the code location's module once; the forked steps find torch, DuckDB and
# the pipeline imported. (Named: a run launched from the daemon does not tell Dagster its module,
# and Dagster then preloads only itself.)
PRELOAD_MODULES = ["inventory_pipeline.definitions"]
DEFAULT_START_METHOD: dict[str, Any] = {"forkserver": {"preload_modules": PRELOAD_MODULES}}


def executor_config(config: dict[str, Any]) -> dict[str, Any]:
    """The run's executor config with the forkserver as the default start method."""
    return {**config, "start_method": config.get("start_method") or DEFAULT_START_METHOD}


@dg.executor(
    name="multiprocess",
    config_schema=MULTI_PROC_CONFIG,
    requirements=multiple_process_executor_requirements(),
)
def forkserver_multiprocess_executor(init_context: dg.InitExecutorContext) -> dg.Executor:
    """Dagster's multiprocess executor with steps forked from a forkserver unless the run config
    names another start method."""
    return _core_multiprocess_executor_creation(executor_config(dict(init_context.executor_config)))
