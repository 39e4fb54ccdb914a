"""The forecasting schedules: the nightly run, or for sharded nights the data run first."""

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition as AssetJob,
)


def build_nightly_schedule(nightly_forecast_job: AssetJob) -> dg.ScheduleDefinition:
    """``nightly_forecast_schedule``: the whole pipeline for the export day that just ended."""
    return dg.build_schedule_from_partitioned_job(
        nightly_forecast_job,
        name="nightly_forecast_schedule",
        hour_of_day=2,
        minute_of_hour=0,
        description=(
            "Each night at 02:00 UTC, run the whole pipeline for the export day that just ended."
        ),
    )


def build_sharded_data_schedule(daily_data_job: AssetJob) -> dg.ScheduleDefinition:
    """``sharded_nightly_data_schedule``: ingest + features; the sensors run shards and assembly."""
    return dg.build_schedule_from_partitioned_job(
        daily_data_job,
        name="sharded_nightly_data_schedule",
        hour_of_day=2,
        minute_of_hour=0,
        description=(
            "Sharded nights: at 02:00 UTC ingest the day that just ended and update features "
            "(the sensors then run the shards and the assembly). Use instead of "
            "nightly_forecast_schedule."
        ),
    )
