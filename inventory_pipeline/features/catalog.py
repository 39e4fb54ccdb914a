"""Views of the raw, current and feature tables in the DuckDB catalog file, for analysts.

Views name Parquet globs (re-read at query time), so publishing once per table is enough and
is cheap to repeat; the catalog lock is held for milliseconds through
:meth:`Warehouse.publish_views`, so parallel partition runs do not contend for it.
"""

from __future__ import annotations

from inventory_pipeline.features.common import feature_table, partition_glob
from inventory_pipeline.features.sources import RAW_TABLES, raw_table
from inventory_pipeline.warehouse import Warehouse, read_sql, sql_literal_path

FEATURE_TABLES: tuple[str, ...] = (
    "daily_sku_demand",
    "promo_calendar",
    "review_signals",
    "product_docs",
    "calendar",
)


def _has_files(warehouse: Warehouse, table: str) -> bool:
    base = warehouse.table_dir(table)
    return base.exists() and any(base.glob("*/data.parquet"))


def _scan(warehouse: Warehouse, table: str) -> str:
    # The glob is built from fixed table names under the warehouse root, never from user text.
    return (
        f"SELECT * FROM read_parquet({sql_literal_path(partition_glob(warehouse, table))}, "
        "hive_partitioning = true)"
    )


def catalog_views(warehouse: Warehouse) -> dict[str, str]:
    """``view name -> SELECT`` for every table with at least one partition on disk.

    raw_<table> and <table>_current (sql/current/<table>.sql, which reads raw_<table>) for the raw
    tables; one view per feature table.
    """
    views: dict[str, str] = {}
    for table in RAW_TABLES:
        if _has_files(warehouse, raw_table(table)):
            views[f"raw_{table}"] = _scan(warehouse, raw_table(table))
            views[f"{table}_current"] = read_sql(f"current/{table}")
    for name in FEATURE_TABLES:
        if _has_files(warehouse, feature_table(name)):
            views[name] = _scan(warehouse, feature_table(name))
    return views


def publish_feature_views(warehouse: Warehouse) -> list[str]:
    """Creates or replaces the catalog views; returns their names."""
    views = catalog_views(warehouse)
    if views:
        warehouse.publish_views(views)
    return sorted(views)
