"""daily_sku_demand on the tiny shop: every expected number is computed by hand below."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from inventory_pipeline.features.demand import (
    affected_months,
    build_daily_sku_demand,
    update_daily_sku_demand,
)
from inventory_pipeline.warehouse import Warehouse
from inventory_pipeline_tests.features.shop import (
    FIRST_DAY,
    LAST_DAY,
    partition_bytes,
    read_table,
    reference_units,
    tiny_shop,
    write_export,
    write_shop,
)

D = date.fromisoformat


def demand(warehouse: Warehouse) -> pl.DataFrame:
    frame = pl.from_arrow(read_table(warehouse, "daily_sku_demand"))
    assert isinstance(frame, pl.DataFrame)
    return frame.sort("sku", "date")


def units(frame: pl.DataFrame) -> dict[tuple[str, date], int]:
    return {(s, d): u for s, d, u in frame.select("sku", "date", "units").iter_rows() if u}


def test_units_reconcile_with_corrections_and_cancellations(shop: Warehouse) -> None:
    build_daily_sku_demand(shop)
    got = units(demand(shop))
    # o1/1 re-delivered with qty 5 (+ o1/2 qty 1); o2/1 cancelled days later; o5 exported late;
    # o4/1 re-delivered unchanged (counted once).
    assert got == {
        ("A", D("2024-03-01")): 6,
        ("A", D("2024-03-04")): 1,
        ("B", D("2024-03-04")): 2,
        ("E", D("2024-03-09")): 4,
    }
    assert got == reference_units(tiny_shop())
    row = demand(shop).filter(sku="A", date=D("2024-03-01")).row(0, named=True)
    assert row["price_paid"] == (5 * 9.5 + 1 * 8.0) / 6 and row["list_price"] == 10.0
    # The catalog raised A's list price on 2024-03-07: list price is as known on each day.
    prices = dict(demand(shop).filter(sku="A").select("date", "list_price").iter_rows())
    assert prices[D("2024-03-06")] == 10.0 and prices[D("2024-03-07")] == 12.0


def test_stockout_exactly_where_snapshot_shows_zero(shop: Warehouse) -> None:
    build_daily_sku_demand(shop)
    frame = demand(shop)
    assert set(frame.filter("stockout").select("sku", "date").iter_rows()) == {
        ("A", D("2024-03-03")),
        ("B", D("2024-03-09")),  # after B's discontinuation: a row, flagged not on sale
    }
    late = frame.filter(sku="A", date=D("2024-03-05")).row(0, named=True)
    assert late["on_hand"] == 4 and not late["stockout"]  # snapshot exported a day late


def test_zero_fill_from_launch_until_discontinuation(shop: Warehouse) -> None:
    build_daily_sku_demand(shop)
    frame = demand(shop)
    # A launched on 02-28, but nothing was exported before 03-01: no invented zeros before that.
    a_days = frame.filter(sku="A")["date"].to_list()
    assert a_days == [FIRST_DAY + timedelta(days=i) for i in range((LAST_DAY - FIRST_DAY).days + 1)]
    b = frame.filter(sku="B")
    assert b.filter("on_sale")["date"].to_list() == [D(f"2024-03-0{i}") for i in range(3, 8)]
    assert b.filter(~pl.col("on_sale"))["date"].to_list() == [D("2024-03-09")]
    assert frame.filter(sku="C").height == 0  # launches after the latest export


def test_rerun_is_byte_identical(shop: Warehouse) -> None:
    build_daily_sku_demand(shop)
    first = partition_bytes(shop, ["daily_sku_demand"])
    build_daily_sku_demand(shop)
    update_daily_sku_demand(shop, D("2024-03-06"))
    assert partition_bytes(shop, ["daily_sku_demand"]) == first


def test_nightly_update_equals_full_rebuild(warehouse: Warehouse, tmp_path) -> None:
    exports = tiny_shop()
    written_months = []
    for day in sorted(exports):
        write_export(warehouse, day, exports[day])
        written_months.append(update_daily_sku_demand(warehouse, day).written)
    full = Warehouse(tmp_path / "full")
    write_shop(full, exports)
    build_daily_sku_demand(full)
    assert partition_bytes(warehouse, ["daily_sku_demand"]) == partition_bytes(
        full, ["daily_sku_demand"]
    )
    assert all(months == ("2024-03",) for months in written_months)


def test_affected_months_follow_late_corrections(warehouse: Warehouse) -> None:
    exports = tiny_shop()
    write_shop(warehouse, exports)
    # A cancellation exported in April for a line placed on 2024-03-01 touches March; the grid's
    # growth to the new day touches the months up to that day.
    write_export(
        warehouse,
        D("2024-04-02"),
        {
            "orders": [{**exports[D("2024-03-01")]["orders"][0], "status": "cancelled"}],
        },
    )
    write_export(warehouse, D("2024-04-03"), {})
    assert affected_months(warehouse, D("2024-04-02")) == ["2024-03"]
    assert affected_months(warehouse, D("2024-04-03")) == ["2024-04"]
