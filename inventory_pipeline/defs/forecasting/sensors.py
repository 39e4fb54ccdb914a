"""The sharded night's sensors: shard runs after the day's data, the assembly after every shard.

Flow of a sharded night (all automation off by default, like the rest of the project):
``daily_data_job`` (ingest + features of D, e.g. from ``sharded_nightly_data_schedule``) →
``shard_forecasts_sensor`` launches ``nightly_forecast_sharded_job`` for (D, every shard) →
``assemble_forecasts_sensor`` launches ``assemble_forecasts_job`` for D (assembly + accuracy) once
every shard of D has its plan.
"""

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition as AssetJob,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from inventory_pipeline.defs.partitions import (
    DATE_DIMENSION,
    SHARD_DIMENSION,
    sku_shard_partitions,
)

REORDER_PLAN_SHARD = dg.AssetKey("reorder_plan_shard")


def _single_day(run: dg.DagsterRun) -> str | None:
    """The export day of a run over one day (a partition key or a one-day range), else None."""
    tags = run.tags
    key = tags.get(PARTITION_NAME_TAG)
    if key is None and tags.get(ASSET_PARTITION_RANGE_START_TAG) == tags.get(
        ASSET_PARTITION_RANGE_END_TAG
    ):
        key = tags.get(ASSET_PARTITION_RANGE_START_TAG)
    if key is None:
        return None
    return key.split("|")[0] if "|" in key else key


def shard_keys(day: str) -> list[dg.MultiPartitionKey]:
    """The (day, shard) partition keys of every shard of ``day``."""
    return [
        dg.MultiPartitionKey({DATE_DIMENSION: day, SHARD_DIMENSION: shard})
        for shard in sku_shard_partitions.get_partition_keys()
    ]


def build_shard_sensors(
    daily_data_job: AssetJob, sharded_job: AssetJob, assemble_job: AssetJob
) -> list[dg.SensorDefinition]:
    """``shard_forecasts_sensor`` and ``assemble_forecasts_sensor``."""

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[daily_data_job],
        request_job=sharded_job,
        name="shard_forecasts_sensor",
        description=(
            "After daily_data_job succeeds for one export day, forecast + plan every SKU shard "
            "of it."
        ),
    )
    def shard_forecasts_sensor(context: dg.RunStatusSensorContext):
        day = _single_day(context.dagster_run)
        if day is None:
            return dg.SkipReason(
                "not a one-day run (a history backfill): launch the shards explicitly"
            )
        return [
            dg.RunRequest(run_key=f"{context.dagster_run.run_id}:{key}", partition_key=key)
            for key in shard_keys(day)
        ]

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[sharded_job],
        request_job=assemble_job,
        name="assemble_forecasts_sensor",
        description=(
            "When the last SKU shard of a day has its plan, publish the day "
            "(assemble_forecasts_job)."
        ),
    )
    def assemble_forecasts_sensor(context: dg.RunStatusSensorContext):
        day = _single_day(context.dagster_run)
        if day is None:
            return dg.SkipReason("not a sharded run")
        done = context.instance.get_materialized_partitions(REORDER_PLAN_SHARD)
        missing = [str(k) for k in shard_keys(day) if str(k) not in done]
        if missing:
            return dg.SkipReason(f"{day}: waiting for shard(s) {', '.join(missing)}")
        return dg.RunRequest(run_key=f"{day}:{context.dagster_run.run_id}", partition_key=day)

    return [shard_forecasts_sensor, assemble_forecasts_sensor]
