"""Summaries and partition helpers shared by the feature tables."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from inventory_pipeline.warehouse import PARTITION_FILE, Warehouse

FEATURES_PREFIX = "features"


def feature_table(name: str) -> str:
    """Warehouse-relative folder of a feature table, e.g. ``features/daily_sku_demand``."""
    return f"{FEATURES_PREFIX}/{name}"


@dataclass(frozen=True)
class TableUpdate:
    """What one build or update wrote: small enough to attach as asset metadata."""

    table: str
    partition_key: str
    written: tuple[str, ...] = ()  # partition values (re)written
    deleted: tuple[str, ...] = ()  # partition values removed (no rows any more)
    rows: int = 0  # rows in the written partitions
    first_date: date | None = None  # span of the dates (or known-on days) recomputed
    last_date: date | None = None
    seconds: float = 0.0
    extra: Mapping[str, Any] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        """Plain JSON-able values for ``dg.MaterializeResult(metadata=...)``."""
        out: dict[str, Any] = {
            "table": self.table,
            "partition_key": self.partition_key,
            "partitions_written": len(self.written),
            "partitions_deleted": len(self.deleted),
            "rows_written": self.rows,
            "first_date": self.first_date.isoformat() if self.first_date else None,
            "last_date": self.last_date.isoformat() if self.last_date else None,
            "seconds": round(self.seconds, 3),
        }
        if self.written:
            out["written"] = f"{self.written[0]} .. {self.written[-1]}"
        out.update(self.extra)
        return out


class PartitionLog:
    """Collects what a build wrote and removed."""

    def __init__(self) -> None:
        self.written: list[str] = []
        self.deleted: list[str] = []
        self.rows = 0

    def put(self, warehouse: Warehouse, table: str, key: str, value: str, data: pa.Table) -> None:
        """Writes one partition atomically, or removes it when ``data`` has no rows.

        Feature partitions exist exactly where there are rows, so an incremental update and a
        full rebuild leave the same set of files.
        """
        path = warehouse.partition_path(table, {key: value})
        if data.num_rows == 0:
            if path.exists():
                path.unlink()
                self.deleted.append(value)
            return
        warehouse.write_partition(table, {key: value}, data)
        self.written.append(value)
        self.rows += data.num_rows


def existing_partitions(warehouse: Warehouse, table: str, key: str) -> list[str]:
    return warehouse.partition_values(table, key)


def remove_partitions(
    warehouse: Warehouse, table: str, key: str, values: Iterable[str]
) -> list[str]:
    removed = []
    for value in values:
        path: Path = warehouse.partition_path(table, {key: value})
        if path.exists():
            path.unlink()
            removed.append(value)
    return removed


def partition_glob(warehouse: Warehouse, table: str) -> str:
    return str(warehouse.table_dir(table) / "*" / PARTITION_FILE)
