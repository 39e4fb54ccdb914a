"""Partitions of the code location, built when it loads from the shop's first export day.

A shop's history starts when its history starts: ``shop.first_export_day`` of its settings file,
else the earliest day folder of its landing zone (see ``inventory_pipeline.settings``). The
partitions are part of the code location's definitions, so :func:`shop_partitions` is called by
the definitions factory (``inventory_pipeline.definitions``) each time the location (re)loads.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from inventory_pipeline.config import resolve_paths
from inventory_pipeline.features.known_days import day_span
from inventory_pipeline.settings import first_export_day, load_settings
from inventory_pipeline.sharding import SKU_SHARDS  # the shard count lives with the hashing

# --- scale-out: the nightly forecast sharded by SKU (docs/scale-out.md) ----------------------------

sku_shard_partitions = dg.StaticPartitionsDefinition([str(i) for i in range(SKU_SHARDS)])

# (date, shard): one forecast + plan step per export day and SKU shard. The date dimension is the
# export-day partitioning, so daily assets map onto it (MultiToSingleDimensionPartitionMapping).
DATE_DIMENSION = "date"
SHARD_DIMENSION = "shard"


@dataclass(frozen=True)
class ShopPartitions:
    """The partitions of one shop: export days from its first one, and (export day, SKU shard)."""

    first_export_day: date
    export_day: dg.DailyPartitionsDefinition
    export_day_shard: dg.MultiPartitionsDefinition


def shop_partitions(first_day: date) -> ShopPartitions:
    """One partition per export day (UTC) from ``first_day``.

    end_offset=0: a day's partition exists once the day is over, so the 02:00 nightly run
    processes yesterday's export.
    """
    export_day = dg.DailyPartitionsDefinition(
        start_date=first_day.isoformat(), timezone="UTC", fmt="%Y-%m-%d"
    )
    return ShopPartitions(
        first_export_day=first_day,
        export_day=export_day,
        export_day_shard=dg.MultiPartitionsDefinition(
            {DATE_DIMENSION: export_day, SHARD_DIMENSION: sku_shard_partitions}
        ),
    )


def resolve_first_export_day() -> date:
    """The shop's first export day from its settings file and landing zone (the environment's)."""
    paths = resolve_paths()
    settings = load_settings(paths.settings_path)
    return first_export_day(settings, paths.landing_dir, datetime.now(UTC).date())


def partition_days(context: dg.AssetExecutionContext) -> list[date]:
    """The export days of the run: one for a nightly run, many for a single-run backfill."""
    window = context.partition_time_window
    return day_span(window.start.date(), window.end.date() - timedelta(days=1))  # end: exclusive


# --- promotion what-if: one partition per scenario file (inventory_pipeline.whatif) ---------------

# Added by ``what_if_sensor`` when a file appears in the what_if folder (or by hand in the UI).
scenario_partitions = dg.DynamicPartitionsDefinition(name="promotion_scenario")
