"""Jobs of the ingest group (built with the shop's partitions)."""

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition as AssetJob,
)


def build_ingest_jobs(partitions_def: dg.PartitionsDefinition) -> tuple[AssetJob, AssetJob]:
    """``ingest_job`` and ``daily_data_job`` (ingest + features: what a history backfill runs)."""
    ingest_job = dg.define_asset_job(
        name="ingest_job",
        selection=dg.AssetSelection.groups("ingest"),
        partitions_def=partitions_def,
        description="Load the landing zone's export days into raw Parquet tables and rejects.",
    )
    daily_data_job = dg.define_asset_job(
        name="daily_data_job",
        selection=dg.AssetSelection.groups("ingest", "features"),
        partitions_def=partitions_def,
        description="Ingest export days and bring the feature tables up to date.",
    )
    return ingest_job, daily_data_job
