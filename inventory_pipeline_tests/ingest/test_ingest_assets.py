"""The ingest assets, materialised for real with Dagster over a tiny landing zone."""

import hashlib
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from inventory_pipeline.defs.ingest.assets import build_ingest_assets
from inventory_pipeline.defs.partitions import shop_partitions
from inventory_pipeline.defs.resources import (
    LandingZoneResource,
    ShopSettingsResource,
    WarehouseResource,
)
from inventory_pipeline_tests.conftest import (
    ORDERS_HEADER,
    PRODUCTS_HEADER,
    WriteFile,
    order_row,
    product_row,
)

# the ingest assets on daily partitions from the test shops' first export day
ingest_assets = build_ingest_assets(shop_partitions(date(2024, 1, 1)).export_day)


def _materialize(
    landing: Path, warehouse: Path, partition: str, selection: str = "*"
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        ingest_assets,
        partition_key=partition,
        selection=selection,
        resources={
            "landing": LandingZoneResource(path=str(landing)),
            "warehouse": WarehouseResource(path=str(warehouse)),
            "shop": ShopSettingsResource(path=str(landing.parent / "settings.yaml")),
        },
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def _digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.parquet"))
        if ".tmp" not in p.parts
    }


@pytest.fixture
def shop(landing: Path, write_file: WriteFile) -> Path:
    write_file("products", "2024-01-01", "catalog.csv", f"{PRODUCTS_HEADER}\n{product_row('A1')}\n")
    write_file("products", "2024-01-02", "new.csv", f"{PRODUCTS_HEADER}\n{product_row('A2')}\n")
    orders = [
        order_row("o1", "A1"),
        order_row("o2", "A2"),
        order_row("o3", "NOPE"),
        order_row("o4", quantity="0"),
    ]
    write_file("orders", "2024-01-02", "orders.csv", "\n".join([ORDERS_HEADER, *orders]) + "\n")
    write_file("orders", "2024-01-02", "broken.csv", b"\x00\x01\x02garbage")
    return landing


def test_day_loads_with_rejects_metadata_and_checks(shop: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "wh"
    assert _materialize(shop, warehouse, "2024-01-01").success
    result = _materialize(shop, warehouse, "2024-01-02")
    assert result.success

    orders = [m for m in result.asset_materializations_for_node("raw_orders")]
    meta = orders[0].metadata
    assert meta["rows_read"].value == 4
    assert meta["rows_accepted"].value == 2
    assert meta["rows_rejected"].value == 2
    assert meta["files_rejected"].value == 1
    assert meta["rejects_by_rule"].value == {
        "unknown_sku": 1,
        "out_of_range": 1,
        "unreadable_file": 1,
    }

    checks = {(e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()}
    assert checks[("raw_orders", "matches_contract_schema")].passed
    assert not checks[("raw_orders", "reject_rate_below_threshold")].passed  # 50% of rows rejected

    con = duckdb.connect(str(warehouse / "catalog.duckdb"), read_only=True)
    accepted = con.sql("SELECT order_id FROM raw_orders ORDER BY order_id").fetchall()
    assert accepted == [("o1",), ("o2",)]  # A2 was announced on the same export day
    rejects = con.sql(
        "SELECT table_name, CAST(export_date AS VARCHAR), rule FROM rejects "
        "WHERE table_name = 'orders' ORDER BY rule"
    ).fetchall()
    assert rejects == [
        ("orders", "2024-01-02", "out_of_range"),
        ("orders", "2024-01-02", "unknown_sku"),
        ("orders", "2024-01-02", "unreadable_file"),
    ]


def test_rerunning_a_partition_gives_identical_files(shop: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "wh"
    for day in ("2024-01-01", "2024-01-02"):
        assert _materialize(shop, warehouse, day).success
    first = _digest(warehouse)
    assert _materialize(shop, warehouse, "2024-01-02").success
    assert _digest(warehouse) == first
    assert len([k for k in first if k.startswith("raw/orders/")]) == 2


def test_orders_refuse_to_load_before_the_catalog_is_ingested(shop: Path, tmp_path: Path) -> None:
    result = _materialize(shop, tmp_path / "wh", "2024-01-02", selection="raw_orders")
    assert not result.success
    error = result.get_step_failure_events()[0].step_failure_data.error
    message = error.cause.message if error.cause else error.message
    assert "not ingested yet" in message and "inventory-pipeline backfill" in message
