"""Forecasting assets: nightly SKU forecasts, the reorder plan and forecast accuracy, unsharded
and sharded by SKU.

Partitioned by export day: partition D uses only what was exported up to D (the forecast origin).
Backfills run as one run over the range and load the champion model once. Each origin's features
are read once: the forecast step reads them (with the plan's lookback) and stages what the plan
needs of them (``forecasting.write_plan_features``); the plan step reads that, not the raw exports.
The library logic is in ``inventory_pipeline.forecasting`` and ``inventory_pipeline.sharding``;
the blocking invariant checks in ``checks.py``.

Sharded night (docs/scale-out.md): the shard assets are partitioned by
``MultiPartitionsDefinition({date, shard})``, so each (day, shard) is its own run, which the
K8sRunLauncher puts on its own pod. Each shard forecasts and plans only its SKUs into a staging
folder; the assembly assets (daily, one run per day) union the shards into the day's published
``forecasts`` and ``reorder_plan`` partitions with one atomic write each; like the unsharded
assets, the assembly's blocking checks keep a day that breaks an invariant unpublished. The
published tables are row-for-row the ones the unsharded ``nightly_forecast_job`` writes (tested
in ``inventory_pipeline_tests/scaleout``).
"""

import dataclasses
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import dagster as dg
import polars as pl
import pydantic
from tqdm import tqdm

from inventory_pipeline import buyer, forecasting, invariants, overrides, plots, sharding, tracking
from inventory_pipeline.defs.features.assets import FEATURE_KEYS
from inventory_pipeline.defs.forecasting.checks import (
    FORECAST_CHECK,
    PLAN_CHECK,
    accuracy_check,
    accuracy_check_spec,
    forecast_check_spec,
    invariant_check,
    plan_check_spec,
)
from inventory_pipeline.defs.partitions import (
    DATE_DIMENSION,
    SHARD_DIMENSION,
    ShopPartitions,
    partition_days,
)
from inventory_pipeline.defs.pools import CATALOG_POOL
from inventory_pipeline.defs.resources import (
    MlflowResource,
    ShopSettingsResource,
    WarehouseResource,
)
from inventory_pipeline.features.as_of import FeatureSet, features_as_of
from inventory_pipeline.features.sources import longest_lead_time_days
from inventory_pipeline.reorder import ReorderConfig
from inventory_pipeline.settings import ShopSettings
from inventory_pipeline.warehouse import Warehouse

_FAN_SKUS = 4
CHAMPION_KEY = dg.AssetKey("champion_model")  # lineage: which model wrote the forecasts
_BY_DATE = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name=DATE_DIMENSION)


@dataclass(frozen=True)
class PublishingDeadline:
    """When the night's forecasts and plan must be published (the nightly run starts at 02:00).

    A cron freshness policy (Dagster's current freshness API, evaluated by the daemon when
    ``freshness: enabled`` is set in dagster.yaml) on ``sku_forecasts`` and ``reorder_plan``: each
    morning's deadline expects a materialisation since the nightly run started, so "tonight's plan
    is missing" shows in the UI's asset health. The policy looks at the asset as a whole, so a
    backfill of old days inside that window also counts as fresh.
    """

    deadline_cron: str = "0 6 * * *"  # every day at 06:00 the night's tables must be there
    window_hours: int = 4  # ... materialised within this many hours before the deadline
    timezone: str = "UTC"

    def policy(self) -> dg.FreshnessPolicy:
        return dg.FreshnessPolicy.cron(
            deadline_cron=self.deadline_cron,
            lower_bound_delta=timedelta(hours=self.window_hours),
            timezone=self.timezone,
        )


DEFAULT_DEADLINE = PublishingDeadline()


def _publish(wh: Warehouse, name: str) -> None:
    from inventory_pipeline.warehouse import sql_literal_path

    glob = sql_literal_path(wh.glob(name, 1))
    wh.publish_views({name: f"SELECT * FROM read_parquet({glob}, hive_partitioning=false)"})


