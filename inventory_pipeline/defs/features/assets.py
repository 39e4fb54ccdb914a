"""Feature assets: the tables the model and the reorder plan read, built by DuckDB from sql/.

Partitioned by export day like the ingest assets they depend on. A nightly run (one new day)
updates only what that export changes (``update_table``); a run over a range of days, or one with
``full_rebuild: true``, rebuilds the table from all raw partitions (``build_table``), which is far
cheaper than replaying hundreds of nightly updates.
"""

from datetime import date

import dagster as dg

from inventory_pipeline.defs.ingest.assets import INGEST_KEYS
from inventory_pipeline.defs.partitions import partition_days
from inventory_pipeline.defs.pools import CATALOG_POOL
from inventory_pipeline.defs.resources import ShopSettingsResource, WarehouseResource
from inventory_pipeline.features.build import build_table, update_table
from inventory_pipeline.features.calendar import event_column
from inventory_pipeline.features.catalog import FEATURE_TABLES
from inventory_pipeline.features.common import TableUpdate

DESCRIPTIONS = {
    "daily_sku_demand": (
        "Units per SKU and day net of cancellations, zero-filled on sale, stockout-censored flag."
    ),
    "promo_calendar": "Discount and promotion type per SKU and day as known on each export day.",
    "review_signals": (
        "Rolling review counts, mean rating, negative share and recency per SKU and day."
    ),
    "product_docs": (
        "One text per SKU for the language model, as known on each day, with a content hash."
    ),
    "calendar": "Day-of-week fields and the shop's events and holidays (from its settings file).",
}
FEATURE_KEYS = [dg.AssetKey(name) for name in FEATURE_TABLES]


class FeaturesConfig(dg.Config):
    """Run configuration of the feature assets."""

    full_rebuild: bool = False  # rebuild from all raw partitions even for a single day
    incremental_max_days: int = 7  # runs over more days than this rebuild instead of updating


def _metadata(updates: list[TableUpdate], mode: str) -> dict[str, object]:
    last = updates[-1]
    meta: dict[str, object] = {
        key: value for key, value in last.metadata().items() if value is not None
    }
    meta["mode"] = mode
    meta["rows_written"] = sum(u.rows for u in updates)
    meta["partitions_written"] = sum(len(u.written) for u in updates)
    meta["seconds"] = round(sum(u.seconds for u in updates), 3)
    return meta


def build_feature_asset(name: str, partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """The asset of one feature table; its numbers and events come from the shop's settings."""

    @dg.asset(
        name=name,
        group_name="features",
        kinds={"duckdb", "parquet"},
        owners=["team:data-engineering"],
        tags={"layer": "features"},
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=CATALOG_POOL,
        deps=INGEST_KEYS,
        description=DESCRIPTIONS[name],
    )
    def _feature(
        context: dg.AssetExecutionContext,
        config: FeaturesConfig,
        warehouse: WarehouseResource,
        shop: ShopSettingsResource,
    ) -> dg.MaterializeResult:
        wh = warehouse.warehouse()
        features = shop.settings().feature_config()
        days: list[date] = partition_days(context)
        if config.full_rebuild or len(days) > config.incremental_max_days:
            context.log.info(
                f"{name}: full rebuild from all raw partitions ({len(days)} day(s) in the run)"
            )
            updates = [build_table(wh, name, features)]
            mode = "full_rebuild"
        else:
            updates = []
            for i, day in enumerate(days, start=1):
                update = update_table(wh, name, day, features)
                context.log.info(
                    f"[{i}/{len(days)}] {name} {day}: {update.rows} rows in {len(update.written)} "
                    f"partition(s), {update.seconds:.2f}s"
                )
                updates.append(update)
            mode = "incremental"
        context.log.info(f"{name}: wrote {sum(u.rows for u in updates)} rows ({mode})")
        metadata = _metadata(updates, mode)
        if name == "calendar":
            if any(u.extra.get("mode") == "events_changed" for u in updates):
                context.log.info("calendar: the settings' events changed, every year rebuilt")
                metadata["mode"] = "events_changed"
            metadata["event_columns"] = dg.MetadataValue.json(
                [event_column(e.name) for e in features.events]
            )
            metadata.update(shop.metadata())
        return dg.MaterializeResult(metadata=metadata)

    return _feature


def build_feature_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """One asset per feature table."""
    return [build_feature_asset(name, partitions_def) for name in FEATURE_TABLES]
