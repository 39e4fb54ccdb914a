"""Loading one export day: every contract rule, every broken-file case, exact row accounting."""

import json
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inventory_pipeline import contract as c
from inventory_pipeline.ingest.load import load_day, write_day
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline_tests.conftest import (
    ORDERS_HEADER,
    PRODUCTS_HEADER,
    WriteFile,
    order_row,
    product_row,
)

DAY = "2024-01-02"
KNOWN = pl.Series("sku", ["A1", "A2"])


def _orders(landing: Path, known: pl.Series = KNOWN):
    return load_day(landing, c.ORDERS, date.fromisoformat(DAY), known)


def _assert_accounting(load) -> None:
    for f in load.files:
        assert f.rows_read == f.rows_accepted + f.rows_rejected, f
    row_rejects = load.rejects.filter(pl.col("row_number").is_not_null()).height
    assert load.rows_read == load.rows_accepted + row_rejects


def test_valid_rows_are_typed_and_keep_lineage(landing: Path, write_file: WriteFile) -> None:
    write_file(
        "orders", DAY, "a.csv", "\n".join([ORDERS_HEADER, order_row("o1"), order_row("o2")]) + "\n"
    )
    load = _orders(landing)
    assert load.rows_read == 2 and load.rows_accepted == 2 and load.rejects.is_empty()
    row = load.accepted.row(0, named=True)
    assert row["quantity"] == 2 and row["unit_price"] == pytest.approx(19.99)
    assert row["ordered_at"] == datetime(2024, 1, 2, 10, 0)
    assert row["_source_file"] == f"orders/date={DAY}/a.csv" and row["_row_number"] == 1


def test_quoted_commas_quotes_and_newlines_survive(landing: Path, write_file: WriteFile) -> None:
    title = 'Pan, 28 cm "pro"\nsecond line'
    quoted = '"' + title.replace('"', '""') + '"'
    text = PRODUCTS_HEADER + "\n" + product_row("A1", title=quoted, description='"a, b"') + "\n"
    write_file("products", DAY, "p.csv", text)
    load = load_day(landing, c.PRODUCTS, date.fromisoformat(DAY), None)
    assert load.rows_accepted == 1
    assert load.accepted["title"][0] == title
    assert load.accepted["description"][0] == "a, b"


def test_timestamps_with_offsets_are_converted_to_utc(landing: Path, write_file: WriteFile) -> None:
    stamps = [
        "2024-01-02T23:30:00+02:00",
        "2024-01-02 21:30:00",
        "2024-01-02T21:30:00Z",
        "2024-01-02T21:30:00.000+00:00",
        "2024-01-03T00:30:00+0300",
    ]
    rows = [order_row(f"o{i}", ordered_at=s) for i, s in enumerate(stamps)]
    write_file("orders", DAY, "a.csv", "\n".join([ORDERS_HEADER, *rows]) + "\n")
    load = _orders(landing)
    assert load.rejects.is_empty()
    assert set(load.accepted["ordered_at"].to_list()) == {datetime(2024, 1, 2, 21, 30)}