def _progress(days: list[date], label: str) -> tqdm:
    return tqdm(days, desc=label, unit="day", disable=not sys.stderr.isatty(), leave=False)


def _fan_skus(rows: pl.DataFrame) -> list[str]:
    """A fast mover, a slow one and the ones in between: a readable spread of the catalog."""
    totals = rows.group_by("sku").agg(pl.col("p50").sum()).sort("p50", descending=True)
    if totals.height <= _FAN_SKUS:
        return totals["sku"].to_list()
    step = (totals.height - 1) / (_FAN_SKUS - 1)
    return [totals["sku"][round(i * step)] for i in range(_FAN_SKUS)]


class _PolicyOverrides(dg.Config):
    def policy(self, settings: ShopSettings) -> ReorderConfig:
        """The reorder policy: the shop's settings, with this run's explicit values on top."""
        return dataclasses.replace(
            settings.reorder_config(), **overrides.given(self, ReorderConfig)
        )


ReorderPlanConfig = pydantic.create_model(
    "ReorderPlanConfig",
    __base__=_PolicyOverrides,
    __module__=__name__,
    __doc__="Overrides of the reorder policy for one run: one optional field per field of "
    "ReorderConfig; an empty field takes the shop's settings (else the policy's default).",
    **overrides.optional_fields(ReorderConfig),
)


class AccuracyConfig(dg.Config):
    """When forecast accuracy counts as drifting."""

    horizon_days: int | None = None  # forecasts made up to this many days before are scored
    # (empty: the shop's forecast horizon, ShopSettings.horizon)
    drift_factor: float = 1.5  # warn when today's WQL exceeds this × the trailing median
    trailing_days: int = 28  # days of earlier scores the median is taken over


def _buyer_metadata(
    wh: Warehouse,
    plan: pl.DataFrame,
    forecast: forecasting.DayForecast,
    currency: str,
    staged: FeatureSet | None = None,
) -> dict[str, dg.MetadataValue]:
    """The plan's last day as the buyer sees it: every order as a table, fan charts of the
    largest orders, and the sheet written to the outbox (CSV + XLSX). ``staged``: the features
    the forecast step staged for the plan (their history is charted), else they are read."""
    config = buyer.BuyerSheetConfig()
    static = forecast.features.static
    titles = dict(zip(static["sku"].to_list(), static["title"].fill_null("").to_list()))
    sheet = buyer.order_sheet(
        plan, titles, forecast.levels, forecast.cumulative, forecast.skus, currency
    )
    day = forecast.forecast_date
    outbox = buyer.outbox_dir(wh.root)
    files = buyer.write_sheets(sheet, outbox, day)
    metadata: dict[str, dg.MetadataValue] = {
        "plan_date": dg.MetadataValue.text(day.isoformat()),
        "orders_table": _orders_table(sheet.head(config.table_rows), currency),
        "buyer_sheet_csv": dg.MetadataValue.path(str(files[0])),
        "buyer_sheet_xlsx": dg.MetadataValue.path(str(files[1])),
    }
    if sheet.height > config.table_rows:
        metadata["orders_not_in_table"] = dg.MetadataValue.int(sheet.height - config.table_rows)
    top = sheet["sku"].head(config.fan_chart_skus).to_list()
    if top:
        if staged is not None and forecasting.held_history_days(staged) >= config.fan_history_days:
            history = forecasting.narrowed(staged, config.fan_history_days, top).history
        else:
            history = features_as_of(
                wh, day, skus=top, history_days=config.fan_history_days, horizon=1,
                category_season=False,
            ).history  # fmt: skip
        arrivals = dict(zip(sheet["sku"], sheet["expected_arrival"]))
        labels = {s: f"{s} {titles.get(s, '')}"[:80] for s in top}
        png = plots.fan_chart(
            history, forecast.rows.filter(pl.col("sku").is_in(top)), top,
            f"Largest orders of {day}: forecast and arrival", labels, arrivals,
        )  # fmt: skip
        chart = outbox / f"reorder_plan_{day.isoformat()}_fan_chart.png"
        tmp = chart.with_name(f".{chart.name}.tmp")
        tmp.write_bytes(png)
        tmp.replace(chart)
        metadata["fan_chart"] = dg.MetadataValue.md(plots.markdown_image(png, "fan chart"))
        metadata["fan_chart_path"] = dg.MetadataValue.path(str(chart))
    return metadata


