"""A tiny shop written straight into raw Parquet partitions (docs/warehouse.md layout).

The scenario is small enough to compute every expected value by hand; ``reference_units`` is an
independent pure-Python reading of the upsert rules used to check the SQL on any raw data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from inventory_pipeline.contract import TABLES
from inventory_pipeline.features.sources import RAW_TABLES
from inventory_pipeline.warehouse import Warehouse

D = date.fromisoformat
FIRST_DAY = D("2024-03-01")
LAST_DAY = D("2024-03-10")


def product(sku: str, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "sku": sku,
        "title": f"Product {sku}",
        "description": f"About {sku}, with, commas",
        "category": "home/kitchen",
        "brand": "Acme",
        "list_price": 10.0,
        "unit_cost": 4.0,
        "lead_time_days": 7,
        "moq": 5,
        "pack_size": 2,
        "launched_at": D("2024-02-28"),
        "discontinued_at": None,
    }
    row.update(overrides)
    return row


def line(
    order_id: str,
    line_no: int,
    sku: str,
    qty: int,
    at: str,
    status: str = "placed",
    price: float = 9.5,
) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "line_no": line_no,
        "sku": sku,
        "quantity": qty,
        "unit_price": price,
        "ordered_at": datetime.fromisoformat(at),
        "status": status,
        "customer_id": "c1",
    }


def snap(day: str, sku: str, on_hand: int, on_order: int = 0) -> dict[str, Any]:
    return {"snapshot_date": D(day), "sku": sku, "on_hand": on_hand, "on_order": on_order}


def promo(
    promo_id: str, sku: str, start: str, end: str, pct: float, kind: str = "discount"
) -> dict[str, Any]:
    return {
        "promo_id": promo_id,
        "sku": sku,
        "start_date": D(start),
        "end_date": D(end),
        "discount_pct": pct,
        "promo_type": kind,
        "name": f"{kind} {promo_id}",
    }


def review(review_id: str, sku: str, rating: int, at: str, body: str = "ok") -> dict[str, Any]:
    return {
        "review_id": review_id,
        "sku": sku,
        "rating": rating,
        "title": f"T{review_id}",
        "body": body,
        "created_at": datetime.fromisoformat(at),
    }


# export day -> table -> rows
Exports = dict[date, dict[str, list[dict[str, Any]]]]


def tiny_shop() -> Exports:
    """The hand-checked scenario (see test_demand.py for the expected numbers)."""
    ex: Exports = {FIRST_DAY + timedelta(days=i): {t: [] for t in RAW_TABLES} for i in range(10)}
    ex[D("2024-03-01")]["products"] = [
        product("A"),
        product("B", list_price=20.0, launched_at=D("2024-03-03"), discontinued_at=D("2024-03-08")),
        product("C", list_price=30.0, launched_at=D("2024-03-14"), description=""),
        product("E", category="garden", list_price=50.0, brand=None),
    ]
    ex[D("2024-03-01")]["orders"] = [
        line("o1", 1, "A", 2, "2024-03-01T10:00:00"),
        line("o1", 2, "A", 1, "2024-03-01T10:00:00", price=8.0),
    ]
    ex[D("2024-03-02")]["orders"] = [line("o2", 1, "A", 3, "2024-03-02T23:59:59")]
    ex[D("2024-03-04")]["orders"] = [line("o4", 1, "B", 2, "2024-03-04T08:00:00")]
    # A 2024-03-04 order exported a day late.
    ex[D("2024-03-05")]["orders"] = [line("o5", 1, "A", 1, "2024-03-04T23:30:00")]
    # Late corrections: o1/1 re-delivered with quantity 5, o2/1 cancelled, o4/1 re-delivered as is.
    ex[D("2024-03-06")]["orders"] = [
        line("o1", 1, "A", 5, "2024-03-01T10:00:00"),
        line("o2", 1, "A", 3, "2024-03-02T23:59:59", status="cancelled"),
        line("o4", 1, "B", 2, "2024-03-04T08:00:00"),
    ]
    ex[D("2024-03-09")]["orders"] = [line("o9", 1, "E", 4, "2024-03-09T12:00:00", price=45.0)]
    for day in ex:
        ex[day]["inventory"] = [snap(day.isoformat(), "A", 0 if day == D("2024-03-03") else 5, 10)]
    # A's 03-05 snapshot arrives a day late; B shows a stockout after its discontinuation.
    ex[D("2024-03-05")]["inventory"] = []
    ex[D("2024-03-06")]["inventory"] += [snap("2024-03-05", "A", 4, 10)]
    ex[D("2024-03-09")]["inventory"] += [snap("2024-03-09", "B", 0)]
    ex[D("2024-03-02")]["promotions"] = [promo("P1", "A", "2024-03-05", "2024-03-07", 10.0)]
    ex[D("2024-03-06")]["promotions"] = [promo("P1", "A", "2024-03-05", "2024-03-09", 20.0)]
    ex[D("2024-03-08")]["promotions"] = [
        promo("P2", "A", "2024-03-09", "2024-03-09", 30.0, "flash_sale")
    ]
    ex[D("2024-03-02")]["reviews"] = [review("R1", "A", 5, "2024-03-02T09:00:00", "Great pan")]
    ex[D("2024-03-05")]["reviews"] = [review("R2", "A", 1, "2024-03-03T09:00:00", "Broke, sadly")]
    ex[D("2024-03-07")]["reviews"] = [
        review("R2", "A", 2, "2024-03-03T09:00:00", "Broke; refunded")
    ]
    ex[D("2024-03-07")]["products"] = [product("A", list_price=12.0)]
    return ex


def write_export(
    warehouse: Warehouse, day: date, tables: Mapping[str, list[dict[str, Any]]]
) -> None:
    """One export day: every raw table gets a partition (zero rows when nothing was exported)."""
    for table in RAW_TABLES:
        rows = [
            {**row, "_source_file": f"{table}/date={day}/part.csv", "_row_number": i + 1}
            for i, row in enumerate(tables.get(table, []))
        ]
        schema = TABLES[table].arrow_schema
        data = pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
        warehouse.write_partition(f"raw/{table}", {"export_date": day}, data)


def write_shop(warehouse: Warehouse, exports: Exports, until: date | None = None) -> None:
    for day in sorted(exports):
        if until is None or day <= until:
            write_export(warehouse, day, exports[day])


def reference_units(exports: Exports, known_on: date | None = None) -> dict[tuple[str, date], int]:
    """Units per (sku, demand date) by the contract's rules, in plain Python."""
    latest: dict[tuple[str, int], tuple[tuple[date, str, int], dict[str, Any]]] = {}
    for day in sorted(exports):
        if known_on is not None and day > known_on:
            continue
        for i, row in enumerate(exports[day]["orders"]):
            rank = (day, f"orders/date={day}/part.csv", i + 1)
            key = (row["order_id"], row["line_no"])
            if key not in latest or latest[key][0] < rank:
                latest[key] = (rank, row)
    units: dict[tuple[str, date], int] = {}
    for _, row in latest.values():
        when = row["ordered_at"].date()
        if row["status"] == "placed" and (known_on is None or when <= known_on):
            units[(row["sku"], when)] = units.get((row["sku"], when), 0) + row["quantity"]
    return units


