"""Warehouse paths and writes: atomic, idempotent, and never outside the root."""

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inventory_pipeline.warehouse import Warehouse


@pytest.mark.parametrize("value", ["../etc", "a/b", "..", "", "x\x00", " spaced"])
def test_partition_values_cannot_escape_the_root(tmp_path: Path, value: str) -> None:
    with pytest.raises(ValueError, match="unsafe"):
        Warehouse(tmp_path).partition_path("raw/orders", {"export_date": value})


@pytest.mark.parametrize("table", ["../outside", "raw/../../x", "/abs"])
def test_table_names_cannot_escape_the_root(tmp_path: Path, table: str) -> None:
    with pytest.raises(ValueError, match="unsafe"):
        Warehouse(tmp_path).table_dir(table)


def test_rewriting_a_partition_replaces_it_and_leaves_no_temp_files(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path)
    key = {"export_date": date(2024, 1, 1)}
    warehouse.write_partition("raw/x", key, pa.table({"a": [1, 2]}))
    path = warehouse.write_partition("raw/x", key, pa.table({"a": [3]}))
    assert pq.read_table(path).to_pydict() == {"a": [3]}
    assert list(warehouse.tmp_dir.iterdir()) == []
    assert warehouse.partition_values("raw/x", "export_date") == ["2024-01-01"]


def test_catalog_views_are_published(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path)
    warehouse.write_partition("raw/x", {"export_date": "2024-01-01"}, pa.table({"a": [1]}))
    glob = warehouse.glob("raw/x", 1).replace("'", "''")
    warehouse.publish_views({"x": f"SELECT * FROM read_parquet('{glob}', hive_partitioning=true)"})
    with warehouse.catalog() as con:
        assert con.sql("SELECT a, CAST(export_date AS VARCHAR) FROM x").fetchall() == [
            (1, "2024-01-01")
        ]
