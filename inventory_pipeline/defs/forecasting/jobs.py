"""The nightly job and its schedule."""

import dagster as dg

from inventory_pipeline.defs.partitions import export_day_partitions

nightly_forecast_job = dg.define_asset_job(
    name="nightly_forecast_job",
    selection=dg.AssetSelection.groups("ingest", "features", "forecasting"),
    partitions_def=export_day_partitions,
    description="Ingest the export day, update features, forecast, plan orders and score accuracy.",
)

nightly_forecast_schedule = dg.build_schedule_from_partitioned_job(
    nightly_forecast_job,
    name="nightly_forecast_schedule",
    hour_of_day=2,
    minute_of_hour=0,
    description="Each night at 02:00 UTC, run the whole pipeline for the export day that just ended.",
)