def _orders_table(sheet: pl.DataFrame, currency: str) -> dg.MetadataValue:
    """Every order of the day as a table the UI renders; short headers leave the reason room."""
    value = f"value_{currency}"
    columns = [
        ("sku", "string", "SKU"),
        ("title", "string", "product title"),
        ("qty", "int", "units to order"),
        ("packs", "string", "packs × units per pack"),
        (value, "float", f"order value in {currency} (unit cost × units; shop.currency)"),
        ("arrives", "string", "expected arrival: plan date + supplier lead time"),
        ("cover_days", "float", "median days the stock lasts after the order arrives"),
        ("stockout_risk", "string", "probability the shelf empties before the order arrives"),
        ("reason", "string", "why this quantity"),
    ]
    schema = dg.TableSchema(
        columns=[dg.TableColumn(name, kind, description=text) for name, kind, text in columns]
    )
    records = []
    for row in sheet.iter_rows(named=True):
        values = {
            "sku": row["sku"],
            "title": row["title"],
            "qty": row["order_qty"],
            "packs": f"{row['packs']} × {row['pack_size']}",
            value: row["order_value"],
            "arrives": row["expected_arrival"].isoformat(),
            "cover_days": row["days_of_cover_after_arrival"],
            "stockout_risk": f"{row['stockout_risk_before_arrival']:.0%}",
            "reason": row["reason"],
        }
        records.append(dg.TableRecord({k: v for k, v in values.items() if v is not None}))
    return dg.MetadataValue.table(records=records, schema=schema)


