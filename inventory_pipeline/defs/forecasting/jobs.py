"""The nightly job and its schedule (built with the shop's partitions)."""

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition as AssetJob,
)


def build_nightly_jobs(
    partitions_def: dg.PartitionsDefinition,
) -> tuple[AssetJob, dg.ScheduleDefinition]:
    """``nightly_forecast_job`` and ``nightly_forecast_schedule``."""
    nightly_forecast_job = dg.define_asset_job(
        name="nightly_forecast_job",
        selection=dg.AssetSelection.groups("ingest", "features", "forecasting"),
        partitions_def=partitions_def,
        description="Ingest the export day, update features, forecast, plan orders and score accuracy.",
    )
    nightly_forecast_schedule = dg.build_schedule_from_partitioned_job(
        nightly_forecast_job,
        name="nightly_forecast_schedule",
        hour_of_day=2,
        minute_of_hour=0,
        description="Each night at 02:00 UTC, run the whole pipeline for the export day that just ended.",
    )
    return nightly_forecast_job, nightly_forecast_schedule
