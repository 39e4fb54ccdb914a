"""daily_sku_demand: units per SKU and day as known after the latest export.

Stored as ``features/daily_sku_demand/month=YYYY-MM/data.parquet``. A nightly update recomputes
only the months whose rows the new export can change (see
``sql/features/demand_affected_dates.sql``: the dates of every version of the order lines it
carries, its snapshot dates, its catalog changes) plus the new day; each month is recomputed
whole from the raw tables, so the result equals a full rebuild. Months are computed in runs of
consecutive months, reading only the order partitions that can hold their lines
(``sources._orders_files``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date, timedelta

import polars as pl
import pyarrow as pa

from inventory_pipeline.features.common import (
    PartitionLog,
    TableUpdate,
    existing_partitions,
    feature_table,
    remove_partitions,
)
from inventory_pipeline.features.config import DEFAULT_CONFIG, FeatureConfig
from inventory_pipeline.features.sources import (
    Scope,
    all_export_days,
    connect,
    export_days,
    first_export,
    latest_export,
    query,
    register_sources,
)
from inventory_pipeline.warehouse import Warehouse, read_sql

TABLE = feature_table("daily_sku_demand")
MONTH_KEY = "month"
EARLIEST = date(1970, 1, 1)
DEMAND_SOURCES = ("orders", "inventory", "products")


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_bounds(month: str) -> tuple[date, date]:
    first = date.fromisoformat(f"{month}-01")
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def months_between(lo: date, hi: date) -> list[str]:
    out, day = [], date(lo.year, lo.month, 1)
    while day <= hi:
        out.append(month_of(day))
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return out


def next_month(month: str) -> str:
    return month_of(month_bounds(month)[1] + timedelta(days=1))


def month_runs(months: Iterable[str]) -> list[list[str]]:
    """Consecutive months grouped into runs, so each run is one query."""
    runs: list[list[str]] = []
    for month in sorted(set(months)):
        if runs and next_month(runs[-1][-1]) == month:
            runs[-1].append(month)
        else:
            runs.append([month])
    return runs


def compute_demand(
    warehouse: Warehouse,
    start: date,
    end: date,
    *,
    known_on: date | None = None,
    skus: list[str] | None = None,
    threads: int | None = None,
) -> pa.Table:
    """Rows of daily_sku_demand for dates start..end, as known on ``known_on`` (None: latest).

    The single code path for the stored table and for the as-of history window.
    """
    grid_start = first_export(warehouse)
    con = connect(threads)
    try:
        register_sources(
            con,
            warehouse,
            Scope(known_on=known_on, orders_from=start, inventory_from=start),
            skus=skus,
            tables=DEMAND_SOURCES,
        )
        return query(
            con, "features/daily_sku_demand", {"start": start, "end": end, "grid_start": grid_start}
        )
    finally:
        con.close()


def _write_months(
    warehouse: Warehouse, months: list[str], data_end: date, threads: int | None
) -> tuple[list[str], list[str], int]:
    log = PartitionLog()
    for run in month_runs(months):
        start = month_bounds(run[0])[0]
        end = min(month_bounds(run[-1])[1], data_end)
        table = pl.from_arrow(compute_demand(warehouse, start, end, threads=threads))
        assert isinstance(table, pl.DataFrame)
        by_month = {
            key[0]: part
            for key, part in table.with_columns(
                pl.col("date").dt.strftime("%Y-%m").alias(MONTH_KEY)
            )
            .partition_by(MONTH_KEY, as_dict=True, maintain_order=True)
            .items()
        }
        for month in run:
            part = by_month.get(month)
            data = part.drop(MONTH_KEY).to_arrow() if part is not None else pa.table({})
            log.put(warehouse, TABLE, MONTH_KEY, month, data)
    return log.written, log.deleted, log.rows


def _first_demand_date(warehouse: Warehouse, threads: int | None) -> date:
    """The first export day, or an earlier order or snapshot date if an export holds one."""
    con = connect(threads)
    try:
        register_sources(con, warehouse, tables=DEMAND_SOURCES)
        row = con.sql(
            "SELECT least((SELECT CAST(min(ordered_at) AS DATE) FROM raw_orders),"
            " (SELECT min(snapshot_date) FROM raw_inventory))"
        ).fetchall()[0]
    finally:
        con.close()
    first = first_export(warehouse)
    return min(first, row[0]) if row[0] is not None else first


def build_daily_sku_demand(
    warehouse: Warehouse, config: FeatureConfig = DEFAULT_CONFIG
) -> TableUpdate:
    """Full rebuild from the raw tables; removes month partitions that no longer have rows."""
    started = time.perf_counter()
    data_end = latest_export(warehouse)
    first = _first_demand_date(warehouse, config.duckdb_threads)
    months = months_between(max(first, EARLIEST), data_end) if first <= data_end else []
    written, deleted, rows = _write_months(warehouse, months, data_end, config.duckdb_threads)
    stale = set(existing_partitions(warehouse, TABLE, MONTH_KEY)) - set(months)
    deleted += remove_partitions(warehouse, TABLE, MONTH_KEY, sorted(stale))
    return TableUpdate(
        table="daily_sku_demand",
        partition_key=MONTH_KEY,
        written=tuple(written),
        deleted=tuple(sorted(set(deleted))),
        rows=rows,
        first_date=month_bounds(months[0])[0] if months else None,
        last_date=data_end if months else None,
        seconds=time.perf_counter() - started,
        extra={"mode": "full_rebuild"},
    )


def affected_months(
    warehouse: Warehouse, export_date: date, threads: int | None = None
) -> list[str]:
    """Months of daily_sku_demand that export ``export_date`` can change (see module docstring)."""
    if export_date not in set(all_export_days(warehouse)):
        raise FileNotFoundError(
            f"export {export_date} is not loaded under {warehouse.root / 'raw'}: materialise the "
            "ingest assets for that day first"
        )
    data_end = latest_export(warehouse)
    con = connect(threads)
    try:
        register_sources(con, warehouse)
        ranges = con.sql(
            read_sql("features/demand_affected_dates"),
            params={"export_date": export_date, "data_end": data_end},
        ).fetchall()
    finally:
        con.close()
    days = all_export_days(warehouse)
    if export_date == data_end:  # the grid grows to the new day (and any skipped days)
        earlier = [d for d in days if d < export_date]
        ranges.append((earlier[-1] + timedelta(days=1) if earlier else export_date, export_date))
    if export_date == days[0] and len(days) > 1:  # the zero-fill now starts earlier
        ranges.append((export_date, days[1] - timedelta(days=1)))
    months: set[str] = set()
    for lo, hi in ranges:
        if lo <= hi:
            months.update(months_between(max(lo, EARLIEST), hi))
    return sorted(months)


def update_daily_sku_demand(
    warehouse: Warehouse, export_date: date, config: FeatureConfig = DEFAULT_CONFIG
) -> TableUpdate:
    """Incremental update after export ``export_date`` was (re)loaded: rewrites affected months."""
    started = time.perf_counter()
    data_end = latest_export(warehouse)
    months = affected_months(warehouse, export_date, config.duckdb_threads)
    written, deleted, rows = _write_months(warehouse, months, data_end, config.duckdb_threads)
    return TableUpdate(
        table="daily_sku_demand",
        partition_key=MONTH_KEY,
        written=tuple(written),
        deleted=tuple(deleted),
        rows=rows,
        first_date=month_bounds(months[0])[0] if months else None,
        last_date=min(month_bounds(months[-1])[1], data_end) if months else None,
        seconds=time.perf_counter() - started,
        extra={
            "mode": "incremental",
            "export_date": export_date.isoformat(),
            "orders_exports_loaded": len(export_days(warehouse, "orders")),
        },
    )
