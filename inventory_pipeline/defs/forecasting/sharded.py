"""The nightly forecast and reorder plan sharded by SKU: one step per (export day, SKU shard).

Scale-out by configuration of Dagster itself (docs/scale-out.md): the shard assets are partitioned
by ``MultiPartitionsDefinition({date, shard})``, so each (day, shard) is its own run, which the
K8sRunLauncher puts on its own pod. Each shard forecasts and plans only its SKUs and writes them to
a staging folder; the assembly assets (daily, one run per day) union the shards into the day's
published ``forecasts`` and ``reorder_plan`` partitions with one atomic write each, so readers never
see a half-assembled day; like the unsharded assets, the assembly's blocking checks keep a day
that breaks an invariant (``inventory_pipeline.invariants``) unpublished. The published tables
are row-for-row the ones the unsharded ``nightly_forecast_job`` writes (tested in
``inventory_pipeline_tests/scaleout``).

Flow of a sharded night (all automation off by default, like the rest of the project):
``daily_data_job`` (ingest + features of D, e.g. from ``sharded_nightly_data_schedule``) →
``shard_forecasts_sensor`` launches ``nightly_forecast_sharded_job`` for (D, every shard) →
``assemble_forecasts_sensor`` launches ``assemble_forecasts_job`` for D (assembly + accuracy) once
every shard of D has its plan.

Shard of a SKU: ``blake2b(sku) mod SKU_SHARDS``, the same on every run, machine and Python version
(Python's ``hash()`` is salted per process and would move SKUs between shards).
"""

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import dagster as dg
import polars as pl
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition as AssetJob,
)
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from inventory_pipeline import forecasting, invariants, tracking
from inventory_pipeline.defs.features.assets import FEATURE_KEYS
from inventory_pipeline.defs.forecasting.assets import (
    CHAMPION_KEY,
    FORECAST_CHECK,
    PLAN_CHECK,
    ReorderPlanConfig,
    _invariant_check,
    _publish,
)
from inventory_pipeline.defs.ingest.assets import CATALOG_POOL, partition_days
from inventory_pipeline.defs.partitions import (
    DATE_DIMENSION,
    SHARD_DIMENSION,
    SKU_SHARDS,
    ShopPartitions,
    sku_shard_partitions,
)
from inventory_pipeline.defs.resources import (
    MlflowResource,
    ShopSettingsResource,
    WarehouseResource,
)
from inventory_pipeline.warehouse import Warehouse, memory_connection

STAGING_FORECASTS = "staging/forecasts"
STAGING_PLAN = "staging/reorder_plan"
# Kubernetes resources of one shard run's pod (a shard of 25k SKUs: about a quarter of the 100k-SKU
# night, whose forecast step peaks near 1.2 GiB at 10k SKUs with the encoder loaded).
SHARD_POD_CONFIG = {
    "container_config": {
        "resources": {"requests": {"cpu": "1", "memory": "3Gi"}, "limits": {"memory": "6Gi"}}
    }
}
_BY_DATE = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name=DATE_DIMENSION)


# ------------------------------------------------------------------------------ shard assignment