@pytest.mark.parametrize(
    ("overrides", "rule", "column"),
    [
        ({"order_id": ""}, c.MISSING_VALUE, "order_id"),
        ({"line_no": "0"}, c.OUT_OF_RANGE, "line_no"),
        ({"line_no": "1.5"}, c.BAD_INT, "line_no"),
        ({"quantity": "0"}, c.OUT_OF_RANGE, "quantity"),
        ({"quantity": "-3"}, c.OUT_OF_RANGE, "quantity"),
        ({"quantity": "two"}, c.BAD_INT, "quantity"),
        ({"unit_price": "-0.01"}, c.OUT_OF_RANGE, "unit_price"),
        ({"unit_price": '"12,50"'}, c.BAD_DECIMAL, "unit_price"),
        ({"unit_price": "nan"}, c.BAD_DECIMAL, "unit_price"),
        ({"ordered_at": "02/01/2024 10:00"}, c.BAD_TIMESTAMP, "ordered_at"),
        ({"ordered_at": "2024-02-30T10:00:00"}, c.BAD_TIMESTAMP, "ordered_at"),
        ({"status": "shipped"}, c.BAD_ENUM, "status"),
        ({"sku": "ZZZ"}, c.UNKNOWN_SKU, "sku"),
        ({"sku": ""}, c.MISSING_VALUE, "sku"),
    ],
)
def test_each_order_rule_rejects_with_reason(
    landing: Path, write_file: WriteFile, overrides: dict[str, str], rule: str, column: str
) -> None:
    fields = {"order_id": "bad", **overrides}
    rows = [order_row("good1"), order_row(**fields), order_row("good2")]
    write_file("orders", DAY, "a.csv", "\n".join([ORDERS_HEADER, *rows]) + "\n")
    load = _orders(landing)
    _assert_accounting(load)
    assert load.accepted["order_id"].to_list() == ["good1", "good2"]
    reject = load.rejects.row(0, named=True)
    assert (reject["rule"], reject["row_number"]) == (rule, 2)
    assert column in reject["detail"]
    assert json.loads(reject["raw"])["order_id"] == fields["order_id"]


@pytest.mark.parametrize(
    ("table", "header", "good", "bad", "rule"),
    [
        (
            "reviews",
            "review_id,sku,rating,title,body,created_at",
            "r1,A1,5,t,b,2024-01-02T10:00:00",
            "r2,A1,6,t,b,2024-01-02T10:00:00",
            c.OUT_OF_RANGE,
        ),
        (
            "reviews",
            "review_id,sku,rating,title,body,created_at",
            "r1,A1,1,,,2024-01-02T10:00:00",
            "r2,A1,0,t,b,2024-01-02T10:00:00",
            c.OUT_OF_RANGE,
        ),
        (
            "promotions",
            "promo_id,sku,start_date,end_date,discount_pct,promo_type,name",
            "p1,A1,2024-01-05,2024-01-05,0,discount,x",
            "p2,A1,2024-01-05,2024-01-04,10,discount,x",
            c.END_BEFORE_START,
        ),
        (
            "promotions",
            "promo_id,sku,start_date,end_date,discount_pct,promo_type,name",
            "p1,A1,2024-01-05,2024-01-07,99.9,discount,x",
            "p2,A1,2024-01-05,2024-01-07,100,discount,x",
            c.OUT_OF_RANGE,
        ),
        (
            "promotions",
            "promo_id,sku,start_date,end_date,discount_pct,promo_type,name",
            "p1,A1,2024-01-05,2024-01-07,10,discount,x",
            "p2,A1,2024-01-05,2024-01-07,-5,discount,x",
            c.OUT_OF_RANGE,
        ),
        (
            "promotions",
            "promo_id,sku,start_date,end_date,discount_pct,promo_type,name",
            "p1,A1,2024-01-05,2024-01-07,10,discount,x",
            "p2,A1,2024-13-05,2024-01-07,5,discount,x",
            c.BAD_DATE,
        ),
        (
            "inventory",
            "snapshot_date,sku,on_hand,on_order",
            "2024-01-02,A1,0,0",
            "2024-01-02,A2,-1,0",
            c.OUT_OF_RANGE,
        ),
        (
            "inventory",
            "snapshot_date,sku,on_hand,on_order",
            "2024-01-02,A1,5,0",
            "2024-01-02,A2,5,-2",
            c.OUT_OF_RANGE,
        ),
        (
            "products",
            PRODUCTS_HEADER,
            product_row("B1"),
            product_row("B2", list_price="0"),
            c.OUT_OF_RANGE,
        ),
        (
            "products",
            PRODUCTS_HEADER,
            product_row("B1", unit_cost="0"),
            product_row("B2", unit_cost="-1"),
            c.OUT_OF_RANGE,
        ),
        (
            "products",
            PRODUCTS_HEADER,
            product_row("B1", lead_time_days="0"),
            product_row("B2", lead_time_days="-1"),
            c.OUT_OF_RANGE,
        ),
        (
            "products",
            PRODUCTS_HEADER,
            product_row("B1", moq="1"),
            product_row("B2", moq="0"),
            c.OUT_OF_RANGE,
        ),
        (
            "products",
            PRODUCTS_HEADER,
            product_row("B1", pack_size="1"),
            product_row("B2", pack_size="0"),
            c.OUT_OF_RANGE,
        ),
        (
            "products",
            PRODUCTS_HEADER,
            product_row("B1"),
            product_row("B2", title=""),
            c.MISSING_VALUE,
        ),
        (
            "products",
            PRODUCTS_HEADER,
            product_row("B1", launched_at="2030-01-01"),
            product_row("B2", launched_at="soon"),
            c.BAD_DATE,
        ),
    ],
)
def test_numeric_and_date_rules_of_every_table(
    landing: Path, write_file: WriteFile, table: str, header: str, good: str, bad: str, rule: str
) -> None:
    write_file(table, DAY, "x.csv", f"{header}\n{good}\n{bad}\n")
    contract = c.TABLES[table]
    load = load_day(
        landing, contract, date.fromisoformat(DAY), KNOWN if contract.checks_sku else None
    )
    _assert_accounting(load)
    assert load.rows_accepted == 1, load.rejects
    assert load.rejects["rule"].to_list() == [rule]
    assert load.rejects["row_number"].to_list() == [2]


