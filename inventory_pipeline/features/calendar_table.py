"""The ``calendar`` feature table: :func:`calendar.calendar_frame` stored by year.

``features/calendar/year=YYYY/data.parquet``, from the year of the earliest demand history the
as-of reader can ask for to ``calendar_lookahead_days`` past the latest export. A year's content
depends only on the configured events, so an update writes the years not yet on disk and a full
rebuild (needed after changing ``FeatureConfig.events``) rewrites them all.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

from inventory_pipeline.features.calendar import calendar_frame
from inventory_pipeline.features.common import (
    TableUpdate,
    existing_partitions,
    feature_table,
    remove_partitions,
)
from inventory_pipeline.features.config import DEFAULT_CONFIG, FeatureConfig
from inventory_pipeline.features.sources import all_export_days, latest_export
from inventory_pipeline.warehouse import Warehouse

NAME = "calendar"
TABLE = feature_table(NAME)
KEY = "year"


def calendar_years(warehouse: Warehouse, config: FeatureConfig) -> list[int]:
    first = all_export_days(warehouse)[0] if all_export_days(warehouse) else None
    if first is None:
        latest_export(warehouse)  # raises the actionable "nothing loaded" error
        return []
    start = first - timedelta(days=config.history_days)
    end = latest_export(warehouse) + timedelta(days=config.calendar_lookahead_days)
    return list(range(start.year, end.year + 1))


def _write_years(warehouse: Warehouse, years: list[int], config: FeatureConfig) -> int:
    rows = 0
    for year in years:
        frame = calendar_frame(date(year, 1, 1), date(year, 12, 31), config.events)
        warehouse.write_partition(TABLE, {KEY: str(year)}, frame.to_arrow())
        rows += frame.height
    return rows


def build_calendar(warehouse: Warehouse, config: FeatureConfig = DEFAULT_CONFIG) -> TableUpdate:
    """Rewrites every year (use after changing the event list)."""
    started = time.perf_counter()
    years = calendar_years(warehouse, config)
    rows = _write_years(warehouse, years, config)
    stale = sorted(set(existing_partitions(warehouse, TABLE, KEY)) - {str(y) for y in years})
    deleted = remove_partitions(warehouse, TABLE, KEY, stale)
    return TableUpdate(
        table=NAME,
        partition_key=KEY,
        written=tuple(str(y) for y in years),
        deleted=tuple(deleted),
        rows=rows,
        first_date=date(years[0], 1, 1) if years else None,
        last_date=date(years[-1], 12, 31) if years else None,
        seconds=time.perf_counter() - started,
        extra={"mode": "full_rebuild"},
    )


def update_calendar(warehouse: Warehouse, config: FeatureConfig = DEFAULT_CONFIG) -> TableUpdate:
    """Writes the years the latest export now needs and that are not on disk yet."""
    started = time.perf_counter()
    present = set(existing_partitions(warehouse, TABLE, KEY))
    years = [y for y in calendar_years(warehouse, config) if str(y) not in present]
    rows = _write_years(warehouse, years, config)
    return TableUpdate(
        table=NAME,
        partition_key=KEY,
        written=tuple(str(y) for y in years),
        rows=rows,
        first_date=date(years[0], 1, 1) if years else None,
        last_date=date(years[-1], 12, 31) if years else None,
        seconds=time.perf_counter() - started,
        extra={"mode": "incremental"},
    )
