"""Forecasting assets: nightly SKU forecasts, the reorder plan and forecast accuracy.

Partitioned by export day: partition D uses only what was exported up to D (the forecast origin).
Backfills run as one run over the range and load the champion model once.

A bad night never publishes: each day's forecasts and plan are checked against the invariants of
:mod:`inventory_pipeline.invariants` before the atomic write. A day that breaks one is not written
(the partition published before stays as it was), and the asset's blocking check fails, so
nothing downstream (the reorder plan, accuracy) runs on it.
"""

import dataclasses
import sys
from datetime import date, timedelta
from typing import Any

import dagster as dg
import polars as pl
import pydantic
from tqdm import tqdm

from inventory_pipeline import buyer, forecasting, invariants, overrides, plots, tracking
from inventory_pipeline.defs.features.assets import FEATURE_KEYS
from inventory_pipeline.defs.forecasting.freshness import DEFAULT_DEADLINE
from inventory_pipeline.defs.ingest.assets import CATALOG_POOL, partition_days
from inventory_pipeline.defs.resources import (
    MlflowResource,
    ShopSettingsResource,
    WarehouseResource,
)
from inventory_pipeline.reorder import ReorderConfig
from inventory_pipeline.settings import ShopSettings
from inventory_pipeline.warehouse import Warehouse

_FAN_SKUS = 4
_ACCURACY_CHECK = "accuracy_within_drift_threshold"
FORECAST_CHECK = "forecast_invariants"
PLAN_CHECK = "plan_invariants"
CHAMPION_KEY = dg.AssetKey("champion_model")  # lineage: which model wrote the forecasts


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
    # (empty: the shop's forecast.horizon_days)
    drift_factor: float = 1.5  # warn when today's WQL exceeds this × the trailing median
    trailing_days: int = 28  # days of earlier scores the median is taken over