def partition_bytes(warehouse: Warehouse, tables: Iterable[str]) -> dict[str, bytes]:
    """Every feature partition file's relative path -> content, to compare runs byte for byte."""
    out = {}
    for table in tables:
        base = warehouse.root / "features" / table
        for path in sorted(base.glob("*/data.parquet")):
            out[str(path.relative_to(warehouse.root))] = path.read_bytes()
    return out


def read_table(warehouse: Warehouse, table: str) -> pa.Table:
    files = sorted((warehouse.root / "features" / table).glob("*/data.parquet"))
    return pa.concat_tables([pq.read_table(f) for f in files]) if files else pa.table({})


def landing_days(landing: Path) -> list[date]:
    from inventory_pipeline.ingest.load import landing_dates

    return sorted({d for t in RAW_TABLES for d in landing_dates(landing, t)})


def ingest_landing(landing: Path, warehouse: Warehouse, days: Iterable[date] | None = None) -> None:
    """Loads export days of a landing zone into raw partitions (catalog first each day)."""
    from inventory_pipeline.contract import TABLES as CONTRACTS
    from inventory_pipeline.ingest.load import known_skus_by_day, load_day, write_day

    for day in landing_days(landing) if days is None else days:
        write_day(
            warehouse, CONTRACTS["products"], load_day(landing, CONTRACTS["products"], day, None)
        )
        known = known_skus_by_day(warehouse, day)["sku"]
        for table in RAW_TABLES:
            if table != "products":
                write_day(
                    warehouse, CONTRACTS[table], load_day(landing, CONTRACTS[table], day, known)
                )
