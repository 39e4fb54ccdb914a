"""Ingesting a generated shop: exactly the injected faults are rejected, with the right rule."""

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from inventory_pipeline import contract as c
from inventory_pipeline.ingest.load import ingest_days, landing_dates
from inventory_pipeline.sampleshop import generate_shop
from inventory_pipeline.warehouse import Warehouse

KEY = ["table_name", "export_date", "source_file", "row_number", "rule"]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Warehouse, dict]:
    root = tmp_path_factory.mktemp("shop")
    generate_shop(
        root / "landing",
        root / "truth",
        skus=30,
        days=75,
        start=date(2024, 1, 1),
        seed=11,
        progress=False,
    )
    warehouse = Warehouse(root / "warehouse")
    stats = {}
    for contract in c.TABLES.values():
        days = landing_dates(root / "landing", contract.name)
        stats[contract.name] = ingest_days(root / "landing", warehouse, contract, days)
    return root, warehouse, stats


def test_rejects_are_exactly_the_injected_faults(ingested: tuple[Path, Warehouse, dict]) -> None:
    root, warehouse, _ = ingested
    faults = pl.read_parquet(root / "truth" / "faults.parquet").select(KEY)
    con = duckdb.connect()
    rejects = (
        con.sql(
            f"SELECT table_name, export_date, source_file, row_number, rule "
            f"FROM read_parquet('{warehouse.glob('rejects', 2)}', hive_partitioning=true)"
        )
        .pl()
        .with_columns(pl.col("export_date").cast(pl.Date))
    )
    assert faults.height > 50
    assert set(faults["rule"]) >= {
        c.UNKNOWN_SKU,
        c.OUT_OF_RANGE,
        c.BAD_INT,
        c.BAD_ENCODING,
        c.EMPTY_FILE,
    }
    missed = faults.join(rejects, on=KEY, how="anti", nulls_equal=True)
    unexpected = rejects.join(faults, on=KEY, how="anti", nulls_equal=True)
    assert missed.is_empty(), f"faults not rejected with their rule:\n{missed}"
    assert unexpected.is_empty(), f"valid rows rejected:\n{unexpected}"


def test_every_row_read_is_accepted_or_rejected(ingested: tuple[Path, Warehouse, dict]) -> None:
    _, warehouse, stats = ingested
    for table, s in stats.items():
        files = pl.read_parquet(warehouse.glob(f"raw/{table}", 1))
        assert files.height == s.rows_accepted
        assert s.rows_read == s.rows_accepted + s.rows_rejected, table