def _buyer_metadata(
    wh: Warehouse, plan: pl.DataFrame, forecast: forecasting.DayForecast, currency: str
) -> dict[str, dg.MetadataValue]:
    """The plan's last day as the buyer sees it: every order as a table, fan charts of the
    largest orders, and the sheet written to the outbox (CSV + XLSX)."""
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
        from inventory_pipeline.features.as_of import features_as_of

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
        description="Daily demand quantiles per SKU over the shop's horizon from the champion model.",
        check_specs=[
            dg.AssetCheckSpec(
                FORECAST_CHECK, asset="sku_forecasts", blocking=True,
                description=(
                    "Every on-sale SKU forecast, none discontinued, H rows each, finite "
                    "non-negative quantiles monotone across levels and over the horizon; a day "
                    "that fails is not published and the plan does not run."
                ),
            )
        ],
    )
    def sku_forecasts(
        context: dg.AssetExecutionContext,
        warehouse: WarehouseResource,
        mlflow_registry: MlflowResource,
        shop: ShopSettingsResource,
    ) -> dg.MaterializeResult:
        wh = warehouse.warehouse()
        features = shop.settings().feature_config()
        mlflow_registry.configure()
        forecaster, version = tracking.load_champion(
            mlflow_registry.registered_model, embedding_cache_dir=wh.root / "embeddings"
        )
        model = forecasting.ModelRef(mlflow_registry.registered_model, version)
        context.log.info(f"forecasting with {model.name} version {version} (alias champion)")
        days = partition_days(context)
        day = None
        rejected: dict[str, list[str]] = {}
        for i, d in enumerate(_progress(days, "sku_forecasts"), start=1):
            candidate = forecasting.forecast_day(wh, forecaster, d, model, feature_config=features)
            problems = invariants.forecast_problems(
                candidate.rows, d, invariants.catalog_as_known(wh, d)
            )
            if problems:
                rejected[d.isoformat()] = problems
                context.log.error(f"forecasts {d} NOT published: {'; '.join(problems)}")
                continue
            day = candidate
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
                day.features.history.filter(pl.col("date") > day.forecast_date - timedelta(days=56)),
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
            metadata=metadata, check_results=[_invariant_check(FORECAST_CHECK, days, rejected)]
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
        description="Units to order today per SKU (order-up-to policy on cumulative quantiles) with a reason.",
        check_specs=[
            dg.AssetCheckSpec(
                PLAN_CHECK, asset="reorder_plan", blocking=True,
                description=(
                    "One row per forecast SKU; every order a multiple of the pack size and at "
                    "least the MOQ; no order for a discontinued SKU. A day that fails is not "
                    "published."
                ),
            )
        ],
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
        plan = published = None
        rejected: dict[str, list[str]] = {}
        for i, d in enumerate(_progress(days, "reorder_plan"), start=1):
            forecast = forecasting.load_day_forecast(wh, d, feature_config=features, policy=policy)
            forecast.cover_recalibration = tracking.forecast_recalibration(forecast.rows)
            context.log.info(forecasting.plan_levels_note(forecast))
            if forecast.lead_times is not None:
                context.log.info(f"lead times as of {d}: {forecast.lead_times.describe()}")
            candidate = forecasting.plan_day(forecast, policy)
            problems = invariants.plan_problems(
                candidate, d, set(forecast.skus), invariants.catalog_as_known(wh, d).discontinued
            )
            if problems:
                rejected[d.isoformat()] = problems
                context.log.error(f"plan {d} NOT published: {'; '.join(problems)}")
                continue
            plan, published = candidate, forecast
            wh.write_partition(forecasting.REORDER_PLAN, {"plan_date": d}, plan.to_arrow())
            context.log.info(
                f"[{i}/{len(days)}] plan {d}: {int((plan['order_qty'] > 0).sum())} orders, "
                f"value {plan['order_value'].sum():.2f}"
            )
        _publish(wh, forecasting.REORDER_PLAN)
        metadata: dict[str, Any] = {}
        if plan is not None and published is not None:
            buyer_view = _buyer_metadata(wh, plan, published, settings.currency)
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
            metadata=metadata, check_results=[_invariant_check(PLAN_CHECK, days, rejected)]
        )

    @dg.asset(
        group_name="forecasting",
        kinds={"polars", "parquet"},
        owners=["team:forecasting"],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=CATALOG_POOL,
        deps=[sku_forecasts, *FEATURE_KEYS],
        description="Scores earlier forecasts whose target days are now observed (WAPE, WQL, coverage).",
        check_specs=[
            dg.AssetCheckSpec(
                _ACCURACY_CHECK, asset="forecast_accuracy",
                description="Weighted quantile loss within drift_factor of its trailing median.",
            )
        ],
    )
    def forecast_accuracy(
        context: dg.AssetExecutionContext,
        config: AccuracyConfig,
        warehouse: WarehouseResource,
        shop: ShopSettingsResource,
    ) -> dg.MaterializeResult:
        wh = warehouse.warehouse()
        horizon = config.horizon_days or shop.settings().horizon_days  # 0 as empty too
        days = partition_days(context)
        scores = None
        for d in _progress(days, "forecast_accuracy"):
            scores = forecasting.score_forecasts(wh, d, horizon)
            wh.write_partition(forecasting.ACCURACY, {"scored_on": d}, scores.to_arrow())
        _publish(wh, forecasting.ACCURACY)
        assert scores is not None
        last = days[-1]
        today = _weighted(scores)
        trailing = _trailing_median(wh, last, config.trailing_days)
        drifting = today is not None and trailing is not None and today["wql"] > config.drift_factor * trailing
        metadata = {
            "scored_on": last.isoformat(),
            "cells_scored": int(scores["n"].sum()) if scores.height else 0,
            **({k: dg.MetadataValue.float(v) for k, v in today.items()} if today else {}),
            "trailing_median_wql": dg.MetadataValue.float(trailing) if trailing is not None else "n/a",
        }
        context.log.info(f"accuracy on {last}: {today or 'nothing to score yet'}")
        return dg.MaterializeResult(
            metadata=metadata,
            check_results=[
                dg.AssetCheckResult(
                    check_name=_ACCURACY_CHECK,
                    passed=not drifting,
                    severity=dg.AssetCheckSeverity.WARN,
                    metadata={"wql": today["wql"] if today else -1.0, "trailing_median": trailing or -1.0},
                )
            ],
        )

    return [sku_forecasts, reorder_plan, forecast_accuracy]


def _invariant_check(
    name: str, days: list[date], rejected: dict[str, list[str]]
) -> dg.AssetCheckResult:
    """The run's blocking check: failed when any day broke an invariant (and was not written)."""
    return dg.AssetCheckResult(
        check_name=name,
        passed=not rejected,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"all {len(days)} day(s) hold every invariant"
            if not rejected
            else f"{len(rejected)} of {len(days)} day(s) break an invariant and were not published"
        ),
        metadata={
            "days_checked": len(days),
            "unpublished_days": dg.MetadataValue.json(sorted(rejected)),
            "problems": dg.MetadataValue.json(rejected),
        },
    )


def _weighted(scores: pl.DataFrame) -> dict[str, float] | None:
    """Unit-weighted WAPE/WQL and cell-weighted coverage over all scored rows."""
    scored = scores.filter(pl.col("units") > 0)
    if scored.is_empty():
        return None
    units = scored["units"]
    return {
        "wape": float((scored["wape"] * units).sum() / units.sum()),
        "wql": float((scored["wql"] * units).sum() / units.sum()),
        "coverage_80": float((scores["coverage_80"] * scores["n"]).sum() / scores["n"].sum()),
    }


def _trailing_median(wh: Warehouse, day: date, trailing_days: int) -> float | None:
    values = []
    for back in range(1, trailing_days + 1):
        path = wh.partition_path(forecasting.ACCURACY, {"scored_on": day - timedelta(days=back)})
        if path.exists():
            weighted = _weighted(pl.read_parquet(path))
            if weighted:
                values.append(weighted["wql"])
    return float(pl.Series(values).median()) if values else None
