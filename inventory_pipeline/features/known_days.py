"""Tables with one partition per known-on day: what was known on that day, and nothing later.

promo_calendar and review_signals hold, for each day d, features computed from the exports on or
before d only. The export of day X can therefore change the partitions of days >= X and no
earlier one: the nightly update (X = the latest export) writes one partition, a re-loaded older
export rewrites the days from it to the latest export, and nothing else is ever touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta

import duckdb
import polars as pl

from inventory_pipeline.features.common import (
    PartitionLog,
    TableUpdate,
    existing_partitions,
    remove_partitions,
)
from inventory_pipeline.features.config import FeatureConfig
from inventory_pipeline.features.sources import (
    Scope,
    all_export_days,
    connect,
    latest_export,
    register_sources,
)
from inventory_pipeline.warehouse import Warehouse

# (connection with sources registered, first day, last day) -> rows with a `day_column` column.
ComputeDays = Callable[[duckdb.DuckDBPyConnection, date, date], pl.DataFrame]


def day_span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def known_day_range(warehouse: Warehouse, export_date: date | None) -> tuple[date, date]:
    """Days to (re)compute: from ``export_date`` (None: the first export) to the latest export."""
    days = all_export_days(warehouse)
    last = latest_export(warehouse)
    if export_date is None:
        return days[0], last
    if export_date not in set(days):
        raise FileNotFoundError(
            f"export {export_date} is not loaded under {warehouse.root / 'raw'}: materialise the "
            "ingest assets for that day first"
        )
    return export_date, last


def write_days(
    warehouse: Warehouse,
    *,
    name: str,
    table: str,
    key: str,
    day_column: str,
    compute: ComputeDays,
    first: date,
    last: date,
    config: FeatureConfig,
    full_rebuild: bool,
    tables: tuple[str, ...],
) -> TableUpdate:
    """Computes days first..last in chunks (sources scoped to each chunk's last day) and writes
    one partition per day; a full rebuild also removes partitions outside first..last."""
    started = time.perf_counter()
    days = day_span(first, last)
    log = PartitionLog()
    con = connect(config.duckdb_threads)
    try:
        # Each query keeps, per day, only the versions exported on or before that day, so one
        # registration up to the last day serves every chunk.
        register_sources(con, warehouse, Scope(known_on=last), tables=tables, materialize=tables)
        for i in range(0, len(days), config.known_chunk_days):
            chunk = days[i : i + config.known_chunk_days]
            frame = compute(con, chunk[0], chunk[-1])
            parts = {
                k[0]: part
                for k, part in frame.partition_by(
                    day_column, as_dict=True, maintain_order=True
                ).items()
            }
            for day in chunk:
                part = parts.get(day, frame.clear())
                log.put(warehouse, table, key, day.isoformat(), part.to_arrow())
    finally:
        con.close()
    return finish_days(
        warehouse, log, name=name, table=table, key=key, first=first, last=last,
        full_rebuild=full_rebuild, started=started,
    )  # fmt: skip


def finish_days(
    warehouse: Warehouse,
    log: PartitionLog,
    *,
    name: str,
    table: str,
    key: str,
    first: date,
    last: date,
    full_rebuild: bool,
    started: float,
    extra: dict[str, object] | None = None,
) -> TableUpdate:
    """A run's :class:`TableUpdate`; a full rebuild first removes the partitions outside
    first..last (days no export covers any more)."""
    if full_rebuild:
        keep = {d.isoformat() for d in day_span(first, last)}
        stale = sorted(set(existing_partitions(warehouse, table, key)) - keep)
        log.deleted += remove_partitions(warehouse, table, key, stale)
    return TableUpdate(
        table=name,
        partition_key=key,
        written=tuple(log.written),
        deleted=tuple(sorted(set(log.deleted))),
        rows=log.rows,
        first_date=first,
        last_date=last,
        seconds=time.perf_counter() - started,
        extra={"mode": "full_rebuild" if full_rebuild else "incremental", **(extra or {})},
    )
