"""The nightly ingest schedule (built from the partitioned ``ingest_job``)."""

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition as AssetJob,
)


def build_ingest_schedule(ingest_job: AssetJob) -> dg.ScheduleDefinition:
    """``ingest_schedule``: one run per export day, for the day that just ended."""
    return dg.build_schedule_from_partitioned_job(
        ingest_job,
        name="ingest_schedule",
        hour_of_day=1,
        minute_of_hour=0,
        description="Each night at 01:00 UTC, ingest the export day that just ended.",
    )