def build_forecasting_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """``sku_forecasts``, ``reorder_plan`` and ``forecast_accuracy`` on the shop's export days."""

    @dg.asset(
        group_name="forecasting",
        kinds={"pytorch", "mlflow", "parquet"},
        owners=["team:forecasting"],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=CATALOG_POOL,
        deps=[*FEATURE_KEYS, CHAMPION_KEY],
        freshness_policy=DEFAULT_DEADLINE.policy(),
        description=(
            "Daily demand quantiles per SKU over the shop's horizon from the champion model."
        ),
        check_specs=[forecast_check_spec("sku_forecasts")],
    )
    def sku_forecasts(
        context: dg.AssetExecutionContext,
        warehouse: WarehouseResource,
        mlflow_registry: MlflowResource,
        shop: ShopSettingsResource,
    ) -> dg.MaterializeResult:
        wh = warehouse.warehouse()
        settings = shop.settings()
        features = settings.feature_config()
        policy = settings.reorder_config()  # the plan's lookback (a run's plan config keeps it)
        mlflow_registry.configure()
        forecaster, version = tracking.load_champion(
            mlflow_registry.registered_model, embedding_cache_dir=wh.root / "embeddings"
        )
        model = forecasting.ModelRef(mlflow_registry.registered_model, version)
        context.log.info(f"forecasting with {model.name} version {version} (alias champion)")
        days = partition_days(context)
        catalogs = invariants.catalogs_as_known(wh, days)  # one read of the catalog exports
        exports = forecasting.read_range_exports(wh, days, features)  # ... and the small ones
        day = None
        rejected: dict[str, list[str]] = {}
        for i, d in enumerate(_progress(days, "sku_forecasts"), start=1):
            origin = forecasting.read_features(
                wh, d, forecaster.config, features,
                history_days=forecasting.plan_history_days(policy), exports=exports,
            )  # fmt: skip
            candidate = forecasting.forecast_day(
                wh, forecaster, d, model, feature_config=features, features=origin
            )
            problems = invariants.forecast_problems(candidate.rows, d, catalogs[d])
            if problems:
                rejected[d.isoformat()] = problems
                context.log.error(f"forecasts {d} NOT published: {'; '.join(problems)}")
                continue
            day = candidate
            forecasting.write_plan_features(wh, origin, day.skus, policy, {"forecast_date": d})
            wh.write_partition(forecasting.FORECASTS, {"forecast_date": d}, day.rows.to_arrow())
            context.log.info(
                f"[{i}/{len(days)}] forecasts {d}: {len(day.skus)} SKUs, {day.rows.height} rows"
            )
        _publish(wh, forecasting.FORECASTS)
        metadata: dict[str, Any] = {
            "model_name": model.name,
            "model_version": version,  # the version that wrote these partitions
            "model_uri": f"models:/{model.name}/{version}",
            "days": len(days),
            "unpublished_days": dg.MetadataValue.json(sorted(rejected)),
        }
        if day is not None:
            skus = _fan_skus(day.rows)
            png = plots.fan_chart(
                day.features.history.filter(
                    pl.col("date") > day.forecast_date - timedelta(days=56)
                ),
                day.rows, skus, f"Forecasts of {day.forecast_date} ({model.name} v{version})",
            )  # fmt: skip
            chart = wh.root / "plots" / f"fan_{day.forecast_date.isoformat()}.png"
            chart.parent.mkdir(parents=True, exist_ok=True)
            chart.write_bytes(png)
            metadata |= {
                "skus": len(day.skus),
                "rows": day.rows.height,
                "fan_chart": dg.MetadataValue.md(plots.markdown_image(png, "fan chart")),
                "fan_chart_path": dg.MetadataValue.path(str(chart)),
            }
        return dg.MaterializeResult(
            metadata=metadata, check_results=[invariant_check(FORECAST_CHECK, days, rejected)]
        )

    @dg.asset(
        group_name="forecasting",
        kinds={"polars", "parquet"},
        owners=["team:purchasing"],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=CATALOG_POOL,
        deps=[sku_forecasts],
        freshness_policy=DEFAULT_DEADLINE.policy(),
        description=(
            "Units to order today per SKU (order-up-to policy on cumulative quantiles) with a "
            "reason."
        ),
        check_specs=[plan_check_spec("reorder_plan")],
    )
    def reorder_plan(
        context: dg.AssetExecutionContext,
        config: ReorderPlanConfig,
        warehouse: WarehouseResource,
        shop: ShopSettingsResource,
        mlflow_registry: MlflowResource,
    ) -> dg.MaterializeResult:
        mlflow_registry.configure()  # the champion's recalibrated plan levels
        wh = warehouse.warehouse()
        settings = shop.settings()
        features = settings.feature_config()
        policy = config.policy(settings)
        context.log.info(
            f"reorder policy: service level {policy.service_level}, by category "
            f"{policy.category_service_levels or 'none'}, review period "
            f"{policy.review_period_days} day(s), holding cost rate {policy.holding_cost_rate}"
        )
        days = partition_days(context)
        catalogs = invariants.catalogs_as_known(wh, days)  # one read of the catalog exports
        plan = published = published_features = None
        rejected: dict[str, list[str]] = {}
        for i, d in enumerate(_progress(days, "reorder_plan"), start=1):
            staged = forecasting.read_plan_features(wh, d, {"forecast_date": d}, policy)
            forecast = forecasting.load_day_forecast(
                wh, d, feature_config=features, policy=policy, features=staged
            )
            forecasting.remove_plan_features(wh, {"forecast_date": d})  # a re-plan reads anew
            forecast.cover_recalibration = tracking.forecast_recalibration(forecast.rows)
            context.log.info(forecasting.plan_levels_note(forecast))
            if forecast.lead_times is not None:
                context.log.info(f"lead times as of {d}: {forecast.lead_times.describe()}")
            candidate = forecasting.plan_day(forecast, policy)
            problems = invariants.plan_problems(
                candidate, d, set(forecast.skus), catalogs[d].discontinued
            )
            if problems:
                rejected[d.isoformat()] = problems
                context.log.error(f"plan {d} NOT published: {'; '.join(problems)}")
                continue
            plan, published, published_features = candidate, forecast, staged
            wh.write_partition(forecasting.REORDER_PLAN, {"plan_date": d}, plan.to_arrow())
            context.log.info(
                f"[{i}/{len(days)}] plan {d}: {int((plan['order_qty'] > 0).sum())} orders, "
                f"value {plan['order_value'].sum():.2f}"
            )
        _publish(wh, forecasting.REORDER_PLAN)
        metadata: dict[str, Any] = {}
        if plan is not None and published is not None:
            buyer_view = _buyer_metadata(wh, plan, published, settings.currency, published_features)
            metadata |= {k: buyer_view.pop(k) for k in ("plan_date", "orders_table")}  # on top
            metadata |= {
                "skus": plan.height,
                "orders": int((plan["order_qty"] > 0).sum()),
                "units_ordered": int(plan["order_qty"].sum()),
                "total_order_value": dg.MetadataValue.float(
                    round(float(plan["order_value"].sum()), 2)
                ),
                "currency": settings.currency,
                "model_version": plan["model_version"][0] if plan.height else "",
                **buyer_view,
            }
        metadata |= {
            "service_level": dg.MetadataValue.float(policy.service_level),
            "review_period_days": policy.review_period_days,
            "unpublished_days": dg.MetadataValue.json(sorted(rejected)),
        }
        return dg.MaterializeResult(
            metadata=metadata, check_results=[invariant_check(PLAN_CHECK, days, rejected)]
        )

    @dg.asset(
        group_name="forecasting",
        kinds={"polars", "parquet"},
        owners=["team:forecasting"],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=CATALOG_POOL,
        deps=[sku_forecasts, *FEATURE_KEYS],
        description=(
            "Scores earlier forecasts whose target days are now observed (WAPE, WQL, coverage)."
        ),
        check_specs=[accuracy_check_spec()],
    )
    def forecast_accuracy(
        context: dg.AssetExecutionContext,
        config: AccuracyConfig,
        warehouse: WarehouseResource,
        shop: ShopSettingsResource,
    ) -> dg.MaterializeResult:
        wh = warehouse.warehouse()
        days = partition_days(context)
        settings = shop.settings()
        # the catalog is read only when the shop asks for a covering horizon (auto)
        longest = None if settings.horizon_days else longest_lead_time_days(wh, days[-1])
        horizon = config.horizon_days or settings.horizon(longest)  # 0 as empty too
        scores = None
        for d in _progress(days, "forecast_accuracy"):
            scores = forecasting.score_forecasts(wh, d, horizon)
            wh.write_partition(forecasting.ACCURACY, {"scored_on": d}, scores.to_arrow())
        _publish(wh, forecasting.ACCURACY)
        assert scores is not None
        last = days[-1]
        today = forecasting.weighted_accuracy(scores)
        trailing = forecasting.trailing_median_wql(wh, last, config.trailing_days)
        metadata = {
            "scored_on": last.isoformat(),
            "cells_scored": int(scores["n"].sum()) if scores.height else 0,
            **({k: dg.MetadataValue.float(v) for k, v in today.items()} if today else {}),
            "trailing_median_wql": dg.MetadataValue.float(trailing)
            if trailing is not None
            else "n/a",
        }
        context.log.info(f"accuracy on {last}: {today or 'nothing to score yet'}")
        return dg.MaterializeResult(
            metadata=metadata,
            check_results=[accuracy_check(today, trailing, config.drift_factor)],
        )

    return [sku_forecasts, reorder_plan, forecast_accuracy]


