"""Dagster definitions of the pipeline, and nothing else: one package per domain with one file per
kind (``assets.py``, ``checks.py``, ``jobs.py``, ``schedules.py``, ``sensors.py`` where it has
them), plus the shared ``partitions.py``, ``pools.py`` and ``resources.py``. What the definitions
run is plain Python in the library modules (``inventory_pipeline.training.retrain``,
``inventory_pipeline.ingest``, ...); ``launch.py`` launches runs through the instance for the CLI.
"""

import warnings

import dagster as dg

# Two Dagster APIs the pipeline relies on are marked beta: single-run backfill policies and the
# date-to-(date, shard) partition mapping of the sharded job. Dagster is pinned, so the warning
# each one raises at import would only repeat itself at the top of every run and command.
warnings.filterwarnings(
    "ignore",
    message=r".*(`backfill_policy`|`MultiToSingleDimensionPartitionMapping`).*",
    category=dg.BetaWarning,
)
