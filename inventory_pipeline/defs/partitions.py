"""Partitions, defined once and imported everywhere."""

import dagster as dg

# The first export day the pipeline knows about. Days before it cannot be materialised; a shop whose
# history starts earlier changes this date (partitions are part of the code location's definition).
FIRST_EXPORT_DAY = "2024-01-01"

# One partition per export day (UTC). end_offset=0: a day's partition exists once the day is over,
# so the 02:00 nightly run processes yesterday's export.
export_day_partitions = dg.DailyPartitionsDefinition(
    start_date=FIRST_EXPORT_DAY, timezone="UTC", fmt="%Y-%m-%d"
)

# --- scale-out: the nightly forecast sharded by SKU (docs/scale-out.md) ----------------------------

# Number of SKU shards of the sharded nightly job. Like the first export day, it is part of the code
# location's definition (each shard is a partition); a deployment that needs more machines per night
# changes it here. Every shard must be re-run for days assembled before a change.
SKU_SHARDS = 4

sku_shard_partitions = dg.StaticPartitionsDefinition([str(i) for i in range(SKU_SHARDS)])

# (date, shard): one forecast + plan step per export day and SKU shard. The date dimension is the
# export-day partitioning above, so daily assets map onto it (MultiToSingleDimensionPartitionMapping).
DATE_DIMENSION = "date"
SHARD_DIMENSION = "shard"
export_day_shard_partitions = dg.MultiPartitionsDefinition(
    {DATE_DIMENSION: export_day_partitions, SHARD_DIMENSION: sku_shard_partitions}
)
