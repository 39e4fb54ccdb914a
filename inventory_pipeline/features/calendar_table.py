"""The ``calendar`` feature table: :func:`calendar.calendar_frame` stored by year.

``features/calendar/year=YYYY/data.parquet``, from the year of the earliest demand history the
as-of reader can ask for to ``calendar_lookahead_days`` past the latest export. A year's content
depends only on the configured events (the shop's settings), so an update writes the years not yet
on disk, unless the events differ from those the stored years were built with (recorded in
``features/calendar/events.json``): then it rewrites every year, so a changed settings file
reaches the table on the next run without a manual rebuild.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from inventory_pipeline.features.calendar import EventRule, calendar_frame
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
EVENTS_FILE = "events.json"


def events_record(events: Sequence[EventRule]) -> list[dict[str, object]]:
    """The events as JSON-ready dicts: what the stored years were built with."""
    return [json.loads(json.dumps(dataclasses.asdict(e), default=str)) for e in events]


def _events_path(warehouse: Warehouse) -> Path:
    return warehouse.table_dir(TABLE) / EVENTS_FILE


def stored_events(warehouse: Warehouse) -> list[dict[str, object]] | None:
    """The events the stored calendar was built with (None: no record, e.g. an older build)."""
    path = _events_path(warehouse)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _record_events(warehouse: Warehouse, events: Sequence[EventRule]) -> None:
    path = _events_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{EVENTS_FILE}.tmp")
    tmp.write_text(json.dumps(events_record(events), indent=1), encoding="utf-8")
    tmp.replace(path)


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


def build_calendar(
    warehouse: Warehouse, config: FeatureConfig = DEFAULT_CONFIG, mode: str = "full_rebuild"
) -> TableUpdate:
    """Rewrites every year with ``config.events`` and records them."""
    started = time.perf_counter()
    years = calendar_years(warehouse, config)
    rows = _write_years(warehouse, years, config)
    _record_events(warehouse, config.events)
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
        extra={"mode": mode, "events": len(config.events)},
    )


def update_calendar(warehouse: Warehouse, config: FeatureConfig = DEFAULT_CONFIG) -> TableUpdate:
    """Writes the years the latest export now needs and that are not on disk yet.

    Rebuilds every year instead when the configured events differ from the stored ones.
    """
    present = set(existing_partitions(warehouse, TABLE, KEY))
    if present and stored_events(warehouse) != events_record(config.events):
        return build_calendar(warehouse, config, mode="events_changed")
    started = time.perf_counter()
    years = [y for y in calendar_years(warehouse, config) if str(y) not in present]
    rows = _write_years(warehouse, years, config)
    _record_events(warehouse, config.events)
    return TableUpdate(
        table=NAME,
        partition_key=KEY,
        written=tuple(str(y) for y in years),
        rows=rows,
        first_date=date(years[0], 1, 1) if years else None,
        last_date=date(years[-1], 12, 31) if years else None,
        seconds=time.perf_counter() - started,
        extra={"mode": "incremental", "events": len(config.events)},
    )