def test_non_utf8_row_is_rejected_and_the_rest_loads(landing: Path, write_file: WriteFile) -> None:
    good = order_row("o1").encode()
    bad = order_row("o2", customer_id="M\xfcller").encode("latin-1")
    write_file(
        "orders",
        DAY,
        "a.csv",
        b"\n".join([ORDERS_HEADER.encode(), good, bad, good.replace(b"o1", b"o3")]),
    )
    load = _orders(landing)
    _assert_accounting(load)
    assert load.accepted["order_id"].to_list() == ["o1", "o3"]
    reject = load.rejects.row(0, named=True)
    assert reject["rule"] == c.BAD_ENCODING and reject["row_number"] == 2
    assert "customer_id" in reject["detail"] and "\\xfc" in json.loads(reject["raw"])["customer_id"]


def test_row_with_wrong_field_count_is_rejected_not_the_file(
    landing: Path, write_file: WriteFile
) -> None:
    text = "\n".join([ORDERS_HEADER, order_row("o1"), "o2,1,A1", order_row("o3")]) + "\n"
    write_file("orders", DAY, "a.csv", text)
    load = _orders(landing)
    _assert_accounting(load)
    assert load.accepted["order_id"].to_list() == ["o1", "o3"]
    assert load.accepted["_row_number"].to_list() == [1, 3]
    assert load.rejects["rule"].to_list() == [c.MALFORMED_ROW]


def test_broken_files_are_rejected_whole_and_the_day_still_loads(
    landing: Path, write_file: WriteFile
) -> None:
    write_file("orders", DAY, "1-good.csv", f"{ORDERS_HEADER}\n{order_row('o1')}\n")
    write_file("orders", DAY, "2-empty.csv", "")
    write_file("orders", DAY, "3-binary.csv", bytes(range(256)) * 4)
    write_file("orders", DAY, "4-columns.csv", "order_id,sku\no9,A1\n")
    write_file("orders", DAY, "5-bad.parquet", b"PAR1 this is not parquet")
    write_file("orders", DAY, "6-notes.txt", "hello")
    write_file("orders", DAY, ".hidden.csv", "ignored")
    load = _orders(landing)
    assert load.accepted["order_id"].to_list() == ["o1"]
    whole = load.rejects.filter(pl.col("row_number").is_null())
    assert dict(zip(whole["source_file"].str.split("/").list.last(), whole["rule"])) == {
        "2-empty.csv": c.EMPTY_FILE,
        "3-binary.csv": c.UNREADABLE_FILE,
        "4-columns.csv": c.MISSING_COLUMNS,
        "5-bad.parquet": c.UNREADABLE_FILE,
        "6-notes.txt": c.UNSUPPORTED_FILE,
    }
    assert "quantity" in whole.filter(pl.col("rule") == c.MISSING_COLUMNS)["detail"][0]