def build_sharded_assets(parts: ShopPartitions) -> list[dg.AssetsDefinition]:
    """The sharded night's shard assets (per export day and SKU shard) and the daily assembly."""

    @dg.asset(
        group_name="forecasting_sharded",
        kinds={"pytorch", "mlflow", "parquet"},
        owners=["team:forecasting"],
        partitions_def=parts.export_day_shard,
        deps=[
            *(dg.AssetDep(key, partition_mapping=_BY_DATE) for key in FEATURE_KEYS),
            CHAMPION_KEY,
        ],
        description=(
            "One SKU shard's demand quantiles for the next days (staging; assembled into "
            "forecasts)."
        ),
    )
    def sku_forecasts_shard(
        context: dg.AssetExecutionContext,
        warehouse: WarehouseResource,
        mlflow_registry: MlflowResource,
        shop: ShopSettingsResource,
    ) -> dg.MaterializeResult:
        wh = warehouse.warehouse()
        settings = shop.settings()
        features = settings.feature_config()
        policy = settings.reorder_config()
        day, shard = _shard_keys(context)
        skus = sharding.shard_skus(sharding.catalog_skus(wh, day), shard)
        mlflow_registry.configure()
        forecaster, version = tracking.load_champion(
            mlflow_registry.registered_model, embedding_cache_dir=wh.root / "embeddings"
        )
        model = forecasting.ModelRef(mlflow_registry.registered_model, version)
        staged = sharding.staged("forecast_date", day, shard)
        if skus:
            origin = forecasting.read_features(
                wh, day, forecaster.config, features, skus=skus,
                history_days=forecasting.plan_history_days(policy),
            )  # fmt: skip
            forecast = forecasting.forecast_day(
                wh, forecaster, day, model, feature_config=features, skus=skus, features=origin
            )
            rows = forecast.rows
            forecasting.write_plan_features(wh, origin, forecast.skus, policy, staged)
        else:  # a small catalog can leave a shard empty: an empty file still marks it done
            rows = pl.DataFrame()
        path = wh.write_partition(sharding.STAGING_FORECASTS, staged, rows.to_arrow())
        forecast_skus = rows["sku"].n_unique() if rows.height else 0
        context.log.info(
            f"forecasts {day} shard {sharding.shard_label(shard)}: {forecast_skus} SKUs, "
            f"{rows.height} rows"
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
        day, shard = _shard_keys(context)
        label = sharding.shard_label(shard)
        source = wh.partition_path(
            sharding.STAGING_FORECASTS, sharding.staged("forecast_date", day, shard)
        )
        if not source.exists():
            raise FileNotFoundError(
                f"no forecasts of shard {label} for {day}: materialise sku_forecasts_shard first"
            )
        if pl.read_parquet_schema(source):
            policy = config.policy(settings)
            staged = sharding.staged("forecast_date", day, shard)
            forecast = forecasting.load_day_forecast(
                wh, day, path=source, feature_config=settings.feature_config(), policy=policy,
                features=forecasting.read_plan_features(wh, day, staged, policy),
            )  # fmt: skip
            forecasting.remove_plan_features(wh, staged)
            forecast.cover_recalibration = tracking.forecast_recalibration(forecast.rows)
            context.log.info(forecasting.plan_levels_note(forecast))
            plan = forecasting.plan_day(forecast, policy)
        else:
            plan = pl.DataFrame()
        wh.write_partition(
            sharding.STAGING_PLAN, sharding.staged("plan_date", day, shard), plan.to_arrow()
        )
        orders = int((plan["order_qty"] > 0).sum()) if plan.height else 0
        context.log.info(f"plan {day} shard {label}: {plan.height} SKUs, {orders} orders")
        return dg.MaterializeResult(metadata={"skus": plan.height, "orders": orders})

    @dg.asset(
        group_name="forecasting_sharded",
        kinds={"polars", "parquet"},
        owners=["team:forecasting"],
        partitions_def=parts.export_day,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[dg.AssetDep(sku_forecasts_shard, partition_mapping=_BY_DATE)],
        pool=CATALOG_POOL,  # publishes the catalog view
        description=(
            "Publishes the day's forecasts partition: the union of every SKU shard, written "
            "atomically."
        ),
        check_specs=[
            forecast_check_spec(
                "assembled_forecasts",
                "The invariants of sku_forecasts' check, on the assembled day.",
            )
        ],
    )
    def assembled_forecasts(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, shop: ShopSettingsResource
    ) -> dg.MaterializeResult:
        del shop  # validated at run start, like every step's
        wh = warehouse.warehouse()
        days = partition_days(context)
        catalogs = invariants.catalogs_as_known(wh, days)  # one read of the catalog exports
        rows, rejected = None, {}
        for day in days:
            assembled = sharding.assemble(
                wh, sharding.STAGING_FORECASTS, "forecast_date", day, ["sku", "horizon"]
            )
            problems = invariants.forecast_problems(assembled, day, catalogs[day])
            if problems:
                rejected[day.isoformat()] = problems
                context.log.error(f"forecasts {day} NOT published: {'; '.join(problems)}")
                continue
            rows = assembled
            wh.write_partition(forecasting.FORECASTS, {"forecast_date": day}, rows.to_arrow())
            context.log.info(
                f"forecasts {day}: {rows['sku'].n_unique()} SKUs from {sharding.SKU_SHARDS} shards"
            )
        _publish(wh, forecasting.FORECASTS)
        summary = {} if rows is None else {
            "skus": rows["sku"].n_unique(), "rows": rows.height,
            "model_version": rows["model_version"][0],
        }  # fmt: skip
        return dg.MaterializeResult(
            metadata={**summary, "shards": sharding.SKU_SHARDS, "days": len(days)},
            check_results=[invariant_check(FORECAST_CHECK, days, rejected)],
        )

    @dg.asset(
        group_name="forecasting_sharded",
        kinds={"polars", "parquet"},
        owners=["team:purchasing"],
        partitions_def=parts.export_day,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[dg.AssetDep(reorder_plan_shard, partition_mapping=_BY_DATE), assembled_forecasts],
        pool=CATALOG_POOL,  # publishes the catalog view
        description=(
            "Publishes the day's reorder_plan partition: the union of every SKU shard, written "
            "atomically."
        ),
        check_specs=[
            plan_check_spec(
                "assembled_reorder_plan",
                "The invariants of reorder_plan's check, on the assembled day.",
            )
        ],
    )
    def assembled_reorder_plan(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, shop: ShopSettingsResource
    ) -> dg.MaterializeResult:
        del shop  # validated at run start, like every step's
        wh = warehouse.warehouse()
        days = partition_days(context)
        catalogs = invariants.catalogs_as_known(wh, days)  # one read of the catalog exports
        plan, rejected = None, {}
        for day in days:
            assembled = sharding.assemble(wh, sharding.STAGING_PLAN, "plan_date", day, ["sku"])
            forecast = wh.partition_path(forecasting.FORECASTS, {"forecast_date": day})
            skus = set(pl.read_parquet(forecast, columns=["sku"])["sku"].to_list())
            gone = catalogs[day].discontinued
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
            metadata=summary, check_results=[invariant_check(PLAN_CHECK, days, rejected)]
        )

    return [sku_forecasts_shard, reorder_plan_shard, assembled_forecasts, assembled_reorder_plan]


def _shard_keys(context: dg.AssetExecutionContext) -> tuple[date, int]:
    """(export day, shard) of a shard asset's partition."""
    key = context.partition_key
    assert isinstance(key, dg.MultiPartitionKey)
    dims = key.keys_by_dimension
    return date.fromisoformat(dims[DATE_DIMENSION]), int(dims[SHARD_DIMENSION])
