"""Jobs and schedules of the ingest group."""

import dagster as dg

from inventory_pipeline.defs.partitions import export_day_partitions

ingest_job = dg.define_asset_job(
    name="ingest_job",
    selection=dg.AssetSelection.groups("ingest"),
    partitions_def=export_day_partitions,
    description="Load the landing zone's export days into raw Parquet tables and rejects.",
)

# Ingest + features of export days: what a backfill of history runs.
daily_data_job = dg.define_asset_job(
    name="daily_data_job",
    selection=dg.AssetSelection.groups("ingest", "features"),
    partitions_def=export_day_partitions,
    description="Ingest export days and bring the feature tables up to date.",
)

ingest_schedule = dg.build_schedule_from_partitioned_job(
    ingest_job,
    name="ingest_schedule",
    hour_of_day=1,
    minute_of_hour=0,
    description="Each night at 01:00 UTC, ingest the export day that just ended.",
)