def test_unknown_extra_column_is_kept_out_and_optional_columns_may_be_absent(
    landing: Path, write_file: WriteFile
) -> None:
    header = "status,order_id,line_no,sku,quantity,unit_price,ordered_at,loyalty_tier"
    write_file("orders", DAY, "a.csv", f"{header}\nplaced,o1,1,A1,1,5,2024-01-02T10:00:00Z,gold\n")
    load = _orders(landing)
    assert load.rows_accepted == 1
    assert "loyalty_tier" not in load.accepted.columns
    assert load.accepted["customer_id"].to_list() == [None]


def test_header_only_and_missing_day_folder_give_empty_partitions(
    landing: Path, write_file: WriteFile, tmp_path: Path
) -> None:
    write_file("orders", DAY, "a.csv", ORDERS_HEADER + "\n")
    assert _orders(landing).rows_read == 0
    missing = load_day(landing, c.ORDERS, date(2024, 1, 9), KNOWN)
    assert missing.files == [] and missing.accepted.is_empty()
    warehouse = Warehouse(tmp_path / "wh")
    write_day(warehouse, c.ORDERS, missing)
    written = pq.read_table(
        warehouse.partition_path("raw/orders", {"export_date": date(2024, 1, 9)})
    )
    assert written.num_rows == 0 and written.schema.equals(c.ORDERS.arrow_schema)


def test_parquet_files_are_validated_like_csv(landing: Path) -> None:
    folder = landing / "orders" / f"date={DAY}"
    folder.mkdir(parents=True)
    table = pa.table(
        {
            "order_id": ["o1", "o2"],
            "line_no": pa.array([1, 1], pa.int32()),
            "sku": ["A1", "A1"],
            "quantity": pa.array([3, 0], pa.int64()),
            "unit_price": pa.array([9.5, 1.0], pa.float64()),
            "ordered_at": pa.array(
                [datetime(2024, 1, 2, 23, 30), datetime(2024, 1, 2, 1)],
                pa.timestamp("ms", tz="Europe/Berlin"),
            ),
            "status": ["placed", "placed"],
        }
    )
    pq.write_table(table, folder / "a.parquet")
    load = _orders(landing)
    _assert_accounting(load)
    assert load.accepted["order_id"].to_list() == ["o1"]
    assert load.accepted["ordered_at"][0] == datetime(2024, 1, 2, 23, 30)  # stored instant is UTC
    assert load.rejects["rule"].to_list() == [c.OUT_OF_RANGE]


def test_redelivered_rows_are_all_kept_in_raw_with_lineage(
    landing: Path, write_file: WriteFile
) -> None:
    write_file("orders", DAY, "a.csv", f"{ORDERS_HEADER}\n{order_row('o1')}\n")
    write_file("orders", DAY, "b.csv", f"{ORDERS_HEADER}\n{order_row('o1', quantity='5')}\n")
    load = _orders(landing)
    assert load.accepted.select("quantity", "_source_file").rows() == [
        (2, f"orders/date={DAY}/a.csv"),
        (5, f"orders/date={DAY}/b.csv"),
    ]


def test_ingest_days_of_an_empty_range_loads_nothing(landing: Path, tmp_path: Path) -> None:
    from inventory_pipeline.ingest.load import ingest_days

    warehouse = Warehouse(tmp_path / "warehouse")
    stats = ingest_days(landing, warehouse, c.TABLES["orders"], [])
    assert stats.days == [] and stats.rows_read == 0 and stats.last is None
    assert not (tmp_path / "warehouse" / "raw").exists()
