"""Dagster definitions of the pipeline: one package per asset group, plus partitions and resources."""

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
