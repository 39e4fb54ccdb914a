"""The forecasting jobs: the nightly job, and the sharded night's shard and assembly jobs."""

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition as AssetJob,
)

# Kubernetes resources of one shard run's pod (a shard of 25k SKUs: about a quarter of the 100k-SKU
# night, whose forecast step peaks near 1.2 GiB at 10k SKUs with the encoder loaded).
SHARD_POD_CONFIG = {
    "container_config": {
        "resources": {"requests": {"cpu": "1", "memory": "3Gi"}, "limits": {"memory": "6Gi"}}
    }
}


def build_nightly_job(partitions_def: dg.PartitionsDefinition) -> AssetJob:
    """``nightly_forecast_job``: ingest, features, forecasts, plan and accuracy of export days."""
    return dg.define_asset_job(
        name="nightly_forecast_job",
        selection=dg.AssetSelection.groups("ingest", "features", "forecasting"),
        partitions_def=partitions_def,
        description=(
            "Ingest the export day, update features, forecast, plan orders and score accuracy."
        ),
    )


def build_sharded_jobs(
    export_day_shard: dg.PartitionsDefinition, export_day: dg.PartitionsDefinition
) -> tuple[AssetJob, AssetJob]:
    """``nightly_forecast_sharded_job`` (a run per day and shard), ``assemble_forecasts_job``."""
    nightly_forecast_sharded_job = dg.define_asset_job(
        name="nightly_forecast_sharded_job",
        selection=dg.AssetSelection.assets("sku_forecasts_shard", "reorder_plan_shard"),
        partitions_def=export_day_shard,
        description=(
            "Forecast and plan one SKU shard of one export day (run once per shard, in parallel)."
        ),
        # read by the K8sRunLauncher only (deploy/k8s/values.yaml): each shard run's pod requests
        tags={"dagster-k8s/config": SHARD_POD_CONFIG},
    )
    assemble_forecasts_job = dg.define_asset_job(
        name="assemble_forecasts_job",
        selection=dg.AssetSelection.assets(
            "assembled_forecasts", "assembled_reorder_plan", "forecast_accuracy"
        ),
        partitions_def=export_day,
        description=(
            "Publish a day's forecasts and reorder plan from its SKU shards, then score accuracy."
        ),
    )
    return nightly_forecast_sharded_job, assemble_forecasts_job