def shard_of(sku: str, shards: int = SKU_SHARDS) -> int:
    """The shard of ``sku`` among ``shards``: stable across runs, machines and Python versions."""
    if shards < 1:
        raise ValueError(f"shards must be >= 1, got {shards}")
    digest = hashlib.blake2b(sku.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def shard_skus(skus: Iterable[str], shard: int, shards: int = SKU_SHARDS) -> list[str]:
    """The SKUs of ``skus`` that belong to ``shard``, sorted."""
    if not 0 <= shard < shards:
        raise ValueError(f"shard {shard} is not in 0..{shards - 1}")
    return sorted({s for s in skus if shard_of(s, shards) == shard})


def catalog_skus(warehouse: Warehouse, as_of: date) -> list[str]:
    """Every SKU with a catalog row exported on or before ``as_of`` (what the forecast may know)."""
    days = [
        d
        for d in warehouse.partition_values("raw/products", "export_date")
        if d <= as_of.isoformat()
    ]
    if not days:
        raise FileNotFoundError(
            f"no raw/products exports on or before {as_of} under {warehouse.root}: run the "
            f"daily_data_job for that day first"
        )
    files = [str(warehouse.partition_path("raw/products", {"export_date": d})) for d in days]
    con = memory_connection()
    try:
        frame = con.sql(
            "SELECT DISTINCT sku FROM read_parquet($files) ORDER BY sku", params={"files": files}
        ).pl()
    finally:
        con.close()
    return frame["sku"].to_list()


def shard_label(shard: int, shards: int = SKU_SHARDS) -> str:
    """Folder value of a shard's staging file, e.g. ``2-of-4`` (the count makes a stale layout visible)."""
    return f"{shard}-of-{shards}"


def _keys(context: dg.AssetExecutionContext) -> tuple[date, int]:
    key = context.partition_key
    assert isinstance(key, dg.MultiPartitionKey)
    dims = key.keys_by_dimension
    return date.fromisoformat(dims[DATE_DIMENSION]), int(dims[SHARD_DIMENSION])


def _staged(key: str, day: date, shard: int) -> dict[str, str | date]:
    return {key: day, "shard": shard_label(shard)}


# -------------------------------------------------------------------------------------- assembly


def assemble(
    wh: Warehouse, staging: str, key: str, day: date, sort_by: Sequence[str]
) -> pl.DataFrame:
    """The union of every shard's staging file of ``day``; raises if a shard is missing."""
    missing, frames = [], []
    for shard in range(SKU_SHARDS):
        path = wh.partition_path(staging, _staged(key, day, shard))
        if not path.exists():
            missing.append(shard_label(shard))
            continue
        frame = pl.read_parquet(path)
        if frame.width:
            frames.append(frame)
    if missing:
        raise FileNotFoundError(
            f"{staging} of {day} lacks shard(s) {', '.join(missing)}: materialise them "
            f"(nightly_forecast_sharded_job, partition {day}|<shard>) before assembling"
        )
    if not frames:
        raise ValueError(
            f"every shard of {staging} for {day} is empty: the catalog has no SKU to forecast"
        )
    versions = sorted({v for f in frames for v in f["model_version"].unique().to_list()})
    if len(versions) > 1:
        raise ValueError(
            f"the shards of {day} were forecast by different model versions {versions} (the champion "
            f"moved between shard runs): re-run every shard of {day} so the day is one model's"
        )
    return pl.concat(frames, how="vertical").sort(list(sort_by), maintain_order=True)


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
    return [
        dg.MultiPartitionKey({DATE_DIMENSION: day, SHARD_DIMENSION: shard})
        for shard in sku_shard_partitions.get_partition_keys()
    ]


@dataclass(frozen=True)
class ShardedDefinitions:
    """The sharded night's assets, jobs, schedules and sensors for one shop's partitions."""

    assets: list[dg.AssetsDefinition]
    jobs: list[AssetJob]
    schedules: list[dg.ScheduleDefinition]
    sensors: list[dg.SensorDefinition]


def build_sharded(parts: ShopPartitions, daily_data_job: AssetJob) -> ShardedDefinitions:
    """The sharded nightly forecast on the shop's (export day, SKU shard) partitions."""

    # ------------------------------------------------------------------------------ shard assets

    @dg.asset(
        group_name="forecasting_sharded",
        kinds={"pytorch", "mlflow", "parquet"},
        owners=["team:forecasting"],
        partitions_def=parts.export_day_shard,
        deps=[
            *(dg.AssetDep(key, partition_mapping=_BY_DATE) for key in FEATURE_KEYS),
            CHAMPION_KEY,
        ],
        description="One SKU shard's demand quantiles for the next days (staging; assembled into forecasts).",
    )
    def sku_forecasts_shard(
        context: dg.AssetExecutionContext,
        warehouse: WarehouseResource,
        mlflow_registry: MlflowResource,
        shop: ShopSettingsResource,
    ) -> dg.MaterializeResult:
        wh = warehouse.warehouse()
        features = shop.settings().feature_config()
        day, shard = _keys(context)
        skus = shard_skus(catalog_skus(wh, day), shard)
        mlflow_registry.configure()
        forecaster, version = tracking.load_champion(
            mlflow_registry.registered_model, embedding_cache_dir=wh.root / "embeddings"
        )
        model = forecasting.ModelRef(mlflow_registry.registered_model, version)
        if skus:
            rows = forecasting.forecast_day(
                wh, forecaster, day, model, feature_config=features, skus=skus
            ).rows
        else:  # a small catalog can leave a shard empty: an empty file still marks it done
            rows = pl.DataFrame()
        path = wh.write_partition(
            STAGING_FORECASTS, _staged("forecast_date", day, shard), rows.to_arrow()
        )
        forecast_skus = rows["sku"].n_unique() if rows.height else 0
        context.log.info(
            f"forecasts {day} shard {shard_label(shard)}: {forecast_skus} SKUs, {rows.height} rows"
        )
        return dg.MaterializeResult(
            metadata={
                "model_version": version,
                "catalog_skus_in_shard": len(skus),
                "skus": forecast_skus,
                "rows": rows.height,
                "path": dg.MetadataValue.path(str(path)),
            }
        )

    @dg.asset(
        group_name="forecasting_sharded",
        kinds={"polars", "parquet"},
        owners=["team:purchasing"],
        partitions_def=parts.export_day_shard,
        deps=[sku_forecasts_shard],
        description="One SKU shard's reorder plan (staging; assembled into reorder_plan).",
    )
    def reorder_plan_shard(
        context: dg.AssetExecutionContext,
        config: ReorderPlanConfig,
        warehouse: WarehouseResource,
        shop: ShopSettingsResource,
        mlflow_registry: MlflowResource,
    ) -> dg.MaterializeResult:
        mlflow_registry.configure()  # the champion's recalibrated plan levels
        settings = shop.settings()
        wh = warehouse.warehouse()
        day, shard = _keys(context)
        source = wh.partition_path(STAGING_FORECASTS, _staged("forecast_date", day, shard))
        if not source.exists():
            raise FileNotFoundError(
                f"no forecasts of shard {shard_label(shard)} for {day}: materialise sku_forecasts_shard first"
            )
        if pl.read_parquet_schema(source):
            policy = config.policy(settings)
            forecast = forecasting.load_day_forecast(
                wh, day, path=source, feature_config=settings.feature_config(), policy=policy
            )
            forecast.cover_recalibration = tracking.forecast_recalibration(forecast.rows)
            context.log.info(forecasting.plan_levels_note(forecast))
            plan = forecasting.plan_day(forecast, policy)
        else:
            plan = pl.DataFrame()
        wh.write_partition(STAGING_PLAN, _staged("plan_date", day, shard), plan.to_arrow())
        orders = int((plan["order_qty"] > 0).sum()) if plan.height else 0
        context.log.info(f"plan {day} shard {shard_label(shard)}: {plan.height} SKUs, {orders} orders")
        return dg.MaterializeResult(metadata={"skus": plan.height, "orders": orders})

    # ------------------------------------------------------------------- assembly assets

    @dg.asset(
        group_name="forecasting_sharded",
        kinds={"polars", "parquet"},
        owners=["team:forecasting"],
        partitions_def=parts.export_day,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[dg.AssetDep(sku_forecasts_shard, partition_mapping=_BY_DATE)],
        pool=CATALOG_POOL,  # publishes the catalog view
        description="Publishes the day's forecasts partition: the union of every SKU shard, written atomically.",
        check_specs=[
            dg.AssetCheckSpec(
                FORECAST_CHECK, asset="assembled_forecasts", blocking=True,
                description="The invariants of sku_forecasts' check, on the assembled day.",
            )
        ],
    )
    def assembled_forecasts(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, shop: ShopSettingsResource
    ) -> dg.MaterializeResult:
        del shop  # validated at run start, like every step's
        wh = warehouse.warehouse()
        days = partition_days(context)
        rows, rejected = None, {}
        for day in days:
            assembled = assemble(wh, STAGING_FORECASTS, "forecast_date", day, ["sku", "horizon"])
            problems = invariants.forecast_problems(
                assembled, day, invariants.catalog_as_known(wh, day)
            )
            if problems:
                rejected[day.isoformat()] = problems
                context.log.error(f"forecasts {day} NOT published: {'; '.join(problems)}")
                continue
            rows = assembled
            wh.write_partition(forecasting.FORECASTS, {"forecast_date": day}, rows.to_arrow())
            context.log.info(f"forecasts {day}: {rows['sku'].n_unique()} SKUs from {SKU_SHARDS} shards")
        _publish(wh, forecasting.FORECASTS)
        summary = {} if rows is None else {
            "skus": rows["sku"].n_unique(), "rows": rows.height,
            "model_version": rows["model_version"][0],
        }  # fmt: skip
        return dg.MaterializeResult(
            metadata={**summary, "shards": SKU_SHARDS, "days": len(days)},
            check_results=[_invariant_check(FORECAST_CHECK, days, rejected)],
        )

    @dg.asset(
        group_name="forecasting_sharded",
        kinds={"polars", "parquet"},
        owners=["team:purchasing"],
        partitions_def=parts.export_day,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[dg.AssetDep(reorder_plan_shard, partition_mapping=_BY_DATE), assembled_forecasts],
        pool=CATALOG_POOL,  # publishes the catalog view
        description="Publishes the day's reorder_plan partition: the union of every SKU shard, written atomically.",
        check_specs=[
            dg.AssetCheckSpec(
                PLAN_CHECK, asset="assembled_reorder_plan", blocking=True,
                description="The invariants of reorder_plan's check, on the assembled day.",
            )
        ],
    )
    def assembled_reorder_plan(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, shop: ShopSettingsResource
    ) -> dg.MaterializeResult:
        del shop  # validated at run start, like every step's
        wh = warehouse.warehouse()
        days = partition_days(context)
        plan, rejected = None, {}
        for day in days:
            assembled = assemble(wh, STAGING_PLAN, "plan_date", day, ["sku"])
            forecast = wh.partition_path(forecasting.FORECASTS, {"forecast_date": day})
            skus = set(pl.read_parquet(forecast, columns=["sku"])["sku"].to_list())
            gone = invariants.catalog_as_known(wh, day).discontinued
            problems = invariants.plan_problems(assembled, day, skus, gone)
            if problems:
                rejected[day.isoformat()] = problems
                context.log.error(f"plan {day} NOT published: {'; '.join(problems)}")
                continue
            plan = assembled
            wh.write_partition(forecasting.REORDER_PLAN, {"plan_date": day}, plan.to_arrow())
            orders = int((plan["order_qty"] > 0).sum())
            context.log.info(f"plan {day}: {orders} orders, value {plan['order_value'].sum():.2f}")
        _publish(wh, forecasting.REORDER_PLAN)
        summary = {} if plan is None else {
            "skus": plan.height, "orders": int((plan["order_qty"] > 0).sum()),
            "total_order_value": dg.MetadataValue.float(float(plan["order_value"].sum())),
        }  # fmt: skip
        return dg.MaterializeResult(
            metadata=summary, check_results=[_invariant_check(PLAN_CHECK, days, rejected)]
        )

    # ------------------------------------------------------------------------------- jobs, automation

    nightly_forecast_sharded_job = dg.define_asset_job(
        name="nightly_forecast_sharded_job",
        selection=dg.AssetSelection.assets(sku_forecasts_shard, reorder_plan_shard),
        partitions_def=parts.export_day_shard,
        description="Forecast and plan one SKU shard of one export day (run once per shard, in parallel).",
        # read by the K8sRunLauncher only (deploy/k8s/values.yaml): each shard run's pod requests
        tags={"dagster-k8s/config": SHARD_POD_CONFIG},
    )

    assemble_forecasts_job = dg.define_asset_job(
        name="assemble_forecasts_job",
        selection=dg.AssetSelection.assets(
            assembled_forecasts, assembled_reorder_plan, dg.AssetKey("forecast_accuracy")
        ),
        partitions_def=parts.export_day,
        description="Publish a day's forecasts and reorder plan from its SKU shards, then score accuracy.",
    )

    sharded_nightly_data_schedule = dg.build_schedule_from_partitioned_job(
        daily_data_job,
        name="sharded_nightly_data_schedule",
        hour_of_day=2,
        minute_of_hour=0,
        description="Sharded nights: at 02:00 UTC ingest the day that just ended and update features "
        "(the sensors then run the shards and the assembly). Use instead of nightly_forecast_schedule.",
    )

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[daily_data_job],
        request_job=nightly_forecast_sharded_job,
        name="shard_forecasts_sensor",
        description="After daily_data_job succeeds for one export day, forecast + plan every SKU shard of it.",
    )
    def shard_forecasts_sensor(context: dg.RunStatusSensorContext):
        day = _single_day(context.dagster_run)
        if day is None:
            return dg.SkipReason("not a one-day run (a history backfill): launch the shards explicitly")
        return [
            dg.RunRequest(run_key=f"{context.dagster_run.run_id}:{key}", partition_key=key)
            for key in shard_keys(day)
        ]

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[nightly_forecast_sharded_job],
        request_job=assemble_forecasts_job,
        name="assemble_forecasts_sensor",
        description="When the last SKU shard of a day has its plan, publish the day (assemble_forecasts_job).",
    )
    def assemble_forecasts_sensor(context: dg.RunStatusSensorContext):
        day = _single_day(context.dagster_run)
        if day is None:
            return dg.SkipReason("not a sharded run")
        done = context.instance.get_materialized_partitions(reorder_plan_shard.key)
        missing = [str(k) for k in shard_keys(day) if str(k) not in done]
        if missing:
            return dg.SkipReason(f"{day}: waiting for shard(s) {', '.join(missing)}")
        return dg.RunRequest(run_key=f"{day}:{context.dagster_run.run_id}", partition_key=day)

    return ShardedDefinitions(
        assets=[sku_forecasts_shard, reorder_plan_shard, assembled_forecasts, assembled_reorder_plan],
        jobs=[nightly_forecast_sharded_job, assemble_forecasts_job],
        schedules=[sharded_nightly_data_schedule],
        sensors=[shard_forecasts_sensor, assemble_forecasts_sensor],
    )
