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
